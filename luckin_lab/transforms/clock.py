"""Time differences every engine computes alike.

Spark's ``unix_timestamp`` drops the fraction of a second while DuckDB's ``epoch`` keeps it,
and Spark reads a literal ``86400.0`` as an exact decimal (so ``bigint / 86400.0`` is rounded
to a few places). Here both sides are whole seconds and the division is in doubles, so a
transform gives the same number on DuckDB, Spark or a warehouse.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

DAY_S = 86_400.0


def whole_seconds(ts: ir.Value) -> ir.IntegerValue:
    """Whole seconds since 1970 (the fraction of a second is dropped on every engine)."""
    return ts.cast("timestamp").epoch_seconds().floor().cast("int64")


def days_between(later: ir.Value, earlier: ir.Value) -> ir.FloatingValue:
    """Days from ``earlier`` to ``later`` as a float, to the second."""
    seconds = (whole_seconds(later) - whole_seconds(earlier)).cast("float64")
    return seconds / ibis.literal(DAY_S, type="float64")
