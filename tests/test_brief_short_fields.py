"""The review of the brief (grade B+): each finding as a check that fails on the old page.

Page one prints each report's own short decision and short note whole (never a cut phrase),
"In short" names every clear gain, "what changed" is honest, and the brief calls the same
stores new as the store sales report.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from brief_helpers import PLANT_WEEK, fake_run, pricing_metrics

from luckin_lab.brief import kpis as K
from luckin_lab.brief import page
from luckin_lab.brief.alerts import Alert
from luckin_lab.brief.analysis import Brief, blocks_frame, facts
from luckin_lab.brief.inputs import change_text, report_statuses
from luckin_lab.customers.report import brief_headline as customer_headline
from luckin_lab.reporting.headline import SHORT_CHARS, Headline, headline_of
from luckin_lab.transforms import metrics, sales
from luckin_lab.trends.narrative import store_headline

NOW = dt.datetime.now(dt.UTC)
WEEK = {"week_start": "2026-02-02", "week_end": "2026-02-08", "gross_profit": 47_400.0,
        "revenue": 94_800.0}


def _customers(value: float, low: float, high: float, n: int = 63_417) -> dict:
    return {"winback_value": value, "winback_value_low": low, "winback_value_high": high,
            "winback_budget": 5000.0, "winback_customers": n, "value_measure": "profit",
            "at_risk": 9_000, "at_risk_value_12m": 1e5}


def _headlines() -> dict[str, Headline]:
    """The headline of every writer and every older-run derivation, in each of its branches."""
    long_names = ["Chelsea 23rd", "JFK Terminal 4", "Midtown East 3rd Ave", "8th Ave (flagship)"]
    out = {
        "stores ok": store_headline({**WEEK, "stores_below_4wk_avg": []}, True),
        "stores below": store_headline({**WEEK, "stores_below_4wk_avg": ["Chelsea 23rd"]}, True),
        "stores many below": store_headline({**WEEK, "stores_below_4wk_avg": long_names}, False),
        "customers clear": customer_headline(_customers(18_593.0, 9_000.0, 27_000.0, 1_234_567)),
        "customers unclear": customer_headline(_customers(1_000.0, -900.0, 2_900.0)),
        "customers no test": customer_headline({"value_measure": "profit", "at_risk": 9_000,
                                                "at_risk_value_12m": 1e5}),
        "prices keep": headline_of("price_elasticity", pricing_metrics(300.0, -200.0, 800.0)),
        "prices apply": headline_of("price_elasticity", {
            **pricing_metrics(800.0, 100.0, 1500.0),
            "today_price": {f"c{i}": 5.0 for i in range(12)},
            "recommended_price": {f"c{i}": 5.0 + (0.5 if i % 3 else -0.5) for i in range(12)}}),
        "prices lose": headline_of("price_elasticity", pricing_metrics(-300.0, -800.0, -100.0)),
        "devices crew": headline_of("iot_survival", {
            "crew_expected_profit_usd": 9_000.0, "crew_profit_low_usd": 4_000.0,
            "crew_profit_high_usd": 14_000.0, "recommended_technicians": 4, "crew_weeks": 4}),
        "devices week": headline_of("iot_survival", {
            "expected_profit_usd": 6_186.0, "profit_low_usd": 3_000.0, "profit_high_usd": 9_000.0,
            "recommended_technicians": 12, "plan_visits": 1_112}),
        "sites": headline_of("site_selection", {
            "chosen_sites": [f"site {i}" for i in range(12)], "portfolio_profit_monthly": -5_000.0,
            "portfolio_profit_low": -60_000.0, "portfolio_profit_high": 150_000.0,
            "staff_cost_per_store_monthly": 31_000.0}),
        "coupon keep": headline_of("coupon_uplift", {
            "figures_per": "per month", "today_policy": "everyone off30", "outcome_units": {"margin": "usd"},
            "recommended_policy": "everyone off30", "recommended_label": "30 % off for every user",
            "gain_vs_today": 0.0, "gain_vs_today_ci_low": 0.0, "gain_vs_today_ci_high": 0.0,
            "effect_margin_off30": {"effect": -0.05, "ci_low": -0.09, "ci_high": -0.01}}),
        "coupon switch": headline_of("coupon_uplift", {
            "figures_per": "per month", "today_policy": "everyone off30", "recommended_policy": "targeted",
            "recommended_label": "each user the offer the model picks, among all four arms tested in "
                                 "the December campaign", "gain_vs_today": 1.0,
            "gain_vs_today_ci_low": 0.5, "gain_vs_today_ci_high": 2.0}),
    }
    return out


@pytest.mark.parametrize("case", list(_headlines()))
def test_every_report_says_its_decision_and_figure_in_a_short_whole_phrase(case):
    h = _headlines()[case]
    assert h.short_decision and len(h.short_decision) <= SHORT_CHARS, h.short_decision
    assert len(h.short_note) <= SHORT_CHARS and "…" not in h.short_decision + h.short_note
    assert not h.short_decision.endswith((" ", ",", ":", "(", "the", "a", "of"))


def test_the_short_fields_name_the_decision_the_long_one_makes():
    h = _headlines()
    assert h["customers clear"].short_decision == "Send win-back offers to 1,234,567 customers ($5,000 budget)"
    assert h["customers unclear"].short_decision.startswith("Do not scale")
    assert h["stores many below"].short_decision == "Look into 4 stores below their average"
    assert h["stores ok"].short_decision == "No action, every store open over 10 weeks within 10%"
    assert h["prices apply"].short_decision == "Raise 8 and lower 4 of 12 category prices as recommended"
    assert h["devices crew"].short_decision == "Send 4 technicians a week for the next 4 weeks"
    assert h["sites"].short_decision == "Do not open any of the 12 best sites yet"
    assert h["coupon switch"].short_decision == "Switch to the recommended policy"  # the label is too long


def test_a_short_field_over_the_limit_is_refused_not_cut():
    with pytest.raises(ValueError, match="short_decision has 65 characters"):
        Headline("Do it.", short_decision="x" * 65)


def test_keeping_todays_coupon_says_the_loss_is_what_switching_would_bring():
    """The review: 'Keep today's' beside 'probably a loss' read as a contradiction."""
    from luckin_lab.synth.experiment import simulate_heterogeneous
    from luckin_lab.uplift import summary
    from luckin_lab.uplift.analysis import UpliftAnalysis, UpliftSettings
    from luckin_lab.uplift.data import from_generic
    from luckin_lab.uplift.words import Nouns

    frame, _ = simulate_heterogeneous(700, effect=2.0, spread=0.0, seed=4)
    exp = from_generic(frame, nouns=Nouns(unit="shop", units="shops", treatment="visit",
                                          control="no visit", arm_labels={"treated": "a sales visit"},
                                          outcome="weekly sales", outcome_unit="usd",
                                          value="weekly sales", value_unit="usd"))
    a = UpliftAnalysis(UpliftSettings(learners=["T"], current_arm="treated")).fit(exp).decide()
    d = a.decision
    h = summary.brief_headline(a, d)
    assert d.recommended == d.today and h.short_decision.startswith("Keep today's policy")
    assert h.short_note.startswith("weekly sales if we switched to")
    assert h.value < 0 and h.confidence.startswith("clearly a loss if we switched")


