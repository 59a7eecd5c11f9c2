"""Execute one scheduled report: validate, run with papermill, render, record, publish.

The sequence is the contract with leadership: nothing runs before the params file is valid;
every step is timed in ``run.json``; ``latest`` moves only after the notebook ran cleanly and
both HTML and PDF exist, so a failure never replaces the last good report.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import platform
import subprocess
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from luckin_lab.atomic import point_latest
from luckin_lab.paths import ROOT, reports_dir
from luckin_lab.reporting.index import write_index
from luckin_lab.reporting.params import RunSpec, load_run_spec
from luckin_lab.reporting.render import render_steps, renderer_name
from luckin_lab.reporting.render_context import RenderContext
from luckin_lab.reporting.runs import new_run_folder, write_record
from luckin_lab.secrets import redact

KERNEL = "python3"
PROVENANCE = "provenance.json"
_PACKAGES = (
    "luckin-lab", "papermill", "nbconvert", "nbformat", "ipykernel", "weasyprint", "pandas",
    "numpy", "duckdb", "ibis-framework", "pandera", "pydantic", "matplotlib", "scikit-learn",
    "statsmodels", "lightgbm",
)


@dataclass
class CellError:
    """Where a notebook failed, in the words the CLI prints."""

    cell_index: int | None
    exec_count: int | None
    ename: str
    evalue: str

    def describe(self) -> str:
        where = f"cell {self.cell_index}" if self.cell_index is not None else "notebook"
        if self.exec_count is not None:
            where += f" (In [{self.exec_count}])"
        return f"{where}: {self.ename}: {self.evalue}"


@dataclass
class RunResult:
    spec: RunSpec
    folder: Path
    status: str
    record: dict[str, Any]
    error: CellError | None = None
    failed_step: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def error_text(self) -> str:
        if self.error is None:
            return ""
        return f"{self.spec.report}/{self.spec.run} failed in step '{self.failed_step}' at {self.error.describe()}"


@dataclass
class _Steps:
    items: list[dict[str, Any]] = field(default_factory=list)

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        start = _now()
        t0 = time.perf_counter()
        entry = {"name": name, "start": start, "status": "running"}
        self.items.append(entry)
        try:
            out = fn()
            entry["status"] = "succeeded"
            return out
        except BaseException:
            entry["status"] = "failed"
            raise
        finally:
            entry["end"] = _now()
            entry["duration_s"] = round(time.perf_counter() - t0, 3)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def git_state(root: Path = ROOT) -> dict[str, Any]:
    """Commit and whether the tree has uncommitted changes (read-only git calls)."""
    def _git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                                 timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    status = _git("status", "--porcelain")
    return {"commit": _git("rev-parse", "HEAD"), "dirty": bool(status) if status is not None else None}


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def _cell_error(err: BaseException) -> CellError:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(err, PapermillExecutionError):
        return CellError(err.cell_index, err.exec_count, err.ename, str(err.evalue))
    return CellError(None, None, type(err).__name__, str(err).strip().splitlines()[-1][:500]
                     if str(err).strip() else "")


def _read_provenance(results: Path) -> dict[str, Any]:
    path = results / PROVENANCE
    return json.loads(path.read_text()) if path.exists() else {}


def _execute(spec: RunSpec, executed: Path, parameters: dict[str, Any]) -> None:
    import papermill

    logging.getLogger("papermill").setLevel(logging.WARNING)
    papermill.execute_notebook(
        str(spec.notebook), str(executed), parameters=parameters, kernel_name=KERNEL,
        progress_bar=False, log_output=False,
    )


def _log_recommendations(root: Path, folder: Path, record: dict[str, Any]) -> None:
    """Append the run's recommendations to the log; a logging fault is recorded, not fatal
    (the report is already published)."""
    from luckin_lab.reporting.recommendation_log import record_run

    try:
        path = record_run(root, folder, record)
        record["recommendation_log"] = path.name if path else None
    except Exception as err:  # noqa: BLE001 - kept in run.json for the analyst
        record["recommendation_log_error"] = redact(f"{type(err).__name__}: {err}")[:500]
    write_record(folder, record)


def run_report(
    params_path: Path | str,
    overrides: dict[str, Any] | None = None,
    reports_root: Path | None = None,
    render: bool = True,
) -> RunResult:
    """Run one params file into a new run folder; raises ParamsError before anything runs."""
    spec = load_run_spec(params_path, overrides)
    root = reports_root or reports_dir()
    folder = new_run_folder(root, spec.report, spec.run)
    results = folder / "results"
    results.mkdir()
    executed = folder / f"{spec.report}.ipynb"
    parameters = {**spec.parameters, "results_dir": str(results.resolve())}
    started = time.perf_counter()
    record: dict[str, Any] = {
        "report": spec.report,
        "run": spec.run,
        "group": spec.group,
        "audience": spec.params.audience,
        "status": "running",
        "params_file": str(spec.path),
        "notebook": str(spec.notebook),
        "parameters": {**parameters, "source": redact(parameters.get("source", ""))},
        "source": redact(parameters.get("source", "")) or "default demo store",
        "started": _now(),
        "git": git_state(),
        "packages": package_versions(),
        "renderer": renderer_name() if render else None,
        "outputs": {"executed_notebook": executed.name},
    }
    write_record(folder, record)
    steps = _Steps()
    status, error, failed_step = "succeeded", None, None
    try:
        steps.run("execute", lambda: _execute(spec, executed, parameters))
        provenance = _read_provenance(results)
        record["data"] = provenance
        if render:
            ctx = RenderContext(
                spec.report, spec.run, spec.for_cover(parameters),
                data_window=str(provenance.get("data_window") or ""),
                generated_at=dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            )
            for name, fn in render_steps(executed, ctx):
                steps.run(name, fn)
            record["outputs"].update({"html": "report.html", "pdf": "report.pdf"})
    except Exception as err:  # noqa: BLE001 - every failure is recorded, then reported
        status, error = "failed", _cell_error(err)
        failed_step = next((s["name"] for s in steps.items if s["status"] == "failed"), None)
        record["error"] = {**error.__dict__, "step": failed_step,
                           "traceback": traceback.format_exception_only(err)[-1].strip()[:2000]}
    record["outputs"]["results"] = sorted(p.name for p in results.iterdir())
    # only a complete, rendered run is published; --no-render runs are for checking numbers
    published = status == "succeeded" and render
    record.update(status=status, published=published, steps=steps.items, ended=_now(),
                  duration_s=round(time.perf_counter() - started, 3))
    write_record(folder, record)
    if published:
        point_latest(folder)
        if spec.params.audience == "leadership":
            _log_recommendations(root, folder, record)
    write_index(root)
    return RunResult(spec, folder, status, record, error, failed_step)

