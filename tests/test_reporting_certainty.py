"""The shared certainty rules: hand-computed cases of each rule."""

import math

import pytest

from luckin_lab.reporting import certainty as c
from luckin_lab.reporting.glossary import GLOSSARY, glossary_frame


def usd(x: float) -> str:
    return f"{'-' if x < 0 else ''}${abs(x):,.0f}"


def test_significance_is_the_interval_excluding_zero():
    assert c.Estimate(5, 1, 9).significant
    assert c.Estimate(-5, -9, -1).significant
    assert not c.Estimate(5056, -9900, 20000).significant
    assert not c.Estimate(1, math.nan, math.nan).significant
    with pytest.raises(ValueError):
        c.Estimate(1, 3, 2)


def test_from_se_uses_the_normal_quantile():
    e = c.Estimate.from_se(10.0, 2.0)
    assert e.low == pytest.approx(10 - 1.959964 * 2, abs=1e-5)
    assert e.high == pytest.approx(10 + 1.959964 * 2, abs=1e-5)
    assert c.Estimate.from_se(10.0, 2.0, level=0.9).high == pytest.approx(10 + 1.644854 * 2, abs=1e-5)


def test_scaling_keeps_the_interval_ordered():
    e = c.Estimate(2, 1, 3).scaled(-2)
    assert (e.value, e.low, e.high) == (-4, -6, -2)


def test_a_non_significant_figure_never_leads_even_when_larger():
    tiles = {
        "gain": c.Estimate(5056, -9900, 20000),  # the largest, but the interval straddles zero
        "saving": c.Estimate(1200, 300, 2100),
        "loss": c.Estimate(-800, -1500, -100),
    }
    assert c.lead_figure(tiles) == "saving"
    assert c.lead_figure({"gain": tiles["gain"]}) is None


def test_confidence_words_follow_the_interval():
    assert c.confidence_words(c.Estimate(3, 1, 5), "a gain", "a loss").startswith("clearly a gain")
    assert c.confidence_words(c.Estimate(-3, -5, -1), "a gain", "a loss").startswith("clearly a loss")
    words = c.confidence_words(c.Estimate(3, -1, 7), "a gain", "a loss")  # z = 1.47
    assert words.startswith("probably a gain") and "includes zero" in words
    # within one standard error of zero (here z = 0.03, p = 0.97): no lean is named
    flat = c.confidence_words(c.Estimate(-128, -9000, 8744), "a gain", "a loss")
    assert flat.startswith("no detectable effect") and "loss" not in flat
    assert "90 %" in c.confidence_words(c.Estimate(3, -1, 7, level=0.9))


def test_probabilities_never_read_certain_and_name_their_assumption():
    assert c.probability_text(0.9996) == "more than 99 %"
    assert c.probability_text(0.004) == "less than 1 %"
    assert c.probability_text(0.873) == "87 %"
    s = c.probability_sentence(0.9996, "margin rises", "permanent prices act like the temporary discounts we measured")
    assert s == ("If permanent prices act like the temporary discounts we measured, there is a more than "
                 "99 % chance that margin rises.")
    assert "an 80 % chance" in c.probability_sentence(0.80, "x", "y")
    with pytest.raises(ValueError):
        c.probability_sentence(0.5, "margin rises", " ")


def test_calibration_claim_carries_its_skill():
    weak = c.calibration_sentence(85.0, 83, 0.006, "failures")
    assert "85.0 failures and 83 happened" in weak and "0.6 % better" in weak and "not which ones" in weak
    worse = c.calibration_sentence(85.0, 83, -0.285, "failures")
    assert "no better than assuming the same rate" in worse and "-28.5 %" in worse and "better than" in worse
    assert "-28.5 % better" not in worse
    modest = c.calibration_sentence(41.1, 41, 0.068, "failures")
    assert "6.8 % better" in modest and modest.endswith("where the failures fall.")
    strong = c.calibration_sentence(85.0, 83, 0.31, "failures")
    assert "31.0 % better" in strong and "not which ones" not in strong


def test_calibration_spread_names_the_worst_group_and_both_directions():
    s = c.calibration_spread_sentence([0.27, 0.36, 0.43, 0.54, 0.69], [0.22, 0.56, 0.50, 0.28, 0.72], [18] * 5)
    assert "5 risk groups of 18 units" in s and "up to 26 points" in s and "54 % predicted, 28 % happened" in s
    assert "too high for some groups and too low for others" in s
    one_way = c.calibration_spread_sentence([0.2, 0.4], [0.25, 0.45], [10, 12])
    assert "10 to 12 units" in one_way and "up to 5 points" in one_way and "too high" not in one_way


def test_model_and_experiment_disagreement_trusts_the_experiment():
    experiment = c.Estimate(-2490, -4100, -880)
    assert c.disagreement_sentence(c.Estimate(-2000, -3000, -1000), experiment, "today's policy") is None
    text = c.disagreement_sentence(c.Estimate(-8790, -9500, -8000), experiment, "today's policy", usd)
    assert text is not None
    assert "-$8,790, below the randomized experiment's -$2,490 (-$4,100 to -$880)" in text
    assert "trust the experiment" in text
    assert "above" in c.disagreement_sentence(c.Estimate(783, 0, 1500), c.Estimate(-67000, -90000, -44000), "x", usd)


def test_interval_text():
    assert c.interval_text(c.Estimate(5056, -9900, 20000), usd) == "$5,056 (-$9,900 to $20,000)"
    assert "not available" in c.interval_text(c.Estimate(1, math.nan, math.nan))


def test_glossary_rows_in_order_and_unknown_terms_refused():
    df = glossary_frame(["Qini curve", "Elasticity", "Qini curve"])
    assert list(df["Term"]) == ["Qini curve", "Elasticity"]
    assert df["Meaning"].iloc[1] == GLOSSARY["Elasticity"]
    with pytest.raises(KeyError, match="no glossary entry"):
        glossary_frame(["Flux capacitor"])
    assert list(GLOSSARY) == sorted(GLOSSARY, key=str.lower)


def test_a_decision_is_as_strong_as_its_interval():
    assert c.decision_strength(c.Estimate(38.3, 2.0, 177.9)) == "commit"
    assert c.decision_strength(c.Estimate(38.3, -18.4, 177.9)) == "pilot"  # the range includes a loss
    assert c.decision_strength(c.Estimate(-45.7, -120.0, 90.0)) == "hold"  # a loss at the centre
    assert c.decision_strength(c.Estimate(0.0, -1.0, 1.0)) == "hold"
    assert c.decision_strength(c.Estimate(5.0, math.nan, math.nan)) == "hold"  # no interval, no commitment
