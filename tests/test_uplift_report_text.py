"""Reader-facing wording of the coupon report: units, p-values, covariates actually used."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from luckin_lab.synth.experiment import simulate_heterogeneous
from luckin_lab.uplift import decision, report, summary, words
from luckin_lab.uplift.analysis import UpliftAnalysis, UpliftSettings
from luckin_lab.uplift.data import from_generic
from luckin_lab.uplift.words import Nouns


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


@pytest.fixture(scope="module")
def cases():
    """Three small experiments with planted effects, one per decision rule."""
    out = {}
    for name, effect, today in (("best arm", 2.0, "control"), ("no change", 0.0, "control"),
                                ("stop", -2.0, "treated")):
        frame, _ = simulate_heterogeneous(700, effect=effect, spread=0.0, seed=4)
        exp = from_generic(frame, nouns=Nouns(unit="shop", units="shops", treatment="visit",
                                              control="no visit",
                                              arm_labels={"treated": "a sales visit"},
                                              outcome="weekly sales", outcome_unit="usd",
                                              value="weekly sales", value_unit="usd"))
        a = UpliftAnalysis(UpliftSettings(learners=["T"], current_arm=today)).fit(exp).decide()
        out[name] = (a, a.decision)
    return out


def test_units_format_as_the_data_says():
    assert words.diff(0.431, "share") == "43.1 points"
    assert words.diff(-0.0004, "share") == "0.0 points"  # never "-0.0"
    assert words.level(0.8, "share") == "80.0%"
    assert words.diff(1794.3, "usd") == "$1,794" and words.diff(0.09, "usd") == "$0.09"
    assert words.diff(-145_809, "usd") == "-$145.8K"
    assert words.diff(3.5, "count", signed=True) == "+3.50"
    assert words.detect_unit(np.array([0.0, 1.0, 1.0])) == "share"
    assert words.detect_unit(np.array([0.0, 2.0])) == "count"


def test_each_rule_gives_its_instruction_with_the_table_figure(cases):
    for rule, (a, d) in cases.items():
        assert d.reason == rule, rule
        text = summary.what_to_do(a, d)
        table = report.policy_table(a, d)
        rec = table[table["policy"].str.contains(r"\((?:recommended|today, kept)\)")]
        assert len(rec) == 1
        if rule == "best arm":
            assert "Give **a sales visit** to every shop" in text
            # page one's figure is the policy table's measured gain, same formatting
            assert rec["gain per shop against today"].item().lstrip("+") in text
            assert "do not say what the visit costs" in text
        elif rule == "stop":
            assert text.startswith("**What to do.** Stop giving **a sales visit** to every shop")
            assert "clearly a gain" in text  # stopping a clear loss is a clear gain
        else:
            assert text.startswith("**What to do.** No change") and "Give" not in text
        for word in ("treated", "control", "S-learner", "Qini"):
            assert word not in text, (rule, word)


def test_a_non_significant_figure_never_leads(cases):
    a, d = cases["no change"]
    tiles = summary.tiles(a, d)
    first_label, first_value = next(iter(tiles.items()))
    assert first_value == "no clear gain"
    assert "no change from today's policy clearly raises weekly sales" in first_label
    a, d = cases["best arm"]
    first_label, first_value = next(iter(summary.tiles(a, d).items()))
    est = decision.measured(a, "everyone treated")
    assert est.low > 0 and first_value == words.diff(est.value, "usd", signed=True)


def test_effect_lines_lead_with_the_effect_interval_and_p(cases):
    a, _ = cases["best arm"]
    r = a.arm_effects.iloc[0]
    line = summary.effect_lines(a)[0]
    assert line.startswith("* **a sales visit** against no visit: raised weekly sales by")
    assert f"{words.diff(r.ci_low, 'usd', like=r.ci_high)} to " in line
    assert "p < 0.001" in line or f"p = {r.p_value:.3f}" in line


def _three_arms(n: int = 3000, seed: int = 5) -> pd.DataFrame:
    """Control, a worse arm (today's, -1) and a better one (+2): hand-checkable contrasts."""
    rng = np.random.default_rng(seed)
    arm = rng.choice(["control", "cheap", "deep"], n)
    lift = np.select([arm == "deep", arm == "cheap"], [-1.0, 2.0], 0.0)
    return pd.DataFrame({"unit_id": [f"U{i}" for i in range(n)], "arm": arm,
                         "outcome": 10 + lift + rng.normal(0, 3, n), "x": rng.normal(size=n)})


def test_the_decision_compares_every_option_with_todays_policy_not_with_none():
    frame = _three_arms()
    exp = from_generic(frame, nouns=Nouns(unit="shop", units="shops", treatment="visit",
                                          control="no visit", outcome="weekly sales",
                                          outcome_unit="usd", value="weekly sales",
                                          value_unit="usd",
                                          arm_labels={"cheap": "a short visit",
                                                      "deep": "a long visit"}))
    a = UpliftAnalysis(UpliftSettings(learners=["T"], current_arm="deep")).fit(exp).decide()
    d = a.decision
    means = frame.groupby("arm")["outcome"].mean()
    # the recommended change is the short visit, worth its mean minus today's (hand-computed)
    assert d.recommended == "everyone cheap" and d.reason == "best arm"
    assert d.gain_vs_today.value == pytest.approx(means["cheap"] - means["deep"], rel=1e-9)
    assert d.gain_vs_today.low < 3.0 < d.gain_vs_today.high  # planted: +2 - (-1)
    # no visit also beats today; the short visit is ahead of it by about the planted 2
    assert d.runner_up == "no treatment"
    assert d.gain_vs_runner_up.value == pytest.approx(means["cheap"] - means["control"])
    frame_row = d.frame.set_index("policy").loc["no treatment"]
    assert frame_row["gain_vs_today"] == pytest.approx(means["control"] - means["deep"])
    text = summary.what_to_do(a, d)
    assert text.startswith("**What to do.** Switch every shop from **a long visit** to "
                           "**a short visit**") and "against today's policy" in text
    assert "No visit for anyone also beats today's policy" in text
    table = summary.options_table(a, d)
    assert list(table.iloc[:, 0])[0] == "A short visit for every shop (recommended)"
    assert set(table["verdict (2 options compared)"]) == {"clearly better"}
    assert "stays clear after allowing for the 2 options compared" in text
    lead_label, lead_value = next(iter(summary.tiles(a, d).items()))
    assert "against today's a long visit for every shop" in lead_label
    assert lead_value == words.diff(d.gain_vs_today.value, "usd", signed=True)


def test_a_switch_must_stay_clear_after_allowing_for_the_options_compared():
    # 2.2 standard errors above zero: clear for one option (z 1.96), not for three (z 2.39)
    m = decision.Measured(2.2, 1.0, "experiment")
    assert decision.clearly_better(m, 1) and not decision.clearly_better(m, 3)
    assert decision.clearly_better(decision.Measured(2.4, 1.0, "experiment"), 3)