def _brief(root) -> Brief:
    kpis = pd.DataFrame({"kpi": ["revenue"], "value": [11_400.0], "base_28d_change": [0.02]})
    return Brief(K.Period(*PLANT_WEEK), PLANT_WEEK[1], kpis, pd.DataFrame(), report_statuses(root, NOW),
                 [], [], pd.DataFrame(), pd.DataFrame(), [], None, 0.0)


def test_in_short_names_every_clear_gain_the_win_back_included(tmp_path):
    """The review: 'In short' named the two largest clear gains and left out the win-back list."""
    day = NOW - dt.timedelta(days=1)
    fake_run(tmp_path, "price_elasticity", "demo", day, pricing_metrics(630.0, 418.0, 838.0))
    fake_run(tmp_path, "iot_survival", "weekly", day, {
        "crew_expected_profit_usd": 9_000.0, "crew_profit_low_usd": 4_000.0,
        "crew_profit_high_usd": 14_000.0, "recommended_technicians": 4, "crew_weeks": 4})
    block = customer_headline(_customers(18_593.0, 9_000.0, 27_000.0)).to_dict()
    fake_run(tmp_path, "customers", "monthly", day, {"headline": block}, group="monthly")
    first = facts(_brief(tmp_path))[0]
    assert first.startswith("To do today, each a clear profit gain per month:")
    for title in ("equipment maintenance", "menu prices", "customers at risk and win-back"):
        assert title in first, title
    # the win-back list's 12-month profit is put per month: $18.6K / 12 = $1.5K
    assert "customers at risk and win-back, $1.5K: send win-back offers to 63,417 customers ($5,000 budget)" in first


LONG = "A decision that goes on and on " * 12


