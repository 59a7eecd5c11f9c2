"""Pre-flight: before any row is pulled, every mapped table, shard and column must exist on
the source and have a type that fits its contract. One query on ``information_schema``
answers all of it, so a wrong mapping fails in seconds with the exact place named."""

from __future__ import annotations

from dataclasses import dataclass, field

from luckin_lab.extract.connection import ReadOnlySession
from luckin_lab.extract.errors import MappingError, SourceSchemaError, SourceTypeError
from luckin_lab.extract.mapping import ColumnPlan, TablePlan

INT_TYPES = frozenset({"tinyint", "smallint", "mediumint", "int", "integer", "bigint"})
TEXT_TYPES = frozenset({"char", "varchar", "text", "tinytext", "mediumtext", "longtext", "enum", "set"})
TIME_TYPES = frozenset({"datetime", "timestamp", "date"})
FLOAT_TYPES = frozenset({"decimal", "float", "double"})

# source types each contract type accepts without a declared cast
FITS: dict[str, frozenset[str]] = {
    "int64": INT_TYPES,
    "float64": FLOAT_TYPES | INT_TYPES,
    "string": TEXT_TYPES,
    "bool": frozenset({"tinyint", "bit", "bool", "boolean"}),
    "datetime": TIME_TYPES,
    "date": TIME_TYPES,
}
# declared casts the landing code knows how to do exactly (or refuse value by value)
CASTS: dict[str, frozenset[str]] = {
    "int64": TEXT_TYPES,  # '12345' -> 12345; anything else is a clear error
    "float64": TEXT_TYPES,
    "string": INT_TYPES,  # 12345 -> '12345'
}
WATERMARK_TYPES = TIME_TYPES | INT_TYPES


def _family(source_type: str) -> frozenset[str]:
    for fam in (INT_TYPES, TEXT_TYPES, TIME_TYPES, FLOAT_TYPES):
        if source_type in fam:
            return fam
    return frozenset({source_type})


def accepted_types(col: ColumnPlan) -> frozenset[str]:
    ok = FITS[col.type]
    if col.declared and col.declared not in ok:
        fam = _family(col.declared)
        if not fam <= CASTS.get(col.type, frozenset()):
            raise MappingError(
                f"contract column '{col.name}' is {col.type} but its declared source type "
                f"{col.declared} has no exact cast; supported casts: "
                f"{ {t: sorted(v) for t, v in CASTS.items()} }"
            )
        ok = ok | fam
    return ok


@dataclass
class SourceCatalog:
    """What the pre-flight found: column types per shard, plus warnings worth printing."""

    columns: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def check_source(session: ReadOnlySession, plans: list[TablePlan]) -> SourceCatalog:
    """Raise SourceSchemaError / SourceTypeError for the first plan that does not fit."""
    databases = sorted({p.database for p in plans})
    marks = ", ".join(f":d{i}" for i in range(len(databases)))
    _, rows = session.select(
        "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE "
        f"FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN ({marks})",
        {f"d{i}": d for i, d in enumerate(databases)},
        context="reading information_schema",
    )
    found: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
    for db, table, col, data_type, column_type in rows:
        found.setdefault((db, table), {})[str(col).lower()] = (str(data_type).lower(), str(column_type))
    catalog = SourceCatalog()
    for plan in plans:
        origin = f"contract table '{plan.name}'"
        for shard in plan.shards:
            where = plan.qualified(shard)
            cols = found.get((plan.database, shard))
            if cols is None:
                in_db = sorted(t for d, t in found if d == plan.database)
                raise SourceSchemaError(
                    f"source table {where} ({origin}) does not exist on the source, or the user "
                    f"has no SELECT on it; tables visible in {plan.database}: "
                    f"{in_db[:20] if in_db else 'none (unknown database or no grant)'}"
                )
            for col in plan.columns:
                got = cols.get(col.source.lower())
                if got is None:
                    raise SourceSchemaError(
                        f"column {where}.{col.source} ({origin}, column '{col.name}') does not "
                        f"exist; {where} has columns {sorted(cols)}"
                    )
                data_type, column_type = got
                if data_type not in accepted_types(col):
                    raise SourceTypeError(
                        f"column {where}.{col.source} is {column_type} in the source, which does not "
                        f"fit contract type {col.type} of {plan.name}.{col.name}; declare a "
                        "lossless cast in the mapping's source_types or fix the mapping"
                    )
            if plan.watermark:
                wm = cols.get(plan.watermark.lower())
                if wm is None:
                    raise SourceSchemaError(
                        f"watermark column {where}.{plan.watermark} ({origin}) does not exist; "
                        f"{where} has columns {sorted(cols)}"
                    )
                if wm[0] not in WATERMARK_TYPES:
                    raise SourceTypeError(
                        f"watermark column {where}.{plan.watermark} is {wm[1]}; a watermark must be "
                        "a datetime, timestamp or integer column that grows when a row changes"
                    )
            catalog.columns[(plan.database, shard)] = {k: v[0] for k, v in cols.items()}
        catalog.warnings.extend(_unmapped_shards(plan, found))
    return catalog


def _unmapped_shards(plan: TablePlan, found: dict[tuple[str, str], dict]) -> list[str]:
    """Shard-looking tables (<base>_<n>) the mapping does not list: maybe a new shard."""
    if len(plan.shards) < 2:
        return []
    base = plan.shards[0].rsplit("_", 1)[0]
    extra = sorted(
        t for d, t in found
        if d == plan.database and t.startswith(base + "_") and t[len(base) + 1:].isdigit()
        and t not in plan.shards
    )
    if not extra:
        return []
    return [f"{plan.name}: {plan.database} has shard-like tables not in the mapping: {extra}"]
