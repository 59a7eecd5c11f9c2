"""Alerts: each one names the rule that fired, with the threshold from the brief's params."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import pandas as pd

from luckin_lab.brief.inputs import ReportStatus
from luckin_lab.brief.kpis import day_text
from luckin_lab.reporting import nb


@dataclass(frozen=True)
class Rules:
    """Alert thresholds (the brief's params)."""

    store_drop: float = 0.15  # store revenue this far under its 28-day baseline...
    store_drop_noise_sd: float = 2.0  # ...and further below it than this many baseline spreads
    devices_down_max: float = 0.40  # share of installed devices down
    devices_down_jump: float = 0.10  # rise of that share over its 7-day baseline (points)
    stale_grace_days: float = 1.0  # a report is stale this long after its schedule says


@dataclass(frozen=True)
class Alert:
    kind: str  # store_drop | devices_down | stale_report | failed_run
    subject: str  # the store, "devices", or the report title
    message: str  # what happened, in plain words
    rule: str  # the rule that fired, with its threshold
    short: str = ""  # what happened in a few words, for the summary ("data 60 days old")

    def to_dict(self) -> dict:
        return asdict(self)


def store_alerts(stores: pd.DataFrame, rules: Rules, period_word: str) -> list[Alert]:
    """Mature stores whose revenue fell more than ``store_drop`` below their 28-day baseline,
    by more than their usual window-to-window spread (so ordinary noise does not alert)."""
    out = []
    for r in stores.itertuples():
        if not r.mature or not r.baseline:
            continue
        noise = 0.0 if pd.isna(r.baseline_sd) else rules.store_drop_noise_sd * r.baseline_sd
        if r.change < -rules.store_drop and r.revenue < r.baseline - noise:
            out.append(Alert(
                "store_drop", r.store,
                f"took {nb.money(r.revenue, like=r.baseline)} {period_word}, "
                f"{nb.pct(-r.change, 0)} under its usual {nb.money(r.baseline, like=r.revenue)}.",
                f"store revenue more than {nb.pct(rules.store_drop, 0)} under its 28-day baseline "
                f"and beyond {rules.store_drop_noise_sd:g} times its usual spread",
                f"revenue {nb.pct(-r.change, 0)} under its usual"))
    return out


def device_alert(kpis: pd.DataFrame, rules: Rules, history: pd.Series | None = None,
                 period_start: dt.date | None = None) -> tuple[list[Alert], list[str]]:
    """The fleet's share of devices down: (alerts, standing notes).

    News alerts: the share jumped over its 7-day baseline, or it crossed the level since the
    day before the period. A level that was already above the threshold before the period is
    chronic, not news: it is said once as a standing note with the day it has been above since
    (``history``: share down at the end of each day, indexed by date), never as a daily alert.
    """
    row = kpis.set_index("kpi").loc["share_devices_down"]
    share, base = row["value"], row["base_7d"]
    if pd.isna(share):
        return [], []
    level = f"more than {nb.pct(rules.devices_down_max, 0)} of devices down"
    fired = []
    if not pd.isna(base) and share - base > rules.devices_down_jump:
        fired.append(f"share down up more than {rules.devices_down_jump * 100:.0f} points on "
                     "its 7-day baseline")
    before = _day_before(history, period_start)
    chronic = before is not None and before > rules.devices_down_max
    if share > rules.devices_down_max and not chronic:
        fired.append(level + " (crossed since the day before)")
    if fired:
        return [Alert("devices_down", "Store devices",
                      f"{nb.pct(share, 0)} of store devices are down (7-day baseline "
                      f"{nb.pct(base, 0)}).", "; ".join(fired), f"{nb.pct(share, 0)} down")], []
    if share > rules.devices_down_max and chronic:
        since = above_since(history, rules.devices_down_max)
        when = (f"since {day_text(since)}" if since != history.index.min()
                else f"on every day since {day_text(since)}")
        return [], [f"{nb.pct(share, 0)} of devices down, above {nb.pct(rules.devices_down_max, 0)} "
                    f"{when}; the Equipment maintenance plan is the action."]
    return [], []


def _day_before(history: pd.Series | None, start: dt.date | None) -> float | None:
    if history is None or start is None:
        return None
    v = history.get(start - dt.timedelta(days=1))
    return None if v is None or pd.isna(v) else float(v)


def above_since(history: pd.Series, threshold: float) -> dt.date:
    """The first day of the latest unbroken run of days above ``threshold``."""
    h = history.sort_index()
    below = h[~(h > threshold)]
    after = h.index[h.index > below.index.max()] if len(below) else h.index
    return after.min() if len(after) else h.index.max()


SCHEDULE_DAYS = {"daily": 1, "weekly": 7, "monthly": 31}


def report_alerts(statuses: list[ReportStatus], rules: Rules,
                  data_last_day: dt.date | None = None) -> list[Alert]:
    """A leadership report whose last attempt failed, or that is stale: its latest good run is
    overdue, or the data it read end longer before the brief's own data than its schedule allows
    (a run on time over old data is as stale as a late run)."""
    out = []
    for s in statuses:
        if s.last_status not in ("succeeded", "running"):
            out.append(Alert("failed_run", s.title,
                             f"its last run {s.last_status}; "
                             "the page shows its last good run.",
                             "a scheduled run did not succeed", f"last run {s.last_status}"))
        allowed = SCHEDULE_DAYS.get(s.group, 31) + rules.stale_grace_days
        rule = (f"a {s.group or 'monthly'} report's run and its data may be at most {allowed:g} days "
                f"old (its schedule plus {rules.stale_grace_days:g} day's grace)")
        if s.run_age_days is None:
            out.append(Alert("stale_report", s.title, "no successful run yet.", rule, "no successful run yet"))
            continue
        data_age = ((data_last_day - s.data_as_of).days
                    if data_last_day is not None and s.data_as_of is not None else None)
        late = s.run_age_days > allowed
        old = data_age is not None and data_age > allowed
        if not (late or old):
            continue
        said = []
        if late:
            said.append(f"its latest good run is {s.run_age_days:.0f} days old")
        if old:
            said.append(f"its data end on {day_text(s.data_as_of)}, {data_age} days before this "
                        "brief's data")
        short = " and ".join(([f"run {s.run_age_days:.0f} days old"] if late else [])
                             + ([f"data {data_age} days old"] if old else []))
        out.append(Alert("stale_report", s.title, f"{' and '.join(said)}.", rule, short))
    return out
