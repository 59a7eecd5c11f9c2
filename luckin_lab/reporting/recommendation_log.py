"""The recommendation log: what every leadership run told us to do, kept for the follow-up.

``reports/recommendations/`` holds one small Parquet file per published leadership run
(``<report>__<run>__<run folder>.parquet``, one row per recommendation). The log is
append-only by construction: a file is written once, atomically (write elsewhere, then
rename) and never changed, so concurrent runs cannot corrupt each other's rows and a reader
sees a run's rows whole or not at all. :func:`read_log` is the table of all of them.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd

from luckin_lab.atomic import read_json, write_file_atomic
from luckin_lab.reporting.headline import headline_of

LOG_DIR = "recommendations"
COLUMNS = [
    "report", "run", "run_folder", "recorded", "data_as_of", "what", "for_whom", "figure",
    "expected", "low", "high", "unit", "is_profit", "follow_up_days", "due",
    "check", "check_expected",
]
# Forecasts the contracts can check after the fact: report -> (check name, metrics key).
_CHECKS = {"iot_survival": ("device_failures_7d", "expected_failures_7d")}
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def log_dir(reports_root: Path) -> Path:
    return Path(reports_root) / LOG_DIR


def data_as_of(provenance: dict[str, Any] | None, started: str | None) -> dt.date:
    """The last day of data a run used (its data window's end), else the day it ran."""
    window = str((provenance or {}).get("data_window") or "")
    dates = _DATE.findall(window)
    if dates:
        return dt.date.fromisoformat(dates[-1])
    return dt.datetime.fromisoformat(str(started)).date() if started else dt.date.today()


def rows_for_run(folder: Path, record: dict[str, Any]) -> pd.DataFrame:
    """The recommendation rows of one run (empty when it recorded no headline)."""
    results = Path(folder) / "results"
    metrics = read_json(results / "metrics.json") or {}
    h = headline_of(str(record.get("report")), metrics, record.get("parameters") or {})
    if h is None:
        return pd.DataFrame(columns=COLUMNS)
    as_of = data_as_of(record.get("data") or read_json(results / "provenance.json"),
                       record.get("started"))
    check, key = _CHECKS.get(str(record.get("report")), ("", ""))
    row = {
        "report": record.get("report"), "run": record.get("run"), "run_folder": Path(folder).name,
        "recorded": record.get("ended") or record.get("started"), "data_as_of": as_of,
        "what": h.decision, "for_whom": h.for_whom, "figure": h.figure, "expected": h.value,
        "low": h.low, "high": h.high, "unit": h.unit, "is_profit": h.is_profit,
        "follow_up_days": h.follow_up_days,
        "due": as_of + dt.timedelta(days=h.follow_up_days) if h.follow_up_days else None,
        "check": check if key in metrics else "",
        "check_expected": float(metrics[key]) if key in metrics else None,
    }
    out = pd.DataFrame([row], columns=COLUMNS).astype(_DTYPES)
    out["due"] = pd.to_datetime(out["due"])
    out["data_as_of"] = pd.to_datetime(out["data_as_of"])
    return out


_DTYPES = {"expected": "float64", "low": "float64", "high": "float64", "check_expected": "float64",
           "follow_up_days": "Int64", "is_profit": "bool"}


def record_run(reports_root: Path, folder: Path, record: dict[str, Any]) -> Path | None:
    """Append a published leadership run's recommendations; None when it has none to log.

    Recording the same run twice keeps the first file (the log never changes a row).
    """
    rows = rows_for_run(folder, record)
    if rows.empty:
        return None
    out_dir = log_dir(reports_root)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{record['report']}__{record['run']}__{Path(folder).name}.parquet"
    if path.exists():
        return path
    return write_file_atomic(path, lambda tmp: rows.to_parquet(tmp, index=False))


def read_log(reports_root: Path) -> pd.DataFrame:
    """Every recorded recommendation, oldest first (an empty table when none were made)."""
    files = sorted(p for p in log_dir(reports_root).glob("*.parquet") if not p.name.startswith("."))
    if not files:
        return pd.DataFrame(columns=COLUMNS)
    log = pd.concat([pd.read_parquet(p) for p in files], ignore_index=True)
    for col in ("data_as_of", "due"):
        log[col] = pd.to_datetime(log[col]).dt.date
    return log.sort_values(["data_as_of", "report", "run"]).reset_index(drop=True)
