"""The maintenance plan: capacity, lost sales priced per store (backups carry the load, no store
loses more than it sells), and the plan against run to failure on the same simulated weeks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from luckin_lab.survival.crew_weeks import project_crews, staffing_options
from luckin_lab.survival.futures import draw_futures, simulate
from luckin_lab.survival.lost_sales import MAKER, StoreDemand, expected_loss, layouts
from luckin_lab.survival.plan import (
    OPTIMISED,
    PlanInputs,
    availability_options,
    expected_lost_drinks,
    maintenance_plan,
    run_to_failure,
    store_slots,
    week_schedule,
)

HOURS = np.arange(7, 20)


def _demand(stores: dict[int, float], coffee_share: float = 0.0, margin: float = 2.0) -> StoreDemand:
    """``stores``: store_id -> drinks per day, spread evenly over 13 open hours."""
    rows = []
    for s, per_day in stores.items():
        for h in HOURS:
            rows.append((s, h, "", per_day * (1 - coffee_share) / len(HOURS)))
            if coffee_share:
                rows.append((s, h, "grinder", per_day * coffee_share / len(HOURS)))
    hourly = pd.DataFrame(rows, columns=["store_id", "hour", "needs", "drinks"])
    return StoreDemand(hourly, pd.Series(margin, index=list(stores)), "test", True)


def _inputs(devices: list[tuple[int, str, bool]], demand: StoreDemand, H: int = 5, p_fail: float = 0.05,
            rate: float = 100.0) -> PlanInputs:
    """devices: (store_id, kind, down)."""
    n = len(devices)
    dev = pd.DataFrame({
        "unit_id": [f"D{i}" for i in range(n)],
        "store_id": [d[0] for d in devices],
        "group": ["coffee_machine" if d[1] == MAKER else d[1] for d in devices],
        "kind": [d[1] for d in devices],
        "rate": rate,
        "down": [d[2] for d in devices],
        "down_days": [float(n - i) if d[2] else 0.0 for i, d in enumerate(devices)],
        "spell_age_days": [np.nan if d[2] else 10.0 for d in devices],
        "open_hours": 13.0,
    })
    q_now = np.where(dev.down.to_numpy()[:, None], 0.0, np.full((n, H), p_fail))
    return PlanInputs(dev, q_now, np.full((n, H), p_fail / 2), H, layouts(dev, demand), demand)


def test_a_working_backup_carries_the_store_and_no_store_loses_more_than_it_sells():
    demand = _demand({101: 260.0})  # 20 drinks an hour
    inp = _inputs([(101, MAKER, True), (101, MAKER, False)], demand, p_fail=0.0)
    lay = inp.stores[101]
    both = np.ones((2, 5))
    assert expected_loss(lay, both).sum() == 0
    one = np.array([[0.0] * 5, [1.0] * 5])
    assert expected_loss(lay, one).sum() == 0  # 100 cups an hour > 20 sold
    none = np.zeros((2, 5))
    assert expected_loss(lay, none) == pytest.approx(np.full(5, 260.0))  # every drink of every day, no more
    # a slow backup (15 an hour) loses the 5 drinks an hour beyond it
    slow = _inputs([(101, MAKER, True), (101, MAKER, False)], demand, rate=15.0).stores[101]
    assert expected_loss(slow, one) == pytest.approx(np.full(5, 13 * 5.0))
    # half a chance the backup works: half the day's drinks lost on average
    assert expected_loss(lay, np.array([[0.0] * 5, [0.5] * 5])) == pytest.approx(np.full(5, 130.0))


def test_a_store_with_no_working_grinder_loses_only_its_coffee_drinks():
    demand = _demand({101: 260.0}, coffee_share=0.6)
    inp = _inputs([(101, MAKER, False), (101, "grinder", True), (101, "grinder", True)], demand)
    lay = inp.stores[101]
    a = np.array([[1.0] * 5, [0.0] * 5, [0.0] * 5])
    assert expected_loss(lay, a) == pytest.approx(np.full(5, 0.6 * 260))
    a[1] = 1.0
    assert expected_loss(lay, a).sum() == 0


def test_simulated_futures_match_the_exact_expected_availability():
    """The one simulator, under a fixed schedule, averages to the plan's exact availability and
    lost drinks (repairs from mid-day, a failure costs half its day, a repaired device that fails
    again the same day a quarter), so the plan's figures and the simulated ranges agree."""
    demand = _demand({101: 130.0, 102: 130.0})
    inp = _inputs([(101, MAKER, True), (101, MAKER, False), (102, MAKER, False), (102, "grinder", False)],
                  demand, p_fail=0.15)
    inp.q_new[:, 0] = 0.3  # a renewal that fails the same day is common enough to be checked
    visit = np.array([1, -1, 2, -1])
    opts = availability_options(inp)
    expected = opts[np.arange(4), np.where(visit < 0, inp.horizon, visit)]
    sim = simulate(inp, draw_futures(inp, sims=20_000, seed=1), inp.horizon, visit, inp.horizon)
    assert sim.availability == pytest.approx(expected, abs=0.01)
    assert sim.lost_drinks.mean() == pytest.approx(expected_lost_drinks(inp, visit, opts).sum(), rel=0.02)


