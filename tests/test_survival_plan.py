"""The maintenance plan respects capacity and beats the simple policies on its own objective."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from luckin_lab.survival.plan import (
    PlanInputs,
    evaluate,
    expected_down_days,
    maintenance_plan,
    run_to_failure,
)


def _inputs(n_down=4, n_up=8, H=5, seed=0) -> PlanInputs:
    rng = np.random.default_rng(seed)
    n = n_down + n_up
    dev = pd.DataFrame({
        "unit_id": [f"D{i}" for i in range(n)],
        "store_id": np.arange(n) % 3 + 101,
        "group": "coffee_machine",
        "down": np.arange(n) < n_down,
        "down_days": np.where(np.arange(n) < n_down, np.arange(n) + 1.0, 0.0),
        "spell_age_days": np.where(np.arange(n) < n_down, np.nan, rng.uniform(1, 30, n)),
        "open_hours": 13.0,
        "cups_per_open_hour": rng.uniform(2, 20, n),
    })
    p = rng.uniform(0.01, 0.2, (n, H))
    p[:n_down] = 0.0
    return PlanInputs(dev, p, np.full((n, H), 0.01), H)


def test_capacity_store_slots_and_one_visit_per_device():
    inp = _inputs()
    plan = maintenance_plan(inp, pd.Timestamp("2026-02-14"), technicians=1, visits_per_technician_day=2,
                            visit_hours=6.5)  # 13 open hours / 6.5 = 2 visits per store per day
    s = plan.schedule
    assert len(s) == 10  # 1 technician x 2 visits x 5 days, all used
    assert s.groupby("day").size().max() <= 2
    assert s.groupby(["day", "store_id"]).size().max() <= 2
    assert s.device_id.is_unique
    assert plan.capacity["visits_available"] == 10


def test_optimised_beats_run_to_failure_and_calendar():
    inp = _inputs(seed=3)
    plan = maintenance_plan(inp, pd.Timestamp("2026-02-14"), technicians=1, visits_per_technician_day=1)
    c = plan.comparison.set_index("policy").expected_lost_cups
    assert c["optimised (CP-SAT)"] <= c["run to failure"] + 1e-6
    assert c["optimised (CP-SAT)"] <= c["fixed calendar"] + 1e-6


def test_hand_example_repairs_the_busiest_down_devices_first():
    inp = _inputs(n_down=3, n_up=0, H=2)
    inp.devices["cups_per_open_hour"] = [5.0, 50.0, 20.0]
    plan = maintenance_plan(inp, pd.Timestamp("2026-02-14"), technicians=1, visits_per_technician_day=1)
    s = plan.schedule
    assert s.device_id.tolist() == ["D1", "D2"]  # busiest on day 1, next on day 2
    assert (s.action == "repair").all()
    # a device down all horizon costs H days; repaired on day v it costs v + 0.5 (+ tiny refail)
    days = expected_down_days(inp, np.array([-1, 0, 1]))
    assert days[0] == 2 and days[1] == pytest.approx(0.5 + 0.01 * 1.5 + 0.01 * 0.5)
    # run to failure repairs the oldest failure first: D2 (down 3 days), then D1
    rtf = run_to_failure(inp, 1, pd.Series({101: 5, 102: 5, 103: 5}))
    assert rtf.tolist() == [-1, 1, 0]
    assert evaluate(inp, rtf)["visits"] == 2
