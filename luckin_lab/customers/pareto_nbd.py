"""Pareto/NBD (Schmittlein, Morrison and Colombo 1987) fitted robustly: customers buy at their own
Poisson rate (gamma across customers: r, alpha) until they leave after an exponential lifetime in
calendar time (gamma rates across customers: s, beta), whether or not they buy.

Why not lifetimes' ``ParetoNBDFitter.fit``: it maximises the likelihood with Nelder-Mead from one
starting point and stopped without converging on two of five demo stores. The likelihood itself
is lifetimes' (Fader and Hardie's 2005 note, eq. 18-20, in logs); here it is maximised on log
parameters, time scaled so the longest history is 10, by L-BFGS-B (from further starting points
when one does not converge), and standard errors come from the observed information
(numerical Hessian). Predictions are lifetimes' own formulas on the fitted parameters.
``tests/test_customers.py`` reproduces the published CDNOW fit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from lifetimes import ParetoNBDFitter
from scipy.optimize import minimize

PARAMS = ["r", "alpha", "s", "beta"]
# starting points (r, alpha, s, beta) in scaled time: lifetimes' own (all 1) and spread-out ones
STARTS = ((1.0, 1.0, 1.0, 1.0), (0.5, 0.5, 0.5, 5.0), (2.0, 0.2, 0.3, 1.0))


def log_likelihood(params, frequency, recency, T) -> np.ndarray:
    """Per-customer Pareto/NBD log likelihood (lifetimes' formula)."""
    x, tx, t = (np.asarray(c, float) for c in (frequency, recency, T))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ParetoNBDFitter._conditional_log_likelihood(np.asarray(params, float), x, tx, t)


def _hessian(f, theta: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of a smooth scalar function."""
    k = len(theta)
    h = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            e_i, e_j = np.eye(k)[i] * step, np.eye(k)[j] * step
            h[i, j] = h[j, i] = (f(theta + e_i + e_j) - f(theta + e_i - e_j)
                                 - f(theta - e_i + e_j) + f(theta - e_i - e_j)) / (4 * step**2)
    return h


def fit(frequency, recency, T, weights=None) -> ScaledParetoNBD:
    """Maximum-likelihood Pareto/NBD as a lifetimes fitter (``params_``, ``variance_matrix_``)."""
    x, tx, t = (np.asarray(c, float) for c in (frequency, recency, T))
    w = np.ones(len(x)) if weights is None else np.asarray(weights, float)
    if np.any(tx > t) or np.any((x == 0) & (tx != 0)) or np.any(x < 0):
        raise ValueError("Pareto/NBD input needs 0 <= recency <= T, and recency 0 when frequency is 0")
    scale = 10.0 / float(t.max())
    txs, ts, total = tx * scale, t * scale, float(w.sum())

    def nll(theta: np.ndarray) -> float:
        if np.any(np.abs(theta) > 15):
            return np.inf
        v = -float(np.sum(w * log_likelihood(np.exp(theta), x, txs, ts))) / total
        return v if np.isfinite(v) else np.inf

    best = None
    for start in STARTS:  # the next starting point only when the previous one did not converge
        res = minimize(nll, np.log(start), method="L-BFGS-B", bounds=[(-12.0, 12.0)] * 4,
                       options={"maxiter": 1000})
        if np.isfinite(res.fun) and res.success:
            best = res
            break
    if best is None:
        raise ValueError("the Pareto/NBD likelihood could not be maximised from any starting point: "
                         "the data are too few or too irregular for it")
    params = np.exp(best.x)
    params[[1, 3]] /= scale  # alpha and beta back to the data's time unit
    out = ScaledParetoNBD().with_params(params)
    out.time_scale = scale
    # observed information on log parameters (scaled time); delta method to the parameters
    # (the scale multiplies alpha and beta, so their log-scale variances are unchanged)
    cov_log = np.linalg.pinv(_hessian(nll, best.x) * total)
    jac = np.diag(params)
    out.variance_matrix_ = pd.DataFrame(jac @ cov_log @ jac, index=PARAMS, columns=PARAMS)
    out.log_likelihood_ = -best.fun * total
    out.standard_errors_ = pd.Series(np.sqrt(np.clip(np.diag(out.variance_matrix_.to_numpy()), 0, None)),
                                     index=PARAMS)
    out.confidence_intervals_ = out._compute_confidence_intervals()
    return out


class ScaledParetoNBD(ParetoNBDFitter):
    """lifetimes' Pareto/NBD predictions computed in the fit's scaled time (longest history = 10):
    in days, the hypergeometric terms of a heavy buyer overflow (NaN for 2 of 148K demo customers)."""

    time_scale: float = 1.0

    def _scaled(self) -> ParetoNBDFitter:
        f = ParetoNBDFitter()
        p = self.params_.copy()
        p[["alpha", "beta"]] *= self.time_scale
        f.params_ = p
        return f

    def conditional_probability_alive(self, frequency, recency, T):
        k = self.time_scale
        with np.errstate(all="ignore"):
            return self._scaled().conditional_probability_alive(frequency, np.asarray(recency) * k,
                                                                np.asarray(T) * k)

    def conditional_expected_number_of_purchases_up_to_time(self, t, frequency, recency, T):
        k = self.time_scale
        with np.errstate(all="ignore"):
            return self._scaled().conditional_expected_number_of_purchases_up_to_time(
                t * k, frequency, np.asarray(recency) * k, np.asarray(T) * k)

    def with_params(self, params: np.ndarray) -> ScaledParetoNBD:
        out = ScaledParetoNBD()
        out.params_, out.time_scale = pd.Series(params, index=PARAMS), self.time_scale
        return out
