"""Past recommendations whose follow-up window has passed: what we expected, what happened.

Only what the data can tell is measured: a forecast the contracts can count afterwards
(devices failing in the week after a maintenance run). A decision's effect on profit cannot
be read off the tables without a comparison group, and the brief says so rather than
putting a before/after difference next to an experiment's estimate.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from luckin_lab.reporting.headline import title_of
from luckin_lab.sources import DataStore
from luckin_lab.transforms import iot

NOT_MEASURABLE = "not measurable from the tables: it needs a comparison group (a holdout)"


def device_failures(store: DataStore, start: dt.date, end: dt.date, blip_hours: float) -> int:
    """Failures (offline at least ``blip_hours``) that began on days ``start``..``end``."""
    snapshot = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    c = iot.classify_offline(iot.status_changes(store.table("iot_device_status"), snapshot),
                             blip_hours)
    t0 = dt.datetime.combine(start, dt.time())
    hits = c.filter((c.kind == "failure") & (c.event_time >= t0) & (c.event_time < snapshot))
    return int(store.execute(hits.count()))


def due_recommendations(log: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Rows whose follow-up window ended on or before ``today`` (newest first)."""
    if log.empty:
        return log
    due = log[log["due"].notna()]
    due = due[pd.to_datetime(due["due"]).dt.date <= today]
    return due.sort_values("due", ascending=False).reset_index(drop=True)


def follow_up(log: pd.DataFrame, store: DataStore, today: dt.date, blip_hours: float = 4.0,
              limit: int = 5) -> pd.DataFrame:
    """Observed against expected for the due recommendations (at most ``limit``, newest first)."""
    due = due_recommendations(log, today).head(limit)
    rows = []
    for r in due.itertuples():
        start = r.data_as_of + dt.timedelta(days=1)
        if r.check == "device_failures_7d" and store.has("iot_device_status"):
            end = r.data_as_of + dt.timedelta(days=7)
            observed = device_failures(store, start, end, blip_hours)
            result = (f"expected {r.check_expected:.1f} device failures in the 7 days after, "
                      f"{observed} happened")
        else:
            observed, result = None, NOT_MEASURABLE
        rows.append({"report": title_of(r.report), "recommended": r.data_as_of,
                     "what": r.what, "for_whom": r.for_whom, "due": r.due,
                     "observed": observed, "result": result})
    return pd.DataFrame(rows, columns=["report", "recommended", "what", "for_whom", "due",
                                       "observed", "result"])
