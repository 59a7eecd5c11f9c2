"""Yesterday's (or last week's) company figures, straight from the contracts, against baselines.

A *window* is the brief's period (one day, or a Monday-Sunday week). Each figure is compared
with three baselines of the same length: the average of the windows in the 7 days before,
the average of the windows in the 28 days before, and the same window 28 days earlier (same
weekday last month). Nothing here fits a model: sums, counts and ratios only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from luckin_lab.sources import DataStore
from luckin_lab.transforms import iot, metrics, sales

LOOKBACK_DAYS = 28
BASELINES = ("base_7d", "base_28d", "same_day_last_month")


@dataclass(frozen=True)
class Period:
    """The brief's window: ``start``..``end`` inclusive, ``days`` long (1 or 7)."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def shifted(self, days: int) -> Period:
        return Period(self.start - dt.timedelta(days=days), self.end - dt.timedelta(days=days))

    def before(self, span_days: int) -> list[Period]:
        """The windows of this length that tile the ``span_days`` before this one."""
        n = max(span_days // self.days, 1)
        return [self.shifted(self.days * (i + 1)) for i in range(n)]

    @property
    def label(self) -> str:
        if self.days == 1:
            return day_text(self.end, weekday=True)
        return f"week of {self.start.day} {self.start:%b} to {day_text(self.end)}"

    @property
    def short(self) -> str:
        """'Fri 13 Feb' / 'the week to 15 Feb': what the data's last period is called in prose."""
        if self.days == 1:
            return f"{self.end:%a} {self.end.day} {self.end:%b}"
        return f"the week to {self.end.day} {self.end:%b}"


def day_text(d: dt.date, weekday: bool = False) -> str:
    """The brief's one date style: '13 Feb 2026' ('Fri 13 Feb 2026' with the weekday)."""
    return f"{d:%a} {d.day} {d:%b %Y}" if weekday else f"{d.day} {d:%b %Y}"


def day_series(data: KpiData, end: dt.date, days: int = LOOKBACK_DAYS + 1) -> pd.Series:
    """Share of devices down at the end of each of the ``days`` days to ``end`` (for 'since when')."""
    dates = [end - dt.timedelta(days=i) for i in range(days)][::-1]
    return pd.Series([share_down(data, dt.datetime.combine(d + dt.timedelta(days=1), dt.time()))
                      for d in dates], index=dates, dtype=float)


def last_data_day(store: DataStore) -> dt.date:
    """The last day with orders: the brief reports the last day the data covers."""
    return pd.Timestamp(store.execute(store.table("orders").order_time.max())).date()


def brief_period(store: DataStore, period: str, as_of: dt.date | None = None) -> Period:
    """Yesterday (the last day of data, or ``as_of``), or the last complete Monday-Sunday week."""
    last = as_of or last_data_day(store)
    if period == "day":
        return Period(last, last)
    monday = sales.last_complete_week(last)
    return Period(monday, monday + dt.timedelta(days=6))


@dataclass
class KpiData:
    """The raw rows the figures are computed from, for the period and its 28-day lookback."""

    orders: pd.DataFrame  # revenue orders: date (datetime64), store_id, store_name, open_date, user_id, pay_amount
    signups: pd.Series  # registrations per day
    production: pd.DataFrame  # per day: seconds (sum), drinks (count)
    devices: pd.DataFrame  # device_id, store_id, install_time
    outages: pd.DataFrame  # device_id, start, end (NaT = still down): offline >= blip_hours
    blip_hours: float


def load_kpi_data(store: DataStore, period: Period, blip_hours: float = 4.0) -> KpiData:
    """One query per table over the period plus its lookback (never the whole history in pandas)."""
    first = period.start - dt.timedelta(days=LOOKBACK_DAYS)
    lo, hi = ibis.timestamp(first), ibis.timestamp(period.end + dt.timedelta(days=1))
    ro = sales.revenue_orders(store, as_of=period.end)
    ro = ro.filter(ro.order_time >= lo)
    orders = store.execute(ro.select("date", "store_id", "store_name", "open_date", "user_id",
                                     "pay_amount"))
    orders["date"] = pd.to_datetime(orders["date"])
    users = store.table("users")
    reg = users.filter((users.register_time >= lo) & (users.register_time < hi))
    reg = store.execute(reg.group_by(day=reg.register_time.date()).aggregate(n=reg.count()))
    signups = pd.Series(reg["n"].to_numpy(), index=pd.to_datetime(reg["day"]).dt.date, dtype=float)
    pr = store.table("production_records")
    pr = pr.filter((pr.start_time >= lo) & (pr.start_time < hi))
    production = store.execute(pr.group_by(day=pr.start_time.date()).aggregate(
        seconds=pr.production_seconds.sum(), drinks=pr.count()))
    production["day"] = pd.to_datetime(production["day"]).dt.date
    devices = store.execute(store.table("iot_devices").select("device_id", "store_id", "install_time"))
    snapshot = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time())
    changes = iot.classify_offline(iot.status_changes(store.table("iot_device_status"), snapshot),
                                   blip_hours)
    off = changes.filter((changes.kind == "failure") | (changes.kind == "pending"))
    off = off.filter(off.ended.isnull() | (off.ended >= lo))
    outages = store.execute(off.select("device_id", start=off.event_time, end=off.ended))
    outages["start"], outages["end"] = pd.to_datetime(outages.start), pd.to_datetime(outages.end)
    devices["install_time"] = pd.to_datetime(devices.install_time)
    return KpiData(orders, signups, production.set_index("day"), devices, outages, blip_hours)


