"""The headline block every leadership report writes into metrics.json (schema version 1)."""

from __future__ import annotations

import json

import pytest

from luckin_lab.paths import params_dir
from luckin_lab.reporting import nb
from luckin_lab.reporting.headline import HEADLINE_VERSION, Headline, headline_of, write_headline
from luckin_lab.reporting.recommendation_log import read_log
from luckin_lab.reporting.runner import run_report


def test_a_written_headline_is_read_back_with_confidence_in_words(tmp_path):
    results = nb.Results(tmp_path)
    results.metrics({"weekly_margin_change": 5.0, "weekly_margin_change_low": -1.0,
                     "weekly_margin_change_high": 9.0})
    write_headline(results, Headline("Raise the price of cold brew by $0.30.", "margin per week",
                                     812.0, 120.0, 1490.0, "USD per week", True,
                                     for_whom="all stores", follow_up_days=28))
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["headline"]["version"] == HEADLINE_VERSION
    h = headline_of("price_elasticity", metrics)  # the written block wins over older keys
    assert h.decision == "Raise the price of cold brew by $0.30." and h.value == 812.0
    assert h.significant and h.confidence.startswith("clearly a gain")


def test_an_interval_including_zero_is_never_called_clear():
    h = headline_of("coupon_uplift", {
        "monthly_gain_vs_today": 2046.0, "monthly_gain_vs_today_ci_low": -2253.0,
        "monthly_gain_vs_today_ci_high": 6346.0, "monthly_today_vs_none": -500.0,
        "monthly_today_vs_none_ci_low": -900.0, "monthly_today_vs_none_ci_high": -100.0,
    }, {"current_arm": "off30"})
    # the clear figure (today's blanket coupon loses margin) leads, not the unclear gain
    assert h.value == -500.0 and h.significant
    assert h.decision.startswith("Stop sending off30 to everyone")


@pytest.mark.parametrize("bad", [dict(low=1.0, high=None), dict(low=3.0, high=1.0), dict(decision=" ")])
def test_malformed_headlines_are_refused(bad):
    with pytest.raises(ValueError):
        Headline(**{"decision": "Do it.", "value": 2.0, **bad})


def test_a_published_leadership_run_is_logged_and_recorded(small_store_uri, tmp_path):
    result = run_report(params_dir() / "store_trends" / "weekly.yaml", {"source": small_store_uri},
                        reports_root=tmp_path)
    assert result.ok and result.record["audience"] == "leadership"
    metrics = json.loads((result.folder / "results" / "metrics.json").read_text())
    log = read_log(tmp_path)
    assert len(log) == 1 and log.loc[0, "report"] == "store_trends"
    # the demo store has item costs, so the store report's figure is gross profit, logged as such
    assert metrics["profit_available"]
    assert log.loc[0, "expected"] == pytest.approx(metrics["gross_profit"])
    assert bool(log.loc[0, "is_profit"])
    assert json.loads((result.folder / "run.json").read_text())["recommendation_log"].endswith(".parquet")
    assert "Store sales" in (tmp_path / "index.html").read_text()
    # the report writes its own block (not derived by the reader): a level, said so
    block = metrics["headline"]
    assert block["is_profit"] and block["unit"] == "USD per week" and "a level" in block["figure"]
    assert block["value"] == pytest.approx(metrics["gross_profit"])


def test_store_revenue_without_costs_is_never_called_profit():
    h = headline_of("store_trends", {"revenue": 1000.0, "week_start": "2026-02-02",
                                     "profit_available": False, "stores_below_4wk_avg": []})
    assert h.value == 1000.0 and not h.is_profit and "revenue, not profit" in h.figure


def test_the_site_headline_is_profit_and_not_a_decision_to_open_when_unclear():
    m = {"chosen_sites": ["Harlem", "Flatbush"], "portfolio_profit_monthly": 38345.0,
         "portfolio_profit_low": -18404.0, "portfolio_profit_high": 177941.0, "interval_level": 0.9,
         "decision_robust_to_decay": False, "portfolio_net_gain_monthly": 149491.0}
    h = headline_of("site_selection", m)
    assert h.is_profit and h.value == 38345.0 and (h.low, h.high) == (-18404.0, 177941.0)
    assert h.decision.startswith("Shortlist") and not h.significant


def test_the_experiment_reports_newer_keys_give_a_headline():
    base = {"figures_per": "per month", "unit_noun": "users", "today_policy": "everyone off30",
            "outcome_units": {"ordered": "share", "margin": "usd"},
            "gain_vs_today": 1200.0, "gain_vs_today_ci_low": 300.0, "gain_vs_today_ci_high": 2100.0,
            "effect_margin_off30": {"effect": -0.05, "ci_low": -0.09, "ci_high": -0.01,
                                    "page_one_factor": 10_000.0}}
    switch = headline_of("coupon_uplift", {**base, "recommended_policy": "targeted",
                                           "recommended_label": "each user the offer the model picks"})
    assert switch.decision == "Switch to each user the offer the model picks."
    assert (switch.value, switch.low, switch.unit) == (1200.0, 300.0, "USD per month")
    keep = headline_of("coupon_uplift", {**base, "recommended_policy": "everyone off30",
                                         "recommended_label": "30 % off for every user"})
    assert keep.decision.startswith("Keep today's policy (30 % off for every user)")
    assert keep.value == pytest.approx(-500.0) and keep.high == pytest.approx(-100.0)
    assert keep.significant  # the blanket coupon's loss is clear: it is the figure shown


@pytest.mark.parametrize(("unit", "factor"), [
    ("USD per month", 1.0),
    ("USD per week", 365.25 / 12 / 7),  # 4.35 weeks in a month
    ("USD per 7 days", 365.25 / 12 / 7),
    ("USD per 12 months", 1 / 12),
    ("USD per year", 1 / 12),
    ("USD per 30 days", 365.25 / 12 / 30),
])
def test_money_is_put_per_month_by_its_unit(unit, factor):
    h = Headline("Do it.", "margin", 700.0, -70.0, 1400.0, unit, True)
    m = h.monthly()
    assert m.unit == "USD per month"
    assert (m.value, m.low, m.high) == pytest.approx((700 * factor, -70 * factor, 1400 * factor))
    assert m.significant == h.significant and m.decision == h.decision


@pytest.mark.parametrize("unit", ["USD", "cups", "share of devices", ""])
def test_a_one_off_total_or_a_figure_that_is_not_money_has_no_monthly_form(unit):
    assert Headline("Do it.", "x", 5.0, unit=unit).monthly() is None
