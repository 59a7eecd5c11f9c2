"""Execute one scheduled report: validate, run with papermill, render, record, publish.

The sequence is the contract with leadership: nothing runs before the params file is valid;
every step is timed in ``run.json``; ``latest`` moves only after the notebook ran cleanly and
both HTML and PDF exist, so a failure never replaces the last good report.

A run always ends recorded: SIGINT, SIGTERM and SIGHUP finish ``run.json`` as
``interrupted`` (with the signal, the step and the end time) before the interrupt goes on;
any other failure, ``BaseException`` included, as ``failed``. A run killed outright leaves
``running`` with its process id, which readers show as ``abandoned`` (see ``runs``). Every
text that leaves the run (record, notebook, terminal) goes through ``secrets.redact``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import signal
import socket
import subprocess
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from luckin_lab.atomic import point_latest
from luckin_lab.paths import ROOT, reports_dir
from luckin_lab.reporting.execution import KERNEL, execute_notebook, redact_notebook
from luckin_lab.reporting.index import write_index
from luckin_lab.reporting.params import RunSpec, load_run_spec
from luckin_lab.reporting.render import render_steps, renderer_name
from luckin_lab.reporting.render_context import RenderContext
from luckin_lab.reporting.runs import new_run_folder, process_started, write_record
from luckin_lab.secrets import install_log_redaction, redact, redact_value, referenced_env

__all__ = ["KERNEL", "RunInterrupted", "RunResult", "run_report"]
PROVENANCE = "provenance.json"
KERNEL_LOG = "kernel.log"
SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
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


class RunInterrupted(KeyboardInterrupt):
    """A signal stopped the run; raised after ``run.json`` says so (``result`` has it)."""

    def __init__(self, signame: str) -> None:
        super().__init__(f"stopped by {signame}")
        self.signame = signame
        self.result: RunResult | None = None

    @property
    def exit_code(self) -> int:
        return 128 + int(getattr(signal, self.signame, signal.SIGINT))


class _Signals:
    """SIGINT/SIGTERM/SIGHUP while a run is in progress: the first one raises, once, and only
    while the run is *armed* (inside the recorded section); outside it the signal is kept
    and raised at the next :meth:`arm` or reported by the caller after the record is final.
    A second signal is ignored (``kill -9`` still works and leaves a record readers show as
    abandoned).
    """

    def __init__(self) -> None:
        self.fired: str | None = None
        self.armed = False

    def handler(self, signum: int, frame: object) -> None:
        if self.fired:
            return
        self.fired = signal.Signals(signum).name
        if self.armed:
            raise RunInterrupted(self.fired)

    def arm(self) -> None:
        self.armed = True
        if self.fired:
            raise RunInterrupted(self.fired)

    def disarm(self) -> None:
        self.armed = False


@contextlib.contextmanager
def signals_caught() -> Iterator[_Signals]:
    """Install the run's handlers (main thread only; a worker thread runs without them)."""
    state = _Signals()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return
    previous = {}
    for name in SIGNALS:
        if hasattr(signal, name):
            sig = getattr(signal, name)
            previous[sig] = signal.signal(sig, state.handler)
    try:
        yield state
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


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
        verb = "was interrupted" if self.status == "interrupted" else "failed"
        return redact(f"{self.spec.report}/{self.spec.run} {verb} in step '{self.failed_step}' "
                      f"at {self.error.describe()}")


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
        except KeyboardInterrupt:
            entry["status"] = "interrupted"
            raise
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


def _cell_error(err: BaseException, extra: tuple[str, ...] = ()) -> CellError:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(err, RunInterrupted):
        return CellError(None, None, err.signame, str(err))
    if isinstance(err, PapermillExecutionError):
        return CellError(err.cell_index, err.exec_count, err.ename, redact(str(err.evalue), extra))
    text = str(err).strip()
    return CellError(None, None, type(err).__name__,
                     redact(text.splitlines()[-1][:500], extra) if text else "")


def _read_provenance(results: Path) -> dict[str, Any]:
    path = results / PROVENANCE
    return json.loads(path.read_text()) if path.exists() else {}


def _env_secrets(parameters: dict[str, Any]) -> tuple[str, ...]:
    """Values of the environment variables the run's source URI references (to mask)."""
    names = referenced_env(str(parameters.get("source", "")))
    return tuple(os.environ[n] for n in names if os.environ.get(n))


