"""Run folders and run records: ``reports/<report>/<run>/<timestamp>/`` plus a ``latest`` link.

Every run gets a new folder (earlier runs are never overwritten). ``latest`` is a relative
symlink that moves only when a run succeeds, so a failed Monday run leaves last week's good
report in front of leadership.

A record still saying ``running`` whose process is gone (killed with ``kill -9``, a crashed
machine) is read as ``abandoned``: the reader checks the recorded process id and its start
time on this host, so a reused process id does not keep a dead run alive. The file is not
rewritten; readers (``list``, the index) only show it for what it is.
"""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from luckin_lab.atomic import read_json, write_json_atomic

RUN_RECORD = "run.json"
LATEST = "latest"


def new_run_folder(reports_root: Path, report: str, run: str, now: dt.datetime | None = None) -> Path:
    """A fresh, never-reused folder named by UTC start time (suffix if two start together)."""
    now = now or dt.datetime.now(dt.UTC)
    base = reports_root / report / run
    base.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    for i in range(1000):
        folder = base / (stamp if i == 0 else f"{stamp}-{i}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a new run folder under {base}")


def write_record(folder: Path, record: dict[str, Any]) -> Path:
    """Write run.json atomically (a reader never sees half a record)."""
    return write_json_atomic(folder / RUN_RECORD, record)


def read_record(folder: Path) -> dict[str, Any] | None:
    """The run record as readers should show it (a dead ``running`` run is ``abandoned``)."""
    path = folder / RUN_RECORD
    if not path.exists():
        return None
    record = read_json(path) or {"status": "corrupt", "folder": str(folder)}
    if record.get("status") == "running":
        why = abandoned_because(record)
        if why:
            record = {**record, "status": "abandoned", "recorded_status": "running",
                      "abandoned": why}
    return record


def process_started(pid: int) -> float | None:
    """Start time of a process (epoch seconds), None when it does not exist."""
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return None


def abandoned_because(record: dict[str, Any]) -> str | None:
    """Why a ``running`` record is known to be dead, or None when it may still be running.

    Only records from this host can be checked; a record without a process id (written
    before this field existed) counts as abandoned once it is a day old.
    """
    pid, host = record.get("pid"), record.get("host")
    if pid is None:
        try:
            age = dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(str(record.get("started")))
        except (TypeError, ValueError):
            return "the record has no process id and no valid start time"
        return "no process id and started over a day ago" if age > dt.timedelta(days=1) else None
    if host and host != socket.gethostname():
        return None
    started = process_started(int(pid))
    if started is None:
        return f"process {pid} is gone"
    recorded = record.get("process_started")
    if isinstance(recorded, int | float) and abs(started - recorded) > 1.0:
        return f"process {pid} is gone (the id now belongs to another process)"
    return None


def latest_folder(run_dir: Path) -> Path | None:
    link = run_dir / LATEST
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


@dataclass
class RunHistory:
    """All recorded runs of one ``<report>/<run>``, newest first."""

    report: str
    run: str
    folder: Path
    records: list[tuple[Path, dict[str, Any]]]
    latest: Path | None

    @property
    def last(self) -> dict[str, Any] | None:
        return self.records[0][1] if self.records else None


def histories(reports_root: Path) -> list[RunHistory]:
    """Every report/run found under the reports folder, with its run records."""
    out = []
    if not reports_root.is_dir():
        return out
    for report_dir in sorted(p for p in reports_root.iterdir() if p.is_dir()):
        for run_dir in sorted(p for p in report_dir.iterdir() if p.is_dir() and not p.is_symlink()):
            records = []
            for folder in sorted(
                (p for p in run_dir.iterdir() if p.is_dir() and not p.is_symlink()), reverse=True
            ):
                rec = read_record(folder)
                if rec is not None:
                    records.append((folder, rec))
            if records:
                out.append(
                    RunHistory(report_dir.name, run_dir.name, run_dir, records, latest_folder(run_dir))
                )
    return out


def previous_published(results_dir: str | Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest published, succeeded run of the same report and run before the one writing to
    ``results_dir`` (``.../<report>/<run>/<timestamp>/results``), with its record; None if none."""
    folder = Path(results_dir).resolve().parent
    run_dir = folder.parent
    if not run_dir.is_dir():
        return None
    older = sorted((p for p in run_dir.iterdir()
                    if p.is_dir() and not p.is_symlink() and p.name < folder.name), reverse=True)
    for f in older:
        rec = read_record(f)
        if (rec and rec.get("status") == "succeeded" and rec.get("published")
                and (f / "results" / "metrics.json").is_file()):
            return f, rec
    return None
