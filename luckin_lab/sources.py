"""One interface over every place raw tables can live.

``open_store("duckdb:data/demo/seed/store.duckdb")``, ``open_store("folder:extracts/")``
(Parquet or CSV files named after the contract tables) or ``open_store("sql:mysql+pymysql://...")``
all give a :class:`DataStore`. Analyses ask it for tables by contract name and get Ibis
expressions executed by the source's engine; every table is validated against its contract
the first time it is read, and every row an analysis excludes is counted in
:attr:`DataStore.exclusions` so reports can show it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from luckin_lab.contracts import Contract, ValidationResult, get_contract, validate
from luckin_lab.paths import ROOT, demo_store_dir
from luckin_lab.secrets import expand_env, redact

_IBIS_TYPES = {
    "int64": "int64",
    "float64": "float64",
    "string": "string",
    "bool": "boolean",
    "datetime": "timestamp",
    "date": "timestamp",
}

OnError = Literal["raise", "quarantine"]


@dataclass
class Exclusion:
    table: str
    reason: str
    rows: int


@dataclass
class DataStore:
    """Validated, contract-typed access to the raw tables of one source."""

    uri: str
    con: ibis.BaseBackend
    tables_available: dict[str, str]
    on_error: OnError = "raise"
    quarantine_dir: Path | None = None
    exclusions: list[Exclusion] = field(default_factory=list)
    _validated: dict[str, ValidationResult] = field(default_factory=dict)
    _exprs: dict[str, ir.Table] = field(default_factory=dict)

    # -- access -----------------------------------------------------------------
    def has(self, name: str) -> bool:
        return name in self.tables_available

    def raw(self, name: str) -> ir.Table:
        """The source table as stored, before contract casts (for extract and debugging)."""
        if name not in self.tables_available:
            raise KeyError(
                f"table '{name}' not found in {self.uri}; available: {sorted(self.tables_available)}"
            )
        return self.con.table(self.tables_available[name])

    def table(self, name: str) -> ir.Table:
        """Contract-typed, validated table as an Ibis expression (validated once per store)."""
        if name in self._exprs:
            return self._exprs[name]
        contract = get_contract(name)
        expr = _rename_source_columns(self.raw(name), contract)
        result = validate(expr.to_pandas(), contract, on_error=self.on_error)
        expr = _cast_to_contract(expr, contract)
        self._validated[name] = result
        if result.n_quarantined:
            self._write_quarantine(result)
            self.exclusions.append(
                Exclusion(name, "failed its contract (quarantined)", result.n_quarantined)
            )
            expr = ibis.memtable(result.frame.reset_index(drop=True))
        self._exprs[name] = expr
        return expr

    def load(self, name: str) -> pd.DataFrame:
        """The validated table as pandas (for analysis-grain tables only)."""
        self.table(name)
        return self._validated[name].frame.reset_index(drop=True)

    def execute(self, expr: ir.Expr) -> pd.DataFrame:
        return expr.to_pandas() if isinstance(expr, ir.Table) else expr.execute()

    def exclude(self, table: str, reason: str, rows: int) -> None:
        """Record rows an analysis leaves out, so the report can say so."""
        self.exclusions.append(Exclusion(table, reason, int(rows)))

    def exclusions_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(e.table, e.reason, e.rows) for e in self.exclusions],
            columns=["table", "reason", "rows"],
        ).drop_duplicates()

    # -- provenance -----------------------------------------------------------------
    def fingerprint(self) -> dict:
        """Row counts and a content hash of every table read so far (for run records)."""
        tables = {}
        for name, res in self._validated.items():
            frame = res.frame
            tables[name] = {"rows": len(frame), "sha256_16": frame_digest(frame),
                            "quarantined": res.n_quarantined}
        blob = json.dumps(tables, sort_keys=True).encode()
        return {
            "uri": redact(self.uri),
            "snapshot": _snapshot_of(self.uri),
            "tables": tables,
            "sha256_16": hashlib.sha256(blob).hexdigest()[:16],
        }

    def _write_quarantine(self, result: ValidationResult) -> None:
        qdir = self.quarantine_dir or (ROOT / "data" / "quarantine")
        qdir.mkdir(parents=True, exist_ok=True)
        result.quarantined.to_parquet(qdir / f"{result.table}.parquet")


def frame_digest(frame: pd.DataFrame) -> str:
    """Content hash of a frame (row order matters, index does not): the data fingerprint."""
    return hashlib.sha256(
        pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
    ).hexdigest()[:16]


def write_duckdb(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Write frames as tables of a new DuckDB file (replacing it): a store ``open_store`` reads."""
    import duckdb

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        for name, df in tables.items():
            con.register("_frame", df)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
            con.unregister("_frame")
    finally:
        con.close()
    return path


