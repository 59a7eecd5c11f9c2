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
from scipy import stats

from luckin_lab.pricing.panel import summed_meat

WEAK_IV_F = 10.0


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


def partial_out(x: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    """Residuals of each array after least squares on ``x`` (the absorbed controls)."""
    stacked = np.column_stack([a.reshape(len(x), -1) for a in arrays])
    beta, *_ = np.linalg.lstsq(x, stacked, rcond=None)
    resid = stacked - x @ beta
    out, i = [], 0
    for a in arrays:
        k = 1 if a.ndim == 1 else a.shape[1]
        out.append(resid[:, i] if a.ndim == 1 else resid[:, i : i + k])
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
    yt, dt, zt = partial_out(controls, y, endog, instruments)
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
