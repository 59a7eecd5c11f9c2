"""Store sales: raw orders -> revenue orders -> store x day / store x week (Ibis), then scorecards.

Revenue means completed USD orders at real stores, valued at what the customer paid
(``pay_amount``). Everything else is excluded with a count on the store so reports can say
so: NZD orders (the Cook Islands engineering test store), USD orders at a test store, and
refunded or cancelled orders.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pandas as pd

from luckin_lab.sources import DataStore
from luckin_lab.transforms import metrics
from luckin_lab.transforms.metrics import last_complete_week  # noqa: F401  (re-exported for callers)

NZD_REASON = "NZD test-store orders (Cook Islands): never revenue"
TEST_STORE_REASON = "USD orders at an engineering test store: never revenue"
NOT_COMPLETED_REASON = "refunded or cancelled orders: not revenue"
MATURE_WEEKS = metrics.OPENING_RAMP_WEEKS
ALERT_DROP = -0.10  # a store more than 10 % below its own four-week average is an alert
NO_COST_REASON = ("profit not shown: the source has no item costs (tables order_items and products "
                  "with unit_cost), so figures are revenue")


def revenue_orders(store: DataStore, as_of: dt.date | None = None) -> ir.Table:
    """Order-level revenue rows (with store attributes); exclusions are counted on ``store``.

    ``as_of`` cuts the data at the end of that day, so a report can be re-run for a past week.
    """
    orders = store.table("orders")
    stores = store.table("stores").select("store_id", "store_name", "is_test_store", "open_date")
    if as_of is not None:
        orders = orders.filter(orders.order_time < ibis.timestamp(as_of + dt.timedelta(days=1)))
    tagged = orders.join(stores, "store_id", how="left")
    counts = store.execute(
        tagged.group_by(
            usd=tagged.currency == "USD",
            test=tagged.is_test_store.fill_null(False),
            completed=tagged.status == "completed",
        ).aggregate(n=tagged.count())
    )
    nzd = int(counts.loc[~counts.usd, "n"].sum())
    test = int(counts.loc[counts.usd & counts.test, "n"].sum())
    not_completed = int(counts.loc[counts.usd & ~counts.test & ~counts.completed, "n"].sum())
    unknown = store.execute(tagged.filter(tagged.store_name.isnull()).count())
    if unknown:
        raise ValueError(
            f"orders: {unknown} order(s) have a store_id missing from table 'stores' "
            "(check references orders.store_id -> stores.store_id)"
        )
    store.exclude("orders", NZD_REASON, nzd)
    store.exclude("orders", TEST_STORE_REASON, test)
    store.exclude("orders", NOT_COMPLETED_REASON, not_completed)
    kept = tagged.filter(
        (tagged.currency == "USD") & ~tagged.is_test_store & (tagged.status == "completed")
    )
    return kept.mutate(date=kept.order_time.date())


def _sales_measures(o: ir.Table) -> dict[str, ir.Value]:
    """The measures every store x period table carries (customers distinct within the period)."""
    return dict(
        orders=o.count(),
        revenue=o.pay_amount.sum(),
        list_amount=o.list_amount.sum(),
        discount_amount=o.discount_amount.sum(),
        customers=o.user_id.nunique(),
    )


def store_daily(store: DataStore, as_of: dt.date | None = None) -> ir.Table:
    """Store x day: orders, revenue (paid), list value, discounts, distinct customers, items."""
    o = revenue_orders(store, as_of)
    return o.group_by("store_id", "store_name", "open_date", "date").aggregate(
        **_sales_measures(o), items=o.n_items.sum()
    )


def has_costs(store: DataStore) -> bool:
    """Whether the source can price the cost of goods (item lines and product unit costs)."""
    return store.has("order_items") and store.has("products")


def order_cost_of_goods(store: DataStore) -> ir.Table:
    """Cost of goods per order: sum of quantity x the product's unit (recipe) cost."""
    items = store.table("order_items")
    products = store.table("products").select("product_id", "unit_cost")
    lines = items.join(products, "product_id", how="left")
    missing = store.execute(lines.filter(lines.unit_cost.isnull()).count())
    if missing:
        raise ValueError(f"order_items: {missing} line(s) have a product_id missing from table "
                         "'products' (check references order_items.product_id -> products.product_id)")
    return lines.group_by("order_id").aggregate(cost_of_goods=(lines.quantity * lines.unit_cost).sum())


