"""Chunked, resumable pulls of one table and the merge that makes its snapshot file.

Each shard is read by keyset pagination ordered by (watermark, primary key): a SELECT per
chunk of ``chunk_rows``, each under the per-query timeout. After a chunk lands (typed,
PII-protected, validated) it is written as a part file, and only then is the shard's
position committed to the state file (atomically). A killed extract therefore resumes at
the last committed chunk: a part written after it is an orphan and is overwritten, so no row
is lost or read twice. The merge puts the base snapshot's rows and the new rows together and
keeps, per primary key, the newest version (largest watermark).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from luckin_lab.atomic import write_json_atomic
from luckin_lab.contracts import ContractViolation, validate
from luckin_lab.extract.connection import ReadOnlySession, quote
from luckin_lab.extract.errors import ContractBreach
from luckin_lab.extract.landing import WATERMARK, land_rows
from luckin_lab.extract.mapping import TablePlan
from luckin_lab.extract.pii import PiiMode
from luckin_lab.extract.snapshot import (
    empty_frame,
    read_parquet_typed,
    write_parquet_atomic,
)


# -- JSON round trip of keyset values (datetimes, decimals) ---------------------------------
def encode(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return {"$dt": v.isoformat()}
    if isinstance(v, dt.date):
        return {"$d": v.isoformat()}
    if isinstance(v, Decimal):
        return {"$dec": str(v)}
    if isinstance(v, pd.Timestamp):
        return {"$dt": v.to_pydatetime().isoformat()}
    return v


def decode(v: Any) -> Any:
    if isinstance(v, dict):
        if "$dt" in v:
            return dt.datetime.fromisoformat(v["$dt"])
        if "$d" in v:
            return dt.date.fromisoformat(v["$d"])
        if "$dec" in v:
            return Decimal(v["$dec"])
    return v


@dataclass
class ShardState:
    """Committed position of one shard: chunks written, last key read, rows, newest watermark."""

    seq: int = 0
    after: list[Any] | None = None  # (watermark, key...) of the last committed row, encoded
    lower: Any = None  # incremental lower bound on the watermark, encoded
    rows: int = 0
    max_wm: Any = None  # encoded
    done: bool = False

    def to_json(self) -> dict[str, Any]:
        return dict(seq=self.seq, after=self.after, lower=self.lower, rows=self.rows,
                    max_wm=self.max_wm, done=self.done)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ShardState:
        return cls(**doc)


def part_path(parts_dir: Path, shard_index: int, seq: int) -> Path:
    return parts_dir / f"{shard_index:03d}-{seq:06d}.parquet"


def remove_orphan_parts(parts_dir: Path, shard_index: int, state: ShardState) -> int:
    """Parts a killed extract wrote after its last committed chunk; returns how many."""
    n = 0
    for p in parts_dir.glob(f"{shard_index:03d}-*.parquet*"):
        seq = int(p.name.split("-")[1].split(".")[0])
        if seq >= state.seq or p.name.endswith(".tmp"):
            p.unlink()
            n += 1
    return n


def chunk_query(plan: TablePlan, shard: str, state: ShardState, chunk_rows: int) -> tuple[str, dict]:
    """The keyset SELECT for the next chunk after ``state`` (bind parameters, no literals)."""
    cols = [quote(c.source) for c in plan.columns]
    order = ([plan.watermark] if plan.watermark else []) + plan.source_key
    if plan.watermark:
        cols.append(f"{quote(plan.watermark)} AS {quote(WATERMARK)}")
    where, params = [], {}
    if state.lower is not None:
        where.append(f"{quote(plan.watermark)} >= :lo")
        params["lo"] = decode(state.lower)
    if state.after is not None:
        marks = [f":a{i}" for i in range(len(order))]
        where.append(f"({', '.join(quote(o) for o in order)}) > ({', '.join(marks)})")
        params.update({f"a{i}": decode(v) for i, v in enumerate(state.after)})
    sql = (
        f"SELECT {', '.join(cols)} FROM {quote(plan.database)}.{quote(shard)}"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + f" ORDER BY {', '.join(quote(o) for o in order)} LIMIT {int(chunk_rows)}"
    )
    return sql, params


def count_query(plan: TablePlan, shard: str, state: ShardState) -> tuple[str, dict]:
    """Rows the pull of this shard will read (for the progress bar's total)."""
    sql = f"SELECT COUNT(*) FROM {quote(plan.database)}.{quote(shard)}"
    if state.lower is not None:
        return sql + f" WHERE {quote(plan.watermark)} >= :lo", {"lo": decode(state.lower)}
    return sql, {}


def pull_shard(
    session: ReadOnlySession,
    plan: TablePlan,
    shard_index: int,
    state: ShardState,
    parts_dir: Path,
    commit: Callable[[], None],
    chunk_rows: int,
    pii: PiiMode,
    pii_key: bytes | None,
    advance: Callable[[int], None] = lambda n: None,
) -> None:
    """Pull one shard from ``state`` onward; ``commit()`` persists the state after each chunk."""
    shard = plan.shards[shard_index]
    parts_dir.mkdir(parents=True, exist_ok=True)
    remove_orphan_parts(parts_dir, shard_index, state)
    key_idx = [next(i for i, c in enumerate(plan.columns) if c.source == k) for k in plan.source_key]
    while not state.done:
        sql, params = chunk_query(plan, shard, state, chunk_rows)
        _, rows = session.select(sql, params, context=f"reading {plan.qualified(shard)}")
        if rows:
            frame = land_rows(plan, shard, rows, pii, pii_key)
            check_contract(frame.drop(columns=[WATERMARK], errors="ignore"), plan, shard)
            write_parquet_atomic(frame, part_path(parts_dir, shard_index, state.seq), plan.contract)
            last = rows[-1]
            key = [last[i] for i in key_idx]
            if plan.watermark:
                wm = last[len(plan.columns)]
                state.after = [encode(wm), *(encode(k) for k in key)]
                state.max_wm = encode(wm)  # rows come in watermark order: the last is the newest
            else:
                state.after = [encode(k) for k in key]
            state.seq += 1
            state.rows += len(rows)
        state.done = len(rows) < chunk_rows
        commit()
        advance(len(rows))


def check_contract(frame: pd.DataFrame, plan: TablePlan, shard: str | None) -> pd.DataFrame:
    """Validate landed rows; a violation names the source shard it came from."""
    try:
        return validate(frame, plan.contract).frame
    except ContractViolation as err:
        where = plan.qualified(shard) if shard else f"{plan.database} ({', '.join(plan.shards)})"
        raise ContractBreach(f"rows landed from {where} broke the contract of '{plan.name}':\n{err}") from err


@dataclass
class MergeStats:
    rows: int
    pulled: int
    superseded: int
    base_rows: int


def merge_table(
    plan: TablePlan, base_file: Path | None, parts: list[Path], out_file: Path
) -> tuple[pd.DataFrame, MergeStats]:
    """Base rows + new rows -> one validated, key-sorted table written to ``out_file``."""
    names = list(plan.contract.columns)
    base = read_parquet_typed(base_file) if base_file is not None else None
    delta = [read_parquet_typed(p) for p in parts]
    pulled = sum(len(d) for d in delta)
    new = pd.concat(delta, ignore_index=True) if delta else None
    if plan.watermark and new is not None:
        new = new.sort_values(WATERMARK, kind="stable")
    frames = [f[names] for f in (base, new) if f is not None and len(f)]
    merged = pd.concat(frames, ignore_index=True) if frames else empty_frame(plan.contract)
    before = len(merged)
    if plan.watermark:
        merged = merged.drop_duplicates(plan.primary_key, keep="last")
    merged = merged.sort_values(plan.primary_key, kind="stable").reset_index(drop=True)
    validated = check_contract(merged, plan, None)
    write_parquet_atomic(validated, out_file, plan.contract)
    base_rows = 0 if base is None else len(base)
    return validated, MergeStats(len(validated), pulled, before - len(merged), base_rows)


def save_state(path: Path, doc: dict[str, Any]) -> None:
    write_json_atomic(path, doc)
