"""Raw orders (or any transaction log) -> purchase occasions -> one profile row per customer (Ibis).

Two inputs give the same shape, so the customer report runs on the company's orders or on
any retailer's log:

- the company's tables: revenue orders (:func:`luckin_lab.transforms.uplift.order_lines`,
  completed USD orders at real stores, exclusions counted there) with their item margin;
- ``generic_transactions``: customer id, timestamp, amount and an optional margin.

A customer's purchases on one calendar day are one *occasion*, as in the buy-till-you-die
models (Fader, Hardie and Lee 2005). A profile "as of" a day uses only occasions on or before
that day, so a model trained on it never sees the future.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pandas as pd

from luckin_lab.sources import DataStore
from luckin_lab.transforms.clock import days_between
from luckin_lab.transforms.uplift import order_lines

GENERIC_TABLE = "generic_transactions"


def has_company_orders(store: DataStore) -> bool:
    """True when the store holds the company's order tables (else the generic log is used)."""
    return all(store.has(t) for t in ("orders", "order_items", "products", "stores"))


def transactions(store: DataStore, table: str | None = None) -> ir.Table:
    """One row per transaction: customer_id, time, amount, margin (null when unknown), store_id.

    ``table`` names a generic transaction table; ``None`` uses the company's orders when the
    store has them, else ``generic_transactions``.
    """
    if table is None and has_company_orders(store):
        o = order_lines(store)
        return o.select(
            customer_id=o.user_id, time=o.order_time, amount=o.pay_amount,
            margin=o.margin, store_id=o.store_id.cast("string"),
            coupon=(o.coupon_discount > 0).cast("int64"),
        )
    name = table or GENERIC_TABLE
    if not store.has(name):
        raise KeyError(
            f"no table '{name}' in the source: the customer report needs the company's orders "
            f"or a transaction log under the {GENERIC_TABLE} contract "
            "(customer_id, timestamp, amount, optional margin)")
    t = store.table(name)
    margin = t.margin.cast("float64") if "margin" in t.columns else ibis.null().cast("float64")
    return t.select(
        customer_id=t.customer_id.cast("string"), time=t.timestamp, amount=t.amount.cast("float64"),
        margin=margin, store_id=ibis.null().cast("string"),
        coupon=ibis.null().cast("int64"),
    )


def occasions(tx: ir.Table) -> ir.Table:
    """Customer x day: spend, margin, transactions, coupon use, distinct stores that day."""
    t = tx.mutate(day=tx.time.date())
    return t.group_by("customer_id", "day").aggregate(
        amount=t.amount.sum(), margin=t.margin.sum(), n_tx=t.count(),
        coupon=t.coupon.max(), weekend=(t.time.day_of_week.index() >= 5).cast("int64").max(),
    )


def profile(tx: ir.Table, as_of: dt.date) -> ir.Table:
    """One row per customer with an occasion on or before ``as_of``: RFM, gaps, habits.

    Recency, tenure and the windows count whole days back from ``as_of``. ``frequency`` is the
    number of repeat occasions (occasions - 1) and ``recency_span`` the days from the first to
    the last occasion: the buy-till-you-die summary (frequency, recency, T).
    """
    occ = occasions(tx)
    cut = ibis.date(as_of)
    o = occ.filter(occ.day <= cut)
    w = ibis.window(group_by=o.customer_id, order_by=o.day)
    o = o.mutate(gap=days_between(o.day, o.day.lag().over(w)),
                 first=(ibis.row_number().over(w) == 0).cast("int64"))
    o = o.mutate(age=days_between(cut, o.day))
    stores = tx.filter(tx.time.date() <= cut)
    n_stores = stores.group_by("customer_id").aggregate(n_stores=stores.store_id.nunique())
    agg = o.group_by("customer_id").aggregate(
        first_day=o.day.min(), last_day=o.day.max(),
        occasions=o.count(), transactions=o.n_tx.sum(),
        spend=o.amount.sum(), margin=o.margin.sum(), first_spend=(o.amount * o.first).sum(),
        occasions_30d=(o.age < 30).cast("int64").sum(),
        occasions_90d=(o.age < 90).cast("int64").sum(),
        gap_mean=o.gap.mean(), gap_sd=o.gap.std(),
        weekend_share=o.weekend.cast("float64").mean(),
        coupon_share=o.coupon.cast("float64").mean(),
    )
    agg = agg.left_join(n_stores, "customer_id").drop("customer_id_right")
    return agg.mutate(
        recency_days=days_between(cut, agg.last_day),
        tenure_days=days_between(cut, agg.first_day),
        recency_span=days_between(agg.last_day, agg.first_day),
        frequency=agg.occasions - 1,
        avg_spend=agg.spend / agg.occasions,
        repeat_avg_spend=((agg.spend - agg.first_spend) / (agg.occasions - 1).nullif(0)),
    ).drop("first_spend").order_by("customer_id")


def next_occasions(tx: ir.Table, as_of: dt.date, horizon_days: int) -> ir.Table:
    """Per customer: occasions in the ``horizon_days`` after ``as_of`` (the churn label's input)."""
    occ = occasions(tx)
    start, end = ibis.date(as_of), ibis.date(as_of + dt.timedelta(days=horizon_days))
    f = occ.filter((occ.day > start) & (occ.day <= end))
    return f.group_by("customer_id").aggregate(next_occasions=f.count(), next_margin=f.margin.sum(),
                                               next_spend=f.amount.sum())


def data_days(store: DataStore, tx: ir.Table) -> tuple[dt.date, dt.date]:
    """First and last day with a transaction."""
    span = store.execute(tx.aggregate(first=tx.time.min(), last=tx.time.max()))
    return pd.Timestamp(span["first"].iloc[0]).date(), pd.Timestamp(span["last"].iloc[0]).date()


def customer_attributes(store: DataStore) -> pd.DataFrame | None:
    """The CRM attributes every customer has (segment, channel, registration), when the store has them."""
    if not store.has("users"):
        return None
    u = store.table("users")
    return store.execute(u.select(customer_id=u.user_id, segment=u.segment,
                                  acquisition_channel=u.acquisition_channel,
                                  register_time=u.register_time))


def product_lines(store: DataStore) -> ir.Table | None:
    """Customer x day x product bought (company data; None for a generic log): the input of
    :func:`product_diversity`, small enough to materialize once for several snapshots."""
    if not has_company_orders(store):
        return None
    o = order_lines(store).select("order_id", "user_id", "order_time")
    items = store.table("order_items").select("order_id", "product_id")
    cats = store.table("products").select("product_id", "category")
    li = o.join(items, "order_id").join(cats, "product_id")
    return li.select(customer_id=li.user_id, day=li.order_time.date(), product_id=li.product_id,
                     category=li.category).distinct()


def product_diversity(lines: ir.Table, as_of: dt.date) -> ir.Table:
    """Distinct products and categories each customer bought on or before ``as_of``."""
    li = lines.filter(lines.day <= ibis.date(as_of))
    return li.group_by("customer_id").aggregate(n_products=li.product_id.nunique(),
                                               n_categories=li.category.nunique())