def _finish_files(folder: Path, executed: Path, extra: tuple[str, ...]) -> str:
    """Redact what the kernel left behind; the tail of its log (for a dead kernel)."""
    import nbformat

    if executed.exists():
        try:
            nb = nbformat.read(executed, as_version=4)
        except Exception:  # noqa: BLE001 - a torn notebook (killed mid-write) is redacted as text
            executed.write_text(redact(executed.read_text(errors="replace"), extra))
        else:
            nbformat.write(redact_notebook(nb, extra), executed)
    log = folder / KERNEL_LOG
    if not log.exists():
        return ""
    text = redact(log.read_text(errors="replace"), extra)
    if text.strip():
        log.write_text(text)
        return text.strip().splitlines()[-1][:300]
    log.unlink()
    return ""


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
    params_path: Path | str | RunSpec,
    overrides: dict[str, Any] | None = None,
    reports_root: Path | None = None,
    render: bool = True,
) -> RunResult:
    """Run one params file into a new run folder; raises ParamsError before anything runs.

    ``params_path`` may be an already validated :class:`RunSpec` (``run-all`` validates
    every file first). A signal raises :class:`RunInterrupted` after the record is final.
    """
    install_log_redaction()
    if isinstance(params_path, RunSpec):
        spec = params_path if not overrides else load_run_spec(params_path.path, overrides)
    else:
        spec = load_run_spec(params_path, overrides)
    root = reports_root or reports_dir()
    with signals_caught() as signals:
        folder = new_run_folder(root, spec.report, spec.run)
        return _run_in(folder, root, spec, render, signals)


def _run_in(folder: Path, root: Path, spec: RunSpec, render: bool, signals: _Signals) -> RunResult:
    results = folder / "results"
    results.mkdir()
    executed = folder / f"{spec.report}.ipynb"
    # injected into the notebook: placeholders stay, anything secret-looking is masked
    parameters = redact_value({**spec.parameters, "results_dir": str(results.resolve())})
    extra = _env_secrets(parameters)
    started = time.perf_counter()
    record: dict[str, Any] = {
        "report": spec.report,
        "run": spec.run,
        "group": spec.group,
        "audience": spec.params.audience,
        "status": "running",
        "params_file": str(spec.path),
        "notebook": str(spec.notebook),
        "parameters": parameters,
        "source": parameters.get("source", "") or "default demo store",
        "started": _now(),
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "process_started": process_started(os.getpid()),
        "git": git_state(),
        "packages": package_versions(),
        "renderer": renderer_name() if render else None,
        "outputs": {"executed_notebook": executed.name},
    }
    steps = _Steps()
    status, error, failed_step, interrupt = "succeeded", None, None, None
    try:
        signals.arm()
        write_record(folder, record)
        steps.run("execute", lambda: execute_notebook(
            spec.notebook, executed, parameters, folder / KERNEL_LOG, extra))
        provenance = _read_provenance(results)
        record["data"] = provenance
        if render:
            ctx = RenderContext.for_run(spec.report, spec.run, spec.for_cover(parameters),
                                        provenance, getattr(spec.params, "stale_after_days", None))
            for name, fn in render_steps(executed, ctx):
                steps.run(name, fn)
            record["outputs"].update({"html": "report.html", "pdf": "report.pdf"})
        signals.disarm()
    except BaseException as err:  # noqa: BLE001 - every ending is recorded, then re-raised or reported
        signals.disarm()
        if isinstance(err, KeyboardInterrupt):
            interrupt = err if isinstance(err, RunInterrupted) else RunInterrupted("SIGINT")
            status, error = "interrupted", _cell_error(interrupt)
        else:
            status, error = "failed", _cell_error(err, extra)
        failed_step = next((s["name"] for s in steps.items if s["status"] in ("failed", "interrupted")),
                           None)
        during = f"during step '{failed_step}'" if failed_step else "before the first step"
        reason = (f"stopped by {interrupt.signame} {during}" if interrupt
                  else traceback.format_exception_only(err)[-1].strip()[:2000])
        record["error"] = {**error.__dict__, "step": failed_step, "traceback": redact(reason, extra)}
        if interrupt is None and not isinstance(err, Exception):
            interrupt = err  # SystemExit and the like: recorded as failed, then re-raised
    kernel_tail = _finish_files(folder, executed, extra)
    if (folder / KERNEL_LOG).exists():
        record["outputs"]["kernel_log"] = KERNEL_LOG
    if kernel_tail and status == "failed" and "Dead" in str(record["error"].get("ename")):
        record["error"]["kernel_log"] = kernel_tail
    record["outputs"]["results"] = sorted(p.name for p in results.iterdir())
    # only a complete, rendered run is published; --no-render runs are for checking numbers
    published = status == "succeeded" and render
    record.update(status=status, published=published, steps=steps.items, ended=_now(),
                  duration_s=round(time.perf_counter() - started, 3))
    record = redact_value(record, extra)
    write_record(folder, record)
    if published:
        point_latest(folder)
        if spec.params.audience == "leadership":
            _log_recommendations(root, folder, record)
    write_index(root)
    result = RunResult(spec, folder, status, record, error, failed_step)
    if interrupt is None and signals.fired:  # came while the record was being finished
        interrupt = RunInterrupted(signals.fired)
    if interrupt is not None:
        if isinstance(interrupt, RunInterrupted):
            interrupt.result = result
        raise interrupt
    return result

