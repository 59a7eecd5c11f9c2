"""Any fleet through the generic time-to-event contract (CSV extract in a folder source)."""

from __future__ import annotations

import numpy as np
import pytest

from luckin_lab.contracts import ContractViolation
from luckin_lab.sources import open_store
from luckin_lab.survival.analysis import FleetAnalysis, FleetSettings, headline_metrics
from luckin_lab.survival.episodes import generic_events
from luckin_lab.synth.iot import GenericFleetTruth, synthesize_generic_fleet

G = GenericFleetTruth(n_units=400)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    frame, _ = synthesize_generic_fleet(np.random.default_rng(2), G, 1.0)
    d = tmp_path_factory.mktemp("printers")
    frame.to_csv(d / "generic_time_to_event.csv", index=False)
    return d, frame


def test_generic_analysis_recovers_effects(folder):
    d, frame = folder
    a = FleetAnalysis(FleetSettings(group_col="asset_type", covariates=["prints_per_day", "humidity_pct"])).fit(
        open_store(f"folder:{d}")).decide()
    assert a.plan is None and a.calibration is None
    assert a.data.counts["failures"] == int(frame.event.sum())
    assert a.data.counts["left_truncated_spells"] == int((frame.start > 0).sum())
    hr = a.cox.hazard_ratios.set_index("covariate")
    # raw covariates are rescaled to a round step near their spread: per 100 prints, per 10 points
    for col, b in (("prints_per_day_per_100", G.beta_prints_per_day_per_100),
                   ("humidity_pct_per_10", G.beta_humidity_per_10pct)):
        assert np.log(hr.loc[col, "hr_lo"]) <= b <= np.log(hr.loc[col, "hr_hi"])
    assert hr.loc["prints_per_day_per_100", "in_words"].startswith("Each extra 100 prints per day raises")
    assert "10 percentage points of humidity" in hr.loc["humidity_pct_per_10", "in_words"]
    m = headline_metrics(a)
    assert set(m["weibull_shapes"]) == {"receipt_printer", "self_order_kiosk"}
    assert m["devices_online"] == len(a.risk) > 0


def test_service_decision_adds_up(folder):
    d, _ = folder
    fitted = FleetAnalysis(FleetSettings(group_col="asset_type", service_capacity=5)).fit(open_store(f"folder:{d}"))
    a = fitted.decide()  # the settings' costs: $150 a failure, $40 a service
    sv, u = a.service.summary, a.service.units
    assert sv["services"] == len(u) <= 5
    assert (u.net_value_usd > 0).all()
    # the net value is failures avoided x failure cost - service cost, and renewal never raises risk
    assert np.allclose(u.net_value_usd, u.failures_avoided * 150.0 - 40.0)
    assert (u.p_fail_if_serviced <= u.p_fail_now + 1e-12).all()
    comp = a.service.comparison.set_index("policy")
    assert np.isclose(comp.loc["run to failure", "expected_failures"], a.risk["p_fail_30d"].sum())
    assert np.isclose(sv["saving_usd"], u.failures_avoided.sum() * 150.0 - 40.0 * len(u))
    free = fitted.decide(service_cost_usd=1e6)  # another cost: a new decision, no refit
    assert free.service.summary["services"] == 0 and free.service.summary["saving_usd"] == 0
    assert fitted.fits == 1


def test_reporting_step_is_round_and_near_the_spread():
    import pandas as pd

    from luckin_lab.survival.episodes import reporting_step

    rng = np.random.default_rng(0)
    assert reporting_step(pd.Series(rng.normal(150, 87, 5000))) == 100
    assert reporting_step(pd.Series(rng.normal(50, 11, 5000))) == 10
    assert reporting_step(pd.Series(np.full(10, 3.0))) == 1.0


def test_text_columns_become_indicators_and_group_is_optional(folder):
    d, _ = folder
    data = generic_events(open_store(f"folder:{d}"))
    assert data.group_col == "_all"
    assert data.frame.unit_id.map(type).eq(str).all()
    assert "asset_type[self_order_kiosk]" in data.covariates


def test_bad_rows_get_clear_errors(folder, tmp_path):
    _, frame = folder
    bad = frame.copy()
    bad.loc[3, "stop"] = bad.loc[3, "start"]
    bad.to_csv(tmp_path / "generic_time_to_event.csv", index=False)
    with pytest.raises(ValueError, match="generic_time_to_event.*stop > start.*1 rows"):
        generic_events(open_store(f"folder:{tmp_path}"))
    bad.loc[3, "stop"] = bad.loc[3, "start"] + 1
    bad.loc[5, "event"] = 2
    bad.to_csv(tmp_path / "generic_time_to_event.csv", index=False)
    with pytest.raises(ContractViolation, match="column 'event'"):
        generic_events(open_store(f"folder:{tmp_path}"))
    with pytest.raises(KeyError, match="group column 'site'"):
        generic_events(open_store(f"folder:{folder[0]}"), group_col="site")
