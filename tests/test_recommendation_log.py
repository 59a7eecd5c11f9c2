"""The recommendation log: append-only under concurrent runs, and the follow-up it feeds."""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ProcessPoolExecutor

import duckdb
import pandas as pd
import pytest
from brief_helpers import fake_run, iot_metrics, pricing_metrics

from luckin_lab.brief.followup import NOT_MEASURABLE, follow_up
from luckin_lab.reporting.recommendation_log import log_dir, read_log, record_run
from luckin_lab.sources import open_store

NOW = dt.datetime(2026, 2, 14, 6, tzinfo=dt.UTC)


def _record(args: tuple[str, str]) -> str:
    root, folder = args
    from pathlib import Path

    rec = json.loads((Path(folder) / "run.json").read_text())
    return str(record_run(Path(root), Path(folder), rec))


def test_concurrent_runs_append_whole_rows_and_a_rerecord_changes_nothing(tmp_path):
    folders = [fake_run(tmp_path, "price_elasticity", f"r{i}", NOW - dt.timedelta(minutes=i),
                        pricing_metrics(100.0 * i, 10.0, 200.0 * i + 20), data_window=
                        f"2025-09-01 to 2026-02-{10 + i % 3:02d}") for i in range(1, 9)]
    jobs = [(str(tmp_path), str(f)) for f in folders] * 2  # every run recorded twice, at once
    with ProcessPoolExecutor(max_workers=4) as pool:
        list(pool.map(_record, jobs))
    log = read_log(tmp_path)
    assert len(log) == 8 and sorted(log.run) == sorted(f"r{i}" for i in range(1, 9))
    assert not [p for p in log_dir(tmp_path).iterdir() if p.name.startswith(".")]  # no temp files
    row = log.set_index("run").loc["r3"]
    assert row.expected == 300.0 and row.low == 10.0 and row.high == 620.0
    assert row.unit == "USD per week" and bool(row.is_profit)
    assert row.data_as_of == dt.date(2026, 2, 10) and row.due == dt.date(2026, 3, 10)


def test_a_run_without_a_headline_logs_nothing(tmp_path):
    folder = fake_run(tmp_path, "coupon_uplift", "demo", NOW, {"chosen_model": "X"})
    assert record_run(tmp_path, folder, json.loads((folder / "run.json").read_text())) is None
    assert read_log(tmp_path).empty


def _failures_by_hand(db: str, start: dt.date, end: dt.date, blip_h: float = 4.0) -> int:
    """Offline stretches of at least blip_h hours that began on start..end (pandas, from raw rows)."""
    con = duckdb.connect(db, read_only=True)
    s = con.execute("SELECT * FROM iot_device_status ORDER BY device_id, event_time, event_id").df()
    con.close()
    snap = pd.Timestamp(end + dt.timedelta(days=1))
    s = s[s.event_time < snap]
    s = s[s.status != s.groupby("device_id").status.shift()]  # transitions only
    s = s.assign(ended=s.groupby("device_id").event_time.shift(-1).fillna(snap))
    off = s[(s.status == "offline") & ((s.ended - s.event_time) >= pd.Timedelta(hours=blip_h))]
    return int(((off.event_time >= pd.Timestamp(start)) & (off.event_time < snap)).sum())


def test_follow_up_counts_failures_after_a_maintenance_run(small_store_dir, tmp_path):
    db = small_store_dir / "store.duckdb"
    store = open_store(f"duckdb:{db}")
    iot = fake_run(tmp_path, "iot_survival", "weekly", NOW - dt.timedelta(days=20),
                   iot_metrics(expected_7d=3.5), data_window="2025-06-01 to 2026-01-25",
                   parameters={"plan_horizon_days": 7})
    pr = fake_run(tmp_path, "price_elasticity", "demo", NOW - dt.timedelta(days=40),
                  pricing_metrics(500.0, 50.0, 900.0), data_window="2025-09-01 to 2026-01-05")
    late = fake_run(tmp_path, "iot_survival", "daily", NOW, iot_metrics(),
                    data_window="2025-06-01 to 2026-02-12")
    for f in (iot, pr, late):
        record_run(tmp_path, f, json.loads((f / "run.json").read_text()))
    done = follow_up(read_log(tmp_path), store, dt.date(2026, 2, 13)).set_index("report")
    assert set(done.index) == {"Menu prices", "Equipment maintenance"}  # the late run is not due
    want = _failures_by_hand(str(db), dt.date(2026, 1, 26), dt.date(2026, 2, 1))
    assert want > 0
    m = done.loc["Equipment maintenance"]
    assert m.observed == want
    assert m.result == f"expected 3.5 device failures in the 7 days after, {want} happened"
    assert done.loc["Menu prices", "result"] == NOT_MEASURABLE
    assert pd.isna(done.loc["Menu prices", "observed"])


@pytest.mark.parametrize("report", ["brief", "unknown_report"])
def test_reports_without_a_derivation_log_nothing(tmp_path, report):
    folder = fake_run(tmp_path, report, "daily", NOW, {"n_alerts": 2})
    assert record_run(tmp_path, folder, json.loads((folder / "run.json").read_text())) is None
