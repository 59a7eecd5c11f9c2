"""The pricing analysis as an estimator: estimate once, decide prices under other guard rails
without re-estimating, and each decision equals the one a full refit with those rails gives."""

from __future__ import annotations

import pandas as pd
import pytest

from luckin_lab.pricing import analysis as pricing_analysis
from luckin_lab.pricing.analysis import PricingAnalysis
from luckin_lab.pricing.settings import PricingSettings
from luckin_lab.sources import open_store
from luckin_lab.synth.price_panel import simulate_panel

SETTINGS = PricingSettings(panel="generic", dml_folds=2)


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    """A simulated generic panel (planted elasticities) in a folder, as an analyst's extract."""
    sim = simulate_panel(n_markets=5, n_days=90, seed=11)
    folder = tmp_path_factory.mktemp("panel")
    sim.frame.to_parquet(folder / "generic_price_demand.parquet", index=False)
    return f"folder:{folder}", sim


@pytest.fixture()
def estimations(monkeypatch) -> list[int]:
    """One entry per elasticity estimation (the costly step decide() must never repeat)."""
    calls: list[int] = []
    real = pricing_analysis.estimate_elasticities

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pricing_analysis, "estimate_elasticities", counted)
    return calls


def test_tighter_guard_rail_is_decided_without_refitting_and_equals_a_full_refit(panel, estimations):
    uri, _ = panel
    a = PricingAnalysis(SETTINGS).fit(open_store(uri))
    wide, tight = a.decide(), a.decide(max_price_change=0.02, min_weekly_gain=0.0)
    assert len(estimations) == 1 and a.fits == 1  # nothing re-estimated
    assert wide.settings.max_price_change == 0.15 and tight.settings.max_price_change == 0.02
    assert a.settings.max_price_change == 0.15  # the analysis keeps its own settings
    # every move within its rail, and the tight rail binds where the wide one moved further
    assert (tight.recommendations["change"].abs() <= 0.02 + 1e-9).all()
    assert wide.recommendations["change"].abs().max() > 0.02
    # the same decision as estimating everything again with those rails in the settings
    rails = {"max_price_change": 0.02, "min_weekly_gain": 0.0}
    refit = PricingAnalysis(SETTINGS.model_copy(update=rails)).fit(open_store(uri)).decide()
    assert len(estimations) == 2
    pd.testing.assert_frame_equal(tight.recommendations, refit.recommendations)
    pd.testing.assert_frame_equal(tight.projection, refit.projection)
    assert tight.metrics() == refit.metrics()
    with pytest.raises(ValueError, match="set them in PricingSettings and fit again"):
        a.decide(dml_folds=3)


def test_summary_and_repr_show_the_estimates_and_the_menu(panel):
    uri, sim = panel
    a = PricingAnalysis(SETTINGS)
    assert "not fitted" in repr(a)
    a.fit(open_store(uri))
    s = a.summary().set_index("group")
    causal = a.results.causal()
    assert s["poisson"].to_dict() == pytest.approx(causal.to_dict())
    for g, truth in sim.group_elasticity.items():  # the planted elasticities, recovered
        assert abs(s.loc[g, "poisson"] - truth) < 0.3
        assert s.loc[g, "naive"] > truth  # and the naive fit biased toward zero
    assert "elasticities" in repr(a) and str(round(float(causal.iloc[0]), 2)) in repr(a)
    plan = a.decide()
    m = plan.summary().set_index("group")
    recs = plan.recommendations.set_index("group")
    assert m["recommended_price"].to_dict() == recs["recommended_price"].to_dict()
    # the projected margin change per group is the projection's
    proj = plan.projection.set_index("group")
    assert m["margin_change"].to_dict() == pytest.approx(proj.loc[m.index, "margin_change"].to_dict())
    assert f"{plan.total['margin_change']:+,.0f}" in repr(plan)
