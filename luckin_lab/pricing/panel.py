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

Design = Literal["panel", "series", "cross_section"]
DESIGN_WORDS = {
    "panel": "many units followed over many periods: each unit is compared with itself over time "
             "and each period across units",
    "series": "one unit's time series: periods are compared with each other, with the time "
              "controls given and no unit effects",
    "cross_section": "one period across many units: units are compared with each other, with no "
                     "period effects",
}


@dataclass(frozen=True)
class PanelSpec:
    """Which columns are instruments and controls, and which fixed effects to absorb.

    ``time_effects`` and ``cluster`` may be ``"auto"``: :func:`resolve_design` then picks
    what the data's shape allows (week effects and period clusters for a panel; Newey-West
    errors for a single series, because a series' shocks carry over from one period to the
    next; heteroskedasticity-robust errors, one cluster per unit, for a cross-section).
    ``cluster="hac"`` (single series only) is Newey-West: period sums of the scores with
    Bartlett-weighted products up to ``hac_lags`` periods apart (default: the Newey-West 1994
    rule of thumb, :func:`newey_west_lags`).
    """

    instruments: tuple[str, ...]
    controls: tuple[str, ...] = ()
    time_effects: Literal["week", "trend", "none", "auto"] = "week"
    weekday_effects: bool = True
    cluster: Literal["period", "unit", "none", "hac", "auto"] = "period"
    design: Design = "panel"
    hac_lags: int | None = None

    def __post_init__(self) -> None:
        if not self.instruments:
            raise ValueError("a PanelSpec needs at least one instrument column")

    @property
    def unit_effects(self) -> bool:
        return self.design == "panel"


class PanelError(ValueError):
    """A panel that cannot be estimated; the message names the column and offending rows."""


def detect_design(df: pd.DataFrame) -> Design:
    """Panel, single series or single cross-section, from the units per group and the periods."""
    units = int(df.groupby("group", observed=True)["unit"].nunique().max())
    periods = int(df["period"].nunique())
    if units <= 1 and periods <= 1:
        raise PanelError(
            f"the data hold one unit in one period ({len(df)} rows): an elasticity needs several "
            "periods of one unit (a time series) or several units in one period (a cross-section)"
        )
    if units <= 1:
        return "series"
    return "cross_section" if periods <= 1 else "panel"


def resolve_design(df: pd.DataFrame, spec: PanelSpec) -> PanelSpec:
    """The spec with the data's design and 'auto' settings resolved; refuses what cannot work."""
    design = detect_design(df)
    time_effects = spec.time_effects
    if time_effects == "auto":
        time_effects = "week" if design == "panel" else "none"
    cluster = spec.cluster
    if cluster == "auto":
        cluster = {"panel": "period", "series": "hac", "cross_section": "unit"}[design]
    if cluster == "hac" and design != "series":
        raise PanelError("cluster 'hac' (Newey-West errors over time) is for a single series; "
                         f"these data are a {design.replace('_', '-')}: use cluster: "
                         + ("period or unit" if design == "panel" else "unit or none"))
    lags = spec.hac_lags
    if cluster == "hac":
        n_periods = int(df.groupby("group", observed=True)["period"].nunique().max())
        lags = newey_west_lags(n_periods) if lags is None else lags
        if not 0 <= lags < n_periods:
            raise PanelError(f"hac_lags {lags} must be between 0 and the number of periods - 1 "
                             f"({n_periods - 1})")
    if design == "cross_section" and time_effects != "none":
        raise PanelError(f"time_effects '{time_effects}' needs several periods; the data hold one "
                         "period (a cross-section): set time_effects: none")
    if design == "cross_section" and cluster == "period":
        raise PanelError("cluster 'period' needs several periods; a cross-section has one: "
                         "use cluster: unit (robust errors per unit) or none")
    if design == "series" and cluster == "unit":
        raise PanelError("cluster 'unit' needs several units; a single series has one: "
                         "use cluster: period (robust errors per period) or none")
    out = replace(spec, design=design, time_effects=time_effects, cluster=cluster,  # type: ignore[arg-type]
                  weekday_effects=spec.weekday_effects and design != "cross_section",
                  hac_lags=lags if cluster == "hac" else None)
    check_identified(df, out)
    return out


