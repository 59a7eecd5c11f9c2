"""The site-selection inputs at analysis grain: cells, stores, candidates and weekly flows.

Flows are revenue by customer home cell x store x complete week. They carry the spatial
signal (how far customers travel to each store and how that changed as stores opened), which
store-level monthly totals of 11 stores cannot. Everything here comes through the store's
contracts; rows left out are counted with ``store.exclude``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from luckin_lab.geo import distance_km
from luckin_lab.sources import DataStore
from luckin_lab.transforms import metrics, sales
from luckin_lab.transforms import sites as tf
from luckin_lab.units import DAYS_PER_MONTH

# weeks since a customer's first order at which their demand weight may change (customer
# tenure states); before the first order a registered user is "not yet a customer"
TENURE_EDGES = (1, 4, 13)


def state_names(edges: tuple[int, ...] = TENURE_EDGES) -> list[str]:
    """Names of the customer states, in the order of the state axis."""
    bounds = [*edges, None]
    names = ["not yet ordered"]
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        names.append(f"first order {lo}+ weeks ago" if hi is None else f"first order {lo}-{hi - 1} weeks ago")
    return names


def user_state_counts(cohorts: pd.DataFrame, cell_pos: pd.Series, n_weeks: int,
                      edges: tuple[int, ...] = TENURE_EDGES) -> np.ndarray:
    """Registered users by cell x state x week start (weeks 0..n_weeks; the last is the snapshot).

    ``cohorts`` has cell_id, reg_week, first_week (NaN = never ordered), n_users. A user counts
    from the week they registered; until the week of their first order they are "not yet
    ordered", then in the tenure state of the weeks since that first order.
    """
    t = np.arange(n_weeks + 1)
    c = cell_pos.reindex(cohorts.cell_id).to_numpy()
    reg = np.maximum(cohorts.reg_week.to_numpy(float), 0)
    first = cohorts.first_week.to_numpy(float)
    first = np.where(np.isnan(first), np.inf, first)
    n = cohorts.n_users.to_numpy(float)
    registered = reg[:, None] <= t[None, :]
    tenure = t[None, :] - first[:, None]  # weeks since first order (<= 0: not yet)
    state = np.searchsorted(np.asarray(edges), tenure, side="right")  # 0 while tenure < edges[0]
    out = np.zeros((len(cell_pos), len(edges) + 1, n_weeks + 1))
    ci, ti = np.nonzero(registered)
    np.add.at(out, (c[ci].astype(int), state[ci, ti], ti), n[ci])
    return out


@dataclass
class SiteData:
    """Everything the site models need, with array axes (cell, store, week) in frame order."""

    cells: pd.DataFrame  # location_features + n_users, row i = cell axis i
    stores: pd.DataFrame  # store_id, store_name, borough, lat, lon, open_date, open_day
    candidates: pd.DataFrame  # candidate_sites
    start: pd.Timestamp  # day 0 = first store's opening
    revenue: np.ndarray  # (cells, stores, weeks) revenue by home cell
    store_week: pd.DataFrame  # store_id, week, week_start, revenue, n_orders, n_customers
    store_month: pd.DataFrame  # store_id, month, revenue, n_orders, n_customers, days
    snapshot: pd.Timestamp  # last day with orders
    user_states: np.ndarray | None = None  # (cells, states, weeks + 1) registered users by state
    states: list[str] | None = None  # names of the state axis
    price: np.ndarray | None = None  # (stores, weeks) log promo price level relative to the chain
    margin_rate: float | None = None  # chain gross margin (after cost of goods), recent complete weeks
    weekly: pd.DataFrame | None = None  # store x Monday week, as in the weekly store report
    production: pd.DataFrame | None = None  # store_id, seconds of drink-making, last four complete weeks

    def price_level(self) -> np.ndarray:
        """Log of each store-week's promo price level (paid before coupons / list) relative to the
        chain's that week; 0 without price data (chain-wide changes are the week levels' job)."""
        if self.price is not None:
            return self.price
        return np.zeros((len(self.stores), self.n_weeks))

    def state_counts(self) -> np.ndarray:
        """Users by cell x state x week start (the last slice is the snapshot).

        Without a customer history every registered user is one state, constant in time.
        """
        if self.user_states is not None:
            return self.user_states
        n = self.cells.n_users.to_numpy(dtype=float)
        return np.repeat(n[:, None, None], self.n_weeks + 1, axis=2)

    @property
    def state_labels(self) -> list[str]:
        return self.states if self.states is not None else ["registered users"]

    @property
    def n_weeks(self) -> int:
        return self.revenue.shape[2]

    @property
    def snapshot_week_end(self) -> pd.Timestamp:
        """Last day of the last complete week used."""
        return self.start + pd.Timedelta(days=7 * self.n_weeks - 1)

    @property
    def open_day(self) -> np.ndarray:
        return self.stores.open_day.to_numpy()

    @property
    def n_users(self) -> np.ndarray:
        """Registered users by cell at the snapshot."""
        return self.cells.n_users.to_numpy(dtype=float)

    def store_distances(self) -> np.ndarray:
        """Cells x stores, km."""
        return distance_km(self.cells.lat.to_numpy(), self.cells.lon.to_numpy(),
                           self.stores.lat.to_numpy(), self.stores.lon.to_numpy())

    def candidate_distances(self) -> np.ndarray:
        """Cells x candidates, km."""
        return distance_km(self.cells.lat.to_numpy(), self.cells.lon.to_numpy(),
                           self.candidates.lat.to_numpy(), self.candidates.lon.to_numpy())

    def current_monthly_revenue(self, weeks: int = 4) -> pd.Series:
        """Each store's run rate over the last ``weeks`` complete weeks, per month."""
        tot = self.revenue[:, :, -weeks:].sum(axis=(0, 2)) / weeks
        return pd.Series(tot * DAYS_PER_MONTH / 7, index=self.stores.store_id, name="monthly_revenue")