def store_weekly(store: DataStore, as_of: dt.date | None = None) -> ir.Table:
    """Store x ISO week (Monday start): the same measures; customers distinct within the week.

    When the source has item costs (:func:`has_costs`) a ``cost_of_goods`` column is added, so
    reports can show gross profit rather than revenue.
    """
    o = revenue_orders(store, as_of)
    o = o.mutate(week=o.order_time.truncate("W").cast("date"))
    extra = {}
    if has_costs(store):
        o = o.left_join(order_cost_of_goods(store), "order_id")
        extra["cost_of_goods"] = o.cost_of_goods.fill_null(0.0).sum()
    return o.group_by("store_id", "store_name", "open_date", "week").aggregate(
        **_sales_measures(o), days=o.date.nunique(), **extra
    )


# -- analysis grain (pandas) -------------------------------------------------------------


def _with_profit(frame: pd.DataFrame) -> pd.DataFrame:
    """Gross profit and margin rate where the frame carries the cost of goods."""
    if "cost_of_goods" in frame.columns:
        frame["gross_profit"] = frame["revenue"] - frame["cost_of_goods"]
        frame["margin_rate"] = frame["gross_profit"] / frame["revenue"]
    return frame


def weekly_totals(weekly: pd.DataFrame, last_day: dt.date) -> pd.DataFrame:
    """All stores per week: revenue (and gross profit), orders, AOV, stores trading; partial weeks flagged."""
    w = weekly.copy()
    w["week"] = pd.to_datetime(w["week"])
    sums = {c: (c, "sum") for c in ("revenue", "orders", "discount_amount", "list_amount", "cost_of_goods")
            if c in w.columns}
    out = w.groupby("week", as_index=False).agg(**sums, stores=("store_id", "nunique")).sort_values("week")
    out["aov"] = metrics.aov(out["revenue"], out["orders"])
    out["discount_rate"] = out["discount_amount"] / out["list_amount"]
    out["complete"] = metrics.is_complete_week(out["week"], last_day)
    return _with_profit(out).reset_index(drop=True)


STATUS_ALERT = "check: below its own average"
STATUS_SETTLING = "new: settling after opening"
STATUS_TOO_NEW = "new: too new to compare"
STATUS_OK = "on track"


