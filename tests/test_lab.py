"""Interactive runs (JupyterLab, papermill without ``results_dir``) write to the scratch folder,
never beside the committed notebooks; scheduled runs and tests keep their absolute folder."""

from __future__ import annotations

import json

import papermill

from luckin_lab.paths import notebooks_dir
from luckin_lab.reporting.execution import ReportKernelManager
from luckin_lab.reporting.nb import Results, results_path


def test_results_path(tmp_path, monkeypatch):
    monkeypatch.setenv("LUCKIN_LAB_SCRATCH", str(tmp_path / "scratch"))
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert results_path(tmp_path / "run" / "results") == tmp_path / "run" / "results"
    assert results_path("results") == tmp_path / "scratch" / "interactive" / "results"
    # Jupyter names the notebook's path in the kernel's environment
    monkeypatch.setenv("JPY_SESSION_NAME", "/repo/notebooks/explore/uplift.ipynb")
    assert results_path("results") == tmp_path / "scratch" / "uplift" / "results"
    assert Results("results").dir.is_dir()


def test_a_notebook_run_from_its_folder_writes_to_scratch(small_store_uri, tmp_path, monkeypatch):
    """What JupyterLab does: the kernel's working folder is the notebook's, results_dir is the
    notebook's default ('results'), and JPY_SESSION_NAME names the notebook."""
    workdir = tmp_path / "notebooks"
    workdir.mkdir()
    scratch = tmp_path / "scratch"
    monkeypatch.setenv("LUCKIN_LAB_SCRATCH", str(scratch))
    monkeypatch.setenv("JPY_SESSION_NAME", str(workdir / "store_trends.ipynb"))
    papermill.execute_notebook(
        str(notebooks_dir() / "store_trends.ipynb"), str(tmp_path / "executed.ipynb"),
        parameters={"source": small_store_uri, "weeks": 4}, cwd=str(workdir),
        kernel_name="python3", progress_bar=False, kernel_manager_class=ReportKernelManager,
    )
    assert list(workdir.iterdir()) == []  # nothing beside the notebook
    metrics = json.loads((scratch / "store_trends" / "results" / "metrics.json").read_text())
    assert metrics  # the run's real outputs, in scratch
