"""Vectorised survival likelihoods for fleets of hundreds of thousands of units.

lifelines fits the report's models; these numpy versions do the same fits (Cox with
Breslow ties, Weibull PH per group) with left truncation in seconds at 400,000 devices, and
give the proportional-hazards test lifelines cannot do with late entry. Risk sets with
late entry are cumulative sums: at time t, R(t) = {stop >= t} minus {entry >= t}.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats


@dataclass
class _Sorted:
    stop_desc: np.ndarray  # stops sorted descending
    o_stop: np.ndarray
    entry_desc: np.ndarray
    o_entry: np.ndarray
    t_ev: np.ndarray  # event times
    i_ev: np.ndarray  # event row indices


def _prep(entry: np.ndarray, stop: np.ndarray, event: np.ndarray) -> _Sorted:
    o_stop = np.argsort(-stop, kind="stable")
    o_entry = np.argsort(-entry, kind="stable")
    i_ev = np.flatnonzero(event == 1)
    return _Sorted(stop[o_stop], o_stop, entry[o_entry], o_entry, stop[i_ev], i_ev)


def _risk_sum(s: _Sorted, v: np.ndarray) -> np.ndarray:
    """For each event time t: sum of ``v`` over rows with entry < t <= stop (``v``: n or n x k)."""
    cs_stop = np.cumsum(v[s.o_stop], axis=0)
    cs_entry = np.cumsum(v[s.o_entry], axis=0)
    # number of rows with stop >= t (stop_desc is descending)
    n_stop = np.searchsorted(-s.stop_desc, -s.t_ev, side="right")
    n_entry = np.searchsorted(-s.entry_desc, -s.t_ev, side="right")
    zero = np.zeros((1,) + v.shape[1:])
    a = np.concatenate([zero, cs_stop])[n_stop]
    b = np.concatenate([zero, cs_entry])[n_entry]
    return a - b


def _cox_pieces(sorteds: list[_Sorted], Xs: list[np.ndarray], beta: np.ndarray, hessian: bool):
    p = len(beta)
    ll, grad, hess = 0.0, np.zeros(p), np.zeros((p, p))
    for s, X in zip(sorteds, Xs, strict=True):
        eta = X @ beta
        eta -= eta.max()
        w = np.exp(eta)
        s0 = _risk_sum(s, w)
        s1 = _risk_sum(s, w[:, None] * X)
        xe = X[s.i_ev]
        ll += float(np.sum(eta[s.i_ev] - np.log(s0)))
        mean = s1 / s0[:, None]
        grad += (xe - mean).sum(axis=0)
        if hessian:
            for j in range(p):
                s2j = _risk_sum(s, (w * X[:, j])[:, None] * X)
                hess[j] -= (s2j / s0[:, None] - mean[:, j : j + 1] * mean).sum(axis=0)
    return ll, grad, hess


@dataclass
class CoxFit:
    params: pd.Series
    variance: np.ndarray
    loglik: float
    iterations: int
    converged: bool = True
    gradient_max: float = 0.0

    @property
    def se(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.variance)), index=self.params.index)


def _split(frame: pd.DataFrame, cols: list[str], strata: str | None):
    groups = [frame] if not strata else [g for _, g in frame.groupby(strata, sort=True)]
    sorteds = [_prep(g.entry.to_numpy(float), g.stop.to_numpy(float), g.event.to_numpy()) for g in groups]
    Xs = [g[cols].to_numpy(float) for g in groups]
    return groups, sorteds, Xs


def cox_ph(frame: pd.DataFrame, cols: list[str], strata: str | None = None, tol: float = 1e-9,
           max_steps: int = 60, max_step_length: float = 2.0) -> CoxFit:
    """Cox PH (Breslow ties, late entry, optional strata) by damped Newton-Raphson.

    Each Newton step is capped at ``max_step_length`` on the log-hazard scale and halved until
    the partial likelihood does not fall, so a flat or separated direction cannot jump to a
    hazard ratio of 1e114. ``converged`` is False when the likelihood still moved or the
    score was not ~0 after ``max_steps``: callers must not report such a fit.
    """
    _, sorteds, Xs = _split(frame, cols, strata)
    beta = np.zeros(len(cols))
    ll, g, h = _cox_pieces(sorteds, Xs, beta, True)
    iterations, converged = 0, False
    for iterations in range(1, max_steps + 1):  # noqa: B007 - the count is reported
        try:
            step = np.linalg.solve(-h, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(-h, g, rcond=None)[0]
        longest = np.abs(step).max() if len(step) else 0.0
        if longest > max_step_length:
            step *= max_step_length / longest
        for _ in range(30):
            new = beta + step
            ll_new, g_new, h_new = _cox_pieces(sorteds, Xs, new, True)
            if np.isfinite(ll_new) and ll_new >= ll - 1e-10:
                break
            step /= 2
        small = abs(ll_new - ll) < tol * (1 + abs(ll))
        beta, ll, g, h = new, ll_new, g_new, h_new
        if small and (not len(g) or np.abs(g).max() < 1e-4 * (1 + abs(ll)) ** 0.5):
            converged = True
            break
    try:
        var = np.linalg.inv(-h)
    except np.linalg.LinAlgError:
        var, converged = np.full((len(cols), len(cols)), np.nan), False
    return CoxFit(pd.Series(beta, index=cols), var, ll, iterations, converged,
                  float(np.abs(g).max()) if len(g) else 0.0)


def score_residuals(frame: pd.DataFrame, cols: list[str], beta: np.ndarray,
                    strata: str | None = None) -> np.ndarray:
    """Per-row Cox score residuals (Breslow, late entry): the row's contribution to the score.

    L_i = d_i (x_i - xbar(t_i)) - w_i sum over event times t in (entry_i, stop_i] of
    (x_i - xbar(t)) / S0(t); their cluster sums give the robust (sandwich) variance.
    """
    beta = np.asarray(beta, float)
    out = np.zeros((len(frame), len(cols)))
    pos = pd.Series(np.arange(len(frame)), index=frame.index)
    groups, sorteds, Xs = _split(frame, cols, strata)
    for grp, s, X in zip(groups, sorteds, Xs, strict=True):
        eta = X @ beta
        w = np.exp(eta - eta.max())
        s0 = _risk_sum(s, w)
        xbar = _risk_sum(s, w[:, None] * X) / s0[:, None]
        o = np.argsort(s.t_ev, kind="stable")
        t_sorted = s.t_ev[o]
        c1 = np.concatenate([[0.0], np.cumsum(1.0 / s0[o])])
        c2 = np.concatenate([np.zeros((1, X.shape[1])), np.cumsum(xbar[o] / s0[o, None], axis=0)])
        hi = np.searchsorted(t_sorted, grp.stop.to_numpy(float), side="right")
        lo = np.searchsorted(t_sorted, grp.entry.to_numpy(float), side="right")
        a = c1[hi] - c1[lo]
        b = c2[hi] - c2[lo]
        r = -w[:, None] * (X * a[:, None] - b)
        r[s.i_ev] += X[s.i_ev] - xbar
        out[pos[grp.index].to_numpy()] = r
    return out


def robust_variance(frame: pd.DataFrame, cols: list[str], fit: CoxFit, cluster: str,
                    strata: str | None = None) -> np.ndarray:
    """Sandwich variance V (sum over clusters of U_c U_c') V, clusters = ``cluster`` values
    (repeat spells of one unit are not independent)."""
    u = score_residuals(frame, cols, fit.params.to_numpy(), strata)
    uc = pd.DataFrame(u).groupby(frame[cluster].to_numpy()).sum().to_numpy()
    return fit.variance @ (uc.T @ uc) @ fit.variance


def model_variance(frame: pd.DataFrame, cols: list[str], beta: np.ndarray, strata: str | None = None) -> np.ndarray:
    """Inverse observed information of the Cox partial likelihood at ``beta`` (model-based)."""
    _, sorteds, Xs = _split(frame, cols, strata)
    return np.linalg.inv(-_cox_pieces(sorteds, Xs, np.asarray(beta, float), True)[2])


def ph_test(frame: pd.DataFrame, cols: list[str], beta: np.ndarray, variance: np.ndarray,
            strata: str | None = None) -> pd.DataFrame:
    """Grambsch-Therneau test of proportional hazards per covariate: scaled Schoenfeld
    residuals against the rank of the failure time (late entry handled in the risk sets)."""
    groups, sorteds, Xs = _split(frame, cols, strata)
    res, times = [], []
    for s, X in zip(sorteds, Xs, strict=True):
        w = np.exp(X @ beta - (X @ beta).max())
        mean = _risk_sum(s, w[:, None] * X) / _risk_sum(s, w)[:, None]
        res.append(X[s.i_ev] - mean)
        times.append(s.t_ev)
    r = np.vstack(res)
    t = np.concatenate(times)
    d = len(t)
    scaled = d * r @ variance + beta
    g = stats.rankdata(t)
    g = g - g.mean()
    num = (g @ (scaled - beta)) ** 2
    stat = num / (d * np.diag(variance) * (g @ g))
    return pd.DataFrame({"covariate": cols, "statistic": stat, "p": stats.chi2.sf(stat, 1)})


# ----------------------------------------------------------------------------- Weibull PH
@dataclass
class WeibullFit:
    shape: float
    scale: float
    beta: pd.Series
    variance: np.ndarray  # over (log shape, log scale, beta...)
    loglik: float


def _weibull_nll(theta, entry, stop, event, X):
    log_k, log_lam, b = theta[0], theta[1], theta[2:]
    k = np.exp(log_k)
    eta = X @ b
    z1 = np.exp(k * (np.log(stop) - log_lam))
    with np.errstate(divide="ignore"):
        le = np.log(np.where(entry > 0, entry, 1.0))
    z0 = np.where(entry > 0, np.exp(k * (le - log_lam)), 0.0)
    ez = np.exp(eta)
    H = ez * (z1 - z0)
    ls = np.log(stop)
    ll = np.sum(event * (log_k - log_lam + (k - 1) * (ls - log_lam) + eta)) - H.sum()
    # gradient
    dz1 = z1 * k * (ls - log_lam)
    dz0 = np.where(entry > 0, z0 * k * (le - log_lam), 0.0)
    g_logk = np.sum(event * (1 + k * (ls - log_lam))) - np.sum(ez * (dz1 - dz0))
    g_loglam = np.sum(event * (-k)) + np.sum(ez * k * (z1 - z0))
    g_b = X.T @ (event - H)
    return -ll, -np.concatenate([[g_logk, g_loglam], g_b])


def weibull_ph(entry: np.ndarray, stop: np.ndarray, event: np.ndarray, X: np.ndarray,
               names: list[str]) -> WeibullFit:
    """Weibull PH with late entry: H(t|x) = exp(x b) (t/scale)^shape, by L-BFGS with an
    analytic gradient; the variance is the inverse of a finite-difference Hessian."""
    entry, stop, event = (np.asarray(a, dtype=float) for a in (entry, stop, event))
    X = np.asarray(X, dtype=float).reshape(len(stop), -1)
    theta0 = np.concatenate([[0.0, np.log(np.mean(stop))], np.zeros(X.shape[1])])
    res = optimize.minimize(_weibull_nll, theta0, args=(entry, stop, event, X), jac=True,
                            method="L-BFGS-B", options={"maxiter": 500, "gtol": 1e-7})
    th = res.x
    eps = 1e-5
    p = len(th)
    hess = np.zeros((p, p))
    for i in range(p):
        e = np.zeros(p)
        e[i] = eps
        hess[i] = (_weibull_nll(th + e, entry, stop, event, X)[1] - _weibull_nll(th - e, entry, stop, event, X)[1]) / (2 * eps)
    hess = (hess + hess.T) / 2
    return WeibullFit(float(np.exp(th[0])), float(np.exp(th[1])), pd.Series(th[2:], index=names),
                      np.linalg.inv(hess), float(-res.fun))