def load_site_data(store: DataStore) -> SiteData:
    """Read and shape the site inputs; count what is excluded (test store, partial week...)."""
    stores_t = store.table("stores")
    orders_t = store.table("orders")
    users_t = store.table("users")
    stores_all = store.execute(stores_t)
    real = stores_all[~stores_all.is_test_store & (stores_all.currency == "USD")]
    if real.empty:
        raise ValueError("stores: no non-test USD store; site selection needs real stores")
    n_test = len(stores_all) - len(real)
    if n_test:
        store.exclude("stores", "test store (not a market location)", n_test)

    orders = sales.revenue_orders(store)

    start = pd.Timestamp(real.open_date.min()).normalize()
    snapshot = pd.Timestamp(store.execute(orders.order_time.max())).normalize()
    n_weeks = ((snapshot - start).days + 1) // 7
    flows = store.execute(tf.cell_store_week(orders, users_t, start.date()))
    late = flows.week >= n_weeks
    early = flows.week < 0
    if late.any():
        store.exclude("orders", "last, incomplete week (not a full week of sales)",
                      int(flows.loc[late, "n_orders"].sum()))
    if early.any():
        store.exclude("orders", "before the first store opened", int(flows.loc[early, "n_orders"].sum()))
    flows = flows[~late & ~early]

    cells = store.load("location_features").sort_values("cell_id").reset_index(drop=True)
    test_users = tf.test_store_only_users(orders_t, stores_t)
    upc = store.execute(tf.users_per_cell(users_t, test_users))
    n_test_users = int(store.execute(test_users.count()))
    if n_test_users:
        store.exclude("users", "engineering accounts (test-store orders only)", n_test_users)
    cells = cells.merge(upc, on="cell_id", how="left").fillna({"n_users": 0})
    unknown = int(upc.loc[~upc.cell_id.isin(cells.cell_id), "n_users"].sum())
    if unknown:
        store.exclude("users", "home cell not in location_features (no location to model)", unknown)

    cohorts = store.execute(tf.user_cohorts(orders, users_t, start.date(), test_users))
    cohorts = cohorts[cohorts.cell_id.isin(cells.cell_id)]
    states = user_state_counts(cohorts, pd.Series(np.arange(len(cells)), index=cells.cell_id), n_weeks)

    st = real.sort_values(["open_date", "store_id"]).reset_index(drop=True)
    st = st.assign(open_day=(pd.to_datetime(st.open_date).dt.normalize() - start).dt.days)
    cell_pos = pd.Series(np.arange(len(cells)), index=cells.cell_id)
    store_pos = pd.Series(np.arange(len(st)), index=st.store_id)
    rev = np.zeros((len(cells), len(st), n_weeks))
    np.add.at(rev, (cell_pos.reindex(flows.cell_id).to_numpy(),
                    store_pos.reindex(flows.store_id).to_numpy(),
                    flows.week.to_numpy(dtype=int)), flows.revenue.to_numpy(dtype=float))

    sw = store.execute(tf.store_week(orders, start.date()))
    sw = sw[(sw.week >= 0) & (sw.week < n_weeks)].assign(
        week_start=lambda d: start + pd.to_timedelta(d.week * 7, "D"))
    sm = store.execute(tf.store_month(orders))
    sm = _with_month_days(sm, st, snapshot)
    promo = store.execute(tf.store_week_promo(orders, store.table("order_items"), start.date()))
    price = relative_price_level(promo, store_pos, n_weeks)
    weekly = store.execute(sales.store_weekly(store)).assign(week=lambda d: pd.to_datetime(d.week))
    keep = ["store_id", "store_name", "borough", "lat", "lon", "open_date", "open_day"]
    keep += [c for c in ("open_hour", "close_hour") if c in st.columns]
    return SiteData(margin_rate=chain_margin_rate(weekly, snapshot.date()), weekly=weekly,
        production=recent_production(store, start + pd.Timedelta(days=7 * n_weeks)),
        cells=cells, stores=st[keep],
        candidates=store.load("candidate_sites"), start=start, revenue=rev,
        store_week=sw.reset_index(drop=True), store_month=sm, snapshot=snapshot,
        user_states=states, states=state_names(), price=price,
    )


