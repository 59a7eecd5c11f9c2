"""The executive review of the brief (grade B): each finding as a check that fails on the old page."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from brief_helpers import PLANT_WEEK, fake_run, pricing_metrics

from luckin_lab.brief import kpis as K
from luckin_lab.brief.alerts import Rules, above_since, device_alert
from luckin_lab.brief.analysis import Brief, actions, blocks_frame, facts, implausible_alerts
from luckin_lab.brief.inputs import change_text, report_statuses
from luckin_lab.reporting.headline import Headline, headline_of
from luckin_lab.trends.narrative import store_headline

NOW = dt.datetime.now(dt.UTC)
MONTH = 365.25 / 12 / 7  # weeks per month


def _store_level(gross_profit_week: float) -> dict:
    """The store sales report's metrics: the company's gross profit last week (a level)."""
    return {"headline": store_headline(
        {"week_start": "2026-02-02", "week_end": "2026-02-08", "gross_profit": gross_profit_week,
         "revenue": 2 * gross_profit_week, "stores_below_4wk_avg": []}, True).to_dict()}


def _iot(profit_7d: float, low: float, high: float) -> dict:
    return {"expected_profit_usd": profit_7d, "profit_low_usd": low, "profit_high_usd": high,
            "profit_interval_level": 0.9, "recommended_technicians": 4, "plan_visits": 112}


def _brief(root, kpis: pd.DataFrame | None = None) -> Brief:
    kpis = kpis if kpis is not None else pd.DataFrame(
        {"kpi": ["revenue", "orders"], "value": [11400.0, 2142.0], "base_28d_change": [0.02, -0.02]})
    return Brief(K.Period(PLANT_WEEK[1], PLANT_WEEK[1]), PLANT_WEEK[1], kpis, pd.DataFrame(),
                 report_statuses(root, NOW), [], [], pd.DataFrame(), pd.DataFrame(), [], None, 0.0)


def _reports(root, iot_profit_7d: float) -> None:
    day = NOW - dt.timedelta(days=1)
    fake_run(root, "store_trends", "weekly", day, _store_level(47_400.0))  # $206K per month
    fake_run(root, "iot_survival", "weekly", day, _iot(iot_profit_7d, 0.6 * iot_profit_7d,
                                                       1.4 * iot_profit_7d))
    fake_run(root, "price_elasticity", "demo", day, pricing_metrics(630.0, 418.0, 838.0))
    fake_run(root, "site_selection", "monthly", day, {
        "chosen_sites": ["a", "b"], "portfolio_profit_monthly": 38_000.0,
        "portfolio_profit_low": -18_000.0, "portfolio_profit_high": 178_000.0}, group="monthly")


def test_a_profit_figure_above_the_companys_monthly_gross_profit_is_flagged_not_the_prize(tmp_path):
    """Finding 1: $69.2K per 7 days (x 4.35 = $301K a month) beside a company making $206K a month."""
    _reports(tmp_path, 69_200.0)
    b = _brief(tmp_path)
    row = blocks_frame(b).set_index("report").loc["Equipment maintenance"]
    assert row.impact.startswith("not shown")
    assert "$300.9K per month ($180.5K to $421.3K)" in row.impact_note
    assert "more than the company's whole gross profit per month ($206.1K)" in row.impact_note
    assert [a.subject for a in implausible_alerts(b.reports)] == ["Equipment maintenance"]
    do, skip = actions(b)
    assert [s.title for s in do] == ["Menu prices"]
    assert dict(skip)["Equipment maintenance"] == "figure above the company's gross profit: to be checked"
    assert "Equipment" not in facts(b)[0]


def test_a_plausible_seven_day_plan_says_it_is_put_per_month_only_if_repeated(tmp_path):
    _reports(tmp_path, 6_186.0)
    b = _brief(tmp_path)
    row = blocks_frame(b).set_index("report").loc["Equipment maintenance"]
    assert row.impact.startswith("$26.9K")  # 6,186 x 4.35
    assert "report: $6,186 per 7 days (× 4.35 only if repeated)" in row.impact_note
    assert "profit kept vs no action, after technician cost" in row.impact_note
    assert implausible_alerts(b.reports) == []
    assert [s.title for s in actions(b)[0]] == ["Equipment maintenance", "Menu prices"]


def test_in_short_opens_with_what_to_do_today_and_says_why_rows_are_skipped(tmp_path):
    """Finding 3: the summary led with revenue; now the decision (profit per month, range) first."""
    _reports(tmp_path, 6_186.0)
    f = facts(_brief(tmp_path))
    # every item is a clear gain (said once); the ranges are in the table beside it
    assert f[0].startswith("To do today, each a clear profit gain per month: equipment maintenance, "
                           "$26.9K if repeated every 7 days: send 4 technicians on 112 visits over the next 7 days;")
    assert "menu prices, $2.7K: apply the recommended prices" in f[0]
    assert f[1].startswith("Not acted on:")
    assert "Where to open next (profit range includes a loss)" in f[1]
    assert f[-1] == "Revenue on Sun 8 Feb was $11.4K (+2% on the 28-day baseline)"  # the data's last day, never 'yesterday'


def test_store_headline_names_its_window_and_the_largest_excluded_drop():
    """Finding 2: 'every mature store is within 10 %' beside a table showing JFK -29.5 %."""
    h = store_headline({"week_start": "2026-02-02", "week_end": "2026-02-08", "gross_profit": 1e4,
                        "revenue": 2e4, "stores_below_4wk_avg": [],
                        "new_stores_below_4wk_avg": ["Chelsea 23rd", "JFK Terminal 4"],
                        "below_4wk_avg_change": {"Chelsea 23rd": -0.114, "JFK Terminal 4": -0.295}},
                       True)
    assert "in the week 2-8 Feb 2026 every store open over 10 weeks is within 10%" in h.decision
    assert "Newer stores not counted: JFK Terminal 4 (-29.5%) and 1 more." in h.decision


def _kpis(share: float, base7: float) -> pd.DataFrame:
    return pd.DataFrame({"kpi": ["share_devices_down"], "value": [share], "base_7d": [base7]})


def _history(values: list[float], end: dt.date) -> pd.Series:
    return pd.Series(values, index=[end - dt.timedelta(days=len(values) - 1 - i)
                                    for i in range(len(values))])


def test_a_chronic_devices_down_level_is_a_standing_note_and_a_jump_or_crossing_alerts():
    """Finding 5: 57 % down against a 59 % baseline fired every day; a level is not news."""
    end = dt.date(2026, 2, 13)
    chronic = _history([0.30] * 5 + [0.55] * 24, end)  # above 40 % since 21 Jan
    alerts, standing = device_alert(_kpis(0.57, 0.59), Rules(), chronic, end)
    assert alerts == []
    assert "above 40% since 21 Jan 2026" in standing[0]
    assert "Equipment maintenance" in standing[0]
    assert above_since(chronic, 0.40) == dt.date(2026, 1, 21)
    jumped = device_alert(_kpis(0.57, 0.42), Rules(), chronic, end)
    assert [a.kind for a in jumped[0]] == ["devices_down"] and "up more than 10 points" in jumped[0][0].rule
    crossed = _history([0.30] * 28 + [0.45], end)
    got, _ = device_alert(_kpis(0.45, 0.39), Rules(), crossed, end)
    assert got and "crossed" in got[0].rule


def test_menu_prices_decision_says_which_prices_and_the_range_comes_from_the_price_test_model():
    m = {**pricing_metrics(630.0, 418.0, 838.0),
         "today_price": {"Coffee": 5.59, "Tea": 5.08, "Matcha": 6.08},
         "recommended_price": {"Coffee": 5.99, "Tea": 5.49, "Matcha": 6.08}}
    h = headline_of("price_elasticity", m)
    assert h.decision == "Apply the recommended prices (raise 2 of 3 category prices): margin rises."
    assert "range from the price test's model" in h.figure


def test_change_column_names_the_run_not_a_data_date_and_stays_short():
    h = Headline("Do it.", value=1.0, unit="USD per month")
    assert change_text(h, h, dt.date(2026, 12, 7)) == "no change since the run of 7 Dec 2026"
    # one customer fewer is not a new decision, and a cent is not a change of figure
    a = Headline("Send the offers to 106,566 customers: profit $25.7K.", value=630.40, unit="USD per week")
    b = Headline("Send the offers to 106,565 customers: profit $25.7K.", value=630.41, unit="USD per week")
    assert change_text(b, a, dt.date(2026, 12, 7)) == "no change since the run of 7 Dec 2026"
    long = Headline("Keep today's prices until the margin gain of the eight categories we tested this "
                    "winter is clear: more weeks are needed.", value=1.0, unit="USD per month",
                    short_decision="Keep today's prices until the gain is clear")
    text = change_text(h, long, dt.date(2026, 12, 7))
    assert text == "changed since the run of 7 Dec 2026 (was: Keep today's prices until the gain is clear)"
    # an older run without a short decision: its long first clause is not cut, it is not repeated
    older = Headline(long.decision, value=1.0, unit="USD per month")
    text = change_text(h, older, dt.date(2026, 12, 7))
    assert text.startswith("changed since the run of 7 Dec 2026 (a different decision before")
    assert len(text) < 100 and "…" not in text


def test_a_block_without_short_fields_prints_its_decisions_first_clause_whole():
    """A run written before the short fields: the row prints the first clause, never a cut."""
    h = Headline("Send the offers to 9 customers: expected profit $25.7K ($22.4K to $28.9K).")
    assert h.action == "Send the offers to 9 customers"
    keep = Headline("Do not open these sites yet: the best 5 lose money once staff are paid.")
    assert keep.action == "Do not open these sites yet"


def test_sites_figure_says_it_is_all_sites_together():
    h = headline_of("site_selection", {"chosen_sites": ["a", "b", "c"], "portfolio_profit_monthly": 1.0,
                                       "portfolio_profit_low": -1.0, "portfolio_profit_high": 2.0})
    assert h.figure.startswith("all 3 sites together")


@pytest.mark.parametrize(("d", "words"), [(dt.date(2026, 2, 13), "Fri 13 Feb"),
                                          (dt.date(2026, 2, 3), "Tue 3 Feb")])
def test_the_period_is_named_by_its_date_never_yesterday(d, words):
    assert K.Period(d, d).short == words
    assert K.Period(d, d).label == words + " 2026"
