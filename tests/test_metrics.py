"""Shared metric definitions against hand-computed values."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from luckin_lab.transforms import metrics


def test_complete_weeks_and_aov_leave_out_the_partial_week():
    # data end on Friday 2026-02-13: the week of Feb 9 is partial
    last = dt.date(2026, 2, 13)
    assert metrics.last_complete_week(last) == dt.date(2026, 2, 2)
    assert metrics.last_complete_week(dt.date(2026, 2, 15)) == dt.date(2026, 2, 9)  # a Sunday closes its week
    weeks = pd.date_range("2026-01-05", periods=6, freq="W-MON")
    w = pd.DataFrame({"week": weeks, "revenue": [100.0, 110, 120, 130, 140, 90],
                      "orders": [20, 22, 24, 25, 28, 15]})
    assert metrics.is_complete_week(w.week, last).tolist() == [True] * 5 + [False]
    assert len(metrics.complete_weeks(w, last)) == 5
    # last 4 complete weeks: (110+120+130+140) / (22+24+25+28); the partial week's 90/15 = 6.00 is out
    assert metrics.recent_aov(w, last) == pytest.approx(500 / 99)
    assert metrics.recent_aov(w, dt.date(2026, 2, 15)) == pytest.approx(480 / 92)
    assert math.isnan(metrics.aov(10.0, 0))


def test_vs_own_average_needs_all_four_prior_weeks():
    weeks = pd.date_range("2026-01-05", periods=5, freq="W-MON")
    s = pd.Series([100.0, 100, 120, 80, 108], index=weeks)
    assert metrics.vs_own_average(s, weeks[-1].date()) == pytest.approx(108 / 100 - 1)
    assert math.isnan(metrics.vs_own_average(s.iloc[1:], weeks[-1].date()))  # a young store: no stub average


def test_ramp_length_is_one_definition():
    # the demo store's fitted boost: +53 % fading with e-folding 3.51 weeks -> within 10 % after 9.6 weeks
    assert metrics.ramp_weeks(1.53, 3.51) == pytest.approx(3.51 * math.log(15.3))
    assert round(metrics.ramp_weeks(1.53, 3.51)) == metrics.OPENING_RAMP_WEEKS
    boost_at = 1.53 * math.exp(-metrics.ramp_weeks(1.53, 3.51) / 3.51)
    assert boost_at == pytest.approx(metrics.RAMP_SETTLED_WITHIN)
    assert metrics.ramp_weeks(0.05, 3.0) == 0.0
    assert metrics.is_ramping(10) and not metrics.is_ramping(11)
    assert metrics.gross_margin_rate(100.0, 38.0) == pytest.approx(0.62)
