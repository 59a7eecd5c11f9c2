"""Double/debiased machine learning for constant elasticities from count data.

Item counts per store x category x segment x day are small and often zero, so the usual
partially linear IV model on ``log(quantity)`` would have to drop zeros (selection on the
outcome) and inherits the bias of logging small counts. We use the multiplicative model
instead: ``E[Q | w, X] = exp(beta * w) * m(X)`` for the instrument ``w``, with the
Neyman-orthogonal moment

    E[(Q * exp(-beta * w) - m(X)) * (w - r(X))] = 0,   r(X) = E[w | X],

and the first stage ``pi`` from the partialled-out regression of log price on ``w``. The
elasticity is ``beta / pi`` (a Wald ratio). ``m`` and ``r`` are LightGBM models, cross-fitted
over folds of whole cells (unit x period) so a cell's own shock never leaks into its nuisance.
Standard errors come from the stacked influence functions, clustered like the linear models.
Heterogeneity: ``beta`` and ``pi`` are separate for each segment, nuisances are shared (the
segment is a feature).
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy import optimize, stats

from luckin_lab.pricing.panel import (
    PanelError,
    PanelSpec,
    cluster_labels,
    error_lags,
    is_daily,
    summed_meat,
)

LGB_PARAMS = dict(
    n_estimators=150, learning_rate=0.05, num_leaves=15, min_child_samples=20,
    subsample=0.8, subsample_freq=1, n_jobs=1, verbose=-1,
)


@dataclass
class DmlCell:
    key: str
    elasticity: float
    se: float
    beta: float
    pi: float
    n: int
    quantity: float


@dataclass
class DmlResult:
    """Per-cell estimates plus each row's influence (for aggregating with covariances)."""

    cells: list[DmlCell]
    influence: pd.DataFrame  # columns: cell, cluster, phi (e_hat - e ~= sum of phi in the cell)
    lags: int = 0  # Newey-West lags over the time-ordered cluster labels (0: plain clusters)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([c.__dict__ for c in self.cells])


def _features(df: pd.DataFrame, spec: PanelSpec, by: str | None) -> np.ndarray:
    period = pd.to_datetime(df["period"])
    cols = {}
    if spec.unit_effects:  # a single series has one unit; in a cross-section each row is one
        cols["unit"] = pd.factorize(df["unit"])[0]
    if spec.design != "cross_section":
        cols["t"] = (period - period.min()).dt.days.to_numpy()
    if is_daily(df) and spec.design != "cross_section":
        cols["weekday"] = period.dt.dayofweek.to_numpy()
    if by:
        cols[by] = pd.factorize(df[by])[0]
    for c in spec.controls:
        cols[c] = df[c].to_numpy(dtype=float)
    if not cols:
        cols["const"] = np.zeros(len(df))
    return pd.DataFrame(cols).to_numpy(dtype=float)


def _cross_fit(x: np.ndarray, y: np.ndarray, folds: np.ndarray, objective: str,
               params: dict) -> np.ndarray:
    pred = np.empty(len(y))
    for k in np.unique(folds):
        test = folds == k
        model = lgb.LGBMRegressor(objective=objective, **params)
        model.fit(x[~test], y[~test])
        pred[test] = model.predict(x[test])
    return pred


def _solve_beta(q: np.ndarray, w: np.ndarray, wt: np.ndarray, m: np.ndarray, start: float) -> float:
    def f(b: float) -> float:
        return float(np.sum((q * np.exp(-b * w) - m) * wt))

    lo, hi = start - 2.0, start + 2.0
    for _ in range(20):
        if f(lo) * f(hi) < 0:
            return float(optimize.brentq(f, lo, hi, xtol=1e-10))
        lo, hi = lo - 2.0, hi + 2.0
    res = optimize.minimize_scalar(lambda b: f(b) ** 2, bounds=(lo, hi), method="bounded")
    return float(res.x)


