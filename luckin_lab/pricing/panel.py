"""The price-demand panel every estimator reads, and the design matrices built from it.

Columns (the ``generic_price_demand`` contract): ``unit`` (the cross-section, e.g. store x
category), ``group`` (the level elasticities are reported at: category or product),
``period`` (day or week start), ``price`` (effective price paid per unit; for a cell without
sales, the price on offer), ``quantity`` (units, zeros allowed). Optional: ``segment``
(customer segment: rows are then unit x segment x period), ``market`` (a key shared by the
groups sold together, needed for cross-price effects), ``list_price`` and ``unit_cost`` (for
recommendations). Instruments and controls are any numeric columns, named in a
:class:`PanelSpec`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

REQUIRED = ("unit", "group", "period", "price", "quantity")
OPTIONAL = ("segment", "market", "list_price", "unit_cost")


@dataclass(frozen=True)
class PanelSpec:
    """Which columns are instruments and controls, and which fixed effects to absorb."""

    instruments: tuple[str, ...]
    controls: tuple[str, ...] = ()
    time_effects: Literal["week", "trend", "none"] = "week"
    weekday_effects: bool = True
    cluster: Literal["period", "unit", "none"] = "period"

    def __post_init__(self) -> None:
        if not self.instruments:
            raise ValueError("a PanelSpec needs at least one instrument column")


class PanelError(ValueError):
    """A panel that cannot be estimated; the message names the column and offending rows."""


def check_panel(df: pd.DataFrame, spec: PanelSpec, table: str = "price-demand panel") -> None:
    """Refuse a panel whose instrument/control/optional columns are missing, non-numeric or bad."""
    missing = [c for c in (*REQUIRED, *spec.instruments, *spec.controls) if c not in df.columns]
    if missing:
        raise PanelError(
            f"{table}: missing column(s) {missing}; columns present: {list(df.columns)}"
        )
    numeric = ["price", "quantity", *spec.instruments, *spec.controls]
    numeric += [c for c in ("list_price", "unit_cost") if c in df.columns]
    for col in numeric:
        if not pd.api.types.is_numeric_dtype(df[col]):
            raise PanelError(f"{table}: column '{col}' must be numeric, got {df[col].dtype}")
        bad = ~np.isfinite(df[col].to_numpy(dtype=float))
        if bad.any():
            rows = df.loc[bad, ["unit", "period", col]].head(3).to_dict("records")
            raise PanelError(
                f"{table}: column '{col}' check finite: {int(bad.sum())} failing rows, e.g. {rows}"
            )
    for col, ok in (("price", df["price"] > 0), ("quantity", df["quantity"] >= 0)):
        if not ok.all():
            rows = df.loc[~ok, ["unit", "period", col]].head(3).to_dict("records")
            check = "> 0" if col == "price" else ">= 0"
            raise PanelError(
                f"{table}: column '{col}' check {check}: {int((~ok).sum())} failing rows, e.g. {rows}"
            )
    keys = ["unit", "period"] + (["segment"] if "segment" in df.columns else [])
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        rows = df.loc[dup, keys].head(3).to_dict("records")
        raise PanelError(f"{table}: key {keys} not unique: {int(dup.sum())} rows, e.g. {rows}")


def is_daily(df: pd.DataFrame) -> bool:
    periods = pd.Series(pd.to_datetime(df["period"].unique())).sort_values()
    return len(periods) < 2 or periods.diff().dropna().min() < pd.Timedelta(days=7)


def instrument_window(df: pd.DataFrame, spec: PanelSpec) -> tuple[pd.DataFrame, int]:
    """Keep periods from the first one in which some instrument varies across units.

    Before a randomized test starts the instrument is constant and identifies nothing; its
    rows would only let the (confounded) pre-test prices into the controls. Returns the kept
    rows and the number dropped, for the exclusion log.
    """
    per = df.groupby("period")[list(spec.instruments)].std().fillna(0.0)
    varying = per.index[(per > 1e-12).any(axis=1)]
    if len(varying) == 0:
        raise PanelError(
            f"instrument(s) {list(spec.instruments)} never vary across units in any period: "
            "nothing identifies the price effect"
        )
    keep = df["period"] >= varying.min()
    return df.loc[keep].reset_index(drop=True), int((~keep).sum())


def aggregate_segments(df: pd.DataFrame, spec: PanelSpec) -> pd.DataFrame:
    """Unit x period rows from unit x segment x period rows (quantity summed).

    The price is the quantity-weighted price paid, or the mean offered price where nothing sold.
    """
    if "segment" not in df.columns:
        return df.copy()
    keys = ["unit", "group", "period"] + (["market"] if "market" in df.columns else [])
    d = df.assign(_pq=df["price"] * df["quantity"])
    mean_cols = [*spec.instruments, *spec.controls]
    mean_cols += [c for c in ("list_price", "unit_cost") if c in df.columns]
    mean_cols = list(dict.fromkeys(c for c in mean_cols if c not in keys))
    g = d.groupby(keys, sort=False, observed=True)
    out = g[["quantity", "_pq"]].sum()
    out["_p_offer"] = g["price"].mean()
    out = out.join(g[mean_cols].mean()) if mean_cols else out
    out["price"] = np.where(out["quantity"] > 0, out["_pq"] / out["quantity"].where(out["quantity"] > 0, 1),
                            out["_p_offer"])
    return out.drop(columns=["_pq", "_p_offer"]).reset_index()


def add_control_gaps(df: pd.DataFrame, spec: PanelSpec) -> tuple[pd.DataFrame, PanelSpec]:
    """Split each control into its market-wide level and each group's gap to it.

    A planned (tactical) discount has a store-wide part every category gets that day and a
    category-specific part set on that category's own demand forecast; only the second part
    carries the forecast, so a model that sees the gap (and whether it is zero) absorbs much
    more of the foreseen demand shock than one that sees the depth alone. Needs ``market``
    (without it the panel is returned unchanged). Computed on the whole panel, before it is
    split by group, so the level is the market's over every group.
    """
    if "market" not in df.columns or not spec.controls:
        return df, spec
    out, extra = df.copy(), []
    for c in spec.controls:
        top = out.groupby(["market", "period"], observed=True)[c].transform("max")
        gap = (out[c] - top).to_numpy(dtype=float)
        out[f"{c}_gap"] = gap
        out[f"{c}_at_level"] = (np.abs(gap) < 1e-9).astype(float)
        extra += [f"{c}_gap", f"{c}_at_level"]
    return out, replace(spec, controls=(*spec.controls, *extra))


def fixed_effects(df: pd.DataFrame, spec: PanelSpec, extra: tuple[str, ...] = ()) -> np.ndarray:
    """Controls matrix: constant, unit/weekday/week dummies (or trend) and numeric controls."""
    period = pd.to_datetime(df["period"])
    parts: list[pd.DataFrame] = [pd.DataFrame({"const": np.ones(len(df))}, index=df.index)]
    cats = {"unit": df["unit"].astype(str), **{c: df[c].astype(str) for c in extra}}
    if spec.weekday_effects and is_daily(df):
        cats["weekday"] = period.dt.dayofweek.astype(str)
    if spec.time_effects == "week":
        cats["week"] = period.dt.to_period("W").astype(str)
    for name, s in cats.items():
        if s.nunique() > 1:
            parts.append(pd.get_dummies(s, prefix=name, drop_first=True, dtype=float))
    if spec.time_effects == "trend":
        t = (period - period.min()).dt.days.to_numpy(dtype=float)
        parts.append(pd.DataFrame({"trend": t / max(t.max(), 1.0)}, index=df.index))
    if spec.controls:
        parts.append(df[list(spec.controls)].astype(float))
    return pd.concat(parts, axis=1).to_numpy(dtype=float)


def clusters(df: pd.DataFrame, spec: PanelSpec) -> np.ndarray | None:
    if spec.cluster == "none":
        return None
    return pd.factorize(df[spec.cluster].astype(str))[0]
