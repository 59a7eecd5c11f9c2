"""Data contracts: one YAML file per input table, turned into pandera schemas.

The YAML files in ``data_contracts/`` are the single source of truth that data engineers
read and own. Every load validates against them; a violation raises
:class:`ContractViolation`, naming the table, column, check, number of failing rows and a
few of them. With ``on_error="quarantine"`` failing rows are set aside in a file and
counted instead; nothing is dropped silently.

Rules every company contract shares (the timezone of timestamps, the first day a record can
carry, how far past the run date a timestamp may be) are stated once in
``data_contracts/_rules.yaml``; a contract or column may override them.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa
import yaml
from pydantic import BaseModel, ConfigDict, Field

from luckin_lab.paths import contracts_dir

ColumnType = Literal["int64", "float64", "string", "bool", "datetime", "date"]

_PANDERA_TYPES: dict[str, Any] = {
    "int64": "int64",
    "float64": "float64",
    "string": str,
    "bool": "bool",
    "datetime": "datetime64[ns]",
    "date": "datetime64[ns]",
}


class ColumnSpec(BaseModel):
    """One column of a contract, as a data engineer writes it."""

    model_config = ConfigDict(extra="forbid")

    type: ColumnType
    description: str = ""
    nullable: bool = False
    unique: bool = False
    required: bool = Field(True, description="False: the column may be absent (generic contracts)")
    allowed: list[Any] | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    source_column: str | None = None
    source_type: str | None = None
    coerce: bool = False
    pii: bool = False
    references: str | None = Field(default=None, description="'table.column' foreign key")
    earliest: dt.date | None = Field(
        default=None, description="datetime columns: earliest possible value (default: the rules')"
    )
    future: bool = Field(False, description="datetime columns: values after the run date are possible")
    flag_above: float | None = Field(
        default=None, description="plausible maximum: larger values are kept but flagged"
    )
    flag_below: float | None = Field(
        default=None, description="plausible minimum: smaller values are kept but flagged"
    )


class Rules(BaseModel):
    """The shared rules of ``data_contracts/_rules.yaml`` (see that file for their reasons)."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(description="zone of naive timestamps; aware ones are converted to it")
    earliest: dt.date = Field(description="the company's first records: no earlier timestamp")
    future_tolerance_days: float = Field(1.0, ge=0)
    generic_timezone: str = Field("local", description="'local': aware values keep their wall clock")


class SourceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str
    table: str
    sharded: bool = False
    notes: str = ""


