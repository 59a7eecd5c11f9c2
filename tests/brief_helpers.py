"""Test helpers for the brief: fake report runs and a demo store with planted incidents."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd

from luckin_lab.atomic import point_latest

PLANT_WEEK = (dt.date(2026, 2, 2), dt.date(2026, 2, 8))  # last full week of the small store
DROP_STORE = 101  # 8th Ave (flagship): a mature store


def fake_run(root: Path, report: str, run: str, started: dt.datetime, metrics: dict | None,
             status: str = "succeeded", group: str = "weekly", audience: str = "leadership",
             data_window: str = "2025-06-01 to 2026-02-13", parameters: dict | None = None) -> Path:
    """A run folder as the runner leaves it (run.json, results/metrics.json, latest link)."""
    folder = root / report / run / started.strftime("%Y%m%dT%H%M%SZ")
    (folder / "results").mkdir(parents=True)
    if metrics is not None:
        (folder / "results" / "metrics.json").write_text(json.dumps(metrics))
    published = status == "succeeded"
    record = {"report": report, "run": run, "group": group, "audience": audience, "status": status,
              "published": published, "started": started.isoformat(),
              "ended": (started + dt.timedelta(minutes=1)).isoformat(),
              "parameters": parameters or {}, "data": {"data_window": data_window}}
    (folder / "run.json").write_text(json.dumps(record))
    if published:
        for name in ("report.html", "report.pdf"):
            (folder / name).write_text("x")
        point_latest(folder)
    return folder


def pricing_metrics(change: float, low: float, high: float) -> dict:
    return {"weekly_margin_change": change, "weekly_margin_change_low": low,
            "weekly_margin_change_high": high}


def store_metrics() -> dict:
    return {"week_start": "2026-02-02", "revenue": 4146.95, "stores_below_4wk_avg": []}


def iot_metrics(visits: int = 20, expected_7d: float = 3.5) -> dict:
    return {"plan_visits": visits, "lost_cups_avoided_vs_run_to_failure": 172.5,
            "expected_failures_7d": expected_7d}


def fresh_reports(root: Path, now: dt.datetime, stale: str | None = None) -> None:
    """Three weekly leadership reports run a day ago; ``stale`` one ran ten days ago instead."""
    def when(report: str) -> dt.datetime:
        return now - dt.timedelta(days=10 if report == stale else 1)

    fake_run(root, "store_trends", "weekly", when("store_trends"), store_metrics())
    fake_run(root, "price_elasticity", "demo", when("price_elasticity"),
             pricing_metrics(800.0, 100.0, 1500.0))
    fake_run(root, "iot_survival", "weekly", when("iot_survival"), iot_metrics())


def planted_store(src: Path, dest: Path, drop: bool = True, outage: bool = True) -> str:
    """A copy of the small demo store with a store drop and a device outage in PLANT_WEEK.

    Drop: 70 % of the flagship's completed orders that week become cancelled (not revenue).
    Outage: half the devices that are up at the week's end go offline on its Saturday morning
    and stay offline past its end (their later status rows in that window are removed).
    """
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "store.duckdb", dest / "store.duckdb")
    con = duckdb.connect(str(dest / "store.duckdb"))
    start, end = PLANT_WEEK
    after = end + dt.timedelta(days=1)
    if drop:
        con.execute(
            "UPDATE orders SET status = 'cancelled' WHERE store_id = ? AND status = 'completed' "
            "AND order_time >= ? AND order_time < ? AND order_id % 10 < 7",
            [DROP_STORE, start, after])
    if outage:
        up = up_devices(con, after)
        chosen = up[: len(up) // 2]
        t_off = dt.datetime.combine(end - dt.timedelta(days=1), dt.time(10))
        next_id = con.execute("SELECT max(event_id) FROM iot_device_status").fetchone()[0] + 1
        con.execute("DELETE FROM iot_device_status WHERE device_id IN (SELECT unnest(?)) "
                    "AND event_time >= ? AND event_time < ?", [chosen, t_off, after])
        rows = pd.DataFrame({"event_id": range(next_id, next_id + len(chosen)),
                             "device_id": chosen, "event_time": t_off, "status": "offline"})
        con.register("planted", rows)
        con.execute("INSERT INTO iot_device_status SELECT event_id, device_id, "
                    "CAST(event_time AS TIMESTAMP_NS), status FROM planted")
    con.close()
    return f"duckdb:{dest / 'store.duckdb'}"


def up_devices(con: duckdb.DuckDBPyConnection, at: dt.datetime) -> list[str]:
    """Devices whose last status event before ``at`` is online (sorted)."""
    rows = con.execute(
        "SELECT device_id FROM (SELECT device_id, status, row_number() OVER (PARTITION BY "
        "device_id ORDER BY event_time DESC, event_id DESC) AS rn FROM iot_device_status "
        "WHERE event_time < ?) WHERE rn = 1 AND status = 'online' ORDER BY device_id", [at]
    ).fetchall()
    return [r[0] for r in rows]
