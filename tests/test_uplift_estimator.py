"""The uplift analysis as an estimator: fit once, decide for any budget or today's policy without
refitting, and each decision equals the one a full refit with that setting gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from luckin_lab.synth.experiment import simulate_heterogeneous
from luckin_lab.uplift import learners
from luckin_lab.uplift.analysis import UpliftAnalysis, UpliftSettings
from luckin_lab.uplift.data import from_generic

# two learners on 3,000 units with planted heterogeneity (effect +2 where x > 0, -2 elsewhere);
# treating costs 0.5 a unit, so a budget binds
SETTINGS = UpliftSettings(learners=["SP", "T"], current_arm="control",
                          arm_costs={"treated": 0.5})


@pytest.fixture(scope="module")
def experiment():
    frame, tau = simulate_heterogeneous(3_000, effect=0.0, spread=2.0, seed=21)
    return from_generic(frame), tau


@pytest.fixture()
def fit_calls(monkeypatch) -> list[str]:
    """Every uplift learner fitted, by name (the costly step decide() must never repeat)."""
    calls: list[str] = []
    real = learners.fit_uplift

    def counted(name, *args, **kwargs):
        calls.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(learners, "fit_uplift", counted)
    return calls


def _same_plan(a, b) -> None:
    assert np.array_equal(a.allocation.assign, b.allocation.assign)
    assert a.campaign_budget == pytest.approx(b.campaign_budget)
    pd.testing.assert_frame_equal(a.policy_table, b.policy_table)
    pd.testing.assert_frame_equal(a.frontier, b.frontier)
    pd.testing.assert_frame_equal(a.decision.frame, b.decision.frame)
    assert (a.decision.recommended, a.decision.reason) == (b.decision.recommended, b.decision.reason)


def test_another_budget_is_decided_without_refitting_and_equals_a_full_refit(experiment, fit_calls):
    data, _ = experiment
    a = UpliftAnalysis(SETTINGS).fit(data)
    assert fit_calls == ["SP", "T"] and a.fits == 1
    small, large = a.decide(monthly_budget=100.0), a.decide(monthly_budget=400.0)
    assert fit_calls == ["SP", "T"] and a.fits == 1  # no learner refitted
    # the budget binds: 0.5 per treated unit, so at most 200 and 800 units are targeted
    treated = [int((p.allocation.assign >= 0).sum()) for p in (small, large)]
    assert treated[0] <= 200 < treated[1] <= 800
    assert small.allocation.cost <= 100.0 + 1e-9 and large.allocation.cost <= 400.0 + 1e-9
    assert small.settings.monthly_budget == 100.0 and a.settings.monthly_budget is None
    # the same decision as fitting everything again with that budget in the settings
    refit = UpliftAnalysis(SETTINGS.model_copy(update={"monthly_budget": 400.0})).fit(data)
    assert fit_calls == ["SP", "T"] * 2
    _same_plan(large, refit.decide())


def test_another_policy_of_today_is_decided_without_refitting(experiment, fit_calls):
    data, _ = experiment
    a = UpliftAnalysis(SETTINGS).fit(data)
    today_treated = a.decide(current_arm="treated")
    assert fit_calls == ["SP", "T"] and a.fits == 1
    assert today_treated.today_policy == "everyone treated"
    refit = UpliftAnalysis(SETTINGS.model_copy(update={"current_arm": "treated"})).fit(data)
    _same_plan(today_treated, refit.decide())
    # a setting that changes what the models learn is not a decision knob
    with pytest.raises(ValueError, match="set them in UpliftSettings and fit again"):
        a.decide(learners=["T"])


def test_summary_and_repr_show_the_measured_figures(experiment):
    data, tau = experiment
    a = UpliftAnalysis(SETTINGS)
    assert "not fitted" in repr(a)
    a.fit(data)
    f = data.frame
    means = f.groupby("arm")["outcome"].mean()
    diff = means["treated"] - means["control"]  # the randomized test's effect, by hand
    s = a.summary().set_index("figure")["value"]
    assert s["units"] == 3_000
    assert s.filter(like="effect of treated on outcome").item() == pytest.approx(diff, abs=1e-9)
    assert abs(diff - tau.mean()) < 0.2  # and the planted average effect (0) within noise
    assert "chosen" in repr(a) and "3,000 units" in repr(a)
    plan = a.decide(monthly_budget=400.0)
    p = plan.summary().set_index("policy")
    # everyone treated against today's policy (control): the same by-hand difference of means
    assert p.loc["everyone treated", "gain_vs_today"] == pytest.approx(diff, abs=1e-9)
    assert p.loc["everyone treated", "low"] < diff < p.loc["everyone treated", "high"]
    assert p["recommended"].sum() == 1
    assert p.loc["targeted within budget", "units_treated"] == (plan.allocation.assign >= 0).sum()
    # the learned offers follow the planted effect: most units given the offer gain +2 (x > 0)
    best = plan.policies["best arm per unit"] >= 0
    assert (tau[best] > 0).mean() > 0.75 and (tau[~best] < 0).mean() > 0.75
    assert f"recommended={plan.decision.recommended!r}" in repr(plan)
    assert "monthly budget=400" in repr(plan)
