"""What a down device really costs: the drinks its store cannot sell, never more than it sells.

A device down is not a cup lost. A store keeps selling while another machine can make the
drink, so downtime is priced per store and hour:

- **Cup-making machines** (espresso machines, drink dispensers: the types the cup log names)
  share the store's drinks. One machine makes at most its demonstrated rate (the 99th
  percentile of the cups one machine of its type made in an hour of the cup log); the store
  loses the drinks of an hour beyond what its working machines can make, so with one working
  backup it usually loses nothing, with none it loses every drink of that hour.
- **Support devices** (grinders, ice makers) make no cups the log can see. A store loses the
  drinks that need one only when none of that type works in the store. Which drinks need
  them is an assumption stated here, not in the data: coffee drinks (categories in
  ``GRINDER_CATEGORIES``) need a grinder; iced drinks and cold brew need an ice maker.
- **Demand** is what the store sold: drinks per day in each hour over the last
  ``DEMAND_DAYS`` days of order items (revenue orders), priced at the store's own drink margin
  (paid price minus recipe cost). Without sales tables the cup log's cups stand in, at an
  assumed margin, and support devices are not priced (the drinks they serve are unknown).

The expected loss of a plan is exact for independent devices given each device's chance of
working on each day (:func:`expected_loss`); :func:`simulate_loss` draws whole weeks of
failures for the interval. Both can never exceed the drinks the store sells.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from luckin_lab.sources import DataStore

DEMAND_DAYS = 28  # the last four weeks of sales set each store's demand
CAPACITY_QUANTILE = 0.99  # a machine's rate: its type's busiest 1 % of machine-hours in the cup log
GRINDER_CATEGORIES = ("Fresh Coffee", "Classic", "Seasonal")  # espresso-based drinks (assumed)
ICE_CATEGORIES = ("Cold Brew",)  # plus every drink named "Iced ..." (assumed)
MAKER = "maker"  # the kind of every cup-making device


def drink_needs(products: pd.DataFrame) -> pd.DataFrame:
    """product_id -> the support device types a drink needs (assumed from category and name)."""
    p = products[products.is_drink.astype(bool)]
    iced = p.product_name.str.contains(r"\biced\b", case=False, regex=True) | p.category.isin(ICE_CATEGORIES)
    grind = p.category.isin(GRINDER_CATEGORIES) & ~p.category.isin(ICE_CATEGORIES)
    needs = [("+".join(t for t, on in (("grinder", g), ("ice_maker", i)) if on))
             for g, i in zip(grind, iced, strict=True)]
    return pd.DataFrame({"product_id": p.product_id.to_numpy(), "needs": needs})


@dataclass
class StoreDemand:
    """Per store: drinks per day by hour and by what they need, and the margin of a drink."""

    hourly: pd.DataFrame  # store_id, hour, needs ('' | 'grinder' | 'ice_maker' | 'grinder+ice_maker'), drinks
    margin: pd.Series  # store_id -> margin per drink (USD)
    how: str  # where demand and margin come from, in words
    prices_support: bool  # False when the drinks support devices serve are unknown

    def drinks_per_day(self) -> pd.Series:
        return self.hourly.groupby("store_id").drinks.sum()

    def margin_per_day(self) -> pd.Series:
        return self.drinks_per_day() * self.margin.reindex(self.drinks_per_day().index).fillna(0.0)


def store_demand(store: DataStore, snapshot: pd.Timestamp, fallback_margin: float | None = None) -> StoreDemand:
    """Drinks sold per day by store, hour and need over the last ``DEMAND_DAYS`` days before ``snapshot``.
    ``fallback_margin`` prices the cup log's cups when the source has no sales tables (required then,
    unused otherwise, so a report never carries two margins)."""
    start = (snapshot - pd.Timedelta(days=DEMAND_DAYS)).to_pydatetime()
    end = snapshot.to_pydatetime()
    if all(store.has(t) for t in ("orders", "order_items", "products")):
        from luckin_lab.transforms.sales import revenue_orders

        o = revenue_orders(store)
        o = o.filter((o.order_time >= ibis.timestamp(start)) & (o.order_time < ibis.timestamp(end)))
        prods = store.table("products")
        drinks = prods.filter(prods.is_drink).select("product_id", "unit_cost")
        i = store.table("order_items").join(drinks, "product_id").join(
            o.select("order_id", "store_id", "order_time"), "order_id")
        rows = store.execute(i.group_by("store_id", "product_id", hour=i.order_time.hour()).aggregate(
            drinks=i.quantity.sum(), margin=((i.paid_price - i.unit_cost) * i.quantity).sum()))
        rows = rows.merge(drink_needs(store.load("products")), on="product_id", how="left").fillna({"needs": ""})
        margin = rows.groupby("store_id").margin.sum() / rows.groupby("store_id").drinks.sum()
        how = (f"drinks sold in each store and hour over the last {DEMAND_DAYS} days (order items), at the "
               "store's own drink margin (paid price minus recipe cost)")
        prices_support = True
    else:
        if fallback_margin is None:
            raise ValueError("store_demand: the source has no orders, order_items or products tables, so the "
                             "margin of a drink is unknown; give assumed_margin_per_cup_usd")
        c = store.table("iot_cup_orders")
        c = c.filter((c.made_time >= ibis.timestamp(start)) & (c.made_time < ibis.timestamp(end)))
        rows = store.execute(c.group_by("store_id", hour=c.made_time.hour()).aggregate(drinks=c.count()))
        rows["needs"] = ""
        margin = pd.Series(float(fallback_margin), index=rows.store_id.unique())
        how = (f"cups made in each store and hour over the last {DEMAND_DAYS} days (cup log), at an assumed "
               f"${fallback_margin:,.2f} margin per drink: this source has no order items or products, so the "
               "drinks grinders and ice makers serve are not priced")
        prices_support = False
    days = _days_open(store, snapshot)
    rows["drinks"] = rows.drinks.astype(float) / rows.store_id.map(days).clip(lower=1.0).fillna(DEMAND_DAYS)
    hourly = rows.groupby(["store_id", "hour", "needs"], as_index=False).drinks.sum()
    return StoreDemand(hourly, margin.astype(float), how, prices_support)


def _days_open(store: DataStore, snapshot: pd.Timestamp) -> pd.Series:
    """Days each store traded within the demand window (a store opened last week sold for 7)."""
    s = store.load("stores").set_index("store_id")
    first = pd.to_datetime(s.open_date).clip(lower=snapshot - pd.Timedelta(days=DEMAND_DAYS))
    return ((snapshot - first).dt.total_seconds() / 86400).clip(upper=DEMAND_DAYS)


def machine_rates(store: DataStore, snapshot: pd.Timestamp) -> pd.Series:
    """device_type -> the cups one machine of that type makes in a busy hour (demonstrated)."""
    c = store.table("iot_cup_orders")
    c = c.filter(c.made_time < ibis.timestamp(snapshot.to_pydatetime()))
    d = store.table("iot_devices").select("device_id", "device_type")
    j = c.join(d, "device_id")
    h = j.group_by("device_type", "device_id", hr=j.made_time.truncate("h")).aggregate(n=j.count())
    out = store.execute(h.group_by("device_type").aggregate(rate=h.n.quantile(CAPACITY_QUANTILE)))
    return out.set_index("device_type").rate.astype(float)


# -- loss of one store over a horizon ------------------------------------------------------


@dataclass
class StoreLayout:
    """One store's devices by kind and its demand in the arrays the loss functions use."""

    rows: np.ndarray  # indices of the store's devices in the plan's device table
    kind: np.ndarray  # MAKER or the support type, per device in ``rows``
    rate: float  # cups per hour of one working cup-making machine
    need_sets: list[tuple[str, ...]]  # per demand class: support types it needs (present in the store)
    demand: np.ndarray  # classes x hours: drinks per day in each hour
    margin: float