def check_identified(df: pd.DataFrame, spec: PanelSpec) -> None:
    """Refuse a design in which the instruments cannot move price: name what is missing."""
    inst = list(spec.instruments)
    if spec.design == "series":
        if (df.groupby("group", observed=True)[inst].std().fillna(0.0) <= 1e-12).all(axis=None):
            raise PanelError(f"instrument(s) {inst} never change over the periods of this single "
                             "series: nothing identifies the price effect (a single series needs "
                             "an instrument that changes over time, e.g. weather or a cost shock)")
    elif spec.design == "cross_section":
        if (df.groupby("group", observed=True)[inst].std().fillna(0.0) <= 1e-12).all(axis=None):
            raise PanelError(f"instrument(s) {inst} take one value across the units of this "
                             "cross-section: nothing identifies the price effect (a cross-section "
                             "needs an instrument that differs between units, e.g. a local tax)")
    n_par = 2 + len(spec.controls) + len(inst)
    small = df.groupby("group", observed=True).size()
    if (small <= n_par).all():
        raise PanelError(f"{int(small.max())} rows per group for {n_par} parameters "
                         "(price, instruments, controls, constant): too few to estimate anything")


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
    rows and the number dropped, for the exclusion log. Only a panel has such a window: a
    single series or cross-section keeps every row (:func:`check_identified` refuses one whose
    instrument never moves).
    """
    if spec.design != "panel":
        return df.reset_index(drop=True), 0
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
    cats = {c: df[c].astype(str) for c in extra}
    if spec.unit_effects:
        cats = {"unit": df["unit"].astype(str), **cats}
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


def nested_effects(df: pd.DataFrame, spec: PanelSpec) -> int:
    """Columns of :func:`fixed_effects` nested in the clusters (the unit dummies, when
    clustering by unit), which the small-sample correction must not count.

    Counting them (as a plain n - k would) inflates unit-clustered standard errors by
    sqrt((n - 1) / (n - k)): about 45 % on a two-period panel of 48 units, halving the
    first-stage F. pyfixest (``k_fixef="nonnested"``) does not count them either; with
    this count the standard errors equal pyfixest's.
    """
    if spec.cluster != "unit" or not spec.unit_effects:
        return 0
    return int(df["unit"].nunique()) - 1


def newey_west_lags(n_periods: int) -> int:
    """Newey and West's (1994) rule of thumb: floor(4 (T/100)^(2/9)) lags (3 for 97 days).

    Lags count observed periods (the next market day is one lag on), as statsmodels and
    pyfixest count them."""
    return int(np.floor(4 * (n_periods / 100) ** (2 / 9)))


def cluster_labels(df: pd.DataFrame, spec: PanelSpec) -> np.ndarray:
    """One label per row for the robust errors; with ``hac`` the period, in an order that sorts
    by time (so sorted labels are the time order the lags need)."""
    if spec.cluster == "none":  # every cell its own cluster; labels unique across groups
        return (df["unit"].astype(str) + "|" + df["period"].astype(str)).to_numpy()
    if spec.cluster == "hac":
        return pd.to_datetime(df["period"]).dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy()
    return df[spec.cluster].astype(str).to_numpy()


def error_lags(spec: PanelSpec) -> int:
    """Newey-West lags the standard errors carry (0: plain clusters)."""
    return int(spec.hac_lags or 0) if spec.cluster == "hac" else 0


def clusters(df: pd.DataFrame, spec: PanelSpec) -> np.ndarray | None:
    """Cluster codes, numbered in sorted label order (time order for ``hac``)."""
    if spec.cluster == "none":
        return None
    return pd.factorize(cluster_labels(df, spec), sort=True)[0]


def summed_meat(scores: np.ndarray, cluster: np.ndarray, lags: int = 0) -> np.ndarray:
    """The sandwich's meat from scores (n x p): the outer products of per-cluster sums, plus,
    with ``lags`` (Newey-West), Bartlett-weighted products of sums 1..lags clusters apart.

    Cluster codes must be numbered in time order when ``lags`` > 0 (see :func:`clusters`).
    With one row per period and no lags this is the heteroskedasticity-robust meat."""
    scores = scores.reshape(len(scores), -1)
    sums = np.zeros((int(cluster.max()) + 1, scores.shape[1]))
    np.add.at(sums, cluster, scores)
    meat = sums.T @ sums
    for lag in range(1, lags + 1):
        cross = sums[lag:].T @ sums[:-lag]
        meat += (1 - lag / (lags + 1)) * (cross + cross.T)
    return meat