def share_down(data: KpiData, at: dt.datetime) -> float:
    """Share of installed devices down at ``at``: offline for at least ``blip_hours`` by then."""
    installed = data.devices[data.devices.install_time <= at]
    if installed.empty:
        return float("nan")
    o = data.outages
    down = o[(o.start + pd.Timedelta(hours=data.blip_hours) <= at) & (o.end.isna() | (o.end > at))]
    return float(down.device_id.isin(installed.device_id).sum() / len(installed))


def _window_index(days: pd.Series, period: Period) -> pd.Series:
    """Which window (0 = the period, 1 = the one before, ...) each day falls in."""
    offset = (pd.Timestamp(period.end) - pd.to_datetime(days)).dt.days
    return offset // period.days


def all_window_figures(data: KpiData, period: Period) -> dict[int, dict[str, float]]:
    """Every company figure for the period (0) and each same-length window before it (1..n),
    from one group-by per table (not one pass per window)."""
    n = LOOKBACK_DAYS // period.days + 1
    o = data.orders.assign(w=_window_index(data.orders["date"], period))
    o = o[o.w.between(0, n - 1)]
    g = o.groupby("w").agg(revenue=("pay_amount", "sum"), orders=("pay_amount", "size"),
                           active_customers=("user_id", "nunique")).reindex(range(n), fill_value=0)
    su = data.signups
    su = su.groupby(_window_index(pd.Series(su.index), period).to_numpy()).sum() if len(su) else su
    pr = data.production
    pr = (pr.groupby(_window_index(pd.Series(pr.index), period).to_numpy()).sum()
          if len(pr) else pr.reindex(columns=["seconds", "drinks"]))
    out = {}
    for w in range(n):
        end = period.shifted(w * period.days).end
        revenue, k = float(g.loc[w, "revenue"]), int(g.loc[w, "orders"])
        drinks = float(pr["drinks"].get(w, 0)) if len(pr) else 0.0
        out[w] = {
            "revenue": revenue,
            "orders": float(k),
            "aov": revenue / k if k else float("nan"),
            "active_customers": float(g.loc[w, "active_customers"]),
            "signups": float(su.get(w, 0.0)) if len(su) else 0.0,
            "share_devices_down": share_down(data, dt.datetime.combine(end + dt.timedelta(days=1),
                                                                       dt.time())),
            "production_seconds": float(pr["seconds"].get(w, 0)) / drinks if drinks else float("nan"),
        }
    return out


KPI_LABELS = {
    "revenue": "Revenue",
    "orders": "Orders",
    "aov": "Avg order value",
    "active_customers": "Customers ordering",
    "signups": "New sign-ups",
    "stores_below_baseline": "Stores alerting",
    "share_devices_down": "Devices down",
    "production_seconds": "Seconds per drink",
}
# figures whose change reads in percentage points (shares), not percent
POINTS = {"share_devices_down"}


def kpi_table(data: KpiData, period: Period, stores_below: int) -> pd.DataFrame:
    """One row per figure: this window, the three baselines, and the change against each."""
    figs = all_window_figures(data, period)
    now = figs[0]
    bases = {
        "base_7d": [figs[i] for i in range(1, 7 // period.days + 1)],
        "base_28d": [figs[i] for i in range(1, LOOKBACK_DAYS // period.days + 1)],
        "same_day_last_month": [figs[LOOKBACK_DAYS // period.days]],
    }
    rows = []
    for key in now:
        row = {"kpi": key, "value": now[key]}
        for name, figs in bases.items():
            base = float(np.nanmean([f[key] for f in figs])) if figs else float("nan")
            row[name] = base
            if key in POINTS:
                row[f"{name}_change"] = now[key] - base
            else:
                row[f"{name}_change"] = now[key] / base - 1 if base else float("nan")
        rows.append(row)
    below = {"kpi": "stores_below_baseline", "value": float(stores_below)}
    rows.insert(5, below)
    out = pd.DataFrame(rows)
    out.insert(0, "label", out.kpi.map(KPI_LABELS))
    return out


def weeks_open(open_date: pd.Series, on: dt.date) -> pd.Series:
    """Weeks a store has been open on ``on``, counted as the store sales report counts them (its
    opening week is week 1), so both pages call the same stores new."""
    return ((pd.Timestamp(on) - pd.to_datetime(open_date)).dt.days // 7 + 1).clip(lower=1)


def maturity_day(period: Period) -> dt.date:
    """The Monday of the last complete week the period ends in or after: the week the store
    sales report scores, so both count the same weeks open for every store."""
    return sales.last_complete_week(period.end)


def store_vs_baseline(data: KpiData, period: Period) -> pd.DataFrame:
    """Per store: revenue this window, the mean and spread of its 28-day baseline windows, and
    whether it is mature: open more than the shared opening ramp (``metrics.OPENING_RAMP_WEEKS``)
    in the store sales report's week (:func:`maturity_day`), its rule counted its way (a store
    still settling never alerts)."""
    windows = period.before(LOOKBACK_DAYS)
    o = data.orders
    names = o.groupby("store_id").agg(store=("store_name", "first"), open_date=("open_date", "first"))
    w = _window_index(o["date"], period)
    keep = w.between(0, len(windows))
    rev = (o[keep].groupby(["store_id", w[keep]]).pay_amount.sum().unstack(fill_value=0.0)
           .reindex(index=names.index, columns=range(len(windows) + 1), fill_value=0.0))
    out = names.copy()
    out["revenue"] = rev[0]
    out["baseline"] = rev.drop(columns=0).mean(axis=1)
    out["baseline_sd"] = rev.drop(columns=0).std(axis=1, ddof=1) if len(windows) > 1 else np.nan
    out["change"] = out.revenue / out.baseline - 1
    out["weeks_open"] = weeks_open(out.open_date, maturity_day(period))
    out["mature"] = ~metrics.is_ramping(out["weeks_open"])
    return out.reset_index().sort_values("change").reset_index(drop=True)