def dml_count_iv(
    df: pd.DataFrame,
    spec: PanelSpec,
    by: str | None = "segment",
    n_folds: int = 5,
    n_iter: int = 2,
    seed: int = 0,
    lgb_params: dict | None = None,
) -> DmlResult:
    """Elasticity of ``quantity`` w.r.t. ``price`` for each level of ``by`` (or overall)."""
    params = {**LGB_PARAMS, **(lgb_params or {}), "random_state": seed}
    by = by if by and by in df.columns else None
    df = df.reset_index(drop=True)
    q = df["quantity"].to_numpy(dtype=float)
    d = np.log(df["price"].to_numpy(dtype=float))
    z = df[list(spec.instruments)].to_numpy(dtype=float)
    if z.shape[1] == 1:
        w = z[:, 0]
    else:  # several instruments: their linear combination that best predicts log price
        zc = np.column_stack([np.ones(len(z)), z])
        w = zc @ np.linalg.lstsq(zc, d, rcond=None)[0]
    x = _features(df, spec, by)
    rng = np.random.default_rng(seed)
    cell_id = pd.factorize(df["unit"].astype(str) + "|" + df["period"].astype(str))[0]
    fold_of_cell = rng.permutation(cell_id.max() + 1) % n_folds
    folds = fold_of_cell[cell_id]
    r = _cross_fit(x, w, folds, "regression", params)
    dh = _cross_fit(x, d, folds, "regression", params)
    wt, dt = w - r, d - dh
    keys = df[by].astype(str).to_numpy() if by else np.full(len(df), "all")
    levels = list(dict.fromkeys(keys))
    members = {k: keys == k for k in levels}
    pi = {}
    for k, sel in members.items():
        denom = float(np.sum(wt[sel] ** 2))
        if denom <= 0:
            raise PanelError(f"DML: instrument has no variation for {by}={k}")
        pi[k] = float(np.sum(dt[sel] * wt[sel]) / denom)
    beta = {k: 0.0 for k in levels}
    m = np.zeros(len(df))
    for _ in range(n_iter):
        target = q * np.exp(-np.array([beta[k] for k in keys]) * w)
        m = _cross_fit(x, target, folds, "poisson", params)
        beta = {k: _solve_beta(q[sel], w[sel], wt[sel], m[sel], beta[k]) for k, sel in members.items()}

    labels = cluster_labels(df, spec)
    cluster = pd.factorize(labels, sort=True)[0]
    lags = error_lags(spec)
    cells, infl = [], []
    for k, sel in members.items():
        n = int(sel.sum())
        b, p = beta[k], pi[k]
        ew = q[sel] * np.exp(-b * w[sel])
        psi1 = (ew - m[sel]) * wt[sel]
        j1 = float(np.mean(-w[sel] * ew * wt[sel]))
        psi2 = (dt[sel] - p * wt[sel]) * wt[sel]
        j2 = -float(np.mean(wt[sel] ** 2))
        if_b, if_p = -psi1 / j1, -psi2 / j2
        phi = (if_b / p - b / p**2 * if_p) / n
        var = float(summed_meat(phi, cluster[sel], lags)[0, 0])
        cells.append(DmlCell(k, b / p, float(np.sqrt(var)), b, p, n, float(q[sel].sum())))
        infl.append(pd.DataFrame({"cell": k, "cluster": labels[sel], "phi": phi}))
    return DmlResult(cells, pd.concat(infl, ignore_index=True), lags)


def combine(parts: list[tuple[DmlResult, dict[str, float]]]) -> tuple[float, float]:
    """Weighted sum of cell elasticities (across results) and its standard error.

    Influences of rows in the same cluster (e.g. the same period in two categories) are added
    before squaring, so correlated estimates are combined correctly.
    """
    est, frames = 0.0, []
    for res, weights in parts:
        est += sum(weights.get(c.key, 0.0) * c.elasticity for c in res.cells)
        inf = res.influence
        frames.append(pd.DataFrame({
            "cluster": inf["cluster"],
            "phi": inf["phi"] * inf["cell"].map(weights).fillna(0.0),
        }))
    allinf = pd.concat(frames, ignore_index=True)
    lags = max(res.lags for res, _ in parts)  # Newey-West lags (0: plain clusters)
    codes = pd.factorize(allinf["cluster"].to_numpy(), sort=True)[0]
    var = float(summed_meat(allinf["phi"].to_numpy(), codes, lags)[0, 0])
    return est, float(np.sqrt(var))


def ci(est: float, se: float, level: float = 0.95) -> tuple[float, float]:
    z = stats.norm.ppf(0.5 + level / 2)
    return est - z * se, est + z * se
