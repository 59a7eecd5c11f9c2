"""The IoT survival report runs under papermill at small scale and writes its results."""

from __future__ import annotations

import json

import pytest

from luckin_lab.reporting.params import ReportParams
from luckin_lab.reporting.params_models.iot_survival import Params
from luckin_lab.reporting.testing import execute_notebook_small
from luckin_lab.survival.toy import write_toy_store


@pytest.fixture(scope="module")
def toy_uri(tmp_path_factory) -> str:
    db = write_toy_store(tmp_path_factory.mktemp("iot_small"), seed=5, scale=0.3, drinks_per_store_day=60)
    return f"duckdb:{db}"


def test_params_files_are_valid():
    import yaml

    from luckin_lab.paths import params_dir

    files = sorted((params_dir() / "iot_survival").glob("*.yaml"))
    assert {f.stem for f in files} >= {"weekly", "printer_fleet"}
    for f in files:
        doc = yaml.safe_load(f.read_text())
        assert doc["notebook"] == "iot_survival.ipynb"
        Params(**doc["parameters"])
    assert issubclass(Params, ReportParams)


def test_notebook_runs_on_devices(tmp_path, toy_uri):
    res = execute_notebook_small("iot_survival", tmp_path, toy_uri)
    m = json.loads((res / "metrics.json").read_text())
    for key in ("expected_failures_7d", "expected_failures_30d", "lost_cups_avoided_vs_run_to_failure",
                "chosen_model", "hazard_ratios", "calibration", "plan_visits", "n_failures"):
        assert key in m
    assert m["plan_visits"] <= 2 * 4 * 7
    assert 0.4 < m["share_down_at_snapshot"] < 0.75
    for t in ("device_risk", "maintenance_schedule", "model_comparison", "policy_comparison", "exclusions"):
        assert (res / f"{t}.csv").stat().st_size > 0


@pytest.mark.slow
def test_notebook_runs_on_generic_fleet(tmp_path, toy_uri):
    res = execute_notebook_small("iot_survival", tmp_path, toy_uri, dataset="generic",
                                 group_col="asset_type", covariates=["prints_per_day", "humidity_pct"])
    m = json.loads((res / "metrics.json").read_text())
    assert m["dataset"] == "generic" and "plan_visits" not in m