class Contract(BaseModel):
    """A table's contract: what the source system promises and the analyses rely on."""

    model_config = ConfigDict(extra="forbid")

    table: str
    description: str
    source: SourceSpec
    primary_key: list[str] = Field(default_factory=list)
    strict: bool = True
    generic: bool = False
    timezone: str | None = Field(
        default=None, description="zone of naive timestamps ('local': keep the wall clock); default: rules"
    )
    earliest: dt.date | None = Field(default=None, description="default earliest timestamp; rules")
    future_tolerance_days: float = 1.0
    columns: dict[str, ColumnSpec]
    path: Path | None = None

    def earliest_of(self, name: str) -> pd.Timestamp | None:
        day = self.columns[name].earliest or self.earliest
        return None if day is None else pd.Timestamp(day)

    def latest_possible(self, as_of: pd.Timestamp | None) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The run date (default today, UTC) and the latest possible timestamp: the end of
        that day plus the tolerance (clock skew, time zones)."""
        run = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.now(tz="UTC").tz_localize(None)
        run = run.normalize()
        return run, run + pd.Timedelta(days=1 + self.future_tolerance_days)

    def schema(
        self, as_of: pd.Timestamp | None = None, nullable_ints: frozenset[str] = frozenset()
    ) -> pa.DataFrameSchema:
        """The pandera schema; primary keys become a whole-frame uniqueness check.

        Beyond the YAML's checks: floats must be finite, timestamps must lie between the
        company's first day and the run date (``as_of``). ``nullable_ints`` are non-null
        integer columns that arrived with nulls: typed ``Int64`` so the nulls are row-level
        failures (quarantinable) rather than a wrong-type failure of the whole table.
        """
        run_date, latest = self.latest_possible(as_of)
        cols = {}
        for name, spec in self.columns.items():
            checks: list[pa.Check] = []
            if spec.allowed is not None:
                checks.append(pa.Check.isin(spec.allowed))
            if spec.min is not None:
                checks.append(pa.Check.ge(spec.min))
            if spec.max is not None:
                checks.append(pa.Check.le(spec.max))
            if spec.pattern is not None:
                checks.append(pa.Check.str_matches(spec.pattern))
            if spec.type == "float64":
                checks.append(pa.Check(_finite, name="finite (no inf)"))
            if spec.type in ("datetime", "date"):
                earliest = self.earliest_of(name)
                if earliest is not None:
                    checks.append(pa.Check(functools.partial(_on_or_after, bound=earliest),
                                           name=f"not_before({earliest.date()})"))
                if not spec.future:
                    checks.append(pa.Check(functools.partial(_before, bound=latest),
                                           name=f"not_after_run_date({run_date.date()})"))
            dtype = _PANDERA_TYPES[spec.type]
            if spec.type == "int64" and (spec.nullable or name in nullable_ints):
                dtype = "Int64"  # pandas' nullable integer: NULL keys stay integers
            cols[name] = pa.Column(
                dtype,
                checks=checks,
                nullable=spec.nullable,
                unique=spec.unique,
                coerce=spec.coerce,
                required=spec.required,
            )
        unique = self.primary_key if len(self.primary_key) > 1 else None
        return pa.DataFrameSchema(
            cols,
            name=self.table,
            strict=self.strict,
            unique=unique,
            report_duplicates="all",
        )

    def prepare(self, df: pd.DataFrame) -> pd.DataFrame:
        """Lossless type harmonisation before validation.

        int -> float, datetime units, timezones (the contract's rule), MySQL's TINYINT
        booleans, DECIMAL and unsigned integers, integer ids in text columns. Anything that
        would lose information is left for the checks to refuse.
        """
        out = df.copy()
        for name, spec in self.columns.items():
            if name not in out.columns:
                continue
            s = out[name]
            if spec.type == "float64" and pd.api.types.is_integer_dtype(s):
                out[name] = s.astype("float64")
            elif spec.type == "float64" and s.dtype == object and _all_decimal(s):
                out[name] = s.astype("float64")  # MySQL DECIMAL arrives as decimal.Decimal
            elif spec.type == "int64" and _integral(s) and (spec.nullable or s.isna().any()):
                out[name] = s.astype("Int64")
            elif spec.type == "int64" and pd.api.types.is_unsigned_integer_dtype(s):
                if s.max() <= np.iinfo("int64").max:  # MySQL UNSIGNED columns
                    out[name] = s.astype("int64")
            elif spec.type == "int64" and _integral(s) and s.dtype != "int64":
                out[name] = s.astype("int64")
            elif spec.type in ("datetime", "date") and pd.api.types.is_datetime64_any_dtype(s):
                out[name] = _naive(s, self.timezone).astype("datetime64[ns]")
            elif spec.type == "string" and spec.coerce and _integral(s):
                ints = s.astype("Int64")  # integer ids as their digits, never "12.0"
                out[name] = ints.astype(str).where(ints.notna(), None).astype(object)
            elif spec.type == "string" and isinstance(s.dtype, pd.StringDtype):
                out[name] = s.astype(object)
            elif spec.type == "string" and s.dtype != object and s.isna().all():
                out[name] = pd.Series(None, index=s.index, dtype=object)  # no values: typeless
            elif spec.type == "bool" and str(s.dtype) == "boolean" and not s.isna().any():
                out[name] = s.astype(bool)
            elif spec.type == "bool" and _integral(s) and not s.isna().any() and s.isin([0, 1]).all():
                out[name] = s.astype(bool)  # MySQL BOOLEAN is TINYINT(1): 0/1
        return out

    def int_columns_with_nulls(self, df: pd.DataFrame) -> frozenset[str]:
        """Non-null integer columns that hold nulls (typed Int64 by :meth:`prepare`)."""
        return frozenset(
            name for name, spec in self.columns.items()
            if spec.type == "int64" and not spec.nullable and name in df.columns
            and str(df[name].dtype) == "Int64" and df[name].isna().any()
        )


def _on_or_after(s: pd.Series, bound: pd.Timestamp) -> pd.Series:
    return s >= bound


def _before(s: pd.Series, bound: pd.Timestamp) -> pd.Series:
    return s < bound


def _finite(s: pd.Series) -> pd.Series:
    return pd.Series(np.isfinite(s.to_numpy(dtype="float64", na_value=np.nan)), index=s.index)


def _all_decimal(s: pd.Series) -> bool:
    from decimal import Decimal

    v = s.dropna()
    return len(v) > 0 and all(isinstance(x, Decimal) for x in v)


def _naive(s: pd.Series, timezone: str | None) -> pd.Series:
    """The timezone rule: aware values are converted to the contract's zone, then made naive.

    ``timezone="local"`` (generic contracts) keeps the wall-clock time each value carries.
    Naive values are taken to be in the contract's zone already and are not moved.
    """
    if getattr(s.dt, "tz", None) is None:
        return s
    if timezone and timezone != "local":
        s = s.dt.tz_convert(timezone)
    return s.dt.tz_localize(None)


def _integral(s: pd.Series) -> bool:
    """Integer or float column whose non-null values are all whole numbers."""
    if pd.api.types.is_integer_dtype(s):
        return True
    if pd.api.types.is_float_dtype(s):
        v = s.dropna()
        return bool(np.isfinite(v).all() and (v == v.round()).all())
    return False


@dataclass
class Failure:
    column: str | None
    check: str
    n_rows: int
    examples: list[str]


class ContractViolation(ValueError):
    """A table broke its contract. The message is written for the person who must fix it."""

    def __init__(self, contract: Contract, failures: list[Failure], cases: pd.DataFrame):
        self.contract = contract
        self.failures = failures
        self.failure_cases = cases
        super().__init__(self._message())

    def _message(self) -> str:
        c = self.contract
        where = f"{c.source.system}.{c.source.table}"
        lines = [
            f"Table '{c.table}' broke its contract ({_display(c.path)}; source {where}): "
            f"{len(self.failures)} check(s) failed"
        ]
        for f in self.failures:
            col = f"column '{f.column}'" if f.column else "table"
            rows = "row" if f.n_rows == 1 else "rows"
            scope = f"{f.n_rows} failing {rows}" if f.n_rows else "the whole table"
            lines.append(f"  - {col} · check {f.check} · {scope}")
            lines.extend(f"      {e}" for e in f.examples)
        return "\n".join(lines)


def _display(path: Path | None) -> str:
    if path is None:
        return "<in-memory contract>"
    return f"{path.parent.name}/{path.name}"


@dataclass
class Flag:
    """Rows kept but outside a column's plausible range (``flag_above`` / ``flag_below``)."""

    column: str
    reason: str
    n_rows: int
    examples: list[str]


@dataclass
class ValidationResult:
    """A validated frame plus what was set aside (only with quarantine) and what was flagged."""

    table: str
    frame: pd.DataFrame
    n_input: int
    quarantined: pd.DataFrame = field(default_factory=pd.DataFrame)
    flags: list[Flag] = field(default_factory=list)

    @property
    def n_quarantined(self) -> int:
        return len(self.quarantined)


RULES_FILE = "_rules.yaml"


@functools.lru_cache(maxsize=8)
def _load_all(directory: str) -> dict[str, Contract]:
    rules = load_rules(Path(directory))
    out: dict[str, Contract] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        raw = yaml.safe_load(path.read_text())
        contract = apply_rules(Contract(**raw, path=path), rules)
        if contract.table in out:
            raise ValueError(f"two contracts for table '{contract.table}': {path}")
        out[contract.table] = contract
    return out


def load_rules(directory: Path | None = None) -> Rules:
    return Rules(**yaml.safe_load((Path(directory or contracts_dir()) / RULES_FILE).read_text()))


def apply_rules(contract: Contract, rules: Rules) -> Contract:
    """Fill what a contract leaves unset from the shared rules (generic contracts: no earliest)."""
    update: dict[str, Any] = {}
    if contract.timezone is None:
        update["timezone"] = rules.generic_timezone if contract.generic else rules.timezone
    if contract.earliest is None and not contract.generic:
        update["earliest"] = rules.earliest
    if "future_tolerance_days" not in contract.model_fields_set:
        update["future_tolerance_days"] = rules.future_tolerance_days
    return contract.model_copy(update=update) if update else contract


def all_contracts(directory: Path | None = None) -> dict[str, Contract]:
    return dict(_load_all(str(directory or contracts_dir())))


def get_contract(table: str, directory: Path | None = None) -> Contract:
    contracts = all_contracts(directory)
    if table not in contracts:
        raise KeyError(f"no contract for table '{table}'; known tables: {sorted(contracts)}")
    return contracts[table]


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _example(df: pd.DataFrame, idx: Any, column: str | None, key: list[str], value: Any) -> str:
    parts = [f"row {idx}"]
    if idx is not None and idx in df.index:
        row = df.loc[idx]
        if isinstance(row, pd.DataFrame):
            row = row.iloc[0]
        keys = [f"{k}={_plain(row[k])!r}" for k in key if k in row.index and k != column]
        if keys:
            parts.append("(" + ", ".join(keys) + ")")
    parts.append(f"{column or 'value'}={_plain(value)!r}")
    return " ".join(parts)


_TABLE_CHECKS = ("column_in_dataframe", "column_in_schema")


def _failures(contract: Contract, df: pd.DataFrame, cases: pd.DataFrame, n_examples: int = 3):
    failures: list[Failure] = []
    cases = cases.copy()
    cases["column"] = cases["column"].where(cases["column"].notna(), None)
    key = contract.primary_key
    extra = cases["check"] == "column_in_schema"
    if extra.any():  # pandera names the table as the column; the failure case is the column
        names = [str(c) for c in cases.loc[extra, "failure_case"]]
        failures.append(Failure(None, "column_in_schema", 0, [
            f"column(s) {names} are not in the contract, which is strict; drop them from the "
            f"source or add them to {_display(contract.path)}"]))
        cases = cases.loc[~extra]
    for (column, check), grp in cases.groupby(["column", "check"], dropna=False, sort=False):
        col = None if (column is None or (isinstance(column, float) and np.isnan(column))) else column
        idx = grp["index"]
        if idx.notna().any():
            n = int(idx.dropna().nunique())
        else:
            n = len(df) if check not in _TABLE_CHECKS else 0
        examples = [
            _example(df, None if pd.isna(r["index"]) else r["index"], col, key, r["failure_case"])
            for _, r in grp.head(n_examples).iterrows()
        ]
        if check == "column_in_dataframe":
            col = str(grp["failure_case"].iloc[0])
            examples = [f"column '{col}' is missing; expected columns: {list(contract.columns)}"]
        elif str(check).startswith("dtype("):
            actual = df[col].dtype if col in df.columns else "?"
            examples = [f"expected {contract.columns[col].type}, got {actual}"] if col else examples
        failures.append(Failure(col, str(check), n, examples))
    return failures


def _flags(contract: Contract, df: pd.DataFrame, n_examples: int = 3) -> list[Flag]:
    """Values beyond a column's plausible bound: kept (they may be real) but counted."""
    flags = []
    for name, spec in contract.columns.items():
        if name not in df.columns:
            continue
        for bound, above in ((spec.flag_above, True), (spec.flag_below, False)):
            if bound is None:
                continue
            hit = df[name] > bound if above else df[name] < bound
            if hit.any():
                side = "above" if above else "below"
                rows = df.index[hit.fillna(False).to_numpy()]
                flags.append(Flag(name, f"{name} {side} {bound:,g} (the contract's plausible "
                                  f"{'maximum' if above else 'minimum'})", len(rows),
                                  [_example(df, i, name, contract.primary_key, df.at[i, name])
                                   for i in rows[:n_examples]]))
    return flags


def validate(
    df: pd.DataFrame,
    contract: Contract | str,
    on_error: Literal["raise", "quarantine"] = "raise",
    as_of: pd.Timestamp | None = None,
) -> ValidationResult:
    """Validate a whole frame lazily (all checks, not the first failure).

    ``on_error="quarantine"`` is the explicit opt-in to keep going: rows that fail a
    row-level check are returned in ``quarantined`` with the reason; table-level problems
    (a missing or extra column, a wrong type) always raise because no row could be trusted.
    ``as_of`` is the run date timestamps may not pass (default: today, UTC).
    """
    if isinstance(contract, str):
        contract = get_contract(contract)
    prepared = contract.prepare(df)
    schema = contract.schema(as_of, contract.int_columns_with_nulls(prepared))
    try:
        validated = schema.validate(prepared, lazy=True)
        return ValidationResult(contract.table, validated, len(df), flags=_flags(contract, validated))
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        failures = _failures(contract, prepared, cases)
        row_level = cases["index"].notna()
        if on_error == "raise" or not row_level.all():
            raise ContractViolation(contract, failures, cases) from None
        bad_idx = pd.Index(cases.loc[row_level, "index"].unique())
        reasons = (
            cases.loc[row_level]
            .assign(reason=lambda c: c["column"].astype(str) + ": " + c["check"].astype(str))
            .groupby("index")["reason"]
            .agg("; ".join)
        )
        quarantined = prepared.loc[prepared.index.isin(bad_idx)].copy()
        quarantined["_reason"] = reasons.reindex(quarantined.index).to_numpy()
        clean = contract.prepare(prepared.loc[~prepared.index.isin(bad_idx)])
        validated = contract.schema(as_of).validate(clean, lazy=True)
        return ValidationResult(contract.table, validated, len(df), quarantined,
                                _flags(contract, validated))
