"""Any fleet through the generic time-to-event contract (CSV extract in a folder source)."""

from __future__ import annotations

import numpy as np
import pytest

from luckin_lab.contracts import ContractViolation
from luckin_lab.sources import open_store
from luckin_lab.survival.analysis import analyse, headline_metrics
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
    a = analyse(open_store(f"folder:{d}"), dataset="generic", group_col="asset_type",
                covariates=["prints_per_day", "humidity_pct"])
    assert a.plan is None and a.calibration is None
    assert a.data.counts["failures"] == int(frame.event.sum())
    assert a.data.counts["left_truncated_spells"] == int((frame.start > 0).sum())
    hr = a.cox.hazard_ratios.set_index("covariate")
    b = G.beta_prints_per_day_per_100 / 100
    assert np.log(hr.loc["prints_per_day", "hr_lo"]) <= b <= np.log(hr.loc["prints_per_day", "hr_hi"])
    m = headline_metrics(a)
    assert set(m["weibull_shapes"]) == {"receipt_printer", "self_order_kiosk"}
    assert m["devices_online"] == len(a.risk) > 0


def test_text_columns_become_indicators_and_group_is_optional(folder):
    d, _ = folder
    data = generic_events(open_store(f"folder:{d}"))
    assert data.group_col == "_all"
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
