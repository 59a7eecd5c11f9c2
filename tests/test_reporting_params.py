"""Params files are validated before anything runs, with messages naming file, key and fix."""

from __future__ import annotations

import datetime as dt
import sys
import types
from pathlib import Path

import nbformat
import pytest
from pydantic import Field

from luckin_lab.paths import params_dir
from luckin_lab.reporting.params import (
    ParamsError,
    ReportParams,
    discover,
    load_run_spec,
    notebook_parameters,
    parse_override,
)


def _notebook(path: Path, params_src: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_raw_cell("---\ntitle: Tiny\n---"),
        nbformat.v4.new_code_cell(params_src, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(weeks)"),
    ], metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    nbformat.write(nb, path)
    return path


class _TinyParams(ReportParams):
    weeks: int = Field(4, ge=1)
    region: str  # required, no default
    as_of: dt.date | None = None


@pytest.fixture
def tiny_report(tmp_path, monkeypatch):
    """A report 'tinyrep' with its own notebook, params folder and params model."""
    nbdir, pdir = tmp_path / "notebooks", tmp_path / "params" / "tinyrep"
    nbdir.mkdir()
    pdir.mkdir(parents=True)
    _notebook(nbdir / "tinyrep.ipynb",
              'source = ""\nresults_dir = "results"\nweeks = 4\nregion = "nyc"\nas_of = None')
    monkeypatch.setenv("LUCKIN_LAB_NOTEBOOKS", str(nbdir))
    mod = types.ModuleType("luckin_lab.reporting.params_models.tinyrep")
    mod.Params = _TinyParams
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    return pdir


def _write(pdir: Path, text: str, name: str = "weekly") -> Path:
    path = pdir / f"{name}.yaml"
    path.write_text(text)
    return path


def test_valid_file_gives_json_safe_parameters(tiny_report):
    path = _write(tiny_report, "notebook: tinyrep.ipynb\ngroup: weekly\nsource: ''\n"
                               "parameters: {weeks: 6, region: nyc, as_of: 2026-02-01}\n")
    spec = load_run_spec(path)
    assert (spec.report, spec.run, spec.group) == ("tinyrep", "weekly", "weekly")
    # papermill writes values as Python literals: a date must arrive as an ISO string
    assert spec.parameters == {"source": "", "results_dir": "results", "weeks": 6,
                               "region": "nyc", "as_of": "2026-02-01"}


def test_unknown_key_names_file_key_and_allowed_keys(tiny_report):
    path = _write(tiny_report, "notebook: tinyrep.ipynb\ngroup: weekly\n"
                               "parameters: {wekes: 6, region: nyc}\n")
    with pytest.raises(ParamsError) as err:
        load_run_spec(path)
    msg = str(err.value)
    assert str(path) in msg
    assert "unknown key 'parameters.wekes'" in msg
    assert "did you mean 'weeks'" in msg
    assert "allowed keys: weeks, region, as_of" in msg


def test_wrong_type_and_missing_required_value(tiny_report):
    path = _write(tiny_report, "notebook: tinyrep.ipynb\ngroup: weekly\nparameters: {weeks: many}\n")
    with pytest.raises(ParamsError) as err:
        load_run_spec(path)
    msg = str(err.value)
    assert "2 problem(s)" in msg
    assert "key 'parameters.weeks'" in msg and "'many'" in msg
    assert "required key 'parameters.region' is missing" in msg


def test_bad_top_level_key_and_group(tiny_report):
    path = _write(tiny_report, "notebook: tinyrep.ipynb\ngroup: hourly\nschedule: 1\n")
    with pytest.raises(ParamsError) as err:
        load_run_spec(path)
    msg = str(err.value)
    assert "unknown key 'schedule'" in msg and "key 'group'" in msg and "hourly" in msg


def test_runner_keys_do_not_belong_in_parameters(tiny_report):
    path = _write(tiny_report, "notebook: tinyrep.ipynb\ngroup: weekly\n"
                               "parameters: {region: nyc, results_dir: /tmp/x}\n")
    with pytest.raises(ParamsError, match="'results_dir' does not belong under 'parameters'"):
        load_run_spec(path)


def test_overrides_are_typed_and_checked(tiny_report):
    path = _write(tiny_report, "notebook: tinyrep.ipynb\ngroup: weekly\nparameters: {region: nyc}\n")
    spec = load_run_spec(path, dict([parse_override("weeks=9"), parse_override("source=duckdb:x")]))
    assert spec.parameters["weeks"] == 9 and spec.parameters["source"] == "duckdb:x"
    with pytest.raises(ParamsError, match="-p colour=... is not a parameter of report 'tinyrep'"):
        load_run_spec(path, {"colour": "red"})
    with pytest.raises(ParamsError, match="key=value"):
        parse_override("weeks")


def test_literal_password_refused_placeholder_accepted(tiny_report):
    base = "notebook: tinyrep.ipynb\ngroup: weekly\nparameters: {region: nyc}\n"
    path = _write(tiny_report, base + "source: 'sql:mysql+pymysql://analyst:hunter2@db:3306/sales'\n")
    with pytest.raises(ParamsError, match="literal password") as err:
        load_run_spec(path)
    assert "hunter2" not in str(err.value)  # the refusal must not echo the secret either
    path = _write(tiny_report,
                  base + "source: 'sql:mysql+pymysql://analyst:${LUCKIN_DB_PASSWORD}@db/sales'\n")
    assert "${LUCKIN_DB_PASSWORD}" in load_run_spec(path).parameters["source"]
    with pytest.raises(ParamsError, match="literal password"):
        load_run_spec(path, {"source": "sql:postgresql://u@h/db?password=hunter2"})


def test_secret_looking_parameter_refused(tiny_report, monkeypatch):
    class WithToken(_TinyParams):
        api_token: str = ""

    monkeypatch.setattr(sys.modules["luckin_lab.reporting.params_models.tinyrep"], "Params", WithToken)
    path = _write(tiny_report, "notebook: tinyrep.ipynb\ngroup: weekly\n"
                               "parameters: {region: nyc, api_token: abc}\n")
    with pytest.raises(ParamsError, match="'api_token' looks like a secret"):
        load_run_spec(path)


def test_params_model_field_missing_from_notebook(tiny_report, tmp_path):
    _notebook(tmp_path / "notebooks" / "tinyrep.ipynb",
              'source = ""\nresults_dir = "results"\nweeks = 4  # "" = default\n')
    path = _write(tiny_report, "notebook: tinyrep.ipynb\ngroup: weekly\nparameters: {region: nyc}\n")
    with pytest.raises(ParamsError) as err:
        load_run_spec(path)
    msg = str(err.value)
    assert "['as_of', 'region', 'weeks']" in msg  # weeks is invisible: its comment broke parsing
    assert "papermill: Unable to parse line 3" in msg


def test_missing_model_and_notebook(tmp_path, monkeypatch):
    pdir = tmp_path / "nomodel"
    pdir.mkdir()
    path = _write(pdir, "notebook: x.ipynb\ngroup: weekly\n")
    with pytest.raises(ParamsError, match="params_models/nomodel.py"):
        load_run_spec(path)


def test_discover_filters_by_group(tiny_report):
    _write(tiny_report, "notebook: tinyrep.ipynb\ngroup: weekly\n", "a")
    _write(tiny_report, "notebook: tinyrep.ipynb\ngroup: monthly\n", "b")
    root = tiny_report.parent
    assert [p.stem for p in discover(root)] == ["a", "b"]
    assert [p.stem for p in discover(root, "monthly")] == ["b"]
    with pytest.raises(ParamsError, match="unknown group 'hourly'"):
        discover(root, "hourly")


@pytest.mark.parametrize("path", discover(params_dir()), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_scheduled_params_file_is_valid(path):
    """Every params file in the repo validates and only uses parameters its notebook declares."""
    spec = load_run_spec(path)
    declared, _ = notebook_parameters(spec.notebook)
    assert set(spec.parameters) <= declared
    assert {"source", "results_dir"} <= declared


def test_run_details_leave_out_parameters_the_run_does_not_use():
    """The generic coupon run reads an experiment table: no campaign id in its run details."""
    from luckin_lab.reporting.render_context import RenderContext

    labels = {}
    for run in ("generic_example", "demo"):
        spec = load_run_spec(params_dir() / "coupon_uplift" / f"{run}.yaml")
        labels[run] = RenderContext("coupon_uplift", run, spec.for_cover(spec.parameters)).parameters_label
    assert "campaign id" not in labels["generic_example"]
    assert "experiment table: generic_experiment" in labels["generic_example"]
    assert "campaign id: CMP-2025-12-WINBACK" in labels["demo"]
    assert "control arm" not in labels["demo"] and "window days" not in labels["demo"]
