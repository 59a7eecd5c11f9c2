"""Poisson pseudo-maximum likelihood with high-dimensional fixed effects (PPML-HDFE).

Why Poisson: item counts per store x category x segment x day are small and often zero; the
exponential-mean model ``E[Q | w, X] = exp(b'w + fixed effects)`` is consistent for a constant
elasticity whatever the count distribution (only the mean must be right), keeps zero cells,
and weights cells by their expected volume, which is where the information is. One-way and
multi-way Poisson fixed effects do not suffer the incidental-parameter bias of logit/probit.

The fixed effects are absorbed, never built as dummies: each iteration updates every fixed
effect in closed form (the Poisson score of a group's own effect gives
``alpha_g += log(sum_g y / sum_g mu)``), then takes a Newton step for ``b`` on the regressors
partialled out of the fixed effects with weights ``mu`` (alternating projections). The
partialled-out regressors also give the sandwich covariance and each row's influence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class PoissonFit:
    coef: np.ndarray
    mu: np.ndarray  # fitted means (rows kept)
    xt: np.ndarray  # regressors partialled out of the fixed effects (weights mu)
    keep: np.ndarray  # rows used (groups with no sales at all drop out: their effect is -inf)
    hessian: np.ndarray  # xt' diag(mu) xt
    converged: bool

    def influence(self, y: np.ndarray) -> np.ndarray:
        """Row influence on ``coef`` (n_kept x k): coef_hat - coef ~= sum of rows."""
        score = self.xt * (y[self.keep] - self.mu)[:, None]
        return score @ np.linalg.inv(self.hessian).T


def _drop_empty(y: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    keep = np.ones(len(y), bool)
    changed = True
    while changed:
        changed = False
        for g in groups:
            tot = np.bincount(g[keep], weights=y[keep], minlength=g.max() + 1)
            bad = keep & (tot[g] <= 0)
            if bad.any():
                keep &= ~bad
                changed = True
    return keep


def partial_out_weighted(x: np.ndarray, groups: list[np.ndarray], w: np.ndarray,
                         tol: float = 1e-9, max_iter: int = 500) -> np.ndarray:
    """Weighted residuals of ``x`` on the fixed effects by alternating projections."""
    xt = x.copy()
    for _ in range(max_iter):
        prev = xt.copy()
        for g in groups:
            sw = np.bincount(g, weights=w)
            sw = np.where(sw > 0, sw, 1.0)
            for j in range(xt.shape[1]):
                xt[:, j] -= (np.bincount(g, weights=w * xt[:, j], minlength=len(sw)) / sw)[g]
        if np.max(np.abs(xt - prev)) < tol:
            break
    return xt


def ppml(y: np.ndarray, x: np.ndarray, fixed_effects: list[np.ndarray], tol: float = 1e-8,
         max_iter: int = 200) -> PoissonFit:
    """Poisson regression of counts ``y`` on ``x`` (n x k) with absorbed fixed effects.

    ``fixed_effects`` are integer codes per row (e.g. ``pd.factorize`` of store x segment).
    """
    x = np.asarray(x, float).reshape(len(y), -1)
    keep = _drop_empty(y, fixed_effects)
    y_k, x_k = y[keep], x[keep]
    groups = [pd_codes(g[keep]) for g in fixed_effects]
    b = np.zeros(x_k.shape[1])
    fe = np.full(len(y_k), np.log(max(y_k.mean(), 1e-12)))  # the fixed-effect part of eta
    converged = False
    for _ in range(max_iter):
        fe = _update_effects(y_k, x_k @ b, fe, groups, sweeps=3)
        mu = np.exp(x_k @ b + fe)
        xt = partial_out_weighted(x_k, groups, mu)
        h = xt.T @ (xt * mu[:, None])
        delta = np.linalg.solve(h, xt.T @ (y_k - mu))
        b = b + delta
        if np.max(np.abs(delta)) < tol:
            converged = True
            break
    fe = _update_effects(y_k, x_k @ b, fe, groups, sweeps=10)
    mu = np.exp(x_k @ b + fe)
    xt = partial_out_weighted(x_k, groups, mu)
    h = xt.T @ (xt * mu[:, None])
    return PoissonFit(b, mu, xt, keep, h, converged)


def _update_effects(y: np.ndarray, xb: np.ndarray, fe: np.ndarray, groups: list[np.ndarray],
                    sweeps: int) -> np.ndarray:
    """Closed-form Poisson updates of each fixed effect given the others (Gauss-Seidel)."""
    for _ in range(sweeps):
        for g in groups:
            mu = np.exp(xb + fe)
            fe = fe + np.log(np.bincount(g, weights=y) / np.bincount(g, weights=mu))[g]
    return fe


def pd_codes(g: np.ndarray) -> np.ndarray:
    """Dense 0..G-1 codes of an integer array."""
    return np.unique(g, return_inverse=True)[1]
