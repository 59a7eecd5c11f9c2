"""Source mappings: where each contract table lives in the company's MySQL.

One YAML file per source in ``data_contracts/source_mappings/<source>.yaml`` says, per
contract table, the database, the table or its shards, column renames and declared source
types beyond what the contract already says (``source_column``, ``source_type``), and the
watermark column for incremental pulls. :func:`plan_tables` joins a mapping with the
contracts into :class:`TablePlan` s, the only thing the extract and the test loader read.
A mapping never holds connection settings (see :mod:`luckin_lab.extract.settings`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from luckin_lab.contracts import Contract, all_contracts
from luckin_lab.extract.errors import MappingError
from luckin_lab.paths import contracts_dir

_IDENT = re.compile(r"^[A-Za-z0-9_$]{1,64}$")
_SOURCE_TYPES = {
    "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "float", "double",
    "char", "varchar", "text", "tinytext", "mediumtext", "longtext", "enum", "date", "datetime",
    "timestamp", "bit", "bool", "boolean",
}


def _ident(value: str, what: str) -> str:
    if not _IDENT.match(value):
        raise ValueError(f"{what} {value!r} is not a plain MySQL identifier (letters, digits, _ or $)")
    return value


class TableMapping(BaseModel):
    """One contract table's place in the source (the YAML entry under ``tables:``)."""

    model_config = ConfigDict(extra="forbid")

    database: str
    table: str
    shards: int | list[str] | None = Field(
        None, description="N for <table>_0..<table>_{N-1}, or the explicit shard table names"
    )
    watermark: str | None = Field(
        None, description="monotone 'last changed' column; None = full pull every time"
    )
    lookback_minutes: float | None = Field(None, ge=0)
    columns: dict[str, str] = Field(default_factory=dict, description="contract column -> source column")
    source_types: dict[str, str] = Field(
        default_factory=dict, description="contract column -> declared source type when it differs"
    )
    notes: str = ""

    @field_validator("database", "table", "watermark")
    @classmethod
    def _plain(cls, v: str | None, info) -> str | None:
        return v if v is None else _ident(v, info.field_name)

    @field_validator("shards")
    @classmethod
    def _shards(cls, v: int | list[str] | None) -> int | list[str] | None:
        if isinstance(v, int) and v < 1:
            raise ValueError("shards must be at least 1")
        if isinstance(v, list):
            for name in v:
                _ident(name, "shard")
        return v

    @field_validator("columns")
    @classmethod
    def _columns(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v.values():
            _ident(name, "source column")
        return v

    @field_validator("source_types")
    @classmethod
    def _types(cls, v: dict[str, str]) -> dict[str, str]:
        for col, t in v.items():
            if t.lower() not in _SOURCE_TYPES:
                raise ValueError(f"source type {t!r} of {col!r} is not one of {sorted(_SOURCE_TYPES)}")
        return {c: t.lower() for c, t in v.items()}


class SourceMapping(BaseModel):
    """A whole source: which contract tables it provides and how to pull them."""

    model_config = ConfigDict(extra="forbid")

    source: str
    description: str = ""
    chunk_rows: int = Field(50_000, ge=1, description="rows per SELECT (and per committed chunk)")
    lookback_minutes: float = Field(
        10.0, ge=0, description="re-read this much before the last watermark (late commits)"
    )
    tables: dict[str, TableMapping]
    path: Path | None = None

    def digest(self) -> str:
        """Content hash recorded in each snapshot, so a changed mapping is visible."""
        return hashlib.sha256(self.model_dump_json(exclude={"path"}).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ColumnPlan:
    name: str  # contract name
    source: str  # source column name
    type: str  # contract type
    declared: str | None  # declared source type when it differs from the contract's
    pii: bool


@dataclass(frozen=True)
class TablePlan:
    """Everything needed to pull one contract table: the join of mapping and contract."""

    name: str
    contract: Contract
    database: str
    shards: tuple[str, ...]
    columns: tuple[ColumnPlan, ...]
    watermark: str | None
    lookback_minutes: float

    @property
    def primary_key(self) -> list[str]:
        return list(self.contract.primary_key)

    @property
    def source_key(self) -> list[str]:
        by_name = {c.name: c.source for c in self.columns}
        return [by_name[k] for k in self.contract.primary_key]

    def qualified(self, shard: str) -> str:
        return f"{self.database}.{shard}"

    def column(self, name: str) -> ColumnPlan:
        return next(c for c in self.columns if c.name == name)


def mappings_dir() -> Path:
    return contracts_dir() / "source_mappings"


def load_mapping(source_or_path: str | Path) -> SourceMapping:
    """A mapping by source name (``company``) or by file path."""
    path = Path(source_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = mappings_dir() / f"{source_or_path}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in mappings_dir().glob("*.yaml"))
        raise MappingError(f"no source mapping {path}; known sources: {known}")
    try:
        raw = yaml.safe_load(path.read_text())
        return SourceMapping(**raw, path=path)
    except (yaml.YAMLError, ValidationError, TypeError) as err:
        raise MappingError(f"source mapping {path} is invalid: {err}") from None


def _shard_names(m: TableMapping) -> tuple[str, ...]:
    if m.shards is None:
        return (m.table,)
    if isinstance(m.shards, int):
        return tuple(f"{m.table}_{i}" for i in range(m.shards))
    return tuple(m.shards)


def plan_table(name: str, m: TableMapping, contract: Contract, mapping: SourceMapping) -> TablePlan:
    where = f"{mapping.path or mapping.source}: table '{name}'"
    if contract.generic:
        raise MappingError(f"{where}: '{name}' is a generic analysis-input contract, not a source table")
    unknown = sorted((set(m.columns) | set(m.source_types)) - set(contract.columns))
    if unknown:
        raise MappingError(
            f"{where}: column(s) {unknown} are not in the contract; contract columns: "
            f"{list(contract.columns)}"
        )
    if not contract.primary_key:
        raise MappingError(f"{where}: the contract has no primary_key (needed to resume and dedupe)")
    columns = []
    for col, spec in contract.columns.items():
        source = m.columns.get(col) or spec.source_column or col
        declared = m.source_types.get(col) or (spec.source_type.lower() if spec.source_type else None)
        columns.append(ColumnPlan(col, _ident(source, "source column"), spec.type, declared, spec.pii))
    sources = [c.source for c in columns]
    if len(set(sources)) != len(sources):
        raise MappingError(f"{where}: two contract columns map to the same source column: {sources}")
    lookback = mapping.lookback_minutes if m.lookback_minutes is None else m.lookback_minutes
    return TablePlan(name, contract, m.database, _shard_names(m), tuple(columns), m.watermark, lookback)


def plan_tables(
    mapping: SourceMapping,
    tables: list[str] | None = None,
    contracts: dict[str, Contract] | None = None,
) -> list[TablePlan]:
    """Plans for the mapped tables (all, or the ones named), in the mapping's order."""
    contracts = contracts or all_contracts()
    missing = sorted(set(mapping.tables) - set(contracts))
    if missing:
        raise MappingError(f"{mapping.path or mapping.source}: no data contract for table(s) {missing}")
    if tables:
        unknown = sorted(set(tables) - set(mapping.tables))
        if unknown:
            raise MappingError(
                f"table(s) {unknown} are not in source mapping '{mapping.source}'; "
                f"mapped: {list(mapping.tables)}"
            )
    chosen = [t for t in mapping.tables if not tables or t in tables]
    return [plan_table(t, mapping.tables[t], contracts[t], mapping) for t in chosen]
