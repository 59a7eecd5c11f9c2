"""The audience key, the brief's params files and its place at the end of its group."""

from __future__ import annotations

import pytest

from luckin_lab.paths import params_dir
from luckin_lab.reporting.params import ParamsError, discover, load_run_spec


def test_audience_defaults_to_leadership_and_example_runs_are_analyst():
    assert load_run_spec(params_dir() / "store_trends" / "weekly.yaml").params.audience == "leadership"
    for path in ("coupon_uplift/generic_example.yaml", "price_elasticity/generic_example.yaml",
                 "time_to_event/printer_fleet.yaml"):
        spec = load_run_spec(params_dir() / path)
        assert spec.params.audience == "analyst"
        assert "audience" not in spec.parameters  # run-level: the notebook never sees it


def _params(tmp_path, body: str):
    path = tmp_path / "store_trends" / "weekly.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("notebook: store_trends.ipynb\ngroup: weekly\n" + body)
    return path


def test_audience_is_a_top_level_key_with_two_values(tmp_path):
    with pytest.raises(ParamsError, match="'audience' does not belong under 'parameters'"):
        load_run_spec(_params(tmp_path, "parameters:\n  audience: analyst\n"))
    with pytest.raises(ParamsError, match="audience"):
        load_run_spec(_params(tmp_path / "b", "audience: board\n"))
    spec = load_run_spec(_params(tmp_path / "c", "audience: leadership\n"), {"audience": "analyst"})
    assert spec.params.audience == "analyst"


@pytest.mark.parametrize("group", ["daily", "weekly"])
def test_the_brief_runs_last_in_its_group(group):
    files = discover(params_dir(), group)
    assert files[-1] == params_dir() / "brief" / f"{group}.yaml"
    spec = load_run_spec(files[-1])  # valid, and every parameter is in the notebook
    assert spec.params.period == {"daily": "day", "weekly": "week"}[group]
