"""Spell construction on hand-made status histories: blips, censoring, truncation, repeats."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from luckin_lab.sources import open_store, write_duckdb
from luckin_lab.survival.episodes import device_events, split_at
from luckin_lab.synth.iot_toy import toy_stores

T = pd.Timestamp
SNAP = "2025-07-01"


def _write(path: Path, tables: dict[str, pd.DataFrame]) -> str:
    return f"duckdb:{write_duckdb(path, tables)}"


def _device(did, install, last_service=None, makes_cups=True, dtype="coffee_machine", model="M1"):
    return {
        "device_id": did, "store_id": 101, "device_type": dtype, "model": model,
        "makes_cups": makes_cups, "install_time": T(install), "manufacture_date": T("2025-01-01"),
        "last_service_time": T(last_service) if last_service else pd.NaT, "firmware": None,
    }


HISTORY = [
    # A: new at log start; a 1-hour blip; fails 06-10 for 3 days; repaired; still running
    ("DEV-1", "2025-06-01 00:00", "online"),
    ("DEV-1", "2025-06-05 10:00", "offline"),
    ("DEV-1", "2025-06-05 11:00", "online"),
    ("DEV-1", "2025-06-05 12:00", "online"),  # heartbeat
    ("DEV-1", "2025-06-10 00:00", "offline"),
    ("DEV-1", "2025-06-13 00:00", "online"),
    # B: installed before the log, last serviced 05-20; fails 06-11 and stays down
    ("DEV-2", "2025-06-01 00:00", "online"),
    ("DEV-2", "2025-06-11 00:00", "offline"),
    # C: running all along; a short offline stretch still open at the snapshot (pending)
    ("DEV-3", "2025-06-01 00:00", "online"),
    ("DEV-3", "2025-06-30 22:00", "offline"),
    # D: down when the log starts; repaired 06-05, fails twice more
    ("DEV-4", "2025-06-01 00:00", "offline"),
    ("DEV-4", "2025-06-05 00:00", "online"),
    ("DEV-4", "2025-06-15 00:00", "offline"),
    ("DEV-4", "2025-06-16 00:00", "online"),
    ("DEV-4", "2025-06-21 00:00", "offline"),
    ("DEV-4", "2025-06-22 12:00", "online"),
    ("DEV-4", "2025-07-03 00:00", "offline"),  # after the snapshot: excluded
]


@pytest.fixture(scope="module")
def uri(tmp_path_factory) -> str:
    devices = pd.DataFrame([
        _device("DEV-1", "2025-06-01"),
        _device("DEV-2", "2025-03-01", "2025-05-20"),
        _device("DEV-3", "2025-06-01"),
        _device("DEV-4", "2025-02-01", "2025-04-01", makes_cups=False, dtype="grinder"),
        _device("DEV-5", "2025-06-01"),  # never reported: excluded
    ])
    status = pd.DataFrame(HISTORY, columns=["device_id", "event_time", "status"])
    status["event_time"] = pd.to_datetime(status.event_time)
    status.insert(0, "event_id", range(1, len(status) + 1))
    cups = pd.DataFrame({
        "cup_id": range(1, 301), "device_id": ["DEV-1"] * 200 + ["DEV-3"] * 100, "store_id": 101,
        "order_id": [str(i) for i in range(1, 301)], "product_id": "P001",
        "made_time": pd.date_range("2025-06-02 08:00", periods=300, freq="37min"),
    })
    stores = toy_stores().iloc[:1].assign(open_date=T("2025-06-01"))
    path = tmp_path_factory.mktemp("episodes") / "store.duckdb"
    return _write(path, {"stores": stores, "iot_devices": devices, "iot_device_status": status,
                         "iot_cup_orders": cups})


def _spells(data, did):
    return data.frame[data.frame.unit_id == did].sort_values("spell_no").reset_index(drop=True)


def test_blip_ignored_failure_and_repair_start_new_spell(uri):
    data = device_events(open_store(uri), blip_hours=4, snapshot=SNAP)
    a = _spells(data, "DEV-1")
    assert len(a) == 2
    assert a.loc[0, ["entry", "stop", "event"]].tolist() == [0.0, 9.0, 1]
    assert a.loc[1, "renewal_time"] == T("2025-06-13")
    assert a.loc[1, ["entry", "stop", "event"]].tolist() == [0.0, 18.0, 0]  # censored at the snapshot


def test_left_truncation_uses_last_service(uri):
    data = device_events(open_store(uri), blip_hours=4, snapshot=SNAP)
    b = _spells(data, "DEV-2")
    assert len(b) == 1
    assert b.loc[0, "renewal_time"] == T("2025-05-20")
    assert b.loc[0, "entry"] == pytest.approx(12.0)
    assert b.loc[0, "stop"] == pytest.approx(22.0)
    assert b.loc[0, "event"] == 1 and bool(b.loc[0, "truncated"])


def test_pending_offline_is_not_a_failure(uri):
    data = device_events(open_store(uri), blip_hours=4, snapshot=SNAP)
    c = _spells(data, "DEV-3")
    assert len(c) == 1 and c.loc[0, "event"] == 0 and c.loc[0, "stop"] == pytest.approx(30.0)
    assert data.counts["pending_short_offline"] == 1


def test_repeat_failures_and_down_at_log_start(uri):
    store = open_store(uri)
    data = device_events(store, blip_hours=4, snapshot=SNAP)
    d = _spells(data, "DEV-4")
    assert d.renewal_time.tolist() == [T("2025-06-05"), T("2025-06-16"), T("2025-06-22 12:00")]
    assert d.stop.tolist() == [10.0, 5.0, 8.5]
    assert d.event.tolist() == [1, 1, 0]  # the 07-03 failure is after the snapshot
    assert not d.truncated.any()
    assert data.counts["repeat_failures"] == 1
    ex = store.exclusions_frame().set_index("table")
    assert ex.loc["iot_device_status", "rows"] == 1
    assert ex.loc["iot_devices", "rows"] == 1  # DEV-5 has no status log
    assert data.counts["devices_used"] == 4 and data.counts["failures"] == 4


def test_blip_threshold_is_a_parameter(uri):
    data = device_events(open_store(uri), blip_hours=0.5, snapshot=SNAP)
    a = _spells(data, "DEV-1")
    assert a.event.tolist() == [1, 1, 0]  # the 1-hour stretch is now a failure
    assert a.loc[0, "stop"] == pytest.approx(4 + 10 / 24)


def test_usage_covariates_from_cups(uri):
    data = device_events(open_store(uri), blip_hours=4, snapshot=SNAP)
    a = _spells(data, "DEV-1")
    # 200 cups over 9 + 18 online days
    assert a.loc[0, "cups_per_day"] == pytest.approx(200 / 27)
    d = _spells(data, "DEV-4")
    # a grinder shares the store's cups per open day with the other grinders (itself only)
    assert d.loc[0, "cups_per_day"] == pytest.approx(300 / 30)


def test_split_at_keeps_exposure_and_events():
    f = pd.DataFrame({"unit_id": ["a", "b"], "entry": [0.0, 3.0], "stop": [10.0, 4.0], "event": [1, 1]})
    s = split_at(f, 5.0)
    assert (s.stop - s.entry).sum() == pytest.approx((f.stop - f.entry).sum())
    assert s.event.sum() == 2
    assert s.loc[s.unit_id == "a", "late"].tolist() == [0.0, 1.0]
