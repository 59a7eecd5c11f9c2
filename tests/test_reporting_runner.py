"""The runner end to end on a tiny notebook: run folders, run.json, latest, failures, run-all."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import nbformat
import pytest
from papermill.exceptions import PapermillExecutionError
from report_helpers import execute_notebook_small
from typer.testing import CliRunner

from luckin_lab.cli import app
from luckin_lab.reporting.params import ReportParams

SECRET = "pa55-never-in-notebooks"

PULSE_CELLS = [
    ("raw", "---\ntitle: \"Pulse check\"\nsubtitle: \"Runner test report\"\nexecute:\n"
            "  echo: false\n  warning: false\n---"),
    ("params", 'source = ""\nresults_dir = "results"\nfail = False\nscale = 2'),
    ("code", "#| include: false\nimport os\nimport matplotlib.pyplot as plt\n"
             "from luckin_lab.reporting import nb\nnb.setup()\nresults = nb.Results(results_dir)\n"
             "results.metrics({'doubled': 21 * scale, 'env_seen': 'LL_TEST_PW' in os.environ})"),
    ("md", "## Executive summary\n\nThe pulse is fine; see @fig-pulse."),
    ("code", "#| label: fig-pulse\n#| fig-cap: \"Pulse by hour\"\nfig, ax = plt.subplots()\n"
             "ax.plot([0, 1, 2], [1, 3, 2])\nax.set_xlabel('hour')\nax.set_ylabel('beats')"),
    ("code", "if fail:\n    raise RuntimeError('boom: the store is empty')"),
]


class PulseParams(ReportParams):
    fail: bool = False
    scale: int = 2


def _write_notebook(path: Path) -> None:
    cells = []
    for kind, src in PULSE_CELLS:
        if kind == "raw":
            cells.append(nbformat.v4.new_raw_cell(src))
        elif kind == "md":
            cells.append(nbformat.v4.new_markdown_cell(src))
        else:
            meta = {"tags": ["parameters"]} if kind == "params" else {}
            cells.append(nbformat.v4.new_code_cell(src, metadata=meta))
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    nbformat.write(nb, path)


@pytest.fixture
def factory(tmp_path, monkeypatch):
    """Notebooks, params and reports folders in tmp, plus the 'pulse' params model."""
    roots = {name: tmp_path / name for name in ("notebooks", "params", "reports")}
    for name, path in roots.items():
        path.mkdir()
        monkeypatch.setenv(f"LUCKIN_LAB_{name.upper()}", str(path))
    _write_notebook(roots["notebooks"] / "pulse.ipynb")
    (roots["params"] / "pulse").mkdir()
    mod = types.ModuleType("luckin_lab.reporting.params_models.pulse")
    mod.Params = PulseParams
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    monkeypatch.setenv("LL_TEST_PW", SECRET)
    return roots


def _params(roots, run: str, group: str = "weekly", **parameters) -> Path:
    path = roots["params"] / "pulse" / f"{run}.yaml"
    body = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in parameters.items())
    path.write_text(
        "notebook: pulse.ipynb\n"
        f"group: {group}\n"
        "source: 'sql:mysql+pymysql://analyst:${LL_TEST_PW}@db.internal:3306/sales'\n"
        + (f"parameters:\n{body}" if body else "")
    )
    return path


def _cli(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_success_then_failure_keeps_latest_on_the_good_run(factory):
    path = _params(factory, "weekly")
    ok = _cli("run", str(path), "-p", "scale=3")
    assert ok.exit_code == 0, ok.output
    run_dir = factory["reports"] / "pulse" / "weekly"
    good = (run_dir / "latest").resolve()
    assert good.parent == run_dir and good.name[:8].isdigit()
    for name in ("pulse.ipynb", "report.html", "report.pdf", "run.json", "results/metrics.json"):
        assert (good / name).exists(), name
    assert json.loads((good / "results" / "metrics.json").read_text()) == {
        "doubled": 63, "env_seen": True}
    record = json.loads((good / "run.json").read_text())
    assert record["status"] == "succeeded"
    assert record["parameters"]["scale"] == 3 and record["parameters"]["fail"] is False
    assert [s["name"] for s in record["steps"]] == ["execute", "render_html", "render_pdf"]
    assert all(s["status"] == "succeeded" and s["duration_s"] >= 0 for s in record["steps"])
    assert {"start", "end"} <= set(record["steps"][0])
    assert record["packages"]["papermill"] and "commit" in record["git"]
    html = (good / "report.html").read_text()
    assert "Pulse check" in html and "Figure 1:" in html and "data:image/png" in html
    assert "raise RuntimeError" not in html and "results_dir" not in html

    bad = _cli("run", str(path), "-p", "fail=true")
    assert bad.exit_code == 1
    out = " ".join(bad.output.split())
    assert "pulse/weekly failed in step 'execute' at cell" in out
    assert "RuntimeError: boom: the store is empty" in out
    assert (run_dir / "latest").resolve() == good  # latest did not move
    folders = sorted(p for p in run_dir.iterdir() if not p.is_symlink())
    assert len(folders) == 2  # the earlier run is still there
    failed = next(p for p in folders if p != good)
    frec = json.loads((failed / "run.json").read_text())
    assert frec["status"] == "failed" and frec["error"]["ename"] == "RuntimeError"
    assert frec["error"]["step"] == "execute" and frec["error"]["cell_index"] is not None
    assert not (failed / "report.html").exists()  # a failed run is never published
    executed = nbformat.read(failed / "pulse.ipynb", as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert errors and errors[0]["evalue"] == "boom: the store is empty"  # kept for the analyst

    index = (factory["reports"] / "index.html").read_text()
    assert "pulse/weekly/latest/report.html" in index and "failed" in index and "2 run(s)" in index

    # the password lives in the environment only: never in a notebook, record or report
    for folder in folders:
        for file in folder.rglob("*"):
            if file.is_file() and file.suffix != ".pdf":
                assert SECRET not in file.read_text(errors="ignore"), file
    assert "${LL_TEST_PW}" in (good / "pulse.ipynb").read_text()

    listing = _cli("list")
    assert "pulse" in listing.output and "failed" in listing.output


def test_run_all_continues_past_a_failing_report(factory):
    _params(factory, "a_good")
    _params(factory, "b_bad", fail=True)
    _params(factory, "c_monthly", group="monthly")
    res = _cli("run-all", "--group", "weekly")
    assert res.exit_code == 1
    out = " ".join(res.output.split())
    assert "[1/2] pulse/a_good" in out and "[2/2] pulse/b_bad" in out
    assert "1 of 2 report(s) did not succeed: 1 failed" in out
    reports = factory["reports"] / "pulse"
    assert (reports / "a_good" / "latest" / "report.pdf").exists()
    assert not (reports / "b_bad" / "latest").exists()
    assert json.loads(next((reports / "b_bad").glob("*/run.json")).read_text())["status"] == "failed"
    assert not (reports / "c_monthly").exists()  # other groups are not run


def test_invalid_params_fail_before_anything_runs(factory):
    path = _params(factory, "weekly", scael=3)
    res = _cli("run", str(path))
    assert res.exit_code == 2
    out = " ".join(res.output.split())
    assert "unknown key 'parameters.scael'" in out and "did you mean 'scale'" in out
    assert not (factory["reports"] / "pulse").exists()


def test_execute_notebook_small_returns_results_and_raises_on_failure(factory, tmp_path, capfd):
    results = execute_notebook_small("pulse", tmp_path / "a", "duckdb:unused", scale=5)
    assert json.loads((results / "metrics.json").read_text())["doubled"] == 105
    assert (tmp_path / "a" / "pulse.ipynb").exists()
    # the kernel (a child process writing to this process's stderr) warns of nothing
    assert "without encryption" not in capfd.readouterr().err
    with pytest.raises(PapermillExecutionError, match="boom"):
        execute_notebook_small("pulse.ipynb", tmp_path / "b", "duckdb:unused", fail=True)


def test_unrendered_or_unrenderable_runs_are_not_published(factory, monkeypatch):
    import luckin_lab.reporting.runner as runner

    path = _params(factory, "weekly")
    res = _cli("run", str(path), "--no-render")
    assert res.exit_code == 0, res.output
    run_dir = factory["reports"] / "pulse" / "weekly"
    assert not (run_dir / "latest").exists()  # executed fine, but there is no report to publish
    record = json.loads(next(run_dir.glob("*/run.json")).read_text())
    assert record["status"] == "succeeded" and record["published"] is False

    def broken_pdf():
        raise OSError("fonts missing")

    monkeypatch.setattr(runner, "render_steps", lambda executed, ctx: [("render_pdf", broken_pdf)])
    res = _cli("run", str(path))
    assert res.exit_code == 1
    assert "failed in step 'render_pdf'" in " ".join(res.output.split())
    assert not (run_dir / "latest").exists()
    failed = [json.loads(p.read_text()) for p in run_dir.glob("*/run.json")]
    assert sorted(r["status"] for r in failed) == ["failed", "succeeded"]
    bad = next(r for r in failed if r["status"] == "failed")
    assert bad["error"]["ename"] == "OSError" and bad["error"]["evalue"] == "fonts missing"