def test_no_field_on_page_one_ends_in_a_cut(tmp_path):
    """The review: phrases capped at 150/50/40 characters ended mid-thought. Page one prints
    every field whole: the report's short decision and note, or an older run's whole first clause."""
    day = NOW - dt.timedelta(days=1)
    crew = headline_of("iot_survival", {
        "crew_expected_profit_usd": 9_000.0, "crew_profit_low_usd": 4_000.0,
        "crew_profit_high_usd": 14_000.0, "recommended_technicians": 4, "crew_weeks": 4,
        "profit_interval_level": 0.9})
    fake_run(tmp_path, "iot_survival", "weekly", day, {"headline": crew.to_dict()})
    old = {"version": 1, "decision": "Keep the coupon: " + LONG, "figure": "margin " + LONG,
           "value": -500.0, "low": -900.0, "high": -100.0, "unit": "USD per month", "is_profit": True,
           "confidence": "probably a loss, but " + LONG}
    fake_run(tmp_path, "coupon_uplift", "demo", day, {"headline": old})
    b = _brief(tmp_path)
    f = blocks_frame(b).set_index("report")
    assert f.loc["Equipment maintenance", "decision"] == crew.short_decision
    assert f.loc["Equipment maintenance", "impact_note"].startswith(crew.short_note + "; report: $9,000 per 28 days")
    # the review: the model-based caveat of the largest figure was cut; now it leads the words
    assert f.loc["Equipment maintenance", "how_sure"] == ("if the failure and lost-sales models hold, "
                                                          "9 in 10 simulated futures fall in the range")
    assert f.loc["Coupon targeting", "decision"] == "Keep the coupon"
    assert f.loc["Coupon targeting", "how_sure"] == "probably a loss"
    html = page.reports_html(b)
    text = " ".join(page.page_text(html).split())
    assert "…" not in text and "..." not in text
    for r in f.itertuples():  # every printed field is the frame's whole text
        for field in (r.decision, r.impact_note, r.how_sure, r.change):
            assert " ".join(field.split()) in text, field
    typst = page.reports_typst(b)
    assert "…" not in typst and crew.short_decision in typst


def test_the_same_decision_with_its_figure_inside_the_range_is_no_change():
    """The review: Store sales read 'changed' when its decision was the same (a new week's dates)."""
    when = dt.date(2026, 12, 7)
    a = store_headline({**WEEK, "stores_below_4wk_avg": []}, True)
    b = store_headline({"week_start": "2026-01-26", "week_end": "2026-02-01", "gross_profit": 47_380.0,
                        "revenue": 94_000.0, "stores_below_4wk_avg": [],
                        "new_stores_below_4wk_avg": ["JFK Terminal 4"],
                        "below_4wk_avg_change": {"JFK Terminal 4": -0.3}}, True)
    assert a.decision != b.decision  # other week, other newer store named
    # the same action: not 'changed'; the level moved $20 a week, $87 a month, and says so
    assert change_text(a, b, when) == ("same decision since the run of 7 Dec 2026; figure +$0.1K "
                                       "(was $206.0K)")
    assert change_text(a, a, when) == "no change since the run of 7 Dec 2026"
    reworded = Headline(**{**a.to_dict(), "short_decision": a.short_decision.replace(",", ":")})
    assert change_text(a, reworded, when) == "no change since the run of 7 Dec 2026"
    prices = headline_of("price_elasticity", pricing_metrics(800.0, 100.0, 1500.0))
    moved = headline_of("price_elasticity", pricing_metrics(950.0, 150.0, 1700.0))
    assert change_text(moved, prices, when) == "no change since the run of 7 Dec 2026 (figure within its range)"
    far = headline_of("price_elasticity", pricing_metrics(2950.0, 1600.0, 4100.0))
    assert change_text(far, prices, when) == ("same decision since the run of 7 Dec 2026; figure +$9.3K "
                                              "beyond its range (was $3.5K)")


def test_a_reversal_says_what_it_was_and_how_the_figure_moved():
    """The review: the sites row reversed since the last run and did not say why."""
    shortlist = headline_of("site_selection", {
        "chosen_sites": list("abcde"), "portfolio_profit_monthly": 38_345.0,
        "portfolio_profit_low": -18_405.0, "portfolio_profit_high": 177_941.0})
    hold = headline_of("site_selection", {
        "chosen_sites": list("abcde"), "portfolio_profit_monthly": -5_200.0,
        "portfolio_profit_low": -60_000.0, "portfolio_profit_high": 150_000.0,
        "staff_cost_per_store_monthly": 31_000.0})
    text = change_text(hold, shortlist, dt.date(2026, 12, 7))
    assert text == ("changed since the run of 7 Dec 2026 (was: Shortlist 5 sites; open the first as a "
                    "pilot); figure $38.3K then, -$5.2K now (now: profit of the 5 sites together, "
                    "after goods, rent and staff)")


