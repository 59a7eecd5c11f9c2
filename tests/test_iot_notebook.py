"""The device report and the generic time-to-event report run under papermill at small scale,
and their page one agrees with results/."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from report_helpers import execute_notebook_small

from luckin_lab.reporting import nb
from luckin_lab.reporting.params import ReportParams
from luckin_lab.reporting.params_models import iot_survival, time_to_event
from luckin_lab.synth.iot_toy import write_toy_store


@pytest.fixture(scope="module")
def toy_uri(tmp_path_factory) -> str:
    db = write_toy_store(tmp_path_factory.mktemp("iot_small"), seed=5, scale=0.3, drinks_per_store_day=60)
    return f"duckdb:{db}"


@pytest.mark.parametrize("report, model", [("iot_survival", iot_survival), ("time_to_event", time_to_event)])
def test_params_files_are_valid(report, model):
    import yaml

    from luckin_lab.paths import params_dir

    files = sorted((params_dir() / report).glob("*.yaml"))
    assert files
    for f in files:
        doc = yaml.safe_load(f.read_text())
        assert doc["notebook"] == f"{report}.ipynb"
        model.Params(**doc["parameters"])
    assert issubclass(model.Params, ReportParams)


def test_notebooks_do_not_branch_on_the_dataset():
    import nbformat

    from luckin_lab.paths import notebooks_dir

    for name in ("iot_survival", "time_to_event"):
        nb = nbformat.read(notebooks_dir() / f"{name}.ipynb", as_version=4)
        for c in nb.cells:
            if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", []):
                assert not re.search(r"^\s*(if|elif|for|while)\b", c.source, re.M), c.source
                assert "dataset ==" not in c.source and len(c.source.splitlines()) <= 18


def _page_one_text(executed) -> str:
    """The executed notebook's outputs up to 'The evidence' (what page one shows)."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    out = []
    for c in nb.cells:
        if c.cell_type == "markdown" and "The evidence" in c.source:
            break
        for o in c.get("outputs", []):
            data = o.get("data", {})
            out.append(data.get("text/markdown") or data.get("text/html") or "")
    import html

    return html.unescape("\n".join(out))


def test_device_report_runs_and_page_one_matches_results(tmp_path, toy_uri):
    res = execute_notebook_small("iot_survival", tmp_path, toy_uri)
    m = json.loads((res / "metrics.json").read_text())
    for key in ("expected_failures_7d", "expected_failures_30d", "lost_cups_avoided_vs_run_to_failure",
                "chosen_model", "hazard_ratios", "calibration", "plan_visits", "n_failures",
                "recommended_technicians", "expected_profit_usd", "margin_per_cup_usd"):
        assert key in m
    assert m["plan_visits"] <= 2 * 4 * 7
    assert 0.4 < m["share_down_at_snapshot"] < 0.75
    staffing = pd.read_csv(res / "staffing.csv")
    best = staffing[staffing.recommended]
    assert len(best) == 1 and best.expected_profit_usd.iloc[0] == staffing.expected_profit_usd.max()
    assert set(staffing.technicians) == set(range(0, 5))
    page = _page_one_text(tmp_path / "iot_survival.ipynb")
    k = int(best.technicians.iloc[0])
    assert f"Send **{k} technician" in page
    assert nb.money(best.expected_profit_usd.iloc[0]) in page  # the house formatter, from results/
    assert nb.money(best.margin_kept_usd.iloc[0]) in page
    assert f"{m['devices_down_at_snapshot']} of" in page
    # the calibration claim carries its skill over a constant rate
    assert "same rate for every" in page or "better than a constant rate" in page
    assert "DEV-" not in page and " at " in page  # devices named by type and store
    for t in ("device_risk", "maintenance_schedule", "model_comparison", "policy_comparison", "exclusions"):
        assert (res / f"{t}.csv").stat().st_size > 0


def test_generic_printer_fleet_runs(tmp_path, toy_uri):
    import yaml

    from luckin_lab.paths import params_dir

    p = yaml.safe_load((params_dir() / "time_to_event" / "printer_fleet.yaml").read_text())["parameters"]
    res = execute_notebook_small("time_to_event", tmp_path, toy_uri, **p)
    m = json.loads((res / "metrics.json").read_text())
    assert m["dataset"] == "generic" and "plan_visits" not in m
    page = _page_one_text(tmp_path / "time_to_event.ipynb")
    assert "technician" not in page.lower() and "device" not in page.lower()
    risk = pd.read_csv(res / "device_risk.csv")
    assert f"{nb.num(len(risk))}</div><div class='ll-kpi-label'>Printers still at risk" in page
    assert f"{nb.num(m['expected_failures_30d'], 1)}</div><div class='ll-kpi-label'>Expected failures, next 30 days" in page
    sv = m["service"]
    assert nb.money(sv["saving_usd"]) in page and f"{nb.num(sv['failures_avoided'], 1)} failures" in page
    assert len(pd.read_csv(res / "service_priority.csv")) == sv["services"]
