"""Snapshot folders: ``data/snapshots/<source>/<YYYY-MM-DD>/``, one Parquet file per contract
table plus ``snapshot.json``, so ``open_store("folder:<snapshot>")`` reads it like any store.

An extract works in ``<id>.partial/`` (with its resume state) and renames it to ``<id>/``
only when every table landed and validated: a reader never sees half a snapshot, and a
finished snapshot is never modified again (the next extract writes a new one). ``latest``
is a relative symlink to the newest complete snapshot. A lock file stops two extracts of the
same source from running at once.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from luckin_lab.atomic import point_latest, read_json
from luckin_lab.contracts import Contract
from luckin_lab.extract.errors import SnapshotError
from luckin_lab.paths import data_dir

MANIFEST = "snapshot.json"
STATE = "_state.json"
PARTS = "_parts"
LATEST = "latest"
PARTIAL = ".partial"
_LOCK = ".extract.lock"

_ARROW_TYPES = {
    "int64": pa.int64(),
    "float64": pa.float64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "datetime": pa.timestamp("us"),  # Spark refuses nanosecond Parquet; MySQL has microseconds
    "date": pa.timestamp("us"),
}


def snapshots_root(source: str) -> Path:
    return data_dir() / "snapshots" / source


def write_parquet_atomic(frame: pd.DataFrame, path: Path, contract: Contract | None = None) -> None:
    """Parquet with the contract's column types (an all-NULL column keeps its type)."""
    if contract is not None:
        fields = [pa.field(c, _ARROW_TYPES[contract.columns[c].type]) if c in contract.columns
                  else pa.field(c, pa.Schema.from_pandas(frame[[c]], preserve_index=False).types[0])
                  for c in frame.columns]
        table = pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)
    else:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, coerce_timestamps="us")  # Spark-readable (see _ARROW_TYPES)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_parquet_typed(path: Path) -> pd.DataFrame:
    """Integers stay integers when they have NULLs (pandas' Int64, not float64)."""
    return pq.read_table(path).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)


def empty_frame(contract: Contract) -> pd.DataFrame:
    """A zero-row table with the contract's dtypes (an empty source table is still a table)."""
    dtypes = {"int64": "int64", "float64": "float64", "string": object, "bool": bool,
              "datetime": "datetime64[ns]", "date": "datetime64[ns]"}
    return pd.DataFrame({name: pd.Series(dtype=("Int64" if spec.nullable and spec.type == "int64"
                                                else dtypes[spec.type]))
                         for name, spec in contract.columns.items()})


def read_manifest(folder: Path) -> dict[str, Any] | None:
    return read_json(folder / MANIFEST)


def complete_snapshots(root: Path) -> list[Path]:
    """Finished snapshots of a source, oldest first (by completion time)."""
    if not root.is_dir():
        return []
    found = []
    for p in root.iterdir():
        if p.is_symlink() or not p.is_dir() or p.name.endswith(PARTIAL):
            continue
        doc = read_manifest(p)
        if doc and doc.get("status") == "complete":
            found.append((str(doc.get("completed", "")), p.name, p))
    return [p for *_, p in sorted(found)]


def latest_snapshot(root: Path) -> Path | None:
    done = complete_snapshots(root)
    return done[-1] if done else None




def choose_workdir(root: Path, requested: str | None, today: dt.date | None = None) -> tuple[Path, bool]:
    """The ``.partial`` folder to work in and whether it is a resume of an interrupted extract."""
    if requested is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", requested):
        raise SnapshotError(f"snapshot name {requested!r} must be letters, digits, '.', '_' or '-'")
    root.mkdir(parents=True, exist_ok=True)
    partials = sorted(p for p in root.iterdir() if p.is_dir() and p.name.endswith(PARTIAL))
    if partials:
        p = partials[0]
        name = p.name[: -len(PARTIAL)]
        if requested and requested != name:
            raise SnapshotError(
                f"an interrupted extract {p} exists; resume it first (re-run without --snapshot "
                f"or with --snapshot {name}) or delete that folder to abandon it"
            )
        return p, True
    if requested:
        if (root / requested).exists():
            raise SnapshotError(f"snapshot {root / requested} already exists; snapshots are never "
                                "overwritten: choose another --snapshot name")
        name = requested
    else:
        base = (today or dt.date.today()).isoformat()
        name, k = base, 2
        while (root / name).exists():
            name, k = f"{base}.{k}", k + 1
    work = root / (name + PARTIAL)
    work.mkdir()
    return work, False


def finalize(work: Path) -> Path:
    """Drop the resume state and parts, rename ``<id>.partial`` -> ``<id>``, move ``latest``."""
    shutil.rmtree(work / PARTS, ignore_errors=True)
    (work / STATE).unlink(missing_ok=True)
    final = work.with_name(work.name[: -len(PARTIAL)])
    os.replace(work, final)
    point_latest(final)
    return final


class ExtractLock:
    """One extract per source at a time; a lock left by a dead process is taken over."""

    def __init__(self, root: Path):
        self.path = root / _LOCK
        self.held = False

    def __enter__(self) -> ExtractLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if self._stale():
                    self.path.unlink(missing_ok=True)
                    continue
                raise SnapshotError(
                    f"another extract of this source is running ({self.path}: "
                    f"{self.path.read_text().strip()}); wait for it or remove the lock if it is dead"
                ) from None
            with os.fdopen(fd, "w") as fh:
                fh.write(f"pid={os.getpid()} host={socket.gethostname()}\n")
            self.held = True
            return self
        raise SnapshotError(f"could not take the extract lock {self.path}")

    def _stale(self) -> bool:
        try:
            fields = dict(kv.split("=", 1) for kv in self.path.read_text().split())
            if fields.get("host") != socket.gethostname():
                return False
            os.kill(int(fields["pid"]), 0)
        except ProcessLookupError:
            return True
        except (OSError, ValueError, KeyError):
            return False
        return False

    def __exit__(self, *exc) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False
