"""The coupon decision against today's policy recovers the demo store's planted truth.

The store plants each user's expected profit under every arm (truth/uplift_users.parquet);
only this evaluation reads it. Page one's figures are contrasts against today's policy
(30 % off for everyone), so these tests check exactly those: every option's 95 % interval
covers its planted gain over today, and at seed scale the recommended change has the
planted gain's sign and rough size.
"""

from __future__ import annotations

import pytest

from luckin_lab.paths import demo_store_dir
from luckin_lab.sources import open_store
from luckin_lab.uplift import decision, truth_eval
from luckin_lab.uplift.analysis import UpliftAnalysis, UpliftSettings
from luckin_lab.uplift.data import from_campaign
from luckin_lab.uplift.policy import NONE

CAMPAIGN = "CMP-2025-12-WINBACK"


def _run(uri: str):
    a = UpliftAnalysis(UpliftSettings(learners=["SP"], current_arm="off30")) \
        .fit(from_campaign(open_store(uri), CAMPAIGN)).decide()
    return a, a.decision, truth_eval.load_truth(uri, CAMPAIGN)


def test_every_option_against_today_covers_the_planted_gain(small_store_uri):
    a, d, truth = _run(small_store_uri)
    for key in [NONE, "everyone off10", "everyone off20"]:
        est = decision.against_today(a, key)
        true = truth_eval.true_gain_vs_today(a, truth, key)
        assert est.low <= true <= est.high, (key, est, true)
    # today's policy against itself is exactly zero, in the frame page one reads
    row = d.frame.set_index("policy").loc["everyone off30"]
    assert row["gain_vs_today"] == 0.0 and row["page_gain_vs_today"] == 0.0


@pytest.mark.slow
def test_seed_scale_recommended_change_has_the_planted_sign_and_size():
    path = demo_store_dir("seed") / "store.duckdb"
    if not path.exists():
        pytest.skip("seed demo store not built (make data SCALE=seed)")
    a, d, truth = _run(f"duckdb:{path}")
    assert d.recommended != d.today  # the planted 30 % off loses against a shallower coupon
    true = truth_eval.true_gain_vs_today(a, truth, d.recommended)
    est = d.gain_vs_today
    assert true > 0 and est.low > 0  # the right sign, and clearly so
    assert est.low <= true <= est.high  # the right size: the interval covers the truth
    assert 0.5 * true <= est.value <= 2 * true
    # the planted best single policy is the one recommended (or within the interval of it)
    singles = [NONE, "everyone off10", "everyone off20"]
    best = max(singles, key=lambda k: truth_eval.true_gain_vs_today(a, truth, k))
    if d.recommended != best:
        gap = decision.between(a, best, d.recommended)
        assert gap.low <= 0, (best, d.recommended)
