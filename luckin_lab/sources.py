"""One interface over every place raw tables can live.

``open_store("duckdb:data/demo/seed/store.duckdb")``, ``open_store("folder:extracts/")``
(Parquet or CSV files named after the contract tables) or ``open_store("sql:mysql+pymysql://...")``
all give a :class:`DataStore`. Analyses ask it for tables by contract name and get Ibis
expressions executed by the source's engine; every table is validated against its contract
the first time it is read (its contract, then its ``references:`` foreign keys against the
tables present), and every row an analysis excludes is counted in
:attr:`DataStore.exclusions` so reports can show it.

A folder holds exactly one file (or one folder of Parquet parts) per table: a second
candidate for the same table (``orders.parquet`` beside ``orders.v2.parquet`` or
``orders.csv``) is an error naming both, never a silent choice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote_plus

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from luckin_lab.contracts import (
    Contract,
    ContractViolation,
    Failure,
    ValidationResult,
    get_contract,
    validate,
)
from luckin_lab.paths import data_dir, demo_store_dir
from luckin_lab.secrets import expand_env, redact, referenced_env

_IBIS_TYPES = {
    "int64": "int64",
    "float64": "float64",
    "string": "string",
    "bool": "boolean",
    "datetime": "timestamp",
    "date": "timestamp",
}

OnError = Literal["raise", "quarantine"]
TABLE_SUFFIXES = (".parquet", ".csv")


class SourceError(ValueError):
    """A source cannot be read as contract tables; the message says which file and why."""


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
    database: str | None = None  # the catalog database of a spark:catalog/ source
    on_error: OnError = "raise"
    quarantine_dir: Path | None = None
    as_of: pd.Timestamp | None = None
    exclusions: list[Exclusion] = field(default_factory=list)
    flags: list[Exclusion] = field(default_factory=list)
    _validated: dict[str, ValidationResult] = field(default_factory=dict)
    _exprs: dict[str, ir.Table] = field(default_factory=dict)
    _keys: dict[str, pd.Series] = field(default_factory=dict)
    _quarantine_run: Path | None = None

    # -- access -----------------------------------------------------------------
    def has(self, name: str) -> bool:
        return name in self.tables_available

    def raw(self, name: str) -> ir.Table:
        """The source table as stored, before contract casts (for extract and debugging)."""
        if name not in self.tables_available:
            raise KeyError(
                f"table '{name}' not found in {redact(self.uri)}; available: {sorted(self.tables_available)}"
            )
        if self.database is not None:
            return self.con.table(self.tables_available[name], database=self.database)
        return self.con.table(self.tables_available[name])

    def table(self, name: str) -> ir.Table:
        """Contract-typed, validated table as an Ibis expression (validated once per store)."""
        if name in self._exprs:
            return self._exprs[name]
        contract = get_contract(name)
        expr = _rename_source_columns(self.raw(name), contract)
        frame = engine_frame(expr, sort=False)
        if contract.primary_key and set(contract.primary_key) <= set(frame.columns):
            frame = _sorted_rows(frame, contract.primary_key)  # one order on every engine
        if frame.empty:
            raise SourceError(
                f"Table '{name}' in {redact(self.uri)} has no rows; an empty table cannot be "
                "validated or analysed (re-extract it, or remove the file if it is not meant to be there)"
            )
        result = validate(frame, contract, on_error=self.on_error, as_of=self.as_of)
        orphans = self._check_references(contract, result)
        expr = _cast_to_contract(expr, contract)
        self._validated[name] = result
        for flag in result.flags:  # kept rows: counted apart from exclusions
            self.flags.append(Exclusion(name, f"kept but flagged: {flag.reason}", flag.n_rows))
        if result.n_quarantined:
            self._write_quarantine(result)
            for reason, rows in _quarantine_reasons(result.quarantined, orphans).items():
                self.exclusions.append(Exclusion(name, reason, rows))
        if result.n_quarantined or _has_aware_timestamps(expr, contract):
            expr = ibis.memtable(result.frame.reset_index(drop=True))
        self._exprs[name] = expr
        return expr

    def _reference_keys(self, ref: str) -> pd.Series | None:
        """Distinct values of a referenced ``table.column`` (None when the table is absent)."""
        if ref not in self._keys:
            table, column = ref.split(".")
            if not self.has(table):
                return None
            target = _rename_source_columns(self.raw(table), get_contract(table))
            if column not in target.columns:
                return None  # the referenced table fails its own contract when it is read
            self._keys[ref] = target.select(column).distinct().to_pandas()[column].dropna()
        return self._keys[ref]

    def _check_references(self, contract: Contract, result: ValidationResult) -> int:
        """Foreign keys: values with no row in the referenced table are orphans.

        They fail the table (count and examples), or with quarantine are set aside like
        any failing row. Returns the number of rows quarantined for this reason.
        """
        frame = result.frame
        failures: list[Failure] = []
        bad = pd.Series(False, index=frame.index)
        reasons = pd.Series("", index=frame.index)
        for name, spec in contract.columns.items():
            if not spec.references or name not in frame.columns:
                continue
            keys = self._reference_keys(spec.references)
            if keys is None:
                continue
            values = frame[name]
            orphan = values.notna() & ~_comparable(values, keys).isin(_comparable(keys, values))
            if orphan.any():
                rows = frame.index[orphan.to_numpy()]
                examples = [f"row {i} {name}={_plain(frame.at[i, name])!r}" for i in rows[:3]]
                failures.append(Failure(name, f"references {spec.references}", len(rows), examples))
                bad |= orphan
                reasons = reasons.where(~orphan, reasons + f"{name}: references {spec.references}; ")
        if not failures:
            return 0
        if self.on_error == "raise":
            raise ContractViolation(contract, failures, pd.DataFrame())
        moved = frame.loc[bad.to_numpy()].assign(_reason=reasons[bad].str.rstrip("; "))
        result.quarantined = pd.concat([result.quarantined, moved])
        result.frame = frame.loc[~bad.to_numpy()]
        return int(bad.sum())

    def load(self, name: str) -> pd.DataFrame:
        """The validated table as pandas (for analysis-grain tables only)."""
        self.table(name)
        return self._validated[name].frame.reset_index(drop=True)

    def execute(self, expr: ir.Expr) -> pd.DataFrame:
        """Pandas at analysis grain, the same on every engine (see :func:`engine_frame`)."""
        if isinstance(expr, ir.Table):
            return engine_frame(expr)
        value = expr.execute()
        return pd.Timestamp(value) if isinstance(value, dt.datetime | dt.date) else value

    def exclude(self, table: str, reason: str, rows: int) -> None:
        """Record rows an analysis leaves out, so the report can say so."""
        self.exclusions.append(Exclusion(table, reason, int(rows)))

    def exclusions_frame(self) -> pd.DataFrame:
        """Rows left out, by table and reason (every report's data-quality section)."""
        return pd.DataFrame(
            [(e.table, e.reason, e.rows) for e in self.exclusions],
            columns=["table", "reason", "rows"],
        ).drop_duplicates()

    def flags_frame(self) -> pd.DataFrame:
        """Rows kept although beyond a contract's plausible bound (``flag_above``/``flag_below``)."""
        return pd.DataFrame(
            [(e.table, e.reason, e.rows) for e in self.flags], columns=["table", "reason", "rows"]
        ).drop_duplicates()

    # -- provenance -----------------------------------------------------------------
    def fingerprint(self) -> dict:
        """Row counts and a content hash of every table read so far (for run records)."""
        tables = {}
        for name, res in self._validated.items():
            frame = res.frame
            tables[name] = {"rows": len(frame), "sha256_16": frame_digest(_sorted_rows(frame)),
                            "quarantined": res.n_quarantined}
        blob = json.dumps(tables, sort_keys=True).encode()
        return {
            "uri": redact(self.uri),
            "snapshot": _snapshot_of(self.uri),
            "tables": tables,
            "sha256_16": hashlib.sha256(blob).hexdigest()[:16],
        }

    # -- quarantine -------------------------------------------------------------------
    @property
    def quarantine_root(self) -> Path:
        return Path(self.quarantine_dir or data_dir() / "quarantine")

    def quarantine_run(self) -> Path:
        """This store's own quarantine folder ``<root>/<UTC time>-<pid>/``: never overwritten."""
        if self._quarantine_run is None:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
            self._quarantine_run = self.quarantine_root / f"{stamp}-{os.getpid()}"
        return self._quarantine_run

    def _write_quarantine(self, result: ValidationResult) -> None:
        folder = self.quarantine_run()
        folder.mkdir(parents=True, exist_ok=True)
        result.quarantined.to_parquet(folder / f"{result.table}.parquet")

    def record_quarantine(self) -> Path:
        """Write ``<root>/latest.json``: what the latest check set aside, 0 rows included.

        Called at the end of ``luckin-lab validate``, so a clean check replaces the record of
        an earlier dirty one instead of leaving its files looking current.
        """
        tables = {name: {"rows_in": res.n_input, "quarantined": res.n_quarantined}
                  for name, res in self._validated.items()}
        dirty = any(t["quarantined"] for t in tables.values())
        doc = {"source": redact(self.uri),
               "checked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
               "folder": str(self.quarantine_run()) if dirty else None, "tables": tables}
        root = self.quarantine_root
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f".latest.{os.getpid()}.json"
        tmp.write_text(json.dumps(doc, indent=2))
        tmp.replace(root / "latest.json")
        return root / "latest.json"


def engine_frame(expr: ir.Table, sort: bool = True) -> pd.DataFrame:
    """An Ibis table as pandas, in one form whatever engine ran it.

    Engines differ at the boundary: DuckDB gives timestamps in microseconds and Spark in
    nanoseconds; an integer column with nulls may come back as floats with NaN or as objects
    holding None; a table without ``order_by`` comes back in whatever order the engine
    finished. Here timestamps are nanoseconds, integers with nulls are floats with NaN
    (pandas' own convention), floats are floats, and rows of an unordered result are sorted
    by every column, so the same data give the same frame (and the same fingerprint).
    """
    frame = expr.to_pandas()
    for name, dtype in expr.schema().items():
        s = frame[name]
        if pd.api.types.is_datetime64_any_dtype(s):
            tz = getattr(s.dt, "tz", None)
            frame[name] = s.astype(pd.DatetimeTZDtype("ns", tz) if tz else "datetime64[ns]")
        elif (dtype.is_integer() or dtype.is_floating() or dtype.is_null()) and s.dtype == object:
            frame[name] = pd.to_numeric(s.where(s.notna(), np.nan), errors="coerce").astype("float64")
        elif dtype.is_integer() and str(s.dtype) == "Int64":
            frame[name] = s.astype("float64") if s.isna().any() else s.astype("int64")
    if sort and not _is_ordered(expr.op()) and len(frame.columns):
        frame = _sorted_rows(frame)
    return frame


def _is_ordered(op: ops.Node) -> bool:
    """Whether the table ends in an ``order_by`` (possibly under a limit, select or filter)."""
    while isinstance(op, ops.Limit | ops.Project | ops.Filter | ops.DropColumns):
        op = op.parent
    return isinstance(op, ops.Sort)


def _sorted_rows(frame: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Rows sorted by ``by`` (default: every orderable column), stable, index reset."""
    cols = [c for c in (by or frame.columns)
            if frame[c].dtype != object
            or pd.api.types.infer_dtype(frame[c], skipna=True) in ("string", "empty")]
    if not cols:
        return frame
    try:
        out = frame.sort_values(cols, kind="mergesort", na_position="last")
    except TypeError:  # mixed objects that do not compare: keep the engine's order
        return frame
    return out.reset_index(drop=True)


def _plain(v: object) -> object:
    return v.item() if hasattr(v, "item") else v


def _comparable(values: pd.Series, other: pd.Series) -> pd.Series:
    """Key values in a form comparable with ``other`` (int keys vs their text, e.g. varchar ids)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_numeric_dtype(other):
        return values.astype("Int64").astype(str)
    return values.astype(str) if not pd.api.types.is_numeric_dtype(values) else values


def _quarantine_reasons(quarantined: pd.DataFrame, orphans: int) -> dict[str, int]:
    contract_rows = len(quarantined) - orphans
    out = {}
    if contract_rows:
        out["failed its contract (quarantined)"] = contract_rows
    if orphans:
        out["key not found in the referenced table (quarantined)"] = orphans
    return out


def _has_aware_timestamps(expr: ir.Table, contract: Contract) -> bool:
    """Timezone-aware columns: the engine cannot apply the contract's timezone rule itself."""
    return any(expr[n].type().is_timestamp() and expr[n].type().timezone is not None
               for n in contract.columns if n in expr.columns)


def frame_digest(frame: pd.DataFrame) -> str:
    """Content hash of a frame (row order matters, index does not): the data fingerprint
    (:meth:`DataStore.fingerprint` sorts the rows first, so it is the same on every engine)."""
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


def write_parquet_us(frame: pd.DataFrame, path: Path) -> Path:
    """Parquet every engine reads: timestamps in microseconds, as DuckDB stores them.

    pandas writes nanoseconds, which Spark refuses (``TIMESTAMP(NANOS)``); microseconds
    are the finest unit MySQL, DuckDB and Spark share, so nothing a source holds is lost.
    """
    frame.to_parquet(path, index=False, coerce_timestamps="us", allow_truncated_timestamps=True)
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
    """After validation, give the engine the contract types.

    varchar order_id -> int64, and what MySQL sends: TINYINT(1) booleans, DECIMAL and
    UNSIGNED integers (the values were checked by the contract, so the casts are lossless).
    """
    casts = {}
    for name, spec in contract.columns.items():
        if name not in expr.columns:
            continue
        want = _IBIS_TYPES[spec.type]
        have = expr[name].type()
        if want == "int64" and have.is_string():
            casts[name] = expr[name].strip().cast("int64")
        elif want == "int64" and (have.is_unsigned_integer() or have.is_integer() and have != ibis.dtype("int64")):
            casts[name] = expr[name].cast("int64")
        elif want == "float64" and (have.is_integer() or have.is_decimal()):
            casts[name] = expr[name].cast("float64")
        elif want == "boolean" and have.is_integer():
            casts[name] = expr[name] != 0
        elif want == "string" and have.is_integer():
            casts[name] = expr[name].cast("string")
        elif want == "timestamp" and have.is_date():
            casts[name] = expr[name].cast("timestamp")
    return expr.mutate(**casts) if casts else expr


def _snapshot_of(uri: str) -> dict | None:
    """For a folder store written by `luckin-lab extract`: which snapshot it is (snapshot.json).

    ``folder:data/snapshots/company/latest`` resolves to the dated folder it points at, so a
    run record names the exact snapshot even when the params file says ``latest``.
    """
    kind, _, location = uri.partition(":")
    if kind == "spark" and location.startswith("folder/"):
        kind, location = "folder", location.removeprefix("folder/")
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
    as_of: pd.Timestamp | str | None = None,
    session: Any | None = None,
) -> DataStore:
    """Open a source by URI: ``duckdb:<file>``, ``folder:<dir>``, ``sql:<url>``,
    ``spark:folder/<dir>`` or ``spark:catalog/<database>``.

    ``session``: a SparkSession a notebook already holds, for ``spark:`` URIs; given
    alone (``open_store(session=spark)``) it reads the session's current database.
    ``as_of`` is the run date no timestamp may pass (default: today, UTC).
    """
    database = None
    if session is not None and uri is None:
        uri = "spark:session"
    uri = uri or default_store_uri()
    kind, _, location = uri.partition(":")
    if session is not None and kind != "spark":
        raise ValueError(f"a SparkSession was given with the non-Spark source '{redact(uri)}'")
    if kind == "duckdb":
        path = Path(location)
        if not path.exists():
            raise FileNotFoundError(
                f"DuckDB store {path} does not exist; build it with `luckin-lab synth` or `make data`"
            )
        con = ibis.duckdb.connect(str(path), read_only=True)
        tables = {t: t for t in con.list_tables()}
    elif kind == "folder":
        con, tables = _open_folder(Path(location))
    elif kind == "sql":
        con = connect_sql(location)
        tables = {t: t for t in con.list_tables()}
    elif kind == "spark":
        from luckin_lab.spark_source import open_spark

        con, tables, database = open_spark(location, session)
    else:
        raise ValueError(f"unknown source kind '{kind}' in '{redact(uri)}'; "
                         "use duckdb:, folder:, sql: or spark:")
    stamp = pd.Timestamp(as_of) if as_of is not None else None
    return DataStore(uri, con, tables, database=database, on_error=on_error,
                     quarantine_dir=quarantine_dir, as_of=stamp)


def table_files(folder: Path) -> dict[str, list[Path]]:
    """Candidate files per table name (the text before the first dot) in an extract folder."""
    found: dict[str, list[Path]] = {}
    for f in sorted(folder.iterdir()):
        if f.name.startswith((".", "_")):
            continue
        if f.suffix in TABLE_SUFFIXES or f.is_dir() and any(f.glob("*.parquet")):
            found.setdefault(f.name.split(".")[0], []).append(f)
    return found


def check_folder(folder: Path) -> dict[str, list[Path]]:
    """The one file (or folder of parts) per table of an extract folder; a clash is an error."""
    if not folder.is_dir():
        raise FileNotFoundError(f"extract folder {folder} does not exist")
    candidates = table_files(folder)
    clashes = {t: fs for t, fs in candidates.items() if len(fs) > 1}
    if clashes:
        lines = [f"  - table '{t}': {', '.join(f.name for f in fs)}" for t, fs in clashes.items()]
        raise SourceError(
            f"folder {folder} holds more than one file for a table; keep exactly one "
            "(<table>.parquet, <table>.csv or a <table>/ folder of Parquet parts) and move the "
            "others out:\n" + "\n".join(lines)
        )
    return candidates


def _open_folder(folder: Path) -> tuple[ibis.BaseBackend, dict[str, str]]:
    candidates = check_folder(folder)
    con = ibis.duckdb.connect()
    for name, (f,) in candidates.items():
        if f.is_dir():
            con.read_parquet(str(f / "*.parquet"), table_name=name)
        elif f.suffix == ".parquet":
            con.read_parquet(str(f), table_name=name)
        else:
            _read_csv(con, f, name)
    return con, {name: name for name in candidates}


def _read_csv(con: ibis.BaseBackend, path: Path, name: str) -> None:
    """CSV files must be UTF-8; any other encoding is named instead of a raw engine error."""
    try:
        con.read_csv(str(path), table_name=name)
    except Exception as err:  # duckdb raises its own InvalidInputException
        if "utf-8" not in str(err).lower() and "unicode" not in str(err).lower():
            raise
        guess = _guess_encoding(path)
        raise SourceError(
            f"file {path} is not UTF-8 encoded (it reads as {guess}); save it as UTF-8 "
            "(e.g. `iconv -f latin1 -t utf-8`, or 'CSV UTF-8' in Excel) and run again"
        ) from None


def _guess_encoding(path: Path) -> str:
    data = path.read_bytes()[:1_000_000]
    for enc in ("utf-16", "cp1252"):
        try:
            data.decode(enc)
            return {"utf-16": "UTF-16", "cp1252": "latin-1 / Windows-1252"}[enc]
        except UnicodeDecodeError:
            continue
    return "latin-1"


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MYSQL_SCHEMES = ("mysql", "mariadb")


def _mask(text: str, secrets: list[str]) -> str:
    """Every form of the URL's own secrets masked, however short (redact skips short values)."""
    for secret in sorted({*secrets, *(quote_plus(v) for v in secrets)}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def connect_sql(location: str) -> ibis.BaseBackend:
    """Connect to a ``sql:`` URL; ``${VAR}`` placeholders are expanded only here.

    ``mysql://``, ``mysql+pymysql://`` and ``mariadb://`` all reach Ibis's MySQL backend
    (its driver is mysqlclient; the ``+driver`` part of a SQLAlchemy-style URL is dropped).
    No error raised from here contains the expanded password: the message carries the URL
    as used with its password masked (``user:***@``), and any secret value is masked.
    """
    expand_env(location)  # a clear error naming any variable that is not set
    secrets = [os.environ[v] for v in referenced_env(location) if os.environ[v]]
    url = _PLACEHOLDER.sub(lambda m: quote_plus(os.environ[m.group(1)]), location)
    shown = _mask(redact(url, extra=secrets), secrets)  # the URL as given, password masked
    scheme, sep, rest = url.partition("://")
    base = scheme.split("+", 1)[0].lower()
    if sep and base in _MYSQL_SCHEMES:
        url = f"mysql://{rest}"
    try:
        return ibis.connect(url)
    except ModuleNotFoundError as err:
        raise SourceError(
            f"cannot open {shown}: the database driver is not installed ({err.name}); "
            "reinstall the workspace (`make env`), which installs mysqlclient for MySQL/MariaDB"
        ) from None
    except Exception as err:
        text = _mask(f"{type(err).__name__}: {err}", secrets)
        raise SourceError(f"cannot open {shown}: {redact(text, extra=secrets)}") from None
