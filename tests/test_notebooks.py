"""Every report notebook follows the house conventions (checked on the committed files)."""

from __future__ import annotations

import importlib

import nbformat
import pytest
import yaml

from luckin_lab.paths import notebooks_dir, params_dir

NOTEBOOKS = sorted(notebooks_dir().glob("*.ipynb"))


def test_there_are_report_notebooks():
    assert {p.stem for p in NOTEBOOKS} >= {
        "store_trends", "coupon_uplift", "iot_survival", "price_elasticity", "site_selection"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_conventions(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "raw", "first cell is the raw Quarto front matter"
    front = yaml.safe_load(first.source.strip().strip("-"))
    assert front["title"] and front["execute"]["echo"] is False
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters'"
    assert "source" in params[0].source and "results_dir" in params[0].source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not any(c.outputs or c.execution_count for c in code), "committed without outputs"
    # each notebook has a params model and at least one scheduled run
    model = importlib.import_module(f"luckin_lab.reporting.params_models.{path.stem}")
    assert hasattr(model, "Params")
    runs = list((params_dir() / path.stem).glob("*.yaml"))
    assert runs, f"no params file for {path.stem}"
    for run in runs:
        assert yaml.safe_load(run.read_text())["notebook"] == path.name