def _rename_source_columns(expr: ir.Table, contract: Contract) -> ir.Table:
    """Source systems' column names (e.g. ``user_no``) become the contract's names."""
    renames = {
        name: spec.source_column
        for name, spec in contract.columns.items()
        if spec.source_column and spec.source_column in expr.columns and name not in expr.columns
    }
    return expr.rename(renames) if renames else expr


def _cast_to_contract(expr: ir.Table, contract: Contract) -> ir.Table:
    """After validation, give the engine the contract types (e.g. varchar order_id -> int64)."""
    casts = {}
    for name, spec in contract.columns.items():
        if name not in expr.columns:
            continue
        want = _IBIS_TYPES[spec.type]
        have = expr[name].type()
        if want == "int64" and have.is_string():
            casts[name] = expr[name].strip().cast("int64")
        elif want == "float64" and have.is_integer():
            casts[name] = expr[name].cast("float64")
        elif want == "timestamp" and have.is_date():
            casts[name] = expr[name].cast("timestamp")
    return expr.mutate(**casts) if casts else expr


def _snapshot_of(uri: str) -> dict | None:
    """For a folder store written by `luckin-lab extract`: which snapshot it is (snapshot.json).

    ``folder:data/snapshots/company/latest`` resolves to the dated folder it points at, so a
    run record names the exact snapshot even when the params file says ``latest``.
    """
    kind, _, location = uri.partition(":")
    manifest = Path(location) / "snapshot.json"
    if kind != "folder" or not manifest.is_file():
        return None
    doc = json.loads(manifest.read_text())
    keys = ("id", "completed", "mode", "base", "pii", "content_sha256_16")
    return {"path": str(Path(location).resolve()), **{k: doc.get(k) for k in keys}}


def default_store_uri() -> str:
    return os.environ.get(
        "LUCKIN_LAB_SOURCE", f"duckdb:{demo_store_dir('seed') / 'store.duckdb'}"
    )


def open_store(
    uri: str | None = None,
    on_error: OnError = "raise",
    quarantine_dir: Path | None = None,
) -> DataStore:
    """Open a source by URI: ``duckdb:<file>``, ``folder:<dir>`` or ``sql:<sqlalchemy url>``."""
    uri = uri or default_store_uri()
    kind, _, location = uri.partition(":")
    if kind == "duckdb":
        path = Path(location)
        if not path.exists():
            raise FileNotFoundError(
                f"DuckDB store {path} does not exist; build it with `luckin-lab synth` or `make data`"
            )
        con = ibis.duckdb.connect(str(path), read_only=True)
        tables = {t: t for t in con.list_tables()}
    elif kind == "folder":
        folder = Path(location)
        if not folder.is_dir():
            raise FileNotFoundError(f"extract folder {folder} does not exist")
        con = ibis.duckdb.connect()
        tables = {}
        for f in sorted(folder.iterdir()):
            stem = f.name.split(".")[0]
            if f.suffix == ".parquet" or f.is_dir() and any(f.glob("*.parquet")):
                src = str(f / "*.parquet") if f.is_dir() else str(f)
                con.read_parquet(src, table_name=stem)
            elif f.suffix == ".csv":
                con.read_csv(str(f), table_name=stem)
            else:
                continue
            tables[stem] = stem
    elif kind == "sql":
        # ${VAR} placeholders are expanded only here, so passwords never reach notebooks or run records
        con = ibis.connect(expand_env(location))
        tables = {t: t for t in con.list_tables()}
    else:
        raise ValueError(f"unknown source kind '{kind}' in '{uri}'; use duckdb:, folder: or sql:")
    return DataStore(uri, con, tables, on_error=on_error, quarantine_dir=quarantine_dir)
