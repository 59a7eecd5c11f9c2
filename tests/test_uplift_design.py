"""Shape-aware uplift design on simulated experiments with planted effects.

Small experiments report the average effect and never target; large ones with planted
heterogeneity target, and the held-out figure covers the learned policy's true gain. Effect
intervals cover the planted effect at their nominal rate, clustered or not.
"""

from __future__ import annotations

import numpy as np
import pytest

from luckin_lab.synth.experiment import simulate_heterogeneous
from luckin_lab.uplift import decision, effects
from luckin_lab.uplift.analysis import UpliftAnalysis, UpliftSettings
from luckin_lab.uplift.data import from_generic
from luckin_lab.uplift.learners import SampleSize, fit_uplift
from luckin_lab.uplift.policy import TARGETED

SETTINGS = UpliftSettings(learners=["SP", "T"], current_arm="control")


def test_learner_settings_scale_with_the_sample():
    assert SampleSize(300).min_leaf == 20 and SampleSize(300).trees == 100
    assert SampleSize(4_000).min_leaf == 200
    assert SampleSize(200_000).min_leaf == 400 and SampleSize(200_000).trees == 200
    # 445 rows (the size of the NSW experiment): the learners must not predict a constant,
    # which a fixed 400-row leaf minimum forces (every tree a stump)
    frame, tau = simulate_heterogeneous(445, spread=3.0, seed=3)
    X = frame[["x", "z"]].to_numpy()
    m = fit_uplift("T", X, frame["arm"].to_numpy(), frame["outcome"].to_numpy(), "control",
                   ["treated"], {"control": 0.5, "treated": 0.5})
    pred = m.predict(X)[:, 0]
    assert pred.std() > 0.3
    assert np.corrcoef(pred, tau)[0, 1] > 0.3


def test_small_experiment_reports_the_average_effect_and_does_not_target():
    frame, tau = simulate_heterogeneous(600, effect=2.0, spread=1.0, seed=5)
    a = UpliftAnalysis(SETTINGS).fit(from_generic(frame)).decide()
    assert not a.targeting.large_enough and not a.targeting.supported
    d = a.decision
    # the planted average effect (2.0, 7 SEs of noise) is clearly positive: treat everyone
    assert d.reason == "best arm" and d.recommended == "everyone treated"
    est = decision.measured(a, "everyone treated")
    assert est.low < tau.mean() < est.high
    why = decision.why_not_targeted(a)
    assert "too small to learn who responds more" in why
    assert f"has {a.targeting.min_arm_units:,} units" in why and "at least 500 per group" in why


def test_small_null_experiment_recommends_no_change():
    frame, _ = simulate_heterogeneous(600, effect=0.0, spread=0.0, seed=8)
    d = UpliftAnalysis(SETTINGS).fit(from_generic(frame)).decide().decision
    assert d.reason == "no change" and d.recommended == "no treatment"


def test_large_experiment_with_planted_heterogeneity_targets():
    frame, tau = simulate_heterogeneous(8_000, effect=0.0, spread=2.0, seed=11)
    a = UpliftAnalysis(SETTINGS).fit(from_generic(frame)).decide()
    assert a.targeting.large_enough and a.targeting.supported
    d = a.decision
    assert d.reason == "targeting"
    # the held-out gain over treating no one covers the learned policy's TRUE gain on the
    # held-out units (planted effects, not an outcome draw)
    te = a.part == "test"
    assign = a.policies[TARGETED]
    true_gain = float(np.mean(np.where(assign[te] == 0, tau[te], 0.0)))
    est = decision.measured(a, TARGETED)
    assert est.low < true_gain < est.high
    assert true_gain > 0.8  # the oracle earns 1.0 per unit: the learned policy is close
    treated = assign == 0
    assert (frame["x"].to_numpy()[treated] > 0).mean() > 0.9


@pytest.mark.parametrize("clusters", [0, 60])
def test_effect_intervals_cover_the_planted_effect(clusters):
    hits, reps = 0, 300
    for seed in range(reps):
        frame, tau = simulate_heterogeneous(300, effect=1.0, spread=0.5, seed=seed,
                                            n_clusters=clusters)
        r = effects.arm_effects(frame, "outcome", "control", ["treated"],
                                cluster_col="cluster_id" if clusters else None).iloc[0]
        hits += r["ci_low"] < tau.mean() < r["ci_high"]
    # 95 % nominal; 300 draws give a binomial SE of 1.3 points (clustered: 60 groups, a
    # little below nominal as the CR1 correction allows)
    assert 0.91 <= hits / reps <= 0.98