def test_capacity_store_slots_and_one_visit_per_device():
    demand = _demand({101: 130.0, 102: 130.0, 103: 130.0})
    devs = [(101 + i % 3, MAKER, i < 4) for i in range(12)]
    inp = _inputs(devs, demand)
    plan = maintenance_plan(inp, pd.Timestamp("2026-02-14"), technicians=1, visits_per_technician_day=2,
                            visit_hours=6.5)  # 13 open hours / 6.5 = 2 visits per store per day
    s = plan.schedule
    assert s.groupby("day").size().max() <= 2
    assert s.groupby(["day", "store_id"]).size().max() <= 2
    assert s.device_id.is_unique
    assert plan.capacity["visits_available"] == 10


def test_the_plan_repairs_the_store_that_cannot_sell_before_a_machine_with_a_backup():
    demand = _demand({101: 260.0, 102: 260.0})
    # store 101: its only cup maker is down; store 102: one of two is down, the other works;
    # run to failure repairs the oldest failure first, which is 102's
    devs = [(102, MAKER, True), (101, MAKER, True), (102, MAKER, False)]
    inp = _inputs(devs, demand)
    inp.devices["down_days"] = [9.0, 1.0, 0.0]
    slots = pd.Series({101: 6, 102: 6})
    assert run_to_failure(inp, 1, slots).tolist()[:2] == [0, 1]
    plan = maintenance_plan(inp, pd.Timestamp("2026-02-14"), technicians=1, visits_per_technician_day=1)
    first = plan.schedule[plan.schedule.day == 1]
    assert first.device_id.tolist() == ["D1"] and first.margin_kept_usd.iloc[0] > 0
    c = plan.comparison.set_index("policy")
    assert c.loc[OPTIMISED, "expected_lost_margin_usd"] < c.loc["run to failure", "expected_lost_margin_usd"]
    assert c.loc[OPTIMISED, "margin_kept_vs_run_to_failure_usd"] > 0


