"""Poisson pseudo-maximum likelihood with high-dimensional fixed effects (PPML-HDFE).

Why Poisson: item counts per store x category x segment x day are small and often zero; the
exponential-mean model ``E[Q | w, X] = exp(b'w + fixed effects)`` is consistent for a constant
elasticity whatever the count distribution (only the mean must be right), keeps zero cells,
and weights cells by their expected volume, which is where the information is. Poisson fixed
effects do not carry logit/probit's incidental-parameter bias into the coefficient (exactly so
with one way; with several ways what remains is small next to these standard errors, checked
in simulation), but they do use up degrees of freedom, so the standard errors get a CR1-style
correction that counts them.

The fit is ``pyfixest.fepois`` (the ``ppmlhdfe`` algorithm): iteratively reweighted least
squares whose weighted steps partial the fixed effects out, with the groups that never sell
dropped first (their effect is -inf) and regressors collinear with the fixed effects dropped.
The partialling out is pyfixest's preconditioned LSMR, not its default alternating
projections: with Poisson weights near zero (cells a fixed-effect combination predicts to be
empty) and nearly collinear effects (segment x unit next to unit x week), the projections
(at pyfixest's default tolerance, 1e-6) do not converge in 100,000 sweeps for one category of
the small demo store; LSMR solves it in well under a second. The last step's partialled-out
regressors give each row's score and the Hessian, hence the sandwich covariance and each row's
influence, which :func:`poisson_iv` needs to combine the reduced form with the first stage
and cluster.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyfixest as pf

from luckin_lab.pricing.dml import DmlCell, DmlResult
from luckin_lab.pricing.linear_iv import DEMEAN_TOL, partial_out
from luckin_lab.pricing.panel import (
    PanelError,
    PanelSpec,
    cluster_labels,
    error_lags,
    is_daily,
    summed_meat,
)

# Tolerances far below any standard error here: IRLS stops when the deviance changes by less
# than 1e-10 (relative), and each partialling out is solved two orders tighter, so its own
# error cannot keep the deviance moving above that. Looser (1e-8 for both, pyfixest's
# defaults) moves standard errors by up to 7e-5 relative on the small demo store; with the LSMR
# at 1e-10 under a 1e-12 stop, IRLS never converges there.
IWLS_TOL = 1e-10  # DEMEAN_TOL (linear_iv) is the partialling out's
DEMEANER = pf.LsmrDemeaner(fixef_atol=DEMEAN_TOL, fixef_btol=DEMEAN_TOL)


@dataclass
class PoissonFit:
    coef: np.ndarray  # one per column of x; 0 for a column collinear with the fixed effects
    mu: np.ndarray  # fitted means (rows kept)
    keep: np.ndarray  # rows used (groups with no sales at all drop out: their effect is -inf)
    scores: np.ndarray  # per kept row: x partialled out of the fixed effects x (y - mu)
    hessian: np.ndarray  # x' diag(mu) x after partialling (columns kept)
    kept_columns: np.ndarray  # columns of x not collinear with the fixed effects
    converged: bool

    def influence(self) -> np.ndarray:
        """Row influence on ``coef`` (n_kept x k): coef_hat - coef ~= sum of rows."""
        out = np.zeros((len(self.mu), len(self.coef)))
        out[:, self.kept_columns] = self.scores @ np.linalg.inv(self.hessian).T
        return out


def ppml(y: np.ndarray, x: np.ndarray, fixed_effects: list[np.ndarray],
         max_iter: int = 200) -> PoissonFit:
    """Poisson regression of counts ``y`` on ``x`` (n x k) with absorbed fixed effects.

    ``fixed_effects`` are integer codes per row (e.g. ``pd.factorize`` of store x segment).
    Singletons are kept (``fixef_rm="none"``): they leave the coefficients alone and the
    caller counts degrees of freedom itself.
    """
    y = np.asarray(y, float)
    x = np.asarray(x, float).reshape(len(y), -1)
    names = [f"x{i}" for i in range(x.shape[1])]
    fe_names = [f"fe{i}" for i in range(len(fixed_effects))]
    data = pd.DataFrame(x, columns=names)
    data["y"] = y
    for name, codes in zip(fe_names, fixed_effects, strict=True):
        data[name] = np.asarray(codes)
    if not (y > 0).any():
        raise ValueError("ppml: every count is zero")
    with warnings.catch_warnings():  # dropped rows and columns: see ``keep``, ``kept_columns``
        warnings.filterwarnings("ignore", message=".*removed because of separation")
        warnings.filterwarnings("ignore", message=r"(?s).*dropped due to multicollinearity")
        m = pf.fepois(f"y ~ {' + '.join(names)} | {' + '.join(fe_names)}", data,
                      vcov="hetero", fixef_rm="none", iwls_tol=IWLS_TOL, iwls_maxiter=max_iter,
                      demeaner=DEMEANER)
    keep = np.ones(len(y), bool)
    keep[np.asarray(m.na_index, int)] = False
    if keep.sum() != m._N:
        raise ValueError("ppml: x or y has missing values")
    cols = np.array([names.index(str(c)) for c in m._coefnames], int)
    coef = np.zeros(x.shape[1])
    coef[cols] = m.coef().to_numpy()
    # pyfixest keeps the last step's sqrt(mu)-weighted regressors and residuals: their product
    # is the score, x_tilde * (y - mu), and their cross product the Hessian
    return PoissonFit(coef, m._Y_hat_response, keep, m._scores, m._hessian, cols,
                      bool(m.convergence))


# ---- the headline causal estimator: Poisson IV with fixed effects ----------------------------


def poisson_fixed_effects(df: pd.DataFrame, by: str | None,
                          spec: PanelSpec | None = None) -> tuple[list[np.ndarray], list[bool]]:
    """Fixed effects absorbed by :func:`poisson_iv` (integer codes per row), and which of them
    are nested in unit clusters.

    On a panel with week effects: period (calendar shocks), ``by`` x unit (levels) and, on a
    daily panel, unit x week: slow local movements (a neighbour opening, a Huff share
    drifting) are most of a unit's day-to-day demand variance beyond the counts' own noise,
    and the randomized test is drawn within the week, so absorbing them costs the instrument
    nothing. Segment x period effects were tried: same estimates, wider intervals (660 more
    parameters for little variance). ``time_effects: none`` or ``trend`` drop the period and
    unit x week effects (a trend enters the regressors instead); a single series or
    cross-section has no unit effects, only a level per ``by`` (and, on a daily series, the
    weekday when weekday effects are on).
    """
    spec = spec or PanelSpec(instruments=("_",))
    by_key = df[by].astype(str) if by else pd.Series("all", index=df.index)
    unit, period = df["unit"].astype(str), pd.to_datetime(df["period"])
    week = period.dt.to_period("W").astype(str)
    fes, nested = [], []
    if spec.unit_effects:
        fes.append(pd.factorize(by_key + "|" + unit)[0])
        nested.append(True)
    else:
        fes.append(pd.factorize(by_key)[0])
        nested.append(False)
    if spec.time_effects == "week" and spec.design == "panel":
        fes.append(pd.factorize(period)[0])
        nested.append(False)
        if is_daily(df):
            fes.append(pd.factorize(unit + "|" + week)[0])
            nested.append(True)
    elif spec.time_effects == "week" and spec.design == "series":
        fes.append(pd.factorize(week)[0])
        nested.append(False)
    if (spec.weekday_effects and is_daily(df) and spec.design != "cross_section"
            and not (spec.time_effects == "week" and spec.design == "panel")):
        fes.append(period.dt.dayofweek.to_numpy())
        nested.append(False)
    return fes, nested


def poisson_iv(df: pd.DataFrame, spec: PanelSpec, by: str | None = "segment") -> DmlResult:
    """Elasticity per level of ``by``: Poisson reduced form over the first stage (a Wald ratio).

    Reduced form: ``E[Q] = exp(b_k * w + g(controls) + fixed effects)`` with one ``b_k`` per
    level ``k`` of ``by``; ``w`` is the randomized instrument, so ``b_k`` is consistent even if
    the controls' part is misspecified (it only costs precision). First stage: log price on
    ``w`` within level ``k`` after the same fixed effects (least squares), giving ``pi_k``; the
    elasticity is ``b_k / pi_k``, its influence the delta method of both, clustered like the
    linear models.
    """
    by = by if by and by in df.columns else None
    df = df.reset_index(drop=True)
    q = df["quantity"].to_numpy(dtype=float)
    d = np.log(df["price"].to_numpy(dtype=float))
    w = _instrument_index(df, spec, d)
    keys = df[by].astype(str).to_numpy() if by else np.full(len(df), "all")
    levels = list(dict.fromkeys(keys))
    wk = np.column_stack([w * (keys == k) for k in levels])
    ctrl = df[list(spec.controls)].to_numpy(dtype=float).reshape(len(df), -1)
    if spec.time_effects == "trend":
        t = (pd.to_datetime(df["period"]) - pd.to_datetime(df["period"]).min()).dt.days
        ctrl = np.column_stack([ctrl, t.to_numpy(dtype=float) / max(float(t.max()), 1.0)])
    ctrl = ctrl[:, np.ptp(ctrl, axis=0) > 1e-12] if ctrl.shape[1] else ctrl
    x = np.column_stack([wk, ctrl])
    fes, nested = poisson_fixed_effects(df, by, spec)
    fit = ppml(q, x, fes)
    if not fit.converged:
        raise PanelError("Poisson IV did not converge")
    if not np.isin(np.arange(len(levels)), fit.kept_columns).all():
        raise PanelError(f"Poisson IV: the instrument is collinear with the fixed effects ({by})")
    inf_b = np.zeros((len(df), len(levels)))
    inf_b[fit.keep] = fit.influence()[:, : len(levels)]
    # first stage per level: least squares after the same fixed effects and the controls (which
    # move price too: leaving them in the residual would only add noise to pi)
    dt, wt = partial_out(d, w, controls=ctrl, fixed_effects=fes)
    labels = cluster_labels(df, spec)
    cluster = pd.factorize(labels, sort=True)[0]
    lags = error_lags(spec)
    counted = [g for g, is_nested in zip(fes, nested, strict=True)
               if not (is_nested and spec.cluster == "unit")]
    # each further effect repeats one level of the first; nested effects are not counted
    redundant = len(counted) - 1 if len(counted) == len(fes) else len(counted)
    n_par = x.shape[1] + sum(int(g.max()) + 1 for g in counted) - redundant
    small = _small_sample(len(df), n_par, int(cluster.max()) + 1)
    cells, infl = [], []
    for j, k in enumerate(levels):
        sel = keys == k
        denom = float(np.sum(wt[sel] ** 2))
        if denom <= 0:
            raise PanelError(f"Poisson IV: the instrument has no variation for {by}={k}")
        p = float(np.sum(dt[sel] * wt[sel]) / denom)
        b = float(fit.coef[j])
        if_p = np.where(sel, (dt - p * wt) * wt / denom, 0.0)
        phi = inf_b[:, j] / p - b / p**2 * if_p
        phi = phi * small
        se = float(np.sqrt(summed_meat(phi, cluster, lags)[0, 0]))
        cells.append(DmlCell(k, b / p, se, b, p, int(sel.sum()), float(q[sel].sum())))
        infl.append(pd.DataFrame({"cell": k, "cluster": labels, "phi": phi}))
    return DmlResult(cells, pd.concat(infl, ignore_index=True), lags)


def _small_sample(n: int, n_par: int, n_clusters: int) -> float:
    """CR1 factor on the influence (as for the linear fits): G/(G-1) * (n-1)/(n-k), square-rooted.

    The fixed effects use up many degrees of freedom (a unit x week effect rests on a few dozen
    cells), and without the (n-1)/(n-k) part the sandwich understates the spread of the
    estimate: 5-10 % too small in simulated panels like the demo's.
    """
    g = n_clusters / max(n_clusters - 1, 1)
    return float(np.sqrt(g * (n - 1) / max(n - n_par, 1)))


def _instrument_index(df: pd.DataFrame, spec: PanelSpec, log_price: np.ndarray) -> np.ndarray:
    """The instrument, or with several the linear combination that best predicts log price."""
    z = df[list(spec.instruments)].to_numpy(dtype=float)
    if z.shape[1] == 1:
        return z[:, 0]
    zc = np.column_stack([np.ones(len(z)), z])
    return zc @ np.linalg.lstsq(zc, log_price, rcond=None)[0]

