"""Average arm effects and the randomization check on experiments with known effects."""

from __future__ import annotations

import numpy as np

from luckin_lab.synth.experiment import simulate_experiment
from luckin_lab.uplift.effects import arm_effects, balance, sample_ratio_check

ARMS = ["off10", "off20", "off30"]


def test_ate_ci_covers_planted_effect():
    frame, truth = simulate_experiment(n=20_000, seed=3)
    eff = arm_effects(frame, "outcome", "control", ARMS).set_index("arm")
    for a in ARMS:
        true = (truth[f"p_{a}"] - truth["p_control"]).mean()
        assert eff.loc[a, "ci_low"] <= true <= eff.loc[a, "ci_high"], (a, true)
        assert eff.loc[a, "effect"] > 0.05  # coupons raise purchase by several points here


def test_null_effect_not_significant_and_hand_computed():
    frame, _ = simulate_experiment(n=10_000, seed=4, effect_scale=0.0)
    eff = arm_effects(frame, "outcome", "control", ARMS).set_index("arm")
    means = frame.groupby("arm")["outcome"].mean()
    for a in ARMS:
        assert np.isclose(eff.loc[a, "effect"], means[a] - means["control"])
        assert eff.loc[a, "ci_low"] < 0 < eff.loc[a, "ci_high"] or eff.loc[a, "p_value"] > 0.001


def test_cluster_robust_intervals_are_wider():
    frame, truth = simulate_experiment(n=20_000, seed=5, n_clusters=100)
    naive = arm_effects(frame, "outcome", "control", ARMS).set_index("arm")
    clustered = arm_effects(frame, "outcome", "control", ARMS, cluster_col="cluster_id").set_index("arm")
    assert (clustered["se"] > naive["se"]).all()
    assert (clustered["se_type"] == "cluster-robust").all()


def test_balance_flags_a_confounded_covariate():
    frame, _ = simulate_experiment(n=8_000, seed=6)
    frame["leaky"] = (frame["arm"] != "control").astype(float) + np.random.default_rng(0).normal(size=len(frame))
    bal = balance(frame, ["frequency", "segment", "leaky"], "control", ARMS).set_index("covariate")
    assert not bal.loc["leaky", "balanced"] and bal.loc["leaky", "p_value"] < 1e-6
    assert bal.loc["frequency", "balanced"] and bal.loc["segment", "balanced"]


def test_sample_ratio_mismatch_detected():
    frame, _ = simulate_experiment(n=10_000, seed=7)
    ok = sample_ratio_check(frame, {"control": 0.4, "off10": 0.2, "off20": 0.2, "off30": 0.2})
    bad = sample_ratio_check(frame, {"control": 0.25, "off10": 0.25, "off20": 0.25, "off30": 0.25})
    assert ok["p_value_srm"].iloc[0] > 0.001 and bad["p_value_srm"].iloc[0] < 1e-10
