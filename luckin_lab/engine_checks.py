"""Contracts compiled to checks the engine runs: failure counts and a few rows by key.

Validation must work where the data cannot be collected onto one machine (Spark, a
warehouse), so a contract becomes Ibis expressions the source's engine evaluates:

- the table's shape (missing, extra or wrongly typed columns) from the schema alone;
- every row-level check (casts of text ids, nulls, allowed values, ranges, patterns, ``inf``,
  timestamps before the company or after the run date, plausible-bound flags) as one boolean
  per check, all counted in **one aggregate query** (a single scan of the table);
- keys that repeat and foreign keys without a row in the referenced table as a group-by and
  an anti-join, counted the same way;
- for each failing check only, a few example rows (``LIMIT 3``), named by primary key.

The data fingerprint (:func:`table_fingerprint`: row count and order-independent sums of a
per-row hash) is one more aggregate, the same on DuckDB and Spark for the same data. With quarantine, the good rows stay an Ibis expression (a filter
on the failing checks) and the failing rows, with their reasons, are another expression the
store writes out in batches. Nothing here collects a whole table.

pandera's Ibis backend (``pandera.ibis``) was considered: it runs one query per check and, on
a failure, collects every failure case and the whole per-row check output into pandas, and it
identifies rows by position, which an engine does not have.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

import ibis
import ibis.expr.datatypes as dtypes
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from luckin_lab.contracts import Contract, ContractViolation, Failure, Flag, display_path

OnError = Literal["raise", "quarantine"]
ROW = "__row"  # position of a row in a pandas frame validated through the engine
N_EXAMPLES = 3
_INT64_MAX = np.iinfo("int64").max

_CONTRACT_TYPES = {
    "int64": dtypes.int64, "float64": dtypes.float64, "string": dtypes.string,
    "bool": dtypes.boolean, "datetime": dtypes.Timestamp(), "date": dtypes.Timestamp(),
}
_TYPE_NAMES = {"int64": "int64", "float64": "float64", "string": "str", "bool": "bool",
               "datetime": "datetime64[ns]", "date": "datetime64[ns]"}


@dataclass
class RowCheck:
    """One row-level check: ``fails`` is true on a failing row (never null)."""

    column: str | None
    check: str
    fails: ir.BooleanValue
    show: list[str]  # columns shown in an example beside the key
    reference: bool = False  # a foreign key: orphans are counted apart from contract failures


@dataclass
class CheckedTable:
    """A table checked in its engine: what failed, what was flagged, the rows kept."""

    contract: Contract
    expr: ir.Table  # the kept rows, contract-typed (filtered when rows were quarantined)
    n_input: int
    n_rows: int
    quarantined: ir.Table | None = None  # failing rows with ``_reason`` (quarantine only)
    n_quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)

    @property
    def table(self) -> str:
        return self.contract.table


# -- values: what a column holds, harmonised to the contract type ----------------------------------
_NO_SPECIAL_FLOATS = {"mysql"}  # engines whose floats hold no NaN or inf (and lack isnan/isinf)
_special_floats: ContextVar[bool] = ContextVar("special_floats", default=True)
_DOUBLE_MAX = ibis.literal(np.finfo("float64").max, type="float64")


@contextlib.contextmanager
def _engine(backend: str) -> Iterator[None]:
    """Build expressions for ``backend`` (whether NaN and inf exist there)."""
    token = _special_floats.set(backend not in _NO_SPECIAL_FLOATS)
    try:
        yield
    finally:
        _special_floats.reset(token)


def _present(v: ir.Value) -> ir.BooleanValue:
    """A value is there: not null, and for floats not NaN (pandas' missing value)."""
    ok = v.notnull()
    if v.type().is_floating() and _special_floats.get():
        ok = ok & ~v.isnan().fill_null(True)
    return ok


def local_wallclock(v: ir.TimestampValue, zone: str | None, backend: str) -> ir.TimestampValue:
    """The timezone rule in the engine: an aware timestamp as wall-clock time in ``zone``.

    ``zone`` None or ``"local"`` keeps the wall clock the value carries (UTC for an instant).
    """
    zone = "UTC" if zone in (None, "local") else zone
    if backend == "duckdb":
        return _duck_timezone(zone, v)
    if backend == "pyspark":
        return _spark_from_utc(v, zone).cast(dtypes.Timestamp())
    return v.cast(dtypes.Timestamp())  # engines without aware types store wall-clock time


@ibis.udf.scalar.builtin(name="timezone")
def _duck_timezone(zone: str, ts: dtypes.Timestamp(timezone="UTC")) -> dtypes.Timestamp():  # type: ignore[valid-type]
    """DuckDB's ``timezone(zone, timestamptz)``: the wall clock in ``zone``."""


@ibis.udf.scalar.builtin(name="from_utc_timestamp")
def _spark_from_utc(ts: dtypes.Timestamp(), zone: str) -> dtypes.Timestamp():  # type: ignore[valid-type]
    """Spark's ``from_utc_timestamp``: an instant shown as wall-clock time in ``zone``."""


@dataclass
class _Plan:
    """How each column becomes its contract type, and what cannot."""

    values: dict[str, ir.Value] = field(default_factory=dict)
    casts: list[RowCheck] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def _facts(t: ir.Table, exprs: dict[str, ir.Value]) -> dict[str, Any]:
    """A few numbers about columns whose type needs a look at the data (one small aggregate)."""
    if not exprs:
        return {}
    row = t.aggregate(**exprs).to_pandas().iloc[0]
    return {k: (None if pd.isna(v) else v) for k, v in row.items()}


def _plan(t: ir.Table, contract: Contract, aware: frozenset[str], backend: str) -> _Plan:
    """Harmonise types losslessly (int -> float, DECIMAL, UNSIGNED, TINYINT booleans, text ids,
    date -> timestamp, the timezone rule); anything lossy is a failure (row or whole table).

    A column with no values at all takes the contract's type whatever the engine typed it
    (DuckDB stores an empty text column as INTEGER); that, and whether integers are 0/1
    booleans, needs one small aggregate, run only when such a column is there.
    """
    plan = _Plan()
    wrong: dict[str, Failure] = {}
    for name, spec in contract.columns.items():
        if name not in t.columns:
            continue
        v, have, want = t[name], t[name].type(), spec.type
        target = _CONTRACT_TYPES[want]
        coerce = f"coerce_dtype('{_TYPE_NAMES[want]}')"
        if have.is_null():
            plan.values[name] = v.cast(target)
        elif want == "int64" and have.is_integer():
            if have.is_unsigned_integer() and have.nbytes == 8:
                plan.casts.append(RowCheck(name, coerce, (v > _INT64_MAX).fill_null(False), [name]))
                v = (v <= _INT64_MAX).ifelse(v, ibis.null())
            plan.values[name] = v if have == target else v.cast(target)
        elif want == "int64" and (have.is_floating() or have.is_decimal()):
            whole = (v == v.floor()).fill_null(False) & ~_isinf(v)
            plan.casts.append(RowCheck(name, coerce, _present(v) & ~whole, [name]))
            plan.values[name] = whole.ifelse(v, ibis.null()).cast(target)
        elif want == "int64" and have.is_string() and spec.coerce:
            digits = v.strip().re_search(r"^[+-]?[0-9]{1,18}$").fill_null(False)
            plan.casts.append(RowCheck(name, coerce, v.notnull() & ~digits, [name]))
            plan.values[name] = digits.ifelse(v.strip(), ibis.null()).cast(target)
        elif want == "float64" and have.is_string() and spec.coerce:
            num = v.strip().try_cast(target)
            plan.casts.append(RowCheck(name, coerce, v.notnull() & num.isnull(), [name]))
            plan.values[name] = num
        elif want == "float64" and have.is_numeric():
            plan.values[name] = v if have == target else v.cast(target)
        elif want == "string" and have.is_string():
            plan.values[name] = v
        elif want == "string" and spec.coerce and have.is_integer():
            plan.values[name] = v.cast(target)  # integer ids as their digits
        elif want == "string" and spec.coerce and (have.is_floating() or have.is_decimal()):
            whole = (v == v.floor()).fill_null(False) & ~_isinf(v)
            plan.casts.append(RowCheck(name, coerce, _present(v) & ~whole, [name]))
            plan.values[name] = whole.ifelse(v, ibis.null()).cast(dtypes.int64).cast(target)
        elif want == "bool" and have.is_boolean():
            plan.values[name] = v
        elif want in ("datetime", "date") and have.is_timestamp():
            if have.timezone is not None or name in aware:
                v = local_wallclock(v, contract.timezone, backend)
            plan.values[name] = v if v.type() == target else v.cast(target)
        elif want in ("datetime", "date") and have.is_date():
            plan.values[name] = v.cast(target)
        else:
            wrong[name] = Failure(name, f"dtype('{_TYPE_NAMES[want]}')", 0,
                                  [f"expected {want}, got {_engine_type_name(have)}"])
    need: dict[str, ir.Value] = {}
    for name in wrong:
        need[f"{name}__n"] = _present(t[name]).ifelse(1, 0).sum()
        if contract.columns[name].type == "bool" and t[name].type().is_integer():
            need[f"{name}__bad"] = (t[name].isnull() | ~t[name].isin([0, 1])).ifelse(1, 0).sum()
    facts = _facts(t, need)
    for name, failure in wrong.items():
        target = _CONTRACT_TYPES[contract.columns[name].type]
        if not facts[f"{name}__n"]:
            plan.values[name] = t[name].try_cast(target)  # no values: any type will do
        elif f"{name}__bad" in facts and not facts[f"{name}__bad"]:
            plan.values[name] = t[name] != 0  # MySQL BOOLEAN is TINYINT(1): 0/1
        else:
            plan.failures.append(failure)
    return plan


def _engine_type_name(have: dtypes.DataType) -> str:
    names = {"string": "object", "boolean": "bool", "timestamp": "datetime64"}
    return names.get(str(have).split("(")[0].split("[")[0], str(have))


def _isinf(v: ir.Value) -> ir.BooleanValue:
    """``inf`` or ``-inf``, written so every engine agrees (Ibis's ``isinf`` is never true on
    Spark; NaN sorts above every number on DuckDB and Spark, so it is excluded)."""
    if v.type().is_floating() and _special_floats.get():
        return ((v.abs() > _DOUBLE_MAX) & ~v.isnan()).fill_null(False)
    return ibis.literal(False)


@ibis.udf.scalar.builtin(name="md5")
def _md5(text: str) -> str:
    """``md5(text)`` as lowercase hex: DuckDB, Spark and MySQL all have it by this name."""


# -- checks -----------------------------------------------------------------------------------------
def _num(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else repr(x)


def _row_checks(values: dict[str, ir.Value], contract: Contract, as_of: pd.Timestamp | None,
                raw: ir.Table) -> list[RowCheck]:
    run_date, latest = contract.latest_possible(as_of)
    checks: list[RowCheck] = []
    for name, spec in contract.columns.items():
        if name not in values:
            continue
        v, orig = values[name], raw[name]
        there = _present(v)

        def add(check: str, fails: ir.BooleanValue, col: str = name) -> None:
            checks.append(RowCheck(col, check, fails.fill_null(False), [col]))

        if not spec.nullable:
            add("not_nullable", ~_present(orig))
        if spec.allowed is not None:
            add(f"isin({spec.allowed!r})", there & ~v.isin(spec.allowed))
        if spec.min is not None:
            add(f"greater_than_or_equal_to({_num(spec.min)})", there & (v < spec.min))
        if spec.max is not None:
            add(f"less_than_or_equal_to({_num(spec.max)})", there & (v > spec.max))
        if spec.pattern is not None:
            add(f"str_matches({spec.pattern!r})", there & ~v.re_search(f"^(?:{spec.pattern})"))
        if spec.type == "float64" and _special_floats.get():
            add("finite (no inf)", _isinf(v))
        if spec.type in ("datetime", "date"):
            earliest = contract.earliest_of(name)
            if earliest is not None:
                add(f"not_before({earliest.date()})", there & (v < earliest.to_pydatetime()))
            if not spec.future:
                add(f"not_after_run_date({run_date.date()})", there & (v >= latest.to_pydatetime()))
    return checks


def _flag_checks(values: dict[str, ir.Value], contract: Contract) -> list[tuple[str, str, ir.BooleanValue]]:
    out = []
    for name, spec in contract.columns.items():
        if name not in values:
            continue
        for bound, above in ((spec.flag_above, True), (spec.flag_below, False)):
            if bound is None:
                continue
            v = values[name]
            hit = (v > bound) if above else (v < bound)
            side, word = ("above", "maximum") if above else ("below", "minimum")
            out.append((name, f"{name} {side} {bound:,g} (the contract's plausible {word})",
                        (_present(v) & hit).fill_null(False)))
    return out


def _unique_groups(contract: Contract, values: dict[str, ir.Value]) -> list[tuple[str | None, str, list[str]]]:
    """(column named, check, key columns) of every uniqueness rule."""
    out = []
    for name, spec in contract.columns.items():
        if spec.unique and name in values:
            out.append((name, "field_uniqueness", [name]))
    pk = contract.primary_key
    if len(pk) > 1 and all(k in values for k in pk):
        out.append((None, "multiple_fields_uniqueness", list(pk)))
    return out


def _keyed(values: ir.Value, other: ir.Value) -> tuple[ir.Value, ir.Value]:
    """Two key columns in a comparable form (an integer key against text ids: both as text)."""
    a, b = values.type(), other.type()
    if a == b or a.is_numeric() and b.is_numeric():
        return values, other
    return values.cast("string"), other.cast("string")


# -- fingerprint: the same number on every engine, without collecting -----------------------------
_P = 2_147_483_647  # 2**31 - 1: residues, products of two and sums stay inside int64
_NULL_RESIDUE = 3
_SCALE = ibis.literal(1e6, type="float64")  # floats to the micro-unit (a literal Spark keeps as double)


def _residue(v: ir.Value) -> ir.IntegerValue:
    """A number in [0, P) for a non-text value, computed alike by every engine."""
    t = v.type()
    if t.is_boolean():
        n = v.ifelse(1, 2)
    elif t.is_integer():
        n = v.cast("int64")
    elif t.is_floating() or t.is_decimal():
        f = v.cast("float64")
        ok = _present(f) & ~_isinf(f) & (f.abs() < 9e12).fill_null(False)
        n = ok.ifelse((f * _SCALE).round(), ibis.null()).cast("int64")
    elif t.is_timestamp():
        n = v.epoch_seconds().floor().cast("int64") * 1000 + v.millisecond().cast("int64")
    else:
        n = v.cast("string").length().cast("int64")
    p = ibis.literal(_P, type="int64")
    return (((n.cast("int64") % p) + p) % p).fill_null(_NULL_RESIDUE)


@ibis.udf.scalar.builtin(name="substr")
def _char(text: str, position: int, length: int) -> str:
    """``substr(text, position, length)``, 1-based: the same on DuckDB, Spark and MySQL."""


def _hex7(h: ir.StringValue) -> ir.IntegerValue:
    """The first 7 hex digits of a digest as an integer (< 2**28)."""
    total = ibis.literal(0, type="int64")
    for i in range(7):
        code = _char(h, i + 1, 1).ascii_str().cast("int64")
        total = total * 16 + code - 48 - (code > 96).ifelse(39, 0)  # '0'-'9', 'a'-'f'
    return total


def table_fingerprint(expr: ir.Table, contract: Contract) -> tuple[int, str]:
    """Rows and a content hash of a contract-typed table, computed in its engine.

    Each row becomes a number mod 2**31-1 (a weighted sum of its values' residues; text
    columns enter through one MD5 per row); the table's hash is the count, the sum and the
    sum of squares of those numbers, so it is independent of row order and equal on DuckDB
    and Spark for equal data. A change in any value changes it (up to hash collisions).
    """
    with _engine(expr._find_backend().name):
        return _table_fingerprint(expr, contract)


def _table_fingerprint(expr: ir.Table, contract: Contract) -> tuple[int, str]:
    cols = sorted(c for c in contract.columns if c in expr.columns)
    text = [c for c in cols if expr[c].type().is_string()]
    t = expr
    if text:
        joined = ibis.literal("\x1f").join([expr[c].fill_null("\x1e") for c in text])
        t = expr.mutate(__digest=_md5(joined))
    terms = [_residue(t[c]) * ((2_654_435_761 * (i + 1)) % _P) % _P
             for i, c in enumerate(cols) if c not in text]
    if text:
        terms.append(_hex7(t["__digest"]) * 40_503 % _P)
    t = t.select(__r=sum(terms[1:], terms[0]) % _P)  # each term < 2**31: the sum fits int64
    stats = t.aggregate(n=t.count(), s1=t.__r.sum(), s2=(t.__r * t.__r % _P).sum()).to_pandas()
    n, s1, s2 = (_int(stats[k].iloc[0]) for k in ("n", "s1", "s2"))
    types = {c: contract.columns[c].type for c in cols}
    digest = hashlib.sha256(json.dumps([n, s1, s2, types]).encode()).hexdigest()[:16]
    return n, digest


def _int(v: Any) -> int:
    return 0 if v is None or pd.isna(v) else int(v)


# -- examples --------------------------------------------------------------------------------------
def _plain(v: Any) -> Any:
    if isinstance(v, pd.Timestamp):
        return v
    return v.item() if isinstance(v, np.generic) else v


def _describe(row: dict, key: list[str], shown: list[str]) -> str:
    parts = []
    if ROW in row:
        parts.append(f"row {int(row[ROW])}")
    keys = [f"{k}={_plain(row[k])!r}" for k in key if k in row and k not in shown]
    if keys:
        parts.append(("(" + ", ".join(keys) + ")") if ROW in row else ", ".join(keys))
    parts.extend(f"{c}={_plain(_nan_none(row[c]))!r}" for c in shown if c in row)
    return " ".join(parts)


def _nan_none(v: Any) -> Any:
    return None if v is None or v is pd.NaT or isinstance(v, float) and np.isnan(v) else v


def _examples(raw: ir.Table, fails: ir.BooleanValue, key: list[str], shown: list[str]) -> list[str]:
    """A few failing rows, named by primary key (and position, for a pandas frame)."""
    ident = [c for c in (ROW, *key) if c in raw.columns]
    cols = list(dict.fromkeys([*ident, *[c for c in shown if c in raw.columns]]))
    q = raw.filter(fails).select(*cols)
    if ident:
        q = q.order_by(ident)
    frame = q.limit(N_EXAMPLES).to_pandas()
    return [_describe(r, key, shown) for r in frame.to_dict("records")]


# -- the whole table -------------------------------------------------------------------------------
def check_table(
    raw: ir.Table,
    contract: Contract,
    *,
    as_of: pd.Timestamp | None = None,
    on_error: OnError = "raise",
    references: dict[str, ir.Table] | None = None,
    aware: frozenset[str] = frozenset(),
    backend: str | None = None,
    on_empty: Any = None,
) -> CheckedTable:
    """Check ``raw`` (source column names already mapped) against ``contract`` in its engine.

    ``references`` maps ``table.column`` to a one-column table of the referenced keys (only
    for tables the source holds). ``aware``: timestamp columns the engine stores as instants
    although its type does not say so (Spark's TIMESTAMP). ``on_empty(n)`` is called with
    the row count when it is 0, so a source can name an empty table its own way. Raises
    :class:`ContractViolation` on a table-level problem, and on any failure unless
    ``on_error="quarantine"``.
    """
    backend = backend or raw._find_backend().name
    with _engine(backend):
        return _check_table(raw, contract, as_of, on_error, references or {}, aware, backend,
                            on_empty)


def _check_table(raw: ir.Table, contract: Contract, as_of: pd.Timestamp | None, on_error: OnError,
                 references: dict[str, ir.Table], aware: frozenset[str], backend: str,
                 on_empty: Any) -> CheckedTable:
    key = [k for k in contract.primary_key if k in raw.columns]
    structure = _structure(raw, contract)
    plan = _plan(raw, contract, aware, backend) if not structure else _Plan()
    table_level = structure + plan.failures
    if table_level:
        if on_empty is not None and int(raw.count().to_pandas()) == 0:
            on_empty(0)
        raise ContractViolation(contract, table_level)
    values = plan.values
    checks = plan.casts + _row_checks(values, contract, as_of, raw)
    for column, ref in sorted(references.items()):
        name = _column_of(contract, column)
        if name is None or name not in values:
            continue
        target = ref[ref.columns[0]]
        mine, theirs = _keyed(values[name], target)
        orphan = _present(values[name]) & ~mine.isin(theirs)
        checks.append(RowCheck(name, f"references {column}", orphan.fill_null(False), [name],
                               reference=True))
    flags = _flag_checks(values, contract)
    aggs: dict[str, ir.Value] = {"n": raw.count()}
    for i, c in enumerate(checks):
        aggs[f"c{i}"] = c.fails.ifelse(1, 0).sum()
    for i, (_, _, hit) in enumerate(flags):
        aggs[f"f{i}"] = hit.ifelse(1, 0).sum()
    unique = _unique_groups(contract, values)
    for j, (_, _, cols) in enumerate(unique):
        if len(cols) == 1:  # repeats exist when fewer distinct values than values (or 2+ nulls)
            aggs[f"u{j}"] = values[cols[0]].nunique()
            aggs[f"v{j}"] = values[cols[0]].count()
    counts = raw.aggregate(**aggs).to_pandas().iloc[0]
    n = _int(counts["n"])
    if n == 0 and on_empty is not None:
        on_empty(0)
    failing = [(c, _int(counts[f"c{i}"])) for i, c in enumerate(checks) if _int(counts[f"c{i}"])]
    typed = raw.mutate(**values) if values else raw  # columns a loose contract does not list stay
    repeats = [g for j, g in enumerate(unique) if f"u{j}" not in counts
               or _int(counts[f"v{j}"]) > _int(counts[f"u{j}"]) or n - _int(counts[f"v{j}"]) > 1]
    dup_failures, dup_keys = _duplicates(typed, repeats)
    failures = [Failure(c.column, c.check, m, _examples(raw, c.fails, key, c.show))
                for c, m in failing] + dup_failures
    flag_list = []
    for i, (col, reason, hit) in enumerate(flags):
        m = _int(counts[f"f{i}"])
        if m:
            flag_list.append(Flag(col, reason, m, _examples(raw, hit, key, [col])))
    if not failures:
        return CheckedTable(contract, typed, n, n, flags=flag_list)
    if on_error == "raise":
        raise ContractViolation(contract, failures)
    return _quarantine(raw, typed, contract, values, [c for c, _ in failing], dup_keys, n,
                       flag_list)


def _column_of(contract: Contract, reference: str) -> str | None:
    for name, spec in contract.columns.items():
        if spec.references == reference:
            return name
    return None


def _structure(raw: ir.Table, contract: Contract) -> list[Failure]:
    """Missing required columns and, for a strict contract, columns it does not list."""
    out = []
    for name, spec in contract.columns.items():
        if spec.required and name not in raw.columns:
            out.append(Failure(name, "column_in_dataframe", 0, [
                f"column '{name}' is missing; expected columns: {list(contract.columns)}"]))
    extra = [c for c in raw.columns if c not in contract.columns and c != ROW]
    if contract.strict and extra:
        out.append(Failure(None, "column_in_schema", 0, [
            f"column(s) {extra} are not in the contract, which is strict; drop them from the "
            f"source or add them to {display_path(contract.path)}"]))
    return out


def _duplicates(typed: ir.Table, groups: list[tuple[str | None, str, list[str]]]
                ) -> tuple[list[Failure], list[tuple[str, list[str], ir.Table]]]:
    """Keys that repeat: rows involved (every copy), a few keys with their counts."""
    failures, dup_keys = [], []
    for column, check, cols in groups:
        groups = typed.group_by(cols).aggregate(__copies=typed.count())
        dups = groups.filter(groups.__copies > 1)
        stats = dups.aggregate(rows=dups.__copies.sum()).to_pandas().iloc[0]
        rows = _int(stats["rows"])
        if not rows:
            continue
        ex = dups.order_by(cols).limit(N_EXAMPLES).to_pandas()
        examples = [", ".join(f"{c}={_plain(r[c])!r}" for c in cols) + f" ({int(r['__copies'])} rows)"
                    for r in ex.to_dict("records")]
        failures.append(Failure(column, check, rows, examples))
        dup_keys.append((check, cols, dups.select(*cols)))
    return failures, dup_keys


def _quarantine(raw: ir.Table, typed: ir.Table, contract: Contract, values: dict[str, ir.Value],
                failing: list[RowCheck], dup_keys: list, n: int, flags: list[Flag]) -> CheckedTable:
    """The kept rows as a filter, the failing ones (with their reasons) as another expression."""
    marks: dict[str, ir.Value] = {}
    reasons: list[tuple[str, str, bool]] = []  # (mark column, reason text, is a reference)
    for i, c in enumerate(failing):
        marks[f"__q{i}"] = c.fails
        reasons.append((f"__q{i}", f"{c.column or 'table'}: {c.check}", c.reference))
    flagged = raw.mutate(**marks) if marks else raw
    flagged = flagged.select(*[c for c in flagged.columns if c not in values], **values)
    for j, (check, cols, dups) in enumerate(dup_keys):
        mark = f"__d{j}"
        d = dups.mutate(**{mark: ibis.literal(True)})
        flagged = flagged.left_join(d, cols).select(
            *[c for c in flagged.columns], **{mark: d[mark].notnull()})
        reasons.append((mark, f"{cols[0] if len(cols) == 1 else 'table'}: {check}", False))
    contract_marks = [flagged[m] for m, _, ref in reasons if not ref]
    ref_marks = [flagged[m] for m, _, ref in reasons if ref]
    contract_bad = ibis.or_(*contract_marks) if contract_marks else None
    ref_bad = ibis.or_(*ref_marks) if ref_marks else None
    bad = ibis.or_(*contract_marks, *ref_marks)
    orphan_only = ref_bad if contract_bad is None else (ref_bad & ~contract_bad) \
        if ref_bad is not None else None
    aggs = {k: e.ifelse(1, 0).sum() for k, e in (("contract", contract_bad), ("orphans", orphan_only))
            if e is not None}
    stats = flagged.aggregate(**aggs).to_pandas().iloc[0]
    keep = [c for c in typed.columns]
    kept = flagged.filter(~bad).select(*keep)
    text = [flagged[m].ifelse(r + "; ", "") for m, r, _ in reasons]
    reason = ibis.literal("").concat(*text) if len(text) > 1 else text[0]
    reason = reason.re_replace("; $", "")
    out = flagged.filter(bad).select(*keep, _reason=reason)
    counts = {}
    if _int(stats.get("contract")):
        counts["failed its contract (quarantined)"] = _int(stats["contract"])
    if _int(stats.get("orphans")):
        counts["key not found in the referenced table (quarantined)"] = _int(stats["orphans"])
    nq = sum(counts.values())
    return CheckedTable(contract, kept, n, n - nq, out, nq, counts, flags)


# -- pandas frames: the same checks, run by an in-memory DuckDB ------------------------------------
def frame_table(df: pd.DataFrame, contract: Contract) -> tuple[ir.Table, list[Failure]]:
    """A pandas frame as a DuckDB table with its row positions; columns Arrow cannot type
    (mixed Python objects) are named instead of crashing the conversion. Under a contract
    that keeps the wall clock of aware values (``timezone: local``), their zone is dropped
    here, where it is still known (an engine keeps only the instant)."""
    import pyarrow as pa

    if contract.timezone == "local":
        aware = [c for c in df.columns if isinstance(df[c].dtype, pd.DatetimeTZDtype)]
        df = df.assign(**{c: df[c].dt.tz_localize(None) for c in aware}) if aware else df

    bad = []
    for name in df.columns:
        if df[name].dtype == object:
            try:
                pa.array(df[name], from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                bad.append(Failure(str(name), "dtype", 0, ["values of mixed types in one column"]))
    if bad:
        return None, bad  # type: ignore[return-value]
    frame = df.reset_index(drop=True)
    frame[ROW] = np.arange(len(frame), dtype="int64")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for i, f in enumerate(table.schema):
        if pa.types.is_null(f.type):  # no values at all: the plan gives it the contract type
            table = table.set_column(i, f.name, pa.nulls(len(table), pa.string()))
    con = ibis.duckdb.connect()
    return con.create_table("frame", table), []


def frame_rows(expr: ir.Table, index: pd.Index) -> pd.DataFrame:
    """Rows of a checked pandas frame back in their order, with the frame's own index."""
    out = expr.order_by(ROW).to_pandas()
    for name, dtype in expr.schema().items():
        s = out[name]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[name] = s.astype("datetime64[ns]")
        elif dtype.is_integer() and (s.dtype == object or s.isna().any()):
            out[name] = pd.to_numeric(s.where(s.notna(), np.nan)).astype("Int64")  # NULL ids stay ints
    rows = out.pop(ROW).to_numpy()
    out.index = index[rows]
    return out
