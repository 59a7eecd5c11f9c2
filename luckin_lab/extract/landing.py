"""Rows from the driver -> a contract-typed frame: renames, exact casts, PII protection.

Casts are exact or refused: a varchar ``order_id`` becomes int64 only if every value is an
integer literal; otherwise the error names the source ``database.table.column``, the number
of bad values and a few of them with their keys. Nothing is coerced to NULL silently.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from luckin_lab.extract.errors import SourceTypeError
from luckin_lab.extract.mapping import ColumnPlan, TablePlan
from luckin_lab.extract.pii import PiiMode, protect

WATERMARK = "_wm"  # the watermark value travels with each pulled row until the merge
_INT_TEXT = re.compile(r"^\s*[+-]?\d+\s*$")
_N_EXAMPLES = 3


class _Bad(Exception):
    """A value that does not fit; collected, then reported together."""


def _to_int(v: Any, col: ColumnPlan) -> int:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, Decimal) and v == v.to_integral_value():
        return int(v)
    if isinstance(v, str) and col.declared and _INT_TEXT.match(v):
        return int(v)
    raise _Bad


def _to_float(v: Any, col: ColumnPlan) -> float:
    if isinstance(v, int | float | Decimal) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, str) and col.declared:
        try:
            return float(v)
        except ValueError:
            raise _Bad from None
    raise _Bad


def _to_str(v: Any, col: ColumnPlan) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            raise _Bad from None
    if isinstance(v, int) and not isinstance(v, bool) and col.declared:
        return str(v)
    raise _Bad


def _to_bool(v: Any, col: ColumnPlan) -> bool:
    if isinstance(v, bytes):  # BIT(1)
        v = int.from_bytes(v, "big")
    if isinstance(v, bool) or v in (0, 1):
        return bool(v)
    raise _Bad


def _to_time(v: Any, col: ColumnPlan) -> dt.datetime:
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    raise _Bad  # e.g. MySQL zero dates '0000-00-00', which the driver returns as text


_CONVERT = {"int64": _to_int, "float64": _to_float, "string": _to_str, "bool": _to_bool,
            "datetime": _to_time, "date": _to_time}


def _example(row: tuple, key_idx: list[int], key_names: list[str], value: Any) -> str:
    keys = ", ".join(f"{k}={row[i]!r}" for k, i in zip(key_names, key_idx, strict=True))
    return f"({keys}) value={value!r}"


def convert_column(
    values: Sequence[Any], col: ColumnPlan, where: str, rows: Sequence[tuple],
    key_idx: list[int], key_names: list[str], nullable: bool,
) -> pd.Series | np.ndarray | pd.api.extensions.ExtensionArray:
    """One column to its contract dtype, or a SourceTypeError naming ``where`` (db.table.column)."""
    fn = _CONVERT[col.type]
    out: list[Any] = []
    bad: list[int] = []
    nulls: list[int] = []
    for i, v in enumerate(values):
        if v is None:
            out.append(None)
            if not nullable:
                nulls.append(i)
            continue
        try:
            out.append(fn(v, col))
        except _Bad:
            out.append(None)
            bad.append(i)
    if bad:
        examples = "; ".join(_example(rows[i], key_idx, key_names, values[i]) for i in bad[:_N_EXAMPLES])
        kinds = sorted({type(values[i]).__name__ for i in bad})
        raise SourceTypeError(
            f"column {where} ({col.name}): {len(bad)} value(s) of type {kinds} do not fit contract "
            f"type {col.type}{' (declared source type ' + col.declared + ')' if col.declared else ''}; "
            f"e.g. {examples}"
        )
    if nulls:
        examples = "; ".join(_example(rows[i], key_idx, key_names, None) for i in nulls[:_N_EXAMPLES])
        raise SourceTypeError(
            f"column {where} ({col.name}): {len(nulls)} NULL value(s) but the contract column is not "
            f"nullable; e.g. {examples}"
        )
    if col.type == "int64":
        return pd.array(out, dtype="Int64") if nullable else np.asarray(out, dtype="int64")
    if col.type == "float64":
        return np.asarray([np.nan if v is None else v for v in out], dtype="float64")
    if col.type == "bool":
        return pd.array(out, dtype="boolean") if nullable else np.asarray(out, dtype=bool)
    if col.type in ("datetime", "date"):
        return pd.to_datetime(pd.Series(out, dtype=object)).astype("datetime64[ns]").to_numpy()
    return np.asarray(out, dtype=object)


def land_rows(
    plan: TablePlan, shard: str, rows: Sequence[tuple], pii: PiiMode, pii_key: bytes | None
) -> pd.DataFrame:
    """Rows selected as ``[c.source for c in plan.columns] (+ watermark)`` -> contract frame."""
    names = [c.name for c in plan.columns]
    key_idx = [names.index(k) for k in plan.primary_key]
    data: dict[str, Any] = {}
    for j, col in enumerate(plan.columns):
        spec = plan.contract.columns[col.name]
        values = [r[j] for r in rows]
        where = f"{plan.qualified(shard)}.{col.source}"
        data[col.name] = convert_column(values, col, where, rows, key_idx, plan.source_key, spec.nullable)
    if plan.watermark:
        wm = [r[len(plan.columns)] for r in rows]
        data[WATERMARK] = _watermark_array(wm, f"{plan.qualified(shard)}.{plan.watermark}")
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    for col in plan.columns:
        if col.pii:
            frame[col.name] = protect(frame[col.name], pii, pii_key)
    return frame


def _watermark_array(values: list[Any], where: str) -> np.ndarray:
    if any(v is None for v in values):
        raise SourceTypeError(
            f"watermark column {where} has NULL values; an incremental pull needs a non-NULL "
            "'last changed' column (or drop the watermark from the mapping for full pulls)"
        )
    if all(isinstance(v, int) for v in values):
        return np.asarray(values, dtype="int64")
    return pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]").to_numpy()
