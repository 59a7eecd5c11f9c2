"""Data contracts: one YAML file per input table, turned into pandera schemas.

The YAML files in ``data_contracts/`` are the single source of truth that data engineers
read and own. Every load validates against them; a violation raises
:class:`ContractViolation`, naming the table, column, check, number of failing rows and a
few of them. With ``on_error="quarantine"`` failing rows are set aside in a file and
counted instead; nothing is dropped silently.
"""

from __future__ import annotations

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
    columns: dict[str, ColumnSpec]
    path: Path | None = None

    @property
    def pii_columns(self) -> list[str]:
        return [name for name, c in self.columns.items() if c.pii]

    def schema(self) -> pa.DataFrameSchema:
        """The pandera schema; primary keys become a whole-frame uniqueness check."""
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
            dtype = _PANDERA_TYPES[spec.type]
            if spec.type == "int64" and spec.nullable:
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
        """Lossless type harmonisation before validation (int->float, datetime units, tz)."""
        out = df.copy()
        for name, spec in self.columns.items():
            if name not in out.columns:
                continue
            s = out[name]
            if spec.type == "float64" and pd.api.types.is_integer_dtype(s):
                out[name] = s.astype("float64")
            elif spec.type == "int64" and spec.nullable and _integral(s):
                out[name] = s.astype("Int64")
            elif spec.type == "int64" and pd.api.types.is_integer_dtype(s) and s.dtype != "int64":
                out[name] = s.astype("int64")
            elif spec.type in ("datetime", "date") and pd.api.types.is_datetime64_any_dtype(s):
                if getattr(s.dt, "tz", None) is not None:
                    s = s.dt.tz_convert("UTC").dt.tz_localize(None)
                out[name] = s.astype("datetime64[ns]")
            elif spec.type == "string" and isinstance(s.dtype, pd.StringDtype):
                out[name] = s.astype(object)
            elif spec.type == "bool" and str(s.dtype) == "boolean" and not s.isna().any():
                out[name] = s.astype(bool)
        return out


def _integral(s: pd.Series) -> bool:
    """Integer or float column whose non-null values are all whole numbers."""
    if pd.api.types.is_integer_dtype(s):
        return True
    if pd.api.types.is_float_dtype(s):
        v = s.dropna()
        return bool((v == v.round()).all())
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
            lines.append(f"  - {col} · check {f.check} · {f.n_rows} failing {rows}")
            lines.extend(f"      {e}" for e in f.examples)
        return "\n".join(lines)


def _display(path: Path | None) -> str:
    if path is None:
        return "<in-memory contract>"
    return f"{path.parent.name}/{path.name}"


@dataclass
class ValidationResult:
    """A validated frame plus what was set aside (only with quarantine)."""

    table: str
    frame: pd.DataFrame
    n_input: int
    quarantined: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def n_quarantined(self) -> int:
        return len(self.quarantined)


@functools.lru_cache(maxsize=8)
def _load_all(directory: str) -> dict[str, Contract]:
    out: dict[str, Contract] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        raw = yaml.safe_load(path.read_text())
        contract = Contract(**raw, path=path)
        if contract.table in out:
            raise ValueError(f"two contracts for table '{contract.table}': {path}")
        out[contract.table] = contract
    return out


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


def _failures(contract: Contract, df: pd.DataFrame, cases: pd.DataFrame, n_examples: int = 3):
    failures: list[Failure] = []
    cases = cases.copy()
    cases["column"] = cases["column"].where(cases["column"].notna(), None)
    key = contract.primary_key
    for (column, check), grp in cases.groupby(["column", "check"], dropna=False, sort=False):
        col = None if (column is None or (isinstance(column, float) and np.isnan(column))) else column
        idx = grp["index"]
        if idx.notna().any():
            n = int(idx.dropna().nunique())
        else:
            n = len(df) if check != "column_in_dataframe" else 0
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


def validate(
    df: pd.DataFrame,
    contract: Contract | str,
    on_error: Literal["raise", "quarantine"] = "raise",
) -> ValidationResult:
    """Validate a whole frame lazily (all checks, not the first failure).

    ``on_error="quarantine"`` is the explicit opt-in to keep going: rows that fail a
    row-level check are returned in ``quarantined`` with the reason; table-level problems
    (a missing column, a wrong type) always raise because no row could be trusted.
    """
    if isinstance(contract, str):
        contract = get_contract(contract)
    prepared = contract.prepare(df)
    try:
        validated = contract.schema().validate(prepared, lazy=True)
        return ValidationResult(contract.table, validated, len(df))
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
        clean = prepared.loc[~prepared.index.isin(bad_idx)]
        validated = contract.schema().validate(clean, lazy=True)
        return ValidationResult(contract.table, validated, len(df), quarantined)