def layouts(devices: pd.DataFrame, demand: StoreDemand) -> dict[int, StoreLayout]:
    """``devices``: store_id, kind, rate (cup makers' hourly rate). One layout per store with demand."""
    out = {}
    hourly = demand.hourly
    for s, idx in devices.groupby("store_id").indices.items():
        d = hourly[hourly.store_id == s]
        kinds = devices.kind.to_numpy()[idx]
        present = set(kinds)
        classes = sorted(d.needs.unique()) if len(d) else [""]
        need_sets = [tuple(t for t in c.split("+") if t and t in present) for c in classes]
        grid = np.zeros((len(classes), 24))
        for k, c in enumerate(classes):
            sub = d[d.needs == c]
            grid[k, sub.hour.to_numpy(dtype=int)] = sub.drinks.to_numpy(dtype=float)
        makers = kinds == MAKER
        rate = float(devices.rate.to_numpy()[idx][makers].mean()) if makers.any() else np.inf
        out[int(s)] = StoreLayout(idx, kinds, rate, need_sets, grid,
                                  float(demand.margin.get(s, 0.0)) if len(d) else 0.0)
    return out


def _working_count_pmf(avail: np.ndarray) -> np.ndarray:
    """avail: (..., machines, days) chance each works -> (..., days, machines + 1): P(k machines work)."""
    n = avail.shape[-2]
    pmf = np.zeros((*avail.shape[:-2], avail.shape[-1], n + 1))
    pmf[..., 0] = 1.0
    for i in range(n):
        p = avail[..., i, :][..., None]
        shifted = np.zeros_like(pmf)
        shifted[..., 1:] = pmf[..., :-1]
        pmf = pmf * (1 - p) + shifted * p
    return pmf


