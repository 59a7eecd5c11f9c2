"""Seed-scale accuracy against planted truth, under the default and a second truth (slow).

The benchmark (benchmarks/bench_pricing.py) records the issue's target (|error| <= 0.1 and the
95 % CI covering, every category). At seed scale the causal (Poisson IV) standard errors are
0.05-0.10 (the smallest category, Other, sits at the information bound of its ~10K items), so that
target sits at 1-2 standard errors for the smaller categories; these tests assert what must
hold whatever the draw: errors within 3 standard errors and 0.15, CIs that cover, a naive
estimate biased toward zero by a clear margin, and cross-price estimates near the planted
(small, negative) add-on complementarity.
"""

from __future__ import annotations

import pytest
import yaml

from luckin_lab.pricing.analysis import PricingAnalysis
from luckin_lab.pricing.elasticities import CAUSAL
from luckin_lab.pricing.truth_eval import (
    SECOND_TRUTH,
    load_elasticity_truth,
    score,
    score_cross,
    truth_path_for,
)
from luckin_lab.reporting.params_models.price_elasticity import Params
from luckin_lab.sources import open_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["default", "second"])
def seed_store(request, tmp_path_factory) -> str:
    from luckin_lab.synth.build import build_store

    out = tmp_path_factory.mktemp(f"seed_{request.param}")
    truth_file = None
    if request.param == "second":
        truth_file = out / "truth.yaml"
        truth_file.write_text(yaml.safe_dump(SECOND_TRUTH))
    build_store(out / "store", scale="seed", truth_path=truth_file)
    return f"duckdb:{out / 'store' / 'store.duckdb'}"


def test_causal_estimates_recover_the_planted_elasticities(seed_store):
    a = PricingAnalysis(Params()).fit(open_store(seed_store)).decide()
    truth = load_elasticity_truth(truth_path_for(seed_store))
    s = score(a.results.by_group, truth.category)
    est = s[s["method"] == CAUSAL].set_index("group")
    se = a.results.by_group[a.results.by_group["method"] == CAUSAL].set_index("group")["se"]
    assert set(est.index) == set(truth.category)  # every category estimated
    assert est["covered"].all(), est
    assert (est["error"].abs() <= 3 * se.reindex(est.index)).all(), est
    assert est["error"].abs().max() < 0.15, est
    # the fixed effects and control gaps keep the intervals tight (DML without them: 0.08-0.10)
    assert se.median() < 0.07 and se.max() < 0.12, se
    naive = s[s["method"] == "naive"]
    assert (naive["error"] > 0.15).all(), naive  # visibly biased toward zero
    cross = score_cross(a.results.cross_price, truth.cross)
    off = cross[~cross["own"]]
    assert len(off) == 12
    assert off["error"].abs().max() < 0.25, off
    assert off["covered"].mean() >= 0.75, off
    # the recommended menu gains margin under the PLANTED elasticities (own-price effect), and no
    # single move truly loses more than 1 % of its category's margin
    recs = a.recommendations
    true_e = recs["group"].map(truth.category)
    ratio = recs["recommended_price"] / recs["today_price"]
    eff0 = recs["today_price"] * (1 - recs["discount"])
    true_margin = (recs["weekly_units"] * ratio ** true_e * (eff0 * ratio - recs["unit_cost"])
                   - recs["weekly_margin"])
    assert true_margin.sum() > 0, true_margin
    assert (true_margin >= -0.01 * recs["weekly_margin"].abs()).all(), true_margin
    # the uncertainty rail: no move beyond its group's allowance, and the largest move is a full-allowance one
    assert (recs["change"].abs() <= recs["allowed_change"] + 1e-9).all()
    biggest = recs.loc[recs["change"].abs().idxmax()]
    assert biggest["allowed_change"] == pytest.approx(recs["allowed_change"].max()), recs
