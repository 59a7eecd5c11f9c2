"""Scoring against the demo store's planted truth: the ONLY uplift code that reads it.

The synthesizer writes ``truth/uplift_users.parquet`` beside ``store.duckdb`` with each
user's true purchase probability ``p_<arm>`` and expected margin ``margin_<arm>`` under
every arm. Real data has no such file; the report then skips this section.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from luckin_lab.uplift import evaluation, policy
from luckin_lab.uplift.analysis import UpliftPlan


def truth_file(source_uri: str) -> Path | None:
    """Where the planted per-user truth of a demo store lives, if it exists."""
    kind, _, location = source_uri.partition(":")
    if kind == "duckdb":
        path = Path(location).parent / "truth" / "uplift_users.parquet"
    elif kind == "folder":
        path = Path(location) / "truth" / "uplift_users.parquet"
    else:
        return None
    return path if path.exists() else None


def load_truth(source_uri: str, campaign_id: str) -> pd.DataFrame | None:
    """Per-unit truth (unit_id, p_<arm>, margin_<arm>) of one campaign, or None."""
    path = truth_file(source_uri)
    if path is None:
        return None
    t = pd.read_parquet(path)
    if "campaign_id" in t.columns:
        t = t[t["campaign_id"] == campaign_id]
    return t.rename(columns={"user_id": "unit_id"})


def true_matrices(a: UpliftPlan, truth: pd.DataFrame) -> dict[str, np.ndarray]:
    """True (n, K) uplift in purchase probability and in margin, aligned to the analysis units."""
    t = truth.set_index("unit_id").reindex(a.data.frame["unit_id"])
    if t.isna().all(axis=1).any():
        missing = t.index[t.isna().all(axis=1)][:3].tolist()
        raise ValueError(f"planted truth lacks units of the experiment, e.g. {missing}")
    c = a.data.control
    return {
        "response": np.column_stack([t[f"p_{k}"] - t[f"p_{c}"] for k in a.data.arms]),
        "value": np.column_stack([t[f"margin_{k}"] - t[f"margin_{c}"] for k in a.data.arms]),
        "p_control": t[f"p_{c}"].to_numpy(),
    }


def expected_qini(score: np.ndarray, true_uplift: np.ndarray) -> float:
    """Qini coefficient with the planted uplift as the outcome: the ranking's noise-free value.

    The realised Qini on ~15K held-out users moves by tens of percent between resamples;
    this one only depends on the ranking, so model and oracle compare without outcome noise.
    """
    order = np.argsort(-np.asarray(score, float), kind="stable")
    gain = np.cumsum(np.asarray(true_uplift, float)[order]) / len(order)
    frac = np.arange(1, len(order) + 1) / len(order)
    return float(np.mean(gain - frac * gain[-1]))


def qini_share_interval(score: np.ndarray, true_uplift: np.ndarray, y: np.ndarray,
                        treated: np.ndarray, reps: int = 50, seed: int = 0) -> tuple[float, float]:
    """90 % bootstrap interval of the realised Qini share of the oracle (same resampled users)."""
    rng = np.random.default_rng(seed)
    n, shares = len(y), []
    for _ in range(reps):
        i = rng.integers(0, n, n)
        qo = evaluation.qini_coefficient(true_uplift[i], y[i], treated[i])
        if qo > 0:
            shares.append(evaluation.qini_coefficient(score[i], y[i], treated[i]) / qo)
    if not shares:
        return float("nan"), float("nan")
    return float(np.percentile(shares, 5)), float(np.percentile(shares, 95))


def feature_ceiling(a: UpliftPlan, tm: dict[str, np.ndarray]) -> pd.DataFrame:
    """The best ranking any model of the report's features can reach, per arm.

    A gradient-boosted model is fitted to the planted uplift itself (noise-free labels, far
    more than an experiment ever reveals) on the non-test units and scored on the test units
    like the report's models. The planted uplift also depends on state the tables do not
    show (whether a user is still active, their exact order rate), so the oracle's ranking
    is out of reach for every estimator; this is the reachable part.
    """
    from lightgbm import LGBMRegressor

    X, te = a.data.features(), a.mask("test")
    arm_idx = a.data.arm_index()
    y = a.data.frame[a.data.response].to_numpy(float)
    rows = []
    for k, arm in enumerate(a.data.arms):
        tau = tm["response"][:, k]
        fit = LGBMRegressor(n_estimators=300, learning_rate=0.05, num_leaves=31, verbose=-1,
                            n_jobs=a.settings.n_jobs, random_state=a.settings.seed,
                            deterministic=True, force_row_wise=True).fit(X[~te], tau[~te])
        best = fit.predict(X)
        m = te & np.isin(arm_idx, [-1, k])
        q_oracle = evaluation.qini_coefficient(tau[m], y[m], arm_idx[m] == k)
        rows.append({
            "arm": arm,
            "r2_true_uplift": float(1 - np.var(tau[te] - best[te]) / np.var(tau[te])),
            "qini_share_of_oracle": evaluation.qini_coefficient(best[m], y[m], arm_idx[m] == k)
            / q_oracle if q_oracle > 0 else np.nan,
            "expected_qini_share": expected_qini(best[m], tau[m]) / expected_qini(tau[m], tau[m]),
        })
    return pd.DataFrame(rows)


def evaluate(a: UpliftPlan, truth: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Estimates against planted truth: ATE coverage, uplift correlation, Qini vs oracle (and vs
    the best ranking the features allow), policy values."""
    tm = true_matrices(a, truth)
    arms, arm_idx = a.data.arms, a.data.arm_index()
    te = a.mask("test")
    outcome_of = {a.data.response: "response", a.data.value: "value"}

    ate = a.arm_effects[a.arm_effects["outcome"].isin(outcome_of)].copy()
    ate["true_effect"] = [tm[outcome_of[o]][:, arms.index(k)].mean()
                          for o, k in zip(ate["outcome"], ate["arm"], strict=True)]
    ate["ci_covers_truth"] = (ate["ci_low"] <= ate["true_effect"]) & (ate["true_effect"] <= ate["ci_high"])

    rows = []
    y_resp = a.data.frame[a.data.response].to_numpy(float)
    for name, pr in a.predictions.items():
        for k, arm in enumerate(arms):
            m = te & np.isin(arm_idx, [-1, k])
            q = evaluation.qini_coefficient(pr[m, k], y_resp[m], arm_idx[m] == k)
            q_oracle = evaluation.qini_coefficient(tm["response"][m, k], y_resp[m], arm_idx[m] == k)
            lo, hi = (qini_share_interval(pr[m, k], tm["response"][m, k], y_resp[m],
                                          arm_idx[m] == k) if name == a.chosen
                      else (np.nan, np.nan))  # bootstrap the chosen model only: it is slow
            rows.append({
                "learner": name, "arm": arm,
                "corr_true_uplift": float(np.corrcoef(pr[te, k], tm["response"][te, k])[0, 1]),
                "qini": q, "qini_oracle": q_oracle,
                "qini_share_of_oracle": q / q_oracle if q_oracle > 0 else np.nan,
                "qini_share_90ci_low": lo, "qini_share_90ci_high": hi,
                "expected_qini_share": expected_qini(pr[m, k], tm["response"][m, k])
                / expected_qini(tm["response"][m, k], tm["response"][m, k]),
            })
    val = a.offers.value
    for k, arm in enumerate(arms):
        rows.append({"learner": f"{a.chosen} (decision value)", "arm": arm,
                     "corr_true_uplift": float(np.corrcoef(val[te, k], tm["value"][te, k])[0, 1])})
    ranking = pd.DataFrame(rows)

    true_value = tm["value"]
    truth_offers = policy.OfferMatrix(a.offers.unit_id, arms, true_value, a.offers.cost)
    pol = dict(a.policies)
    pol["oracle (true best offer)"] = policy.greedy(truth_offers)
    pol["oracle within budget"] = policy.allocate(truth_offers, a.campaign_budget).assign
    pv = pd.DataFrame([
        {"policy": k, "true_incremental_margin": float(truth_offers.pick(true_value, v).sum()),
         "true_incremental_margin_per_user": float(truth_offers.pick(true_value, v).mean()),
         "expected_discount_cost": float(a.offers.pick(a.offers.cost, v).sum())}
        for k, v in pol.items()
    ])
    return {"ate": ate, "ranking": ranking, "policy_values": pv,
            "feature_ceiling": feature_ceiling(a, tm)}


def true_gain_vs_today(a: UpliftPlan, truth: pd.DataFrame, key: str) -> float:
    """Planted gain per unit of policy ``key`` over today's policy, over all the units.

    The value every unit would bring under each policy, from the planted per-unit truth: what
    the report's measured gain against today (page one's figure) estimates.
    """
    value = true_matrices(a, truth)["value"]  # (n, K): each arm against control
    rows = np.arange(len(value))

    def worth(assign: np.ndarray) -> np.ndarray:
        return np.where(assign >= 0, value[rows, assign.clip(0)], 0.0)

    return float((worth(a.policies[key]) - worth(a.policies[a.today_policy])).mean())
