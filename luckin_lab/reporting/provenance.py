"""Where a report's data came from, in the words page one uses (demo, snapshot, database).

Leadership must see at a glance whether figures are real company data and how old they are:
a demo-store run is watermarked on every page, and data that end long before the run date
carry a warning. The kind is read from the source URI the notebook opened.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

DEMO = "demo"
# The synthesizer writes its planted truth beside the store (a chain: chain.json beside its
# Parquet folder); no company source has one.
_DEMO_MARKER = "truth.json"
_DEMO_PARQUET_MARKERS = ("truth.json", "chain.json")
# Contract tables that hold any organisation's data: a run reading only these is generic and
# carries neither the company's name nor its domain words.
GENERIC_PREFIX = "generic_"
# Example tables of the demo store that are real public data, not simulated: what to call them.
PUBLIC_DEMO_TABLES = {
    "generic_transactions": "Public data: the CDNOW sample (2,357 music buyers, 1997-98, Fader, "
                            "Hardie and Lee), shipped with the demo store; not company results",
}

SOURCE_WORDS = {
    DEMO: "Demo data: simulated by the built-in demo store, not company results",
    "snapshot": "Company data: validated extract snapshot",
    "folder": "Data files: a folder of extracts",
    "database": "Company database (read replica)",
    "catalog": "Company data: Spark catalog tables",
    "duckdb": "A DuckDB data file",
    "unknown": "Not reported by the notebook",
}


def source_kind(uri: str) -> str:
    """``demo`` for a store the synthesizer built (DuckDB file or its Parquet folder, read by
    DuckDB or Spark), else snapshot, folder, database, catalog or duckdb."""
    kind, _, location = str(uri).partition(":")
    if kind == "duckdb":
        return DEMO if (Path(location).parent / _DEMO_MARKER).is_file() else "duckdb"
    if kind == "spark" and location.startswith("catalog/"):
        return "catalog"
    if kind == "spark" and location.startswith("folder/"):
        kind, location = "folder", location.removeprefix("folder/")
    if kind == "folder":
        if any((Path(location).parent / m).is_file() for m in _DEMO_PARQUET_MARKERS):
            return DEMO
        return "snapshot" if (Path(location) / "snapshot.json").is_file() else "folder"
    if kind == "sql":
        return "database"
    return "unknown"


def stale_days(data_end: str | None, run_date: dt.date) -> int | None:
    """Days between the end of the data and the run, or None when the data have no date."""
    if not data_end:
        return None
    try:
        end = dt.date.fromisoformat(str(data_end)[:10])
    except ValueError:
        return None
    return (run_date - end).days
