"""The explorer notebooks (notebooks/explore/): thin, committed clean, and they run end to end
on the small demo store: load through the contracts, fit, inspect, change a knob, plot."""

from __future__ import annotations

import ast

import nbformat
import papermill
import pytest

from luckin_lab.paths import notebooks_dir
from luckin_lab.reporting.execution import ReportKernelManager

EXPLORERS = sorted((notebooks_dir() / "explore").glob("*.ipynb"))
# small settings for the small store (measured on a loaded 2-core machine: uplift ~3-5 min,
# the others 1-2 min each; most of it is the analyses' own fitting)
SMALL = {
    "uplift": {"settings": {"learners": ["S"]}},
    "pricing": {"settings": {"dml_folds": 2}},
    "survival": {},
    "sites": {"k_sites": 3},
    "customers": {},
}
MAX_CELL_LINES = 15


def test_one_explorer_per_analysis():
    assert {p.stem for p in EXPLORERS} == set(SMALL)


@pytest.mark.parametrize("path", EXPLORERS, ids=lambda p: p.stem)
def test_explorer_is_thin_and_clean(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "source" in params[0].source
    assert not any(c.outputs or c.execution_count for c in code), "committed without outputs"
    long = [c.source.splitlines()[0] for c in code if len(c.source.splitlines()) > MAX_CELL_LINES]
    assert not long, f"cells over {MAX_CELL_LINES} lines: {long}"
    logic = (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.If, ast.Try)
    nodes = [n for c in code for n in ast.walk(ast.parse(c.source)) if isinstance(n, logic)]
    assert not nodes, "logic (def, class, loops, branches) belongs in luckin_lab, not in an explorer"


@pytest.mark.parametrize("path", EXPLORERS, ids=lambda p: p.stem)
def test_explorer_runs_on_the_small_store(path, small_store_uri, tmp_path):
    out = tmp_path / path.name
    papermill.execute_notebook(str(path), str(out), kernel_name="python3", progress_bar=False,
                               parameters={"source": small_store_uri, **SMALL[path.stem]},
                               cwd=str(tmp_path), kernel_manager_class=ReportKernelManager)
    nb = nbformat.read(out, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    figures = [c for c in code if any("image/png" in o.get("data", {}) for o in c.outputs)]
    assert figures, "an explorer plots"
    # every inspect/knob cell (not the imports) shows something
    shown = [c for c in code if c.outputs]
    silent = [c.source.splitlines()[0] for c in code
              if not c.outputs and "import" not in c.source and not {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))
              and not c.source.rstrip().endswith(";")]
    assert not silent, f"cells that show nothing: {silent}"
    assert len(shown) >= 5