def test_staffing_never_loses_more_than_the_stores_sell_and_recommends_the_most_profitable_crew():
    demand = _demand({101: 260.0, 102: 130.0, 103: 200.0}, coffee_share=0.5, margin=2.5)
    devs = [(101, MAKER, True), (101, "grinder", True), (102, MAKER, True), (102, MAKER, False),
            (103, MAKER, False), (103, "grinder", True), (103, "grinder", False)]
    inp = _inputs(devs, demand, p_fail=0.1)
    long = _inputs(devs, demand, H=28, p_fail=0.1)
    slots = store_slots(inp, 2.0)
    plans = {k: week_schedule(inp, 2 * k, slots) for k in range(4)}
    crew = project_crews(long, list(plans), 2, technician_day_cost=100.0, sims=400, week_plans=plans,
                         plan_days=inp.horizon)
    t = staffing_options(inp, plans, crew, technician_day_cost=100.0)
    sold = (260 + 130 + 200) * 2.5 * inp.horizon
    assert (t.lost_margin_high_usd <= sold + 1e-6).all()
    assert t.expected_lost_margin_usd.is_monotonic_decreasing
    assert t.loc[t.recommended, "technicians"].iloc[0] == crew.table.loc[crew.table.recommended, "technicians"].iloc[0]
    assert (t.profit_low_usd <= t.expected_profit_usd).all() and (t.expected_profit_usd <= t.profit_high_usd).all()
    # the plan's days in the crew's simulated futures average to the exact figure of the same plan
    for k in (1, 3):
        sim = crew.runs[k].lost_margin_by_day[:, :inp.horizon].sum(axis=1).mean()
        assert sim == pytest.approx(t.set_index("technicians").loc[k, "expected_lost_margin_usd"], rel=0.05)
    # and the week plan a report shows for a crew is the one its row and its weeks were scored on
    p = maintenance_plan(inp, pd.Timestamp("2026-01-01"), 3, 2)
    assert p.capacity["margin_kept_usd"] == pytest.approx(t.set_index("technicians").loc[3, "margin_kept_usd"])


def test_the_schedule_credits_add_up_exactly_to_the_plans_margin_kept():
    """Table 2's margin column: each visit's credit, in the order chosen; their sum is the plan's
    exact expected margin kept against no visit (spare-capacity repairs included)."""
    from luckin_lab.survival.plan import optimise, visit_credits

    rng = np.random.default_rng(5)
    devs = [(s, k, bool(rng.random() < 0.5)) for s in (1, 2, 3) for k in (MAKER, MAKER, "grinder")]
    inp = _inputs(devs, _demand({1: 260.0, 2: 390.0, 3: 130.0}, coffee_share=0.4), H=5, p_fail=0.1, rate=20.0)
    order: list[int] = []
    visit = optimise(inp, 2, store_slots(inp, 2.0), order)
    assert sorted(order) == sorted(np.flatnonzero(visit >= 0))
    credit = visit_credits(inp, visit, order)
    none = expected_lost_drinks(inp, np.full(len(devs), -1))
    plan = expected_lost_drinks(inp, visit)
    assert credit.sum() == pytest.approx(float(((none - plan) * 2.0).sum()), abs=1e-9)  # margin $2 a drink
    p = maintenance_plan(inp, pd.Timestamp("2026-01-01"), 1, 2)
    assert p.schedule.margin_kept_usd.sum() == pytest.approx(p.capacity["margin_kept_usd"], abs=1e-9)


def test_a_machine_about_to_fail_moves_ahead_of_a_repair_that_can_wait():
    """Store 1: its only machine runs but fails on day 1 with chance 0.9, and sells twice what
    store 2 sells; store 2's only machine is down. Servicing store 1 first loses 2.5 days of store
    2's drinks (650) instead of 0.5 day there (130) plus 1.8 days of store 1's (936): a swap."""
    from luckin_lab.survival.plan import most_urgent_first

    inp = _inputs([(1, MAKER, False), (2, MAKER, True)], _demand({1: 520.0, 2: 260.0}), H=3, p_fail=0.0, rate=100)
    inp.q_now[0] = [0.9, 0.0, 0.0]
    late = np.array([2, 0])
    early = most_urgent_first(inp, late, store_slots(inp, 2.0))
    assert list(early) == [0, 2]
    lost = lambda v: float(expected_lost_drinks(inp, v).sum())  # noqa: E731
    assert lost(late) == pytest.approx(0.5 * 260 + 1.8 * 520)
    assert lost(early) == pytest.approx(2.5 * 260)
