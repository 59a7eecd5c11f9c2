"""IoT raw tables -> device spells at risk and usage covariates (Ibis, run by the engine).

A *spell* is a stretch a device is online, from its last renewal (installation or repair)
to the next failure or the snapshot. A failure is a transition to offline that lasts at
least ``blip_hours`` (shorter offline stretches are connectivity blips and are merged into
the spell). Times are days since the spell's renewal; ``entry`` > 0 when the status log
began after the renewal (devices installed before the platform went live: left truncation).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from luckin_lab.transforms.clock import days_between


def _mean_daily_peak(cups: ir.Table, key: str, name: str) -> ir.Table:
    """Per ``key``: the busiest hour's cups each day, averaged over days with cups."""
    hourly = cups.group_by(key, day=cups.made_time.truncate("D"), hour=cups.made_time.truncate("h")).aggregate(
        n=cups.count())
    daily = hourly.group_by(key, "day").aggregate(peak=hourly.n.max())
    return daily.group_by(key).aggregate(**{name: daily.peak.mean()})

def status_changes(status: ir.Table, snapshot: dt.datetime) -> ir.Table:
    """Status transitions only (repeated heartbeats collapsed), with when each state ended."""
    s = status.filter(status.event_time < snapshot)
    w = ibis.window(group_by=s.device_id, order_by=[s.event_time, s.event_id])
    s = s.mutate(prev_status=s.status.lag().over(w))
    s = s.filter(s.prev_status.isnull() | (s.prev_status != s.status))
    w = ibis.window(group_by=s.device_id, order_by=[s.event_time, s.event_id])
    s = s.mutate(ended=s.event_time.lead().over(w))
    return s.mutate(
        ongoing=s.ended.isnull(),
        hours=days_between(s.ended.fill_null(ibis.literal(snapshot)), s.event_time) * 24.0,
    ).select("device_id", "event_id", "event_time", "status", "ended", "ongoing", "hours")


def classify_offline(changes: ir.Table, blip_hours: float) -> ir.Table:
    """Label offline stretches: failure (>= blip_hours), blip (shorter, back online) or
    pending (shorter, still offline at the snapshot: not a failure yet)."""
    off = changes.status == "offline"
    short = changes.hours < blip_hours
    kind = (
        ibis.cases(
            (off & ~short, "failure"),
            (off & short & ~changes.ongoing, "blip"),
            (off & short & changes.ongoing, "pending"),
            else_="online",
        )
    )
    return changes.mutate(kind=kind)


def spells(
    status: ir.Table, devices: ir.Table, snapshot: dt.datetime, blip_hours: float
) -> ir.Table:
    """One row per online spell: device_id, renewal_time, spell_start, spell_end, entry, stop, event."""
    c = classify_offline(status_changes(status, snapshot), blip_hours)
    # blips and pending stretches do not end a spell: drop them, then collapse again
    c = c.filter(c.kind.isin(["online", "failure"]))
    w = ibis.window(group_by=c.device_id, order_by=[c.event_time, c.event_id])
    c = c.mutate(prev_kind=c.kind.lag().over(w), first_row=ibis.row_number().over(w) == 0)
    c = c.filter(c.prev_kind.isnull() | (c.prev_kind != c.kind))
    w = ibis.window(group_by=c.device_id, order_by=[c.event_time, c.event_id])
    c = c.mutate(next_time=c.event_time.lead().over(w))
    on = c.filter(c.kind == "online")
    d = devices.select("device_id", "install_time", "last_service_time")
    j = on.join(d, "device_id")
    # the first spell of a device installed before its log began started at its last service
    late_log = j.first_row & (j.install_time < j.event_time)
    renewal = ibis.ifelse(
        late_log, j.last_service_time.fill_null(j.install_time), j.event_time
    )
    j = j.mutate(renewal_time=renewal)
    end = j.next_time.fill_null(ibis.literal(snapshot))
    out = j.mutate(
        spell_start=j.event_time,
        spell_end=end,
        entry=days_between(j.event_time, j.renewal_time),
        stop=days_between(end, j.renewal_time),
        event=j.next_time.notnull().cast("int64"),
        truncated=late_log,
    )
    w = ibis.window(group_by=out.device_id, order_by=out.spell_start)
    out = out.mutate(spell_no=ibis.row_number().over(w) + 1)
    return out.select(
        "device_id", "spell_no", "renewal_time", "spell_start", "spell_end", "entry", "stop",
        "event", "truncated",
    )


