"""Data contracts: one YAML file per input table, checked inside the source's engine.

The YAML files in ``data_contracts/`` are the single source of truth that data engineers
read and own. Every load validates against them (``luckin_lab.engine_checks`` compiles a
contract to checks the engine runs, so no table is collected to validate it); a violation
raises :class:`ContractViolation`, naming the table, column, check, number of failing rows
and a few of them by primary key. With ``on_error="quarantine"`` failing rows are set aside
in a file and counted instead; nothing is dropped silently.

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

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field

from luckin_lab.paths import contracts_dir

ColumnType = Literal["int64", "float64", "string", "bool", "datetime", "date"]

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

@dataclass
class Failure:
    column: str | None
    check: str
    n_rows: int
    examples: list[str]


class ContractViolation(ValueError):
    """A table broke its contract. The message is written for the person who must fix it."""

    def __init__(self, contract: Contract, failures: list[Failure]):
        self.contract = contract
        self.failures = failures
        super().__init__(self._message())

    def _message(self) -> str:
        c = self.contract
        where = f"{c.source.system}.{c.source.table}"
        lines = [
            f"Table '{c.table}' broke its contract ({display_path(c.path)}; source {where}): "
            f"{len(self.failures)} check(s) failed"
        ]
        for f in self.failures:
            col = f"column '{f.column}'" if f.column else "table"
            rows = "row" if f.n_rows == 1 else "rows"
            scope = f"{f.n_rows:,} failing {rows}" if f.n_rows else "the whole table"
            lines.append(f"  - {col} · check {f.check} · {scope}")
            lines.extend(f"      {e}" for e in f.examples)
        return "\n".join(lines)


def display_path(path: Path | None) -> str:
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




def validate(
    df: pd.DataFrame,
    contract: Contract | str,
    on_error: Literal["raise", "quarantine"] = "raise",
    as_of: pd.Timestamp | None = None,
) -> ValidationResult:
    """Validate a pandas frame with the engine's checks (an in-memory DuckDB runs them).

    All checks run (not the first failure). ``on_error="quarantine"`` is the explicit opt-in
    to keep going: rows that fail a row-level check are returned in ``quarantined`` (their
    index is the frame's) with the reason; table-level problems (a missing or extra column,
    a wrong type) always raise because no row could be trusted. ``as_of`` is the run date
    timestamps may not pass (default: today, UTC). Examples name rows by position and key.
    """
    from luckin_lab.engine_checks import check_table, frame_rows, frame_table

    if isinstance(contract, str):
        contract = get_contract(contract)
    table, unreadable = frame_table(df, contract)
    if unreadable:
        raise ContractViolation(contract, unreadable)
    checked = check_table(table, contract, as_of=as_of, on_error=on_error)
    frame = frame_rows(checked.expr, df.index)
    quarantined = (frame_rows(checked.quarantined, df.index) if checked.quarantined is not None
                   else pd.DataFrame())
    return ValidationResult(contract.table, frame, len(df), quarantined, checked.flags)