def expected_loss(lay: StoreLayout, avail: np.ndarray) -> np.ndarray:
    """Expected drinks lost per day given each device's chance of working, devices independent.

    ``avail``: (..., the store's devices in ``lay.rows`` order, days); leading axes (e.g.
    simulated weeks) are kept. Returns (..., days). Blocked drinks (no working support device
    they need) plus, of the drinks left, those beyond what the working cup makers can make.
    """
    lead, h = avail.shape[:-2], avail.shape[-1]
    if not lay.demand.any():
        return np.zeros((*lead, h))
    none_works = {t: np.prod(1 - avail[..., lay.kind == t, :], axis=-2) for t in set(lay.kind) if t != MAKER}
    blocked = np.zeros((*lead, h, 24))
    for k, needs in enumerate(lay.need_sets):
        if needs:
            p_block = 1 - np.prod([1 - none_works[t] for t in needs], axis=0)
            blocked += p_block[..., None] * lay.demand[k]
    left = lay.demand.sum(axis=0) - blocked  # (..., days, hours): drinks the store could still make
    makers = lay.kind == MAKER
    if not makers.any():
        return blocked.sum(axis=-1)
    pmf = _working_count_pmf(avail[..., makers, :])  # (..., days, n+1)
    cap = lay.rate * np.arange(pmf.shape[-1])  # cups an hour with k machines
    short = np.clip(left[..., None] - cap, 0.0, None)  # (..., days, hours, k)
    return blocked.sum(axis=-1) + np.einsum("...dhk,...dk->...d", short, pmf)


def sampled_loss(lay: StoreLayout, frac: np.ndarray) -> np.ndarray:
    """Drinks lost in each simulated week: ``frac`` is sims x devices x days, the share of each
    day each device worked (a device that failed at mid-day counts as a half chance of
    working that day), so the mean over weeks equals :func:`expected_loss` of the mean."""
    return expected_loss(lay, frac).sum(axis=-1)


def chain_week(store: DataStore, snapshot: pd.Timestamp) -> dict:
    """The chain's last complete week before ``snapshot``, as the store report states it
    (same transforms): gross profit (all items) and the drink margin in it. Empty without sales."""
    if not all(store.has(t) for t in ("orders", "order_items", "products")):
        return {}
    from luckin_lab.transforms import metrics, sales

    last_day = (snapshot - pd.Timedelta(days=1)).date()
    weekly = store.execute(sales.store_weekly(store, last_day))
    week = metrics.last_complete_week(last_day)
    totals = sales.weekly_totals(weekly, last_day).set_index("week")
    row = totals.loc[pd.Timestamp(week)]
    return {"week_start": str(week), "gross_profit_usd": float(row.gross_profit), "revenue_usd": float(row.revenue)}
