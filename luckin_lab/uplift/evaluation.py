"""Honest scoring of uplift models on held-out units: Qini, AUUC, deciles, policy value.

All curves compare one treatment arm with control on units not used for fitting. Policy
values use inverse-propensity weighting with the design's arm shares, which is unbiased in a
randomized experiment whatever the model got wrong; standard errors are clustered when the
experiment randomized clusters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def _cumulative(score: np.ndarray, y: np.ndarray, treated: np.ndarray):
    order = np.argsort(-score, kind="stable")
    y, t = np.asarray(y, float)[order], np.asarray(treated, bool)[order]
    n_t, n_c = np.cumsum(t), np.cumsum(~t)
    y_t, y_c = np.cumsum(y * t), np.cumsum(y * ~t)
    return n_t, n_c, y_t, y_c


def qini_curve(score: np.ndarray, y: np.ndarray, treated: np.ndarray,
               points: int = 101) -> pd.DataFrame:
    """Incremental outcomes gained by treating the top fraction ranked by ``score``.

    qini(k) = Y_t(k) - Y_c(k) N_t(k) / N_c(k), per unit of the whole sample; the random
    baseline is the straight line to the same end point.
    """
    n_t, n_c, y_t, y_c = _cumulative(score, y, treated)
    n = len(n_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(n_c > 0, y_t - y_c * n_t / np.maximum(n_c, 1), 0.0) / n
    frac = np.arange(1, n + 1) / n
    idx = np.unique(np.clip(np.round(np.linspace(0, 1, points) * n).astype(int) - 1, 0, n - 1))
    return pd.DataFrame({"fraction": np.r_[0.0, frac[idx]], "qini": np.r_[0.0, q[idx]],
                         "random": np.r_[0.0, frac[idx] * q[-1]]})


def qini_coefficient(score: np.ndarray, y: np.ndarray, treated: np.ndarray) -> float:
    """Area between the Qini curve and the random line (0 = no better than random)."""
    n_t, n_c, y_t, y_c = _cumulative(score, y, treated)
    n = len(n_t)
    q = np.where(n_c > 0, y_t - y_c * n_t / np.maximum(n_c, 1), 0.0) / n
    frac = np.arange(1, n + 1) / n
    return float(np.mean(q - frac * q[-1]))


def auuc(score: np.ndarray, y: np.ndarray, treated: np.ndarray) -> tuple[float, float]:
    """Area under the uplift curve (mean gain per unit) and the random policy's area."""
    n_t, n_c, y_t, y_c = _cumulative(score, y, treated)
    n = len(n_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.where((n_t > 0) & (n_c > 0), y_t / np.maximum(n_t, 1) - y_c / np.maximum(n_c, 1), 0.0)
    gain = diff * np.arange(1, n + 1) / n
    return float(gain.mean()), float(gain[-1] / 2)


def uplift_by_decile(score: np.ndarray, y: np.ndarray, treated: np.ndarray,
                     bins: int = 10) -> pd.DataFrame:
    """Observed treated-minus-control outcome within each decile of predicted uplift (1 = top)."""
    score = np.asarray(score, float)
    ranks = pd.Series(-score).rank(method="first")
    decile = np.ceil(ranks / len(score) * bins).astype(int).clip(1, bins).to_numpy()
    df = pd.DataFrame({"decile": decile, "y": np.asarray(y, float),
                       "t": np.asarray(treated, bool), "pred": score})
    g = df.groupby("decile")
    out = pd.DataFrame({
        "predicted_uplift": g["pred"].mean(),
        "observed_uplift": g.apply(lambda d: d.loc[d.t, "y"].mean() - d.loc[~d.t, "y"].mean(),
                                   include_groups=False),
        "n_treated": g["t"].sum(), "n_control": g["t"].apply(lambda s: int((~s).sum())),
    }).reset_index()
    return out


@dataclass
class Estimate:
    value: float
    se: float

    @property
    def ci(self) -> tuple[float, float]:
        return self.value - 1.96 * self.se, self.value + 1.96 * self.se


def ipw_contributions(assign: np.ndarray, arm_idx: np.ndarray, y: np.ndarray,
                      propensity: np.ndarray) -> np.ndarray:
    """Per-unit IPW terms of a policy's mean outcome: y 1[arm = policy arm] / P(arm).

    ``assign`` and ``arm_idx`` code arms as -1 = control, k = treatment arm k;
    ``propensity`` holds P(control), P(arm 0), ... in that order.
    """
    match = np.asarray(assign) == np.asarray(arm_idx)
    return np.where(match, np.asarray(y, float) / propensity[np.asarray(assign) + 1], 0.0)


def mean_estimate(contrib: np.ndarray, cluster: np.ndarray | None = None) -> Estimate:
    """Mean with its standard error, clustered when clusters are given."""
    contrib = np.asarray(contrib, float)
    n = len(contrib)
    if cluster is None:
        return Estimate(float(contrib.mean()), float(contrib.std(ddof=1) / np.sqrt(n)))
    resid = pd.Series(contrib - contrib.mean()).groupby(np.asarray(cluster)).sum().to_numpy()
    g = len(resid)
    se = np.sqrt(g / max(g - 1, 1) * np.sum(resid**2)) / n
    return Estimate(float(contrib.mean()), float(se))


def policy_value(assign: np.ndarray, arm_idx: np.ndarray, y: np.ndarray,
                 propensity: np.ndarray, cluster: np.ndarray | None = None) -> Estimate:
    """Mean outcome per unit if everyone followed ``assign`` (held-out IPW estimate)."""
    return mean_estimate(ipw_contributions(assign, arm_idx, y, propensity), cluster)


def policy_gain(assign: np.ndarray, reference: np.ndarray, arm_idx: np.ndarray, y: np.ndarray,
                propensity: np.ndarray, cluster: np.ndarray | None = None) -> Estimate:
    """Per-unit difference of two policies' values, with a paired standard error."""
    d = ipw_contributions(assign, arm_idx, y, propensity) - ipw_contributions(
        reference, arm_idx, y, propensity)
    return mean_estimate(d, cluster)
