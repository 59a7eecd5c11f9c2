"""Log-log OLS and two-stage least squares with robust (clustered) standard errors.

Written as plain linear algebra (Frisch-Waugh: fixed effects and controls are partialled out
first) rather than with ``linearmodels``: the estimators are a few lines, the panel has at most
a few hundred dummies, and it keeps one fewer dependency. The first-stage F is the robust Wald
statistic of the excluded instruments divided by their number (the Kleibergen-Paap style F for
one endogenous regressor); F < 10 raises the usual weak-instrument warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pyfixest.core.demean import demean_within
from scipy import stats

from luckin_lab.pricing.panel import PanelError, summed_meat

WEAK_IV_F = 10.0
# fixed effects are partialled out to this tolerance, far below any standard error here (see
# ppml.IWLS_TOL for why it is two orders tighter than the Poisson fit's own stop)
DEMEAN_TOL = 1e-12


@dataclass
class LinearFit:
    """Coefficients on the price regressor(s), with their robust covariance."""

    coef: np.ndarray
    cov: np.ndarray
    n: int
    first_stage_f: list[float] = field(default_factory=list)
    dof: int = 0

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    def ci(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        z = stats.norm.ppf(0.5 + level / 2)
        return self.coef - z * self.se, self.coef + z * self.se

    @property
    def weak_instrument(self) -> bool:
        return bool(self.first_stage_f) and min(self.first_stage_f) < WEAK_IV_F


def partial_out(*arrays: np.ndarray, controls: np.ndarray | None = None,
                fixed_effects: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """Residuals of each array (n or n x k) after least squares on the controls and fixed
    effects (Frisch-Waugh), one shape in, the same shape out.

    ``fixed_effects`` (integer codes per row) are swept out by demeaning within their levels, as
    many levels as the panel has and to ``DEMEAN_TOL``; the ``controls`` (a dense matrix,
    demeaned the same way first) are then projected out by least squares.
    """
    blocks = [np.asarray(a, float).reshape(len(a), -1) for a in arrays]
    ctrl = None if controls is None else np.asarray(controls, float).reshape(len(controls), -1)
    if fixed_effects:
        both = np.column_stack(blocks + ([ctrl] if ctrl is not None else []))
        flist = np.column_stack(fixed_effects).astype(np.uint32)
        both, ok, _ = demean_within(both, flist, None, tol=DEMEAN_TOL)
        if not ok:
            raise PanelError("partialling out the fixed effects did not converge")
        k = sum(b.shape[1] for b in blocks)
        stacked, ctrl = both[:, :k], (both[:, k:] if ctrl is not None else None)
    else:
        stacked = np.column_stack(blocks)
    if ctrl is not None and ctrl.shape[1]:
        beta, *_ = np.linalg.lstsq(ctrl, stacked, rcond=None)
        stacked = stacked - ctrl @ beta
    out, i = [], 0
    for a, b in zip(arrays, blocks, strict=True):
        k = b.shape[1]
        out.append(stacked[:, i] if np.ndim(a) == 1 else stacked[:, i : i + k])
        i += k
    return out


def _robust_cov(bread: np.ndarray, scores: np.ndarray, cluster: np.ndarray | None,
                n: int, k: int, lags: int = 0) -> np.ndarray:
    """Sandwich bread @ meat @ bread with HC1 or cluster (CR1) small-sample factors; with
    ``lags`` Newey-West over time-ordered period codes (one row per period: n / (n - k), as
    statsmodels' HAC with its small-sample correction)."""
    if cluster is None:
        meat = scores.T @ scores
        factor = n / max(n - k, 1)
    else:
        meat = summed_meat(scores, cluster, lags)
        g = len(np.unique(cluster))
        factor = g / max(g - 1, 1) * (n - 1) / max(n - k, 1)
    return factor * bread @ meat @ bread


def tsls(
    y: np.ndarray,
    endog: np.ndarray,
    instruments: np.ndarray,
    controls: np.ndarray,
    cluster: np.ndarray | None = None,
    nested: int = 0,
    lags: int = 0,
) -> LinearFit:
    """2SLS of y on endogenous regressors, instruments excluded, controls included.

    With ``instruments`` equal to ``endog`` this is OLS (no first stage is reported).
    ``nested``: control columns nested in the clusters (e.g. unit dummies when clustering by
    unit), left out of the small-sample count k as pyfixest and fixest do. ``lags``: Newey-West
    lags over ``cluster`` codes numbered in time order (one code per period).
    """
    endog = endog.reshape(len(y), -1)
    instruments = instruments.reshape(len(y), -1)
    is_ols = endog.shape == instruments.shape and np.array_equal(endog, instruments)
    if instruments.shape[1] < endog.shape[1]:
        raise ValueError(
            f"{endog.shape[1]} endogenous regressors need at least as many instruments, "
            f"got {instruments.shape[1]}"
        )
    yt, dt, zt = partial_out(y, endog, instruments, controls=controls)
    rank = np.linalg.matrix_rank(controls)
    n = len(y)
    if np.linalg.matrix_rank(zt) < zt.shape[1]:
        raise ValueError("instruments are collinear with the controls: no variation left")
    pi, *_ = np.linalg.lstsq(zt, dt, rcond=None)
    dhat = zt @ pi
    bread = np.linalg.inv(dhat.T @ dt)
    coef = bread @ (dhat.T @ yt)
    resid = yt - dt @ coef
    k = rank - nested + endog.shape[1]
    cov = _robust_cov(bread, dhat * resid[:, None], cluster, n, k, lags)
    f_stats: list[float] = []
    if not is_ols:
        for j in range(dt.shape[1]):
            f_stats.append(first_stage_f(dt[:, j], zt, cluster, rank - nested, lags))
    return LinearFit(coef, cov, n, f_stats, dof=n - k)


def first_stage_f(d: np.ndarray, z: np.ndarray, cluster: np.ndarray | None, n_controls: int,
                  lags: int = 0) -> float:
    """Robust Wald F of the excluded instruments in the (partialled-out) first stage."""
    zz = np.linalg.inv(z.T @ z)
    pi = zz @ (z.T @ d)
    v = d - z @ pi
    cov = _robust_cov(zz, z * v[:, None], cluster, len(d), n_controls + z.shape[1], lags)
    return float(pi @ np.linalg.solve(cov, pi) / z.shape[1])
