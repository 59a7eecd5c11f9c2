"""All elasticity estimates of a panel: naive, 2SLS, DML and Poisson IV per group, the Poisson IV
per segment, cross-price.

Why several estimators side by side: the naive log-log regression treats every price change as
if it were random, but marketing deepened discounts exactly when it expected weak demand, so
low prices coincide with low demand and the naive slope is pulled toward zero. 2SLS uses only
the randomized price-test discount. DML does the same with machine-learned controls and keeps
zero-sale cells. The Poisson IV (the estimate decisions use, :data:`CAUSAL`) also keeps zeros
and models counts as counts, and absorbs unit x week, day and segment x unit effects: its
intervals are about as narrow as the log-linear 2SLS's without dropping zero-sale cells or
logging small counts (both bias 2SLS where cells sell a few units), on average narrower than
DML's, deterministic (no random folds), and their coverage is checked in simulation. All causal fits see the planned discount split into its
market-wide level and each group's gap to it (:func:`~luckin_lab.pricing.panel.add_control_gaps`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from luckin_lab.pricing.dml import DmlResult, ci, combine, dml_count_iv
from luckin_lab.pricing.linear_iv import WEAK_IV_F, tsls
from luckin_lab.pricing.panel import (
    PanelError,
    PanelSpec,
    add_control_gaps,
    aggregate_segments,
    clusters,
    error_lags,
    fixed_effects,
    nested_effects,
)
from luckin_lab.pricing.ppml import poisson_iv

METHODS = {"naive": "Naive OLS (log-log)", "2sls": "2SLS (instrumented)",
           "dml": "DML-IV (count model)", "poisson": "Poisson IV (fixed effects)"}
CAUSAL = "poisson"  # the estimate the recommendations, segments and headline numbers use
# below this many rows per group the machine-learned adjustments of DML have nothing to learn
# from (LightGBM leaves need 20 rows, five folds): DML is left out, with the reason
DML_MIN_ROWS = 500


@dataclass
class ElasticityResults:
    by_group: pd.DataFrame  # one row per group x method
    by_group_segment: pd.DataFrame  # Poisson IV cells (group x segment)
    by_segment: pd.DataFrame  # Poisson IV, pooled over groups (item-weighted)
    cross_price: pd.DataFrame
    weak_instrument: list[str] = field(default_factory=list)
    zero_rows: int = 0  # group x period cells without sales (left out of the log-log models)
    skipped: dict[str, str] = field(default_factory=dict)  # group -> why it was not estimated
    omitted: dict[str, str] = field(default_factory=dict)  # method -> why it was not run
    design: str = "panel"

    def causal(self, method: str = CAUSAL) -> pd.Series:
        t = self.by_group[self.by_group["method"] == method]
        return t.set_index("group")["elasticity"]


def _row(group: str, method: str, est: float, se: float, n: int, **extra) -> dict:
    lo, hi = ci(est, se)
    return dict(group=group, method=method, label=METHODS[method], elasticity=est, se=se,
                ci_low=lo, ci_high=hi, n_obs=n, **extra)


def loglog_fits(agg: pd.DataFrame, spec: PanelSpec) -> tuple[dict, dict]:
    """Naive OLS (fixed effects only) and 2SLS (instruments, controls) on cells with sales."""
    pos = agg[agg["quantity"] > 0].reset_index(drop=True)
    y = np.log(pos["quantity"].to_numpy(dtype=float))
    d = np.log(pos["price"].to_numpy(dtype=float))
    cl = clusters(pos, spec)
    nested = nested_effects(pos, spec)
    naive_x = fixed_effects(pos, replace(spec, controls=()))
    lags = error_lags(spec)
    naive = tsls(y, d, d, naive_x, cl, nested, lags)
    iv = tsls(y, d, pos[list(spec.instruments)].to_numpy(dtype=float), fixed_effects(pos, spec),
              cl, nested, lags)
    return (
        dict(est=float(naive.coef[0]), se=float(naive.se[0]), n=naive.n),
        dict(est=float(iv.coef[0]), se=float(iv.se[0]), n=iv.n, f=iv.first_stage_f[0]),
    )


def estimate_elasticities(
    panel: pd.DataFrame,
    spec: PanelSpec,
    dml_folds: int = 5,
    seed: int = 0,
    n_main_groups: int = 4,
    min_quantity: float = 200.0,
) -> ElasticityResults:
    """Every estimate the report shows. Groups with fewer than ``min_quantity`` units are refused."""
    panel, spec = add_control_gaps(panel, spec)
    totals = panel.groupby("group")["quantity"].sum().sort_values(ascending=False)
    thin = totals[totals < min_quantity]
    if len(thin) == len(totals):
        raise PanelError(f"no group has {min_quantity:.0f} units sold: {totals.to_dict()}")
    rows, cells, causal_results, weak = [], [], {}, []
    skipped = {g: f"not estimated: {totals[g]:.0f} units < {min_quantity:.0f}" for g in thin.index}
    zero_rows, omitted = 0, {}
    for group in totals.index:
        if group in skipped:
            continue
        sub = panel[panel["group"] == group].reset_index(drop=True)
        if (sub[list(spec.instruments)].std() <= 1e-12).all():
            skipped[group] = "not estimated: the instrument never varies for this group"
            continue
        agg = aggregate_segments(sub, spec)
        zero_rows += int((agg["quantity"] <= 0).sum())
        naive, iv = loglog_fits(agg, spec)
        rows.append(_row(group, "naive", naive["est"], naive["se"], naive["n"]))
        rows.append(_row(group, "2sls", iv["est"], iv["se"], iv["n"], first_stage_f=iv["f"],
                         weak_iv=iv["f"] < WEAK_IV_F))
        if iv["f"] < WEAK_IV_F:
            weak.append(group)
        fits = {}
        if len(sub) >= DML_MIN_ROWS:
            fits["dml"] = dml_count_iv(sub, spec, by="segment", n_folds=dml_folds, seed=seed)
        else:
            omitted["dml"] = (f"not run: {len(sub)} rows in {group}, fewer than the "
                              f"{DML_MIN_ROWS} its machine-learned adjustments need")
        res = fits["poisson"] = poisson_iv(sub, spec, by="segment")
        causal_results[group] = res
        for method, r in fits.items():
            est, se = combine([(r, _shares({c.key: c.quantity for c in r.cells}))])
            rows.append(_row(group, method, est, se, int(agg.shape[0]), first_stage_f=iv["f"],
                             weak_iv=iv["f"] < WEAK_IV_F))
        for c in res.cells:
            lo, hi = ci(c.elasticity, c.se)
            cells.append(dict(group=group, segment=c.key, elasticity=c.elasticity, se=c.se,
                              ci_low=lo, ci_high=hi, quantity=c.quantity, n_obs=c.n))
    if not rows:
        raise PanelError(f"no group could be estimated: {skipped}")
    by_group = pd.DataFrame(rows)
    by_cell = pd.DataFrame(cells)
    by_segment = _pool_segments(by_cell, causal_results) if "segment" in panel.columns else pd.DataFrame()
    main = [g for g in totals.index if g not in skipped][:n_main_groups]
    has_cross = "market" in panel.columns and len(main) > 1 and spec.design == "panel"
    cross = cross_price(panel, spec, main) if has_cross else pd.DataFrame()
    for g, why in skipped.items():
        by_group = pd.concat([by_group, pd.DataFrame([dict(
            group=g, method=CAUSAL, label=METHODS[CAUSAL], elasticity=np.nan, se=np.nan,
            ci_low=np.nan, ci_high=np.nan, n_obs=0, note=why)])], ignore_index=True)
    return ElasticityResults(by_group, by_cell, by_segment, cross, weak, zero_rows, skipped,
                             omitted, spec.design)


def _shares(q: dict[str, float]) -> dict[str, float]:
    total = sum(q.values())
    return {k: v / total for k, v in q.items()} if total > 0 else {k: 0.0 for k in q}


def _pool_segments(cells: pd.DataFrame, results: dict[str, DmlResult]) -> pd.DataFrame:
    """A segment's elasticity over groups, weighted by the units it buys in each."""
    rows = []
    for seg, grp in cells.groupby("segment", sort=False):
        w = _shares(dict(zip(grp["group"], grp["quantity"], strict=True)))
        est, se = combine([(results[g], {seg: w[g]}) for g in grp["group"]])
        lo, hi = ci(est, se)
        rows.append(dict(segment=seg, elasticity=est, se=se, ci_low=lo, ci_high=hi,
                         quantity=float(grp["quantity"].sum())))
    return pd.DataFrame(rows)


