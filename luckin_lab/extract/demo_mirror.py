"""Load a demo store into a MySQL/MariaDB server in the production layout of a mapping.

The reverse of the extract, for tests and trials: each contract table goes to its mapped
database, split across its shards, under the source column names, with the declared source
types (e.g. payments.order_id as VARCHAR) and a ``DATETIME(6)`` watermark column where the
mapping names one. Writing needs an admin connection; the extract never uses this module.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pymysql

from luckin_lab.extract.connection import quote
from luckin_lab.extract.mapping import ColumnPlan, TablePlan

_DDL = {"int64": "BIGINT", "float64": "DOUBLE", "string": "VARCHAR(255)", "bool": "TINYINT(1)",
        "datetime": "DATETIME(6)", "date": "DATE"}
_DECLARED_DDL = {"varchar": "VARCHAR(64)", "char": "CHAR(32)", "text": "TEXT", "bigint": "BIGINT",
                 "int": "INT", "decimal": "DECIMAL(18,6)", "double": "DOUBLE", "datetime": "DATETIME(6)"}
DEFAULT_UPDATE_TIME = dt.datetime(2020, 1, 1)


def column_ddl(col: ColumnPlan, nullable: bool) -> str:
    sql_type = _DECLARED_DDL.get(col.declared or "", _DDL[col.type])
    return f"{quote(col.source)} {sql_type} {'NULL' if nullable else 'NOT NULL'}"


def create_tables(cur: pymysql.cursors.Cursor, plan: TablePlan) -> None:
    cur.execute(f"CREATE DATABASE IF NOT EXISTS {quote(plan.database)}")
    cols = [column_ddl(c, plan.contract.columns[c.name].nullable) for c in plan.columns]
    keys = [f"PRIMARY KEY ({', '.join(quote(k) for k in plan.source_key)})"]
    if plan.watermark and plan.watermark not in {c.source for c in plan.columns}:
        cols.append(f"{quote(plan.watermark)} DATETIME(6) NOT NULL")
    if plan.watermark:
        order = [plan.watermark, *plan.source_key]  # the extract's keyset order
        keys.append(f"KEY {quote('ix_' + plan.watermark)} ({', '.join(quote(c) for c in order)})")
    for shard in plan.shards:
        cur.execute(f"DROP TABLE IF EXISTS {quote(plan.database)}.{quote(shard)}")
        cur.execute(
            f"CREATE TABLE {quote(plan.database)}.{quote(shard)} ({', '.join(cols + keys)}) "
            "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        )


def shard_of(key: Any, n: int) -> int:
    """Integers by modulo (like order-id sharding), strings by CRC32."""
    if isinstance(key, int | np.integer):
        return int(key) % n
    return zlib.crc32(str(key).encode()) % n


def _python(series: pd.Series, col_type: str) -> list[Any]:
    """Driver-ready Python values (None for NULL, datetime for timestamps, int for bools)."""
    if col_type in ("datetime", "date") or pd.api.types.is_datetime64_any_dtype(series):
        values = pd.to_datetime(series)
        out = [None if pd.isna(v) else v.to_pydatetime() for v in values]
        return [v.date() if v is not None and col_type == "date" else v for v in out]
    if col_type == "bool":
        return [None if pd.isna(v) else int(bool(v)) for v in series]
    return [None if (v is None or (not isinstance(v, str) and pd.isna(v))) else
            (v.item() if hasattr(v, "item") else v) for v in series.astype(object)]


def source_rows(plan: TablePlan, frame: pd.DataFrame, update_time: Any = None) -> pd.DataFrame:
    """Contract-named rows -> source-named columns (+ the watermark column), ready to insert."""
    out = pd.DataFrame({c.source: frame[c.name] for c in plan.columns})
    if plan.watermark and plan.watermark not in out.columns:
        if update_time is not None:
            out[plan.watermark] = update_time
        else:
            # last change = the row's own event time; rows without one were loaded one by one
            times = [c.name for c in plan.columns if c.type == "datetime"]
            loaded = pd.Timestamp(DEFAULT_UPDATE_TIME) + pd.to_timedelta(np.arange(len(frame)), "s")
            first = pd.to_datetime(frame[times[0]]) if times else pd.Series(pd.NaT, index=frame.index)
            out[plan.watermark] = first.where(first.notna(), pd.Series(loaded, index=frame.index))
    return out


def insert_rows(
    con: pymysql.Connection, plan: TablePlan, rows: pd.DataFrame, batch: int = 5000,
    replace: bool = False,
) -> dict[str, int]:
    """Insert (or upsert with ``replace``) source-named rows into their shards."""
    types = {c.source: c.type for c in plan.columns}
    types.setdefault(plan.watermark or "", "datetime")
    key = plan.source_key[0]
    shard_idx = np.array([shard_of(k, len(plan.shards)) for k in rows[key].tolist()])
    verb = "REPLACE" if replace else "INSERT"
    counts = {}
    with con.cursor() as cur:
        for i, shard in enumerate(plan.shards):
            part = rows[shard_idx == i]
            columns = list(part.columns)
            values = list(zip(*(_python(part[c], types.get(c, "string")) for c in columns), strict=True))
            sql = (f"{verb} INTO {quote(plan.database)}.{quote(shard)} "
                   f"({', '.join(quote(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})")
            for start in range(0, len(values), batch):
                cur.executemany(sql, values[start:start + batch])
            counts[plan.qualified(shard)] = len(values)
    con.commit()
    return counts


def load_rows(con: pymysql.Connection, plan: TablePlan, rows: pd.DataFrame, tmpdir: Path) -> int:
    """Bulk-load source-named rows into their shards with LOAD DATA LOCAL INFILE (fast path)."""
    types = {c.source: c.type for c in plan.columns}
    key = plan.source_key[0]
    shard_idx = np.array([shard_of(k, len(plan.shards)) for k in rows[key].tolist()])
    out = rows.copy()
    for c in out.columns:
        t = types.get(c, "datetime")
        if t == "bool":
            out[c] = out[c].map(lambda v: None if pd.isna(v) else int(bool(v))).astype("Int64")
        elif t in ("datetime", "date") or pd.api.types.is_datetime64_any_dtype(out[c]):
            fmt = "%Y-%m-%d" if t == "date" else "%Y-%m-%d %H:%M:%S.%f"
            out[c] = pd.to_datetime(out[c]).dt.strftime(fmt)
        elif out[c].dtype == object:
            bad = out[c].dropna().astype(str).str.contains(r"[\t\n\\]", regex=True)
            if bad.any():
                raise ValueError(f"{plan.name}.{c}: tabs, newlines or backslashes; use insert_rows")
    with con.cursor() as cur:
        for i, shard in enumerate(plan.shards):
            path = tmpdir / f"{plan.database}.{shard}.tsv"
            out[shard_idx == i].to_csv(path, sep="\t", header=False, index=False, na_rep="\\N")
            cols = ", ".join(quote(c) for c in out.columns)
            cur.execute(
                f"LOAD DATA LOCAL INFILE %s INTO TABLE {quote(plan.database)}.{quote(shard)} "
                f"CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n' ({cols})",
                (str(path),),
            )
            path.unlink()
    con.commit()
    return len(out)


def read_demo_tables(store_file: Path, names: Iterable[str]) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(store_file), read_only=True)
    try:
        have = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        return {n: con.execute(f'SELECT * FROM "{n}"').df() for n in names if n in have}
    finally:
        con.close()


def mirror_store(
    con: pymysql.Connection, plans: list[TablePlan], store_file: Path, tmpdir: Path
) -> dict[str, int]:
    """Create every planned table (all shards) and bulk-load the demo store's rows into it.

    ``con`` must allow ``LOAD DATA LOCAL`` (``MariaDBServer.admin()`` does)."""
    frames = read_demo_tables(store_file, [p.name for p in plans])
    missing = [p.name for p in plans if p.name not in frames]
    if missing:
        raise KeyError(f"demo store {store_file} has no table(s) {missing}")
    rows = {}
    with con.cursor() as cur:
        for plan in plans:
            create_tables(cur, plan)
    tmpdir.mkdir(parents=True, exist_ok=True)
    for plan in plans:
        rows[plan.name] = load_rows(con, plan, source_rows(plan, frames[plan.name]), tmpdir)
    return rows