def offline_counts(status: ir.Table, snapshot: dt.datetime, blip_hours: float) -> ir.Table:
    """Per device: numbers of blips, failures and pending stretches seen in the log."""
    c = classify_offline(status_changes(status, snapshot), blip_hours)
    return c.group_by("device_id").aggregate(
        n_blips=(c.kind == "blip").sum(),
        n_failures_logged=(c.kind == "failure").sum(),
        n_pending=(c.kind == "pending").sum(),
        last_status_time=c.event_time.max(),
    )


def current_state(status: ir.Table, snapshot: dt.datetime, blip_hours: float) -> ir.Table:
    """Per device at the snapshot: down (a failure still ongoing) and since when."""
    c = classify_offline(status_changes(status, snapshot), blip_hours)
    last = c.filter(c.kind != "blip")
    w = ibis.window(group_by=last.device_id, order_by=ibis.desc(last.event_time))
    last = last.mutate(rn=ibis.row_number().over(w))
    last = last.filter(last.rn == 0)
    return last.select(
        "device_id",
        down=last.kind == "failure",
        down_since=ibis.ifelse(last.kind == "failure", last.event_time, ibis.null("timestamp")),
    )


def device_usage(
    cups: ir.Table,
    devices: ir.Table,
    stores: ir.Table,
    spell_table: ir.Table,
    log_start: dt.datetime,
    snapshot: dt.datetime,
) -> ir.Table:
    """Usage per device: cups per online day and the daily peak hour (cup makers), or the
    store's cups per open day shared by the devices of the type in the store (support devices)."""
    c = cups.filter(cups.made_time < snapshot)
    per_dev = c.group_by("device_id").aggregate(n_cups=c.count())
    peak = _mean_daily_peak(c, "device_id", "peak_cups_per_hour")
    online = spell_table.mutate(days=days_between(spell_table.spell_end, spell_table.spell_start))
    online = online.group_by("device_id").aggregate(online_days=online.days.sum())

    st = stores.select("store_id", "open_date")
    first = ibis.greatest(st.open_date, ibis.literal(log_start))
    st = st.mutate(open_days=days_between(ibis.literal(snapshot), first))
    store_cups = c.group_by("store_id").aggregate(store_cups=c.count())
    store_peak = _mean_daily_peak(c, "store_id", "store_peak")
    st = st.left_join(store_cups, "store_id").left_join(store_peak, "store_id")
    st = st.select(
        "store_id",
        store_cups_per_day=st.store_cups.fill_null(0).cast("float64") / ibis.greatest(st.open_days, 1.0),
        store_peak=st.store_peak.fill_null(0.0),
    )

    d = devices.select("device_id", "store_id", "device_type", "makes_cups")
    wt = ibis.window(group_by=[d.store_id, d.device_type])
    d = d.mutate(n_same_type=d.device_id.count().over(wt))
    j = (
        d.left_join(per_dev, "device_id")
        .left_join(peak, "device_id")
        .left_join(online, "device_id")
        .left_join(st, "store_id")
    )
    j = j.select(
        "device_id", "store_id", "makes_cups", "n_same_type", "store_cups_per_day", "store_peak",
        n_cups=j.n_cups.fill_null(0),
        peak=j.peak_cups_per_hour.fill_null(0.0),
        online_days=j.online_days.fill_null(0.0),
    )
    maker_rate = j.n_cups.cast("float64") / ibis.greatest(j.online_days, 1.0)
    support_rate = j.store_cups_per_day / j.n_same_type.cast("float64")
    return j.select(
        "device_id",
        "store_id",
        "n_cups",
        "online_days",
        cups_per_day=ibis.ifelse(j.makes_cups, maker_rate, support_rate),
        peak_cups_per_hour=ibis.ifelse(j.makes_cups, j.peak, j.store_peak / j.n_same_type.cast("float64")),
        store_cups_per_day=j.store_cups_per_day,
    )
