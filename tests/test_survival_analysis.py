"""The failure analyses as objects: fitted once, a decision knob (technicians, the cost of a
technician day, service capacity) re-decides without refitting, and equals a full refit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from call_counter import CallCounter

import luckin_lab.survival.analysis as survival_analysis
import luckin_lab.survival.models as survival_models
from luckin_lab.sources import open_store
from luckin_lab.survival.analysis import (
    DeviceAnalysis,
    DeviceSettings,
    FleetAnalysis,
    FleetSettings,
)
from luckin_lab.synth.iot import GenericFleetTruth, synthesize_generic_fleet
from luckin_lab.synth.iot_toy import write_toy_store

SETTINGS = {"assumed_margin_per_cup_usd": 3.0}  # the toy store has no sales tables


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    db = write_toy_store(tmp_path_factory.mktemp("iot_estimator"), seed=5, scale=0.3, drinks_per_store_day=60)
    return open_store(f"duckdb:{db}")


@pytest.fixture(scope="module")
def fitted(toy):
    """One fit, with the costly steps counted: spells, Cox, the parametric candidates, held-out check."""
    counters = {"spells": CallCounter(survival_analysis.device_events), "cox": CallCounter(survival_models.fit_cox),
                "models": CallCounter(survival_models.compare_models),
                "calibration": CallCounter(survival_analysis.holdout_calibration)}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(survival_analysis, "device_events", counters["spells"])
        mp.setattr(survival_models, "fit_cox", counters["cox"])
        mp.setattr(survival_models, "compare_models", counters["models"])
        mp.setattr(survival_analysis, "holdout_calibration", counters["calibration"])
        a = DeviceAnalysis(DeviceSettings(**SETTINGS)).fit(toy)
        yield a, counters


def test_decide_another_crew_and_cost_without_refitting(fitted):
    a, counters = fitted
    before = {k: c.calls for k, c in counters.items()}
    assert min(before.values()) >= 1 and a.fits == 1  # the fit did the costly work (the held-out check refits)
    base = a.decide()
    more = a.decide(technicians=6)  # the standing crew of 6 is compared too
    cheap = a.decide(technician_day_cost_usd=0.0)
    assert {k: c.calls for k, c in counters.items()} == before and a.fits == 1  # decide refits nothing
    assert list(base.crew.table.technicians) == [0, 1, 2, 3, 4]
    assert list(more.crew.table.technicians) == list(range(7))
    # the same futures for every decision: crews both decisions compare are scored identically
    pd.testing.assert_frame_equal(base.crew.table.drop(columns="recommended"),
                                  more.crew.table.iloc[:5].drop(columns="recommended"))
    for p, cost in ((base, 320.0), (cheap, 0.0)):
        t = p.crew.table
        assert np.allclose(t.technician_cost_usd, t.technicians * 28 * cost)  # k technicians x 28 days x cost
        assert np.allclose(t.expected_profit_usd, t.margin_kept_usd - t.technician_cost_usd)
        assert p.recommended == int(t.technicians[t.expected_profit_usd.idxmax()])
    # free technicians: the recommended crew keeps at least as much margin as the paid one's
    assert cheap.recommended >= base.recommended
    with pytest.raises(ValueError, match="fit again"):
        a.decide(blip_hours=2.0)


def test_decide_equals_a_full_refit_with_that_setting(fitted, toy):
    a, _ = fitted
    quick = a.decide(technicians=6)
    refit = DeviceAnalysis(DeviceSettings(**SETTINGS, technicians=6)).fit(toy).decide()
    pd.testing.assert_frame_equal(quick.crew.table, refit.crew.table)
    pd.testing.assert_frame_equal(quick.staffing, refit.staffing)
    pd.testing.assert_frame_equal(quick.plan.schedule, refit.plan.schedule)


def test_summary_and_repr_carry_the_fitted_and_decided_figures(fitted, toy):
    a, _ = fitted
    s = a.summary().set_index("figure").value
    devices = toy.execute(toy.table("iot_devices").count())
    assert s["devices_registered"] == devices  # counted from the raw table
    assert s["failures"] == int(a.data.frame.event.sum()) > 0
    assert s["devices down at the snapshot"] == int(a.backlog.down.sum())
    assert f"down now={int(a.backlog.down.sum())}" in repr(a) and a.comparison.chosen in repr(a)
    p = a.decide()
    ps = p.summary().set_index("figure").value
    t = p.crew.table.set_index("technicians")
    assert ps["technicians to send"] == p.recommended
    assert ps["expected profit over 4 weeks"] == t.loc[p.recommended, "expected_profit_usd"]
    assert ps["margin this week's visits keep"] == pytest.approx(p.plan.schedule.margin_kept_usd.sum())
    assert f"{t.loc[p.recommended, 'expected_profit_usd']:,.0f}" in repr(p)
    assert "not fitted" in repr(DeviceAnalysis())


def test_the_week_figures_come_from_one_simulation_and_agree(fitted):
    """The plan's margin kept (Table 2's total), the policy table's optimised row and the crew's
    row over the plan's days are one figure; the crew's simulated futures average to it."""
    a, _ = fitted
    p = a.decide(technician_day_cost_usd=0.0)  # a crew that makes visits
    k = p.plan.capacity["technicians"]
    row = p.staffing.set_index("technicians").loc[k]
    comp = p.plan.comparison.set_index("policy")
    none = p.staffing.set_index("technicians").loc[0, "expected_lost_margin_usd"]
    assert p.plan.capacity["margin_kept_usd"] == pytest.approx(row.margin_kept_usd, rel=1e-9)
    assert none - comp.loc["optimised plan", "expected_lost_margin_usd"] == pytest.approx(row.margin_kept_usd, rel=1e-9)
    h = a.plan_inputs.horizon
    sim = (p.crew.runs[0].lost_margin_by_day[:, :h] - p.crew.runs[k].lost_margin_by_day[:, :h]).sum(axis=1)
    se = sim.std() / np.sqrt(len(sim))
    assert abs(sim.mean() - row.margin_kept_usd) <= 4 * se + 1e-6


def test_fleet_decides_another_capacity_without_refitting_and_equals_a_refit(tmp_path):
    frame, _ = synthesize_generic_fleet(np.random.default_rng(2), GenericFleetTruth(n_units=300), 1.0)
    frame.to_csv(tmp_path / "generic_time_to_event.csv", index=False)
    store = open_store(f"folder:{tmp_path}")
    a = FleetAnalysis(FleetSettings(group_col="asset_type")).fit(store)
    five, fifty = a.decide(service_capacity=5), a.decide(service_capacity=50)
    assert a.fits == 1
    assert five.service.summary["services"] <= 5 <= fifty.service.summary["services"]
    # the five are the top of the fifty (ranked by net value on the same fitted model)
    assert set(five.service.units.unit_id) <= set(fifty.service.units.unit_id)
    refit = FleetAnalysis(FleetSettings(group_col="asset_type", service_capacity=5)).fit(store).decide()
    pd.testing.assert_frame_equal(five.service.units, refit.service.units)
    assert five.summary().set_index("figure").value["services"] == len(five.service.units)