def test_the_brief_calls_the_same_stores_new_as_the_store_sales_report():
    """The review: Chelsea was 'open over 10 weeks' on the store row and still settling in the
    alerts (the brief counted weeks from the start of its 28-day lookback)."""
    monday = dt.date(2026, 2, 2)
    days = pd.date_range(monday - dt.timedelta(days=140), monday + dt.timedelta(days=11))
    opened = {1: monday - dt.timedelta(days=300), 2: monday - dt.timedelta(weeks=10),
              3: monday - dt.timedelta(weeks=10, days=-1), 4: monday - dt.timedelta(weeks=12)}
    rows = [{"date": d, "store_id": s, "store_name": f"S{s}", "open_date": o, "user_id": "u",
             "pay_amount": 100.0} for s, o in opened.items() for d in days if d.date() >= o]
    orders = pd.DataFrame(rows)
    data = K.KpiData(orders, pd.Series(dtype=float), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), 4.0)
    brief = K.store_vs_baseline(data, K.Period(monday, monday + dt.timedelta(days=6))).set_index("store_id")
    weekly = (orders.assign(week=orders.date - pd.to_timedelta(orders.date.dt.weekday, unit="D"))
              .groupby(["store_id", "store_name", "open_date", "week"], as_index=False)
              .agg(revenue=("pay_amount", "sum"), orders=("pay_amount", "size"))
              .assign(list_amount=lambda x: x.revenue, discount_amount=0.0, customers=1))
    card = sales.store_scorecard(weekly, monday).set_index("store_id")
    assert (brief.weeks_open == card.weeks_open.reindex(brief.index)).all()
    assert dict(brief.mature) == dict(~metrics.is_ramping(card.weeks_open))
    assert dict(brief.mature) == {1: True, 2: True, 3: False, 4: True}
    # the daily brief on the Friday after counts weeks in the same week as the store sales report
    friday = monday + dt.timedelta(days=11)
    daily = K.store_vs_baseline(data, K.Period(friday, friday)).set_index("store_id")
    assert dict(daily.mature) == dict(brief.mature) and dict(daily.weeks_open) == dict(brief.weeks_open)


def test_results_hold_what_page_one_prints_and_the_whole_decision(tmp_path):
    day = NOW - dt.timedelta(days=1)
    fake_run(tmp_path, "price_elasticity", "demo", day, pricing_metrics(630.0, 418.0, 838.0))
    f = blocks_frame(_brief(tmp_path)).iloc[0]
    assert f.decision == "Apply the recommended prices"
    assert f.decision_in_full == "Apply the recommended prices: margin rises."
    assert re.fullmatch(r"clearly a gain", f.how_sure) and "95 %" in f.confidence


def test_a_report_with_stale_data_is_not_on_todays_to_do_list(tmp_path):
    """The review: a coupon switch sat under 'To do today' while the brief alerted that its
    data were 60 days old. A report whose data are stale is to be rerun before acting on it."""
    day = NOW - dt.timedelta(days=1)
    fake_run(tmp_path, "price_elasticity", "demo", day, pricing_metrics(630.0, 418.0, 838.0))
    block = customer_headline(_customers(18_593.0, 9_000.0, 27_000.0)).to_dict()
    fake_run(tmp_path, "customers", "monthly", day, {"headline": block}, group="monthly")
    b = _brief(tmp_path)
    fresh = facts(b)[0]
    assert "menu prices" in fresh and "customers at risk and win-back" in fresh
    menu = next(s.title for s in b.reports if s.report == "price_elasticity")
    b.alerts = [Alert("stale_report", menu, "its data end 60 days before this brief's data.",
                      "a weekly report's data may be at most 8 days old", "data 60 days old")]
    said = facts(b)
    assert "menu prices" not in said[0] and "customers at risk and win-back" in said[0]
    assert f"{menu} (its data are too old: rerun it first)" in said[1]


def test_a_report_with_no_earlier_run_says_so_plainly(tmp_path):
    """The review: 'first run' read as if the report were new; the brief means it has nothing
    earlier to compare with."""
    fake_run(tmp_path, "price_elasticity", "demo", NOW - dt.timedelta(days=1), pricing_metrics(630.0, 418.0, 838.0))
    (s,) = _brief(tmp_path).reports
    assert s.change == "no earlier run to compare"