def store_scorecard(weekly: pd.DataFrame, week: dt.date) -> pd.DataFrame:
    """One row per store for ``week``: revenue, orders, AOV, change vs prior week and 4-week mean.

    The 4-week mean covers the (up to) four weeks before ``week`` that have data; a store must
    have been open for all of them, else the comparison is left empty.

    Week-on-week change is left empty for a store that was not open for the whole prior week:
    a grand-opening week would otherwise show as a meaningless +500%.

    ``status`` says what the table means for each store, so the page-one sentence and the table
    are the same frame: an alert (more than 10 % below its own average, open longer than the
    opening ramp), a new store below its average while settling after its opening, a store too
    new to compare, or on track.
    """
    w = weekly.copy()
    w["week"] = pd.to_datetime(w["week"])
    this = pd.Timestamp(week)
    prev = this - pd.Timedelta(days=7)
    cur = w[w["week"] == this].set_index("store_id")
    before = w[w["week"] == prev].set_index("store_id")
    last4 = w[(w["week"] < this) & (w["week"] >= this - pd.Timedelta(days=28))]
    n_weeks = max(last4["week"].nunique(), 1)  # fewer than 4 when the data starts later
    first_week = last4["week"].min() if len(last4) else this
    mean4 = last4.groupby("store_id")["revenue"].sum() / n_weeks
    open_date = pd.to_datetime(w.groupby("store_id")["open_date"].first())
    card = pd.DataFrame({
        "store": cur["store_name"],
        "revenue": cur["revenue"],
        "orders": cur["orders"],
        "aov": metrics.aov(cur["revenue"], cur["orders"]),
        "customers": cur["customers"],
        "discount_rate": cur["discount_amount"] / cur["list_amount"],
    })
    if "cost_of_goods" in cur.columns:
        card["gross_profit"] = cur["revenue"] - cur["cost_of_goods"]
        card["margin_rate"] = card["gross_profit"] / card["revenue"]
    full_prev = open_date.reindex(card.index) <= prev
    card["revenue_wow"] = (cur["revenue"] / before["revenue"].reindex(card.index) - 1).where(full_prev)
    full_4 = open_date.reindex(card.index) <= first_week
    card["vs_4wk_avg"] = (cur["revenue"] / mean4.reindex(card.index) - 1).where(full_4)
    card["weeks_open"] = ((this - open_date.reindex(card.index)).dt.days // 7 + 1).clip(lower=1)
    ramping = metrics.is_ramping(card["weeks_open"])
    below = card["vs_4wk_avg"] < ALERT_DROP
    card["status"] = STATUS_OK
    card.loc[card["vs_4wk_avg"].isna(), "status"] = STATUS_TOO_NEW
    card.loc[below & ramping, "status"] = STATUS_SETTLING
    card.loc[below & ~ramping, "status"] = STATUS_ALERT
    return card.reset_index().sort_values("revenue", ascending=False).reset_index(drop=True)


def week_headline(totals: pd.DataFrame, card: pd.DataFrame, week: dt.date) -> dict:
    """The executive-summary figures for ``week``, read off the totals and the scorecard itself."""
    t = totals.set_index("week")
    this, prev = pd.Timestamp(week), pd.Timestamp(week) - pd.Timedelta(days=7)
    cur = t.loc[this]
    before = t.loc[prev] if prev in t.index else None

    def change(col: str) -> float | None:
        if before is None or col not in before or not before[col]:
            return None
        return float(cur[col] / before[col] - 1)

    comparable = card.dropna(subset=["revenue_wow"])
    below = card[card["vs_4wk_avg"] < ALERT_DROP].sort_values("vs_4wk_avg")
    has_profit = "gross_profit" in t.columns
    return {
        "week_start": this.date().isoformat(),
        "week_end": (this + pd.Timedelta(days=6)).date().isoformat(),
        "revenue": float(cur["revenue"]),
        "gross_profit": float(cur["gross_profit"]) if has_profit else None,
        "margin_rate": float(cur["margin_rate"]) if has_profit else None,
        "orders": int(cur["orders"]),
        "aov": float(cur["aov"]),
        "stores": int(cur["stores"]),
        "revenue_wow": change("revenue"),
        "gross_profit_wow": change("gross_profit") if has_profit else None,
        "orders_wow": change("orders"),
        "aov_wow": change("aov"),
        "top_store": card.iloc[0]["store"] if len(card) else None,
        "top_store_share": float(card.iloc[0]["revenue"] / cur["revenue"]) if len(card) else None,
        "best_mover": (comparable.loc[comparable["revenue_wow"].idxmax(), "store"]
                       if len(comparable) else None),
        "best_mover_wow": float(comparable["revenue_wow"].max()) if len(comparable) else None,
        "worst_mover": (comparable.loc[comparable["revenue_wow"].idxmin(), "store"]
                        if len(comparable) else None),
        "worst_mover_wow": float(comparable["revenue_wow"].min()) if len(comparable) else None,
        "stores_below_4wk_avg": sorted(card.loc[card["status"] == STATUS_ALERT, "store"].tolist()),
        "new_stores_below_4wk_avg": below.loc[below["status"] == STATUS_SETTLING, "store"].tolist(),
        "below_4wk_avg_change": dict(zip(below["store"], below["vs_4wk_avg"].astype(float), strict=True)),
        "stores_too_new_to_compare": sorted(card.loc[card["status"] == STATUS_TOO_NEW, "store"].tolist()),
        "new_stores": sorted(card.loc[card["weeks_open"] <= 4, "store"].tolist()),
    }
