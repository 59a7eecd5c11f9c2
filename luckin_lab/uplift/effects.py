"""Average effect of each arm against control, and the randomization check.

Differences in means come from one OLS of the outcome on arm dummies, so every arm shares
the same control group and variance estimator: heteroskedasticity-robust (HC1) for unit
randomization, cluster-robust when whole clusters were randomized together (ignoring the
clustering would make the intervals far too narrow).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats


def _design(arm: pd.Series, control: str, arms: list[str]) -> pd.DataFrame:
    d = pd.DataFrame({a: (arm == a).astype(float).to_numpy() for a in arms})
    return sm.add_constant(d, has_constant="add")


def _fit(y: np.ndarray, X: pd.DataFrame, cluster: pd.Series | None):
    model = sm.OLS(np.asarray(y, float), X)
    if cluster is None:
        return model.fit(cov_type="HC1")
    groups = pd.factorize(cluster)[0]
    return model.fit(cov_type="cluster", cov_kwds={"groups": groups})


def arm_effects(frame: pd.DataFrame, outcome: str, control: str, arms: list[str],
                arm_col: str = "arm", cluster_col: str | None = None,
                alpha: float = 0.05) -> pd.DataFrame:
    """One row per treatment arm: means, effect vs control, SE and (1 - alpha) CI."""
    df = frame[frame[arm_col].isin([control, *arms])]
    cluster = df[cluster_col] if cluster_col else None
    res = _fit(df[outcome].to_numpy(), _design(df[arm_col], control, arms), cluster)
    ci = res.conf_int(alpha)
    means = df.groupby(arm_col)[outcome].mean()
    counts = df[arm_col].value_counts()
    rows = []
    for a in arms:
        rows.append({
            "outcome": outcome, "arm": a, "n_arm": int(counts.get(a, 0)),
            "n_control": int(counts.get(control, 0)),
            "control_mean": float(means.get(control, np.nan)), "arm_mean": float(means.get(a, np.nan)),
            "effect": float(res.params[a]), "se": float(res.bse[a]),
            "ci_low": float(ci.loc[a, 0]), "ci_high": float(ci.loc[a, 1]),
            "p_value": float(res.pvalues[a]),
            "se_type": "cluster-robust" if cluster_col else "HC1 robust",
        })
    return pd.DataFrame(rows)


def balance(frame: pd.DataFrame, covariates: list[str], control: str, arms: list[str],
            arm_col: str = "arm", cluster_col: str | None = None,
            smd_threshold: float = 0.1) -> pd.DataFrame:
    """Are pre-treatment covariates alike across arms? One row per covariate.

    Numeric: largest standardized mean difference vs control and the joint test that all
    arm means are equal (robust/clustered). Categorical: largest gap in level shares vs
    control and a chi-square test (clustering ignored there; noted in the column).
    """
    df = frame[frame[arm_col].isin([control, *arms])]
    is_ctrl = df[arm_col] == control
    rows = []
    for col in covariates:
        s = df[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            x = s.astype(float)
            ok = x.notna()
            sd = np.sqrt((x[is_ctrl].var() + x[~is_ctrl].var()) / 2) or 1.0
            smd = max(abs(x[df[arm_col] == a].mean() - x[is_ctrl].mean()) / sd for a in arms)
            res = _fit(x[ok].to_numpy(), _design(df.loc[ok, arm_col], control, arms),
                       df.loc[ok, cluster_col] if cluster_col else None)
            test = res.f_test(np.eye(len(arms) + 1)[1:])
            p = float(np.squeeze(test.pvalue))
            rows.append({"covariate": col, "kind": "numeric", "max_abs_smd": float(smd),
                         "p_value": p, "test": "Wald F (arm means equal)"})
        else:
            tab = pd.crosstab(s.astype(str), df[arm_col])
            shares = tab / tab.sum()
            gap = max(float((shares[a] - shares[control]).abs().max()) for a in arms if a in shares)
            p = float(stats.chi2_contingency(tab)[1]) if tab.shape[0] > 1 else 1.0
            rows.append({"covariate": col, "kind": "categorical", "max_abs_smd": gap,
                         "p_value": p, "test": "chi-square (level shares equal)"})
    out = pd.DataFrame(rows)
    if len(out):
        out["balanced"] = out["max_abs_smd"] < smd_threshold
    return out


def sample_ratio_check(frame: pd.DataFrame, design_shares: dict[str, float],
                       arm_col: str = "arm") -> pd.DataFrame:
    """Sample-ratio mismatch: do observed arm sizes match the planned shares? (chi-square)."""
    counts = frame[arm_col].value_counts()
    arms = list(design_shares)
    obs = np.array([counts.get(a, 0) for a in arms], float)
    exp = np.array([design_shares[a] for a in arms]) / sum(design_shares.values()) * obs.sum()
    p = float(stats.chisquare(obs, exp).pvalue)
    return pd.DataFrame({"arm": arms, "observed": obs.astype(int), "expected": exp,
                         "observed_share": obs / obs.sum(), "p_value_srm": p})
