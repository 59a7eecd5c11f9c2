"""Real public experiments through the generic path reproduce their published effects.

NSW job training (Dehejia-Wahba experimental sample, 445 men) and Thornton's HIV-results
incentive experiment (Malawi, villages as clusters), both shipped by the ``causaldata``
package, written as a folder store holding a ``generic_experiment`` table exactly as a
user's export would be, read through the contract.
"""

from __future__ import annotations

import pytest

from luckin_lab.sources import open_store
from luckin_lab.uplift import public
from luckin_lab.uplift.analysis import UpliftAnalysis, UpliftSettings
from luckin_lab.uplift.data import from_generic

pytest.importorskip("causaldata")


def _load(frame, tmp_path):
    public.write_folder(frame, tmp_path)
    return from_generic(open_store(f"folder:{tmp_path}"), "generic_experiment")


def test_nsw_reproduces_the_published_experimental_effect(tmp_path):
    exp = _load(public.nsw(), tmp_path)
    assert len(exp.frame) == 445 and exp.arms == ["training"] and exp.cluster is None
    a = UpliftAnalysis(UpliftSettings(learners=["SP", "T"], current_arm="control")).fit(exp).decide()
    r = a.arm_effects.iloc[0]
    pub = public.NSW_PUBLISHED
    assert abs(r["effect"] - pub["effect"]) < pub["se"]
    assert r["se"] == pytest.approx(pub["se"], rel=0.1)  # HC1 vs the pooled textbook SE
    assert r["p_value"] == pytest.approx(0.007, abs=0.001)
    # 185 men in the smaller arm: too few to target; the clearly positive average wins
    d = a.decision
    assert not a.targeting.supported and d.reason == "best arm"
    assert d.recommended == "everyone training"


def test_thornton_reproduces_the_published_incentive_effect_with_clusters(tmp_path):
    exp = _load(public.thornton(), tmp_path)
    assert exp.cluster == "cluster_id" and exp.nouns.outcome_unit == "share"
    a = UpliftAnalysis(UpliftSettings(learners=["SP", "T"], current_arm="control")).fit(exp).decide()
    r = a.arm_effects.iloc[0]
    pub = public.THORNTON_PUBLISHED
    assert abs(r["effect"] - pub["effect"]) < pub["se"]
    assert r["se_type"] == "cluster-robust"
    assert r["se"] == pytest.approx(pub["se"], rel=0.25)
    assert r["control_mean"] == pytest.approx(0.34, abs=0.01)  # the paper's 34 %


@pytest.mark.parametrize(("keep", "match"), [
    ("control only", "only the control arm 'control' is present"),
    ("treated only", "control arm 'control' not found"),
    ("five a side", r"fewer than 20 units: \{'control': 5, 'training': 5\}"),
])
def test_experiments_that_identify_nothing_refuse_naming_what_is_missing(tmp_path, keep, match):
    nsw = public.nsw()
    frame = {"control only": nsw[nsw.arm == "control"], "treated only": nsw[nsw.arm != "control"],
             "five a side": nsw.groupby("arm").head(5)}[keep]
    with pytest.raises(ValueError, match=match):
        _load(frame, tmp_path)
