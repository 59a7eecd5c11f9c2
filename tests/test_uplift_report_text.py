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
