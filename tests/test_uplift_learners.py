"""Uplift learners and held-out evaluation on synthetic experiments with known effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from luckin_lab.synth.experiment import simulate_experiment
from luckin_lab.uplift import evaluation
from luckin_lab.uplift.learners import LEARNERS, fit_uplift

ARMS = ["off10", "off20", "off30"]
PROP = {"control": 0.4, "off10": 0.2, "off20": 0.2, "off30": 0.2}


def _xy(frame: pd.DataFrame) -> np.ndarray:
    X = frame[["frequency", "recency_days", "tenure_days", "monetary", "noise"]].to_numpy(float)
    return np.column_stack([X, pd.Categorical(frame["segment"]).codes])


def test_qini_and_auuc_hand_computed():
    # 4 treated / 4 control; perfect ranking puts the treated responders first
    score = np.array([8, 7, 6, 5, 4, 3, 2, 1], float)
    treated = np.array([1, 0, 1, 0, 1, 0, 1, 0], bool)
    y = np.array([1, 0, 1, 0, 0, 0, 0, 1], float)
    curve = evaluation.qini_curve(score, y, treated, points=9)
    # after all 8: Y_t = 2, Y_c = 1, N_t = N_c -> qini(N) = (2 - 1) / 8
    assert curve["qini"].iloc[-1] == pytest.approx(1 / 8)
    # after 2 units: 1 treated responder, 1 control non-responder -> (1 - 0) / 8
    assert curve.loc[curve["fraction"] == 0.25, "qini"].iloc[0] == pytest.approx(1 / 8)
    q_good = evaluation.qini_coefficient(score, y, treated)
    q_bad = evaluation.qini_coefficient(-score, y, treated)
    assert q_good > 0 > q_bad
    auuc, rand = evaluation.auuc(score, y, treated)
    assert rand == pytest.approx((2 / 4 - 1 / 4) / 2)
    assert auuc > rand


def test_ipw_policy_value_hand_computed():
    arm_idx = np.array([-1, -1, 0, 0])
    y = np.array([1.0, 0.0, 3.0, 1.0])
    prop = np.array([0.5, 0.5])
    treat_all = np.zeros(4, int)
    est = evaluation.policy_value(treat_all, arm_idx, y, prop)
    assert est.value == pytest.approx((3 + 1) / 0.5 / 4)  # = mean outcome of treated
    gain = evaluation.policy_gain(treat_all, np.full(4, -1), arm_idx, y, prop)
    assert gain.value == pytest.approx(2.0 - 0.5)


@pytest.fixture(scope="module")
def experiment():
    frame, truth = simulate_experiment(n=16_000, seed=21)
    true = np.column_stack([truth[f"p_{a}"] - truth["p_control"] for a in ARMS])
    train = np.random.default_rng(0).random(len(frame)) < 0.5
    return frame, true, train


@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_learner_ranks_better_than_random(experiment, name):
    frame, true, train = experiment
    X, arm, y = _xy(frame), frame["arm"].to_numpy(), frame["outcome"].to_numpy(float)
    model = fit_uplift(name, X[train], arm[train], y[train], "control", ARMS, PROP,
                       n_jobs=1, seed=0, urf_max_rows=6_000)
    pred = model.predict(X[~train])
    assert pred.shape == (int((~train).sum()), 3)
    corr = [np.corrcoef(pred[:, k], true[~train, k])[0, 1] for k in range(3)]
    assert np.mean(corr) > 0.3, corr
    # average predicted effect close to the true average effect
    assert np.abs(pred.mean(axis=0) - true[~train].mean(axis=0)).max() < 0.03
    arm_idx = pd.Series(arm[~train]).map({"control": -1, "off10": 0, "off20": 1, "off30": 2}).to_numpy()
    m = np.isin(arm_idx, [-1, 2])
    q = evaluation.qini_coefficient(pred[m, 2], y[~train][m], arm_idx[m] == 2)
    assert q > 0


def test_unknown_learner_and_missing_arm_are_refused(experiment):
    frame, _, _ = experiment
    X, arm, y = _xy(frame), frame["arm"].to_numpy(), frame["outcome"].to_numpy(float)
    with pytest.raises(ValueError, match="unknown learner"):
        fit_uplift("Z", X, arm, y, "control", ARMS, PROP)
    with pytest.raises(ValueError, match="no units"):
        fit_uplift("T", X, arm, y, "control", [*ARMS, "off50"], {**PROP, "off50": 0.1})
