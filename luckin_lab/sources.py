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

from luckin_lab.contracts import Contract, get_contract
from luckin_lab.engine_checks import CheckedTable, check_table, table_fingerprint
from luckin_lab.paths import data_dir, demo_store_dir
from luckin_lab.secrets import expand_env, redact, referenced_env

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
    _checked: dict[str, CheckedTable] = field(default_factory=dict)
    _fingerprints: dict[str, dict] = field(default_factory=dict)
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
        """Contract-typed, validated table as an Ibis expression (validated once per store).

        The contract's checks and foreign keys run inside the engine (counts and a few
        examples by key; see ``luckin_lab.engine_checks``): nothing is collected. With
        quarantine, failing rows are written to this store's quarantine folder and the
        expression keeps the others (an engine-side filter).
        """
        if name in self._checked:
            return self._checked[name].expr
        contract = get_contract(name)
        expr = _rename_source_columns(self.raw(name), contract)

        def empty(_: int) -> None:
            raise SourceError(
                f"Table '{name}' in {redact(self.uri)} has no rows; an empty table cannot be "
                "validated or analysed (re-extract it, or remove the file if it is not meant to be there)"
            )

        checked = check_table(
            expr, contract, as_of=self.as_of, on_error=self.on_error,
            references=self._references(contract), aware=self._aware_columns(name),
            on_empty=empty)
        self._checked[name] = checked
        for flag in checked.flags:  # kept rows: counted apart from exclusions
            self.flags.append(Exclusion(name, f"kept but flagged: {flag.reason}", flag.n_rows))
        if checked.n_quarantined:
            self._write_quarantine(checked)
            for reason, rows in checked.reasons.items():
                self.exclusions.append(Exclusion(name, reason, rows))
        return checked.expr

    def checked(self, name: str) -> CheckedTable:
        """What validating ``name`` found: rows in and kept, quarantined, flagged."""
        self.table(name)
        return self._checked[name]

    def _references(self, contract: Contract) -> dict[str, ir.Table]:
        """The referenced key columns this source holds (``table.column`` -> distinct keys)."""
        out = {}
        for spec in contract.columns.values():
            if not spec.references:
                continue
            table, column = spec.references.split(".")
            if not self.has(table):
                continue
            target = _rename_source_columns(self.raw(table), get_contract(table))
            if column in target.columns:  # else the referenced table fails its own contract
                out[spec.references] = target.select(column).distinct()
        return out

    def _aware_columns(self, name: str) -> frozenset[str]:
        """Timestamp columns holding instants although the engine's type does not say so."""
        if self.con.name != "pyspark":
            return frozenset()
        from luckin_lab.spark_source import instant_columns

        return instant_columns(self.con, self.tables_available[name], self.database)

    def load(self, name: str) -> pd.DataFrame:
        """The validated table as pandas (for analysis-grain tables only), in key order."""
        expr = self.table(name)
        key = [k for k in get_contract(name).primary_key if k in expr.columns]
        return engine_frame(expr.order_by(key) if key else expr)

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
        """Row counts and a content hash of every table read so far (for run records).

        Computed in the engine (one aggregate per table, cached): the same on DuckDB and
        Spark for the same data.
        """
        tables = {}
        for name, res in self._checked.items():
            if name not in self._fingerprints:
                rows, digest = table_fingerprint(res.expr, res.contract)
                self._fingerprints[name] = {"rows": rows, "sha256_16": digest,
                                            "quarantined": res.n_quarantined}
            tables[name] = self._fingerprints[name]
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

    def _write_quarantine(self, checked: CheckedTable) -> None:
        """The failing rows and their reasons, streamed from the engine in batches."""
        import pyarrow.parquet as pq

        folder = self.quarantine_run()
        folder.mkdir(parents=True, exist_ok=True)
        reader = checked.quarantined.to_pyarrow_batches()
        with pq.ParquetWriter(folder / f"{checked.table}.parquet", reader.schema,
                              coerce_timestamps="us", allow_truncated_timestamps=True) as out:
            for batch in reader:
                out.write_batch(batch)

    def record_quarantine(self) -> Path:
        """Write ``<root>/latest.json``: what the latest check set aside, 0 rows included.

        Called at the end of ``luckin-lab validate``, so a clean check replaces the record of
        an earlier dirty one instead of leaving its files looking current.
        """
        tables = {name: {"rows_in": res.n_input, "quarantined": res.n_quarantined}
                  for name, res in self._checked.items()}
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


def frame_digest(frame: pd.DataFrame) -> str:
    """Content hash of a pandas frame (row order matters, index does not), for extract
    snapshots; a store's data fingerprint is computed in its engine (:meth:`DataStore.fingerprint`)."""
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