def cross_price(panel: pd.DataFrame, spec: PanelSpec, groups: list[str]) -> pd.DataFrame:
    """Own and cross-price elasticities among ``groups``: one 2SLS per demand equation.

    Each group's log demand is regressed on the log prices of all the groups, each price
    instrumented by its own randomized discount, with market and calendar fixed effects.
    Needs a ``market`` column shared by the groups (a store for the demo).
    """
    agg = aggregate_segments(panel[panel["group"].isin(groups)], spec)
    keys = ["market", "period"]
    inst = list(spec.instruments)
    values = list(dict.fromkeys(["quantity", "price", *inst, *spec.controls]))
    wide = agg.pivot_table(index=keys, columns="group", values=values)
    wide = wide.dropna().reset_index()
    flat = pd.DataFrame({"market": wide["market"], "period": wide["period"]})
    flat["unit"] = flat["market"].astype(str)
    base = fixed_effects(flat, replace(spec, controls=()))
    logp = np.column_stack([np.log(wide[("price", g)].to_numpy(dtype=float)) for g in groups])
    z = np.column_stack([wide[(c, g)].to_numpy(dtype=float) for g in groups for c in inst])
    cl = clusters(flat, spec) if spec.cluster == "period" else None
    rows = []
    for g in groups:
        q = wide[("quantity", g)].to_numpy(dtype=float)
        ok = q > 0
        ctrl = base[ok]
        if spec.controls:
            ctrl = np.column_stack([ctrl, *[wide.loc[ok, (c, g)].to_numpy(dtype=float)
                                            for c in spec.controls if (c, g) in wide.columns]])
        fit = tsls(np.log(q[ok]), logp[ok], z[ok], ctrl, None if cl is None else cl[ok])
        lo, hi = fit.ci()
        for j, k in enumerate(groups):
            rows.append(dict(demand_of=g, price_of=k, elasticity=fit.coef[j], se=fit.se[j],
                             ci_low=lo[j], ci_high=hi[j], first_stage_f_min=min(fit.first_stage_f),
                             significant=bool(lo[j] > 0 or hi[j] < 0), n_obs=fit.n))
    return pd.DataFrame(rows)
