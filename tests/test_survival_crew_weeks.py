"""The crew over several weeks: the backlog each crew leaves, failures of running devices, and a
repair credited with the weeks it keeps a machine working (hand-computed on planted fleets)."""

from __future__ import annotations

import numpy as np
import pytest
from test_survival_plan import _demand, _inputs

from luckin_lab.survival.crew_weeks import WEEKS, project_crews, runner_up
from luckin_lab.survival.lost_sales import MAKER

DAYS = WEEKS * 7


def test_without_failures_a_crew_clears_the_backlog_at_its_pace():
    """30 down grinders in 30 stores, nothing fails: 4 visits a day clear 28 a week."""
    devs = [(s, "grinder", True) for s in range(30)]
    inp = _inputs(devs, _demand({s: 130.0 for s in range(30)}, coffee_share=1.0), H=DAYS, p_fail=0.0)
    p = project_crews(inp, [1, 2], visits_per_technician_day=4, technician_day_cost=0.0, sims=20)
    t = p.table.set_index("technicians")
    assert t.loc[0, "down_after_week1"] == 30 and t.loc[0, f"down_after_week{WEEKS}"] == 30
    assert t.loc[1, "down_after_week1"] == 2 and t.loc[1, "down_after_week2"] == 0
    assert t.loc[2, "down_after_week1"] == 0
    assert (t.new_failures == 0).all() and t.loc[1, "repairs"] == 30


def test_a_repair_is_credited_with_every_day_it_keeps_the_store_selling():
    """One store, its only grinder down, 130 coffee drinks a day at $2: a day-1 repair keeps 27.5
    days of drinks over four weeks (half of the repair day), not the 6.5 of one week."""
    inp = _inputs([(1, "grinder", True)], _demand({1: 130.0}, coffee_share=1.0, margin=2.0), H=DAYS, p_fail=0.0)
    p = project_crews(inp, [1], visits_per_technician_day=1, technician_day_cost=100.0, sims=5)
    t = p.table.set_index("technicians")
    assert t.loc[0, "lost_margin_usd"] == pytest.approx(DAYS * 130 * 2.0)
    assert t.loc[1, "margin_kept_usd"] == pytest.approx((DAYS - 0.5) * 130 * 2.0)
    assert t.loc[1, "expected_profit_usd"] == pytest.approx((DAYS - 0.5) * 260 - DAYS * 100.0)


def test_failures_of_running_devices_are_counted_and_the_pick_beats_the_runner_up_on_the_same_futures():
    rng = np.random.default_rng(3)
    devs = [(s, k, bool(rng.random() < 0.5)) for s in range(8) for k in (MAKER, MAKER, "grinder", "ice_maker")]
    inp = _inputs(devs, _demand({s: 300.0 for s in range(8)}, coffee_share=0.5), H=DAYS, p_fail=0.02, rate=30.0)
    running = int((~inp.devices.down).sum())
    p = project_crews(inp, [1, 2, 3], visits_per_technician_day=1, technician_day_cost=150.0, sims=200)
    t = p.table.set_index("technicians")
    week1 = 1 - (1 - 0.02) ** 7  # every running device's chance of failing in week 1 (no visit yet for most)
    assert t.loc[0, "new_failures_week1"] == pytest.approx(running * week1, rel=0.15)
    # more technicians leave fewer devices down; nobody sent lets the backlog grow
    ends = t[f"down_after_week{WEEKS}"]
    assert ends.loc[0] > int(inp.devices.down.sum())
    assert ends.loc[0] > ends.loc[1] > ends.loc[2] >= ends.loc[3] - 0.5  # a big crew runs out of work
    best = int(p.table.loc[p.table.recommended, "technicians"].iloc[0])
    assert t.loc[best, "expected_profit_usd"] == t.expected_profit_usd.max()
    j = runner_up(p)
    assert j != best and 0.5 <= p.beats.loc[best, j] <= 1.0
    assert p.beats.loc[best, j] + p.beats.loc[j, best] <= 1.0 + 1e-9
    assert (t.profit_low_usd <= t.expected_profit_usd).all() and (t.expected_profit_usd <= t.profit_high_usd).all()


def test_the_projection_needs_inputs_over_its_weeks():
    inp = _inputs([(1, "grinder", True)], _demand({1: 130.0}, coffee_share=1.0), H=7)
    with pytest.raises(ValueError, match="28 days"):
        project_crews(inp, [1], 4, 320.0)
