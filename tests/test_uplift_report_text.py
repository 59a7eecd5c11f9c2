"""Reader-facing wording of the coupon report: units, p-values, covariates actually used."""

from types import SimpleNamespace

import numpy as np
import pandas as pd

from luckin_lab.uplift import report


def _analysis(covariates: list[str], balanced: list[bool], window_days: int | None = 14):
    balance = pd.DataFrame({"covariate": covariates, "kind": "numeric",
                            "max_abs_smd": np.where(balanced, 0.01, 0.2),
                            "p_value": np.where(balanced, 0.5, 0.0001), "balanced": balanced})
    data = SimpleNamespace(covariates=covariates, window_days=window_days)
    return SimpleNamespace(data=data, balance=balance)


def test_p_values_and_names_read_as_words():
    assert report.p_text(0.0) == "<0.001"
    assert report.p_text(0.0004) == "<0.001"
    assert report.p_text(0.0123) == "0.012"
    assert report.p_text(float("nan")) == "–"
    assert report.words("price_sensitive") == "price sensitive"
    assert report.words("home_store_km") == "distance to the home store"


def test_method_text_names_only_the_covariates_used():
    a = _analysis(["frequency", "monetary", "recency_days"], [True, True, True])
    text = report.feature_sentence(a)
    assert "3 pre-experiment covariates" in text
    assert "frequency, monetary and days since the last order" in text
    assert "order rate" not in text and "distance" not in text
    assert "No covariates" in report.feature_sentence(_analysis([], []))


def test_imbalance_is_flagged_and_tabled():
    a = _analysis(["frequency", "monetary", "noise"], [False, True, False])
    assert "2 of 3" in report.balance_sentence(a) and "frequency, noise" in report.balance_sentence(a)
    t = report.balance_table(a, only_imbalanced=True)
    assert list(t["covariate"]) == ["frequency", "noise"]
    assert list(t["p-value (arms equal)"]) == ["<0.001", "<0.001"]
    assert set(report.balance_table(a)["balanced (difference < 0.1)"]) == {"yes", "no"}
    assert "All 2" in report.balance_sentence(_analysis(["a", "b"], [True, True]))


def test_window_label_names_the_unit():
    assert report.window_label(_analysis(["a"], [True])) == "per 14-day window"
    assert report.window_label(_analysis(["a"], [True], window_days=None)) == "per campaign"


def _decision_case(gain: tuple[float, float, float], today: tuple[float, float, float],
                   status: str = "optimal"):
    a = SimpleNamespace(
        data=SimpleNamespace(arms=["off10", "off30"], frame=pd.DataFrame()),
        allocation=SimpleNamespace(assign=np.array([-1, 0, 1, 1]), status=status),
        model_choice=pd.DataFrame({"learner": ["SP"], "description": ["Pooled S-learner (x)"]}),
        chosen="SP", current_arm="off30")
    h = {"monthly_gain_vs_today": gain[0], "monthly_gain_vs_today_ci_low": gain[1],
         "monthly_gain_vs_today_ci_high": gain[2], "monthly_budget": 20_000.0,
         "monthly_today_vs_none": today[0], "monthly_today_vs_none_ci_low": today[1],
         "monthly_today_vs_none_ci_high": today[2]}
    return report.what_to_do(a, h), report.verdict(h)


def test_page_one_instruction_is_only_as_strong_as_the_evidence():
    text, v = _decision_case((5_000, 1_000, 9_000), (-3_000, -9_000, 3_000))
    assert v == "gain" and text.startswith("**What to do.** Stop sending **off30** to everyone;")
    assert "off10: 1, off30: 2" in text and "none: 1" in text
    # no evidence either way, blanket not clearly losing: keep today's policy and test
    text, v = _decision_case((5_000, -9_000, 20_000), (-3_000, -9_000, 3_000))
    assert v == "unclear" and "Keep today's policy for now" in text and "Stop sending" not in text
    # the randomized test alone shows the blanket coupon loses money: stop it, test the rest
    text, _ = _decision_case((5_000, -9_000, 20_000), (-146_000, -250_000, -40_000))
    assert text.startswith("**What to do.** Stop sending **off30** to everyone: in the randomized")
    assert "-$146.0K per month" in text and "not yet clear" in text
    text, v = _decision_case((-5_000, -9_000, -1_000), (0, -1, 1))
    assert v == "loss" and "Keep today's policy" in text
    text, _ = _decision_case((5_000, 1_000, 9_000), (0, -1, 1), status="budget not binding")
    assert "is not used up" in text and "within a discount budget" not in text
    assert report.kpi_note(-9_870, 20_000) == "95% interval -$9.9K to $20.0K (not significant)"
    assert report.kpi_note(1_000, 2_000).endswith("$2,000")


def test_evidence_sentence_follows_the_interval():
    h = {"monthly_gain_vs_today": 5_000, "monthly_gain_vs_today_ci_low": 1_000,
         "monthly_gain_vs_today_ci_high": 9_000}
    assert report.evidence_sentence(h) == "The gain is statistically clear."
    h.update(monthly_gain_vs_today_ci_low=-9_870, monthly_gain_vs_today_ci_high=20_000)
    assert "no evidence of a gain" in report.evidence_sentence(h)  # width 30K > 4 x 5K
    h.update(monthly_gain_vs_today_ci_low=-1_000, monthly_gain_vs_today_ci_high=11_000)
    assert "direction is likely" in report.evidence_sentence(h)
    h.update(monthly_gain_vs_today=-5_000, monthly_gain_vs_today_ci_low=-9_000,
             monthly_gain_vs_today_ci_high=-1_000)
    assert "worse than today's policy" in report.evidence_sentence(h)
