"""The site analysis object: fitted once, a decision knob (number of sites, budget, staffing)
re-decides from the fitted market without refitting, and equals a full refit with that setting."""

from __future__ import annotations

import numpy as np
import pytest
from call_counter import CallCounter

import luckin_lab.sites.analysis as site_analysis
import luckin_lab.sites.sensitivity as site_sensitivity
from luckin_lab.sites.analysis import SiteAnalysis, SiteSettings
from luckin_lab.sites.data import load_site_data
from luckin_lab.sites.truth_eval import load_site_truth
from luckin_lab.sources import open_store


@pytest.fixture(scope="module")
def fitted(small_store_uri):
    """One fit at k = 3, with every Huff fit (main, CV folds' own module, decay profiles) and
    the cross-validation counted."""
    counters = {"huff": CallCounter(site_analysis.fit_huff), "profile": CallCounter(site_sensitivity.fit_huff),
                "cv": CallCounter(site_analysis.cross_validate)}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(site_analysis, "fit_huff", counters["huff"])
        mp.setattr(site_sensitivity, "fit_huff", counters["profile"])
        mp.setattr(site_analysis, "cross_validate", counters["cv"])
        data = load_site_data(open_store(small_store_uri))
        a = SiteAnalysis(SiteSettings(k_sites=3)).fit(data)
        yield a, data, counters


def test_decide_another_k_without_refitting(fitted):
    a, _, counters = fitted
    before = {k: c.calls for k, c in counters.items()}
    assert before["huff"] == 1 and before["cv"] == 1 and before["profile"] >= 2  # the fit did the costly work
    three, two = a.decide(), a.decide(k_sites=2)
    assert {k: c.calls for k, c in counters.items()} == before and a.fits == 1  # decide refits nothing
    assert len(three.chosen) == 3 and len(two.chosen) == 2
    assert three.metrics["k"] == 3 and two.metrics["k"] == 2
    # the set is chosen on the same fitted market: its value is that market's exact set value
    assert two.metrics["portfolio_net_gain_monthly"] == pytest.approx(a.market.set_net_gain(two.chosen))
    # deciding is a function of the fitted state and the policy only (no state kept between decisions)
    again = a.decide(k_sites=3)
    assert list(again.chosen) == list(three.chosen) and again.metrics == three.metrics
    # the sensitivity table re-solves every decay profile for the new k, without refitting them
    assert (two.sensitivity.same_sites_as_base <= 2).all() and len(two.sensitivity) == len(a.decay_markets)


def test_decide_by_budget_and_staffing_and_refuses_model_settings(fitted):
    a, _, _ = fitted
    base = a.decide()
    cost = base.metrics["opening_cost_total"]
    by_budget = a.decide(budget=cost - 1)  # three sites, for a dollar less than the best three cost
    assert by_budget.metrics["opening_cost_total"] <= cost - 1 and len(by_budget.chosen) == 3
    assert list(by_budget.chosen) != list(base.chosen)
    # staff cost enters profit one for one: $0 an hour adds back exactly the staff cost of the same sites
    free = a.decide(staff_hourly_cost=0.0)
    if list(free.chosen) == list(base.chosen):
        assert free.metrics["portfolio_profit_monthly"] == pytest.approx(
            base.metrics["portfolio_profit_monthly"] + base.metrics["staff_cost_total_monthly"])
    assert free.metrics["portfolio_profit_monthly"] >= base.metrics["portfolio_profit_monthly"] - 1e-6
    with pytest.raises(ValueError, match="fit again"):
        a.decide(alpha=0.2)
    with pytest.raises(ValueError, match="k_sites or budget"):
        a.decide(k_sites=None, budget=None)


def test_summary_and_repr_carry_the_fitted_figures(fitted, small_store_dir):
    a, _, _ = fitted
    s = a.summary().set_index("figure").value
    truth = load_site_truth(small_store_dir)["truth"].spatial
    assert s["distance decay"] == a.huff.decay
    assert s["distance decay, 95 % low"] <= a.huff.decay <= s["distance decay, 95 % high"]
    assert abs(s["distance decay"] - truth.distance_decay) <= 0.3  # near the planted decay
    assert s["candidate sites"] == 40 and s["stores"] == len(a.data.stores)
    assert f"distance decay={a.huff.decay:.2f}" in repr(a) and "candidates=40" in repr(a)
    plan = a.decide()
    ps = plan.summary().set_index("figure").value
    total = plan.portfolio_table().iloc[-1]
    assert ps["monthly net sales of the set"] == pytest.approx(total.net_gain)
    assert ps["monthly profit of the set"] == pytest.approx(total.profit)
    assert f"{plan.metrics['portfolio_profit_monthly']:,.0f}/month" in repr(plan)
    assert all(name in repr(plan) for name in plan.metrics["chosen_site_names"])
    assert "not fitted" in repr(SiteAnalysis())


@pytest.mark.slow
def test_decide_equals_a_full_refit_with_that_setting(fitted):
    a, data, _ = fitted
    quick = a.decide(k_sites=2)
    refit = SiteAnalysis(SiteSettings(k_sites=2)).fit(data).decide()
    assert list(quick.chosen) == list(refit.chosen)
    for key in ("portfolio_net_gain_monthly", "portfolio_profit_monthly", "portfolio_profit_low",
                "portfolio_profit_high", "ranking_profit_monthly", "opening_cost_total"):
        assert quick.metrics[key] == pytest.approx(refit.metrics[key], rel=1e-6), key
    np.testing.assert_allclose(quick.sensitivity.profit_of_choice, refit.sensitivity.profit_of_choice, rtol=1e-6)