def recent_production(store: DataStore, end: pd.Timestamp) -> pd.DataFrame | None:
    """Seconds of drink-making per store in the four complete weeks before ``end`` (None without records)."""
    if not store.has("production_records"):
        return None
    pr = store.table("production_records")
    lo = end - pd.Timedelta(weeks=metrics.RECENT_WEEKS)
    recent = pr.filter((pr.start_time >= lo.to_pydatetime()) & (pr.start_time < end.to_pydatetime()))
    return store.execute(recent.group_by("store_id").aggregate(seconds=recent.production_seconds.sum()))


def chain_margin_rate(weekly: pd.DataFrame, last_day: pd.Timestamp) -> float | None:
    """Gross margin of the whole chain over the last four complete weeks; None without item costs."""
    if "cost_of_goods" not in weekly.columns:
        return None
    w = metrics.complete_weeks(weekly, last_day)
    recent = w[w.week > w.week.max() - pd.Timedelta(weeks=metrics.RECENT_WEEKS)]
    return float(metrics.gross_margin_rate(recent.revenue.sum(), recent.cost_of_goods.sum()))


def relative_price_level(promo: pd.DataFrame, store_pos: pd.Series, n_weeks: int) -> np.ndarray:
    """Stores x weeks log(1 - promo / list) minus the same for the whole chain that week.

    Centred by week so the week levels keep the chain's price level (season, launch deals) and a
    store at the chain's price has factor 1, as a new store will in a forecast. Weeks without
    sales get 0.
    """
    p = promo[(promo.week >= 0) & (promo.week < n_weeks) & promo.store_id.isin(store_pos.index)]
    lst = np.zeros((len(store_pos), n_weeks))
    disc = np.zeros_like(lst)
    idx = (store_pos.reindex(p.store_id).to_numpy(), p.week.to_numpy(dtype=int))
    np.add.at(lst, idx, p.list_amount.to_numpy(dtype=float))
    np.add.at(disc, idx, p.promo_discount.to_numpy(dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.log(np.clip(1 - disc / lst, 1e-3, None))
        chain = np.log(np.clip(1 - disc.sum(0) / lst.sum(0), 1e-3, None))
    return np.where(lst > 0, own - chain[None, :], 0.0)


def _with_month_days(sm: pd.DataFrame, stores: pd.DataFrame, snapshot: pd.Timestamp) -> pd.DataFrame:
    """Days each store was open in each month, so partial months are not read as declines."""
    sm = sm.merge(stores[["store_id", "open_date"]], on="store_id")
    month = pd.to_datetime(sm.month)
    month_end = month + pd.offsets.MonthBegin(1)
    first = np.maximum(month, pd.to_datetime(sm.open_date).dt.normalize())
    last = month_end.clip(upper=snapshot + pd.Timedelta(days=1))  # any datetime unit
    sm = sm.assign(month=month, days=(last - first).dt.days.clip(lower=0),
                   full_month=(first == month) & (last == month_end))
    return sm.drop(columns="open_date").sort_values(["store_id", "month"]).reset_index(drop=True)
