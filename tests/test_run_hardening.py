"""Runs that always end recorded, secrets that never leave the environment, quiet kernels.

Fault injection uses real ``luckin-lab run`` subprocesses and real signals: SIGTERM while
a cell executes, SIGINT while the PDF renders, ``kill -9`` while a cell executes. The
secret test runs the real CLI with the ``sql:`` override of ``reports/README.md`` and greps
every output file and the terminal for the expanded password.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import nbformat
import psutil
import pytest
from typer.testing import CliRunner

from luckin_lab.cli import app
from luckin_lab.reporting.params import ReportParams
from luckin_lab.reporting.runs import read_record

PASSWORD = "Fake-Pa55w0rd!xyz"
NOISE = ("IPKernelApp", "KeyboardInterrupt caught", "without encryption")

PROBE_CELLS = [
    ("params", 'source = ""\nresults_dir = "results"\nmode = "ok"\nseconds = 0.0'),
    ("code", "import logging, os, pathlib, time\n"
             "pathlib.Path(results_dir, 'kernel.pid').write_text(str(os.getpid()))"),
    ("code", "if mode == 'leak':\n"
             "    from luckin_lab.secrets import expand_env\n"
             "    url = expand_env(source.removeprefix('sql:'))\n"
             "    print('connecting to', url)\n"
             "    logging.getLogger('probe').warning('retrying %s', url)\n"
             "    raise ValueError(f\"Don't know how to connect to {url!r}\")"),
    ("code", "if mode == 'open':\n"
             "    from luckin_lab.sources import open_store\n"
             "    open_store(source)"),
    ("code", "if mode == 'sleep':\n    time.sleep(seconds)"),
    ("md", "## Summary\n\nThe probe ran."),
]


class ProbeParams(ReportParams):
    mode: str = "ok"
    seconds: float = 0.0


DRIVER = textwrap.dedent('''
    """Run the CLI with the probe report's params model (and, on request, a slow PDF step)."""
    import os, sys, time, types
    from luckin_lab.reporting.params import ReportParams

    class Params(ReportParams):
        mode: str = "ok"
        seconds: float = 0.0

    mod = types.ModuleType("luckin_lab.reporting.params_models.probe")
    mod.Params = Params
    sys.modules[mod.__name__] = mod
    if os.environ.get("PROBE_SLOW_RENDER"):
        import luckin_lab.reporting.runner as runner
        real = runner.render_steps

        def slow_steps(executed, ctx):
            steps = real(executed, ctx)
            def pdf():
                (executed.parent / "render.started").write_text("1")
                time.sleep(120)
            return [*steps[:-1], ("render_pdf", pdf)]

        runner.render_steps = slow_steps
    from luckin_lab.cli import app
    app()
''')


def _write_notebook(path: Path) -> None:
    cells = []
    for kind, src in PROBE_CELLS:
        if kind == "md":
            cells.append(nbformat.v4.new_markdown_cell(src))
        else:
            meta = {"tags": ["parameters"]} if kind == "params" else {}
            cells.append(nbformat.v4.new_code_cell(src, metadata=meta))
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}), path)


@pytest.fixture
def probe(tmp_path, monkeypatch):
    roots = {name: tmp_path / name for name in ("notebooks", "params", "reports")}
    for name, path in roots.items():
        path.mkdir()
        monkeypatch.setenv(f"LUCKIN_LAB_{name.upper()}", str(path))
    _write_notebook(roots["notebooks"] / "probe.ipynb")
    (roots["params"] / "probe").mkdir()
    mod = types.ModuleType("luckin_lab.reporting.params_models.probe")
    mod.Params = ProbeParams
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    monkeypatch.setenv("LUCKIN_DB_PASSWORD", PASSWORD)
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    roots["driver"] = driver
    return roots


def _params(roots, run: str, group: str = "weekly", **parameters) -> Path:
    path = roots["params"] / "probe" / f"{run}.yaml"
    body = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in parameters.items())
    path.write_text(f"notebook: probe.ipynb\ngroup: {group}\n" + (f"parameters:\n{body}" if body else ""))
    return path


def _start(roots, *args: str, **env: str) -> subprocess.Popen:
    full_env = {**os.environ, **env}
    return subprocess.Popen([sys.executable, str(roots["driver"]), *args], env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path_glob, root: Path, timeout: float = 180) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(root.glob(path_glob))
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"{path_glob} never appeared under {root}")


def _kernel_gone(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.2)
    return False


def _run_dir(roots, run: str) -> Path:
    return roots["reports"] / "probe" / run


@pytest.mark.parametrize(("signame", "where"), [("SIGTERM", "execute"), ("SIGINT", "render_pdf")])
def test_signal_mid_step_finishes_the_record_as_interrupted(probe, signame, where):
    mid_execute = where == "execute"
    path = _params(probe, "weekly", mode="sleep" if mid_execute else "ok", seconds=120)
    proc = _start(probe, "run", str(path), **({} if mid_execute else {"PROBE_SLOW_RENDER": "1"}))
    try:
        pid_file = _wait_for("*/results/kernel.pid", _run_dir(probe, "weekly"))
        if not mid_execute:
            _wait_for("*/render.started", _run_dir(probe, "weekly"))
        time.sleep(0.5)
        proc.send_signal(getattr(signal, signame))
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    signum = int(getattr(signal, signame))
    assert proc.returncode == 128 + signum, (out, err)
    folder = pid_file.parent.parent
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "interrupted" and record["ended"] >= record["started"]
    assert record["error"]["ename"] == signame and record["error"]["step"] == where
    assert record["error"]["traceback"] == f"stopped by {signame} during step '{where}'"
    assert record["steps"][-1]["name"] == where and record["steps"][-1]["status"] == "interrupted"
    assert record["published"] is False and not (_run_dir(probe, "weekly") / "latest").exists()
    assert _kernel_gone(int(pid_file.read_text()))  # no kernel left behind
    terminal = out + err
    assert "was interrupted in step" in " ".join(terminal.split())
    assert not [n for n in NOISE if n in terminal], terminal
    assert "Traceback" not in terminal


def test_killed_run_is_shown_abandoned_by_list_and_index(probe):
    from luckin_lab.reporting.index import write_index

    path = _params(probe, "weekly", mode="sleep", seconds=120)
    proc = _start(probe, "run", str(path))
    try:
        pid_file = _wait_for("*/results/kernel.pid", _run_dir(probe, "weekly"))
        folder = pid_file.parent.parent
        assert read_record(folder)["status"] == "running"  # alive: not abandoned
        proc.kill()
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert json.loads((folder / "run.json").read_text())["status"] == "running"  # on disk
    shown = read_record(folder)
    assert shown["status"] == "abandoned" and f"process {proc.pid} is gone" in shown["abandoned"]
    listing = CliRunner().invoke(app, ["list"], catch_exceptions=False)
    assert "abandoned" in listing.output
    assert "abandoned" in write_index(probe["reports"]).read_text()
    assert _kernel_gone(int(pid_file.read_text()))  # the kernel notices its parent died


def test_a_reused_process_id_does_not_keep_a_dead_run_running(tmp_path):
    from luckin_lab.reporting.runs import abandoned_because, process_started, write_record

    me = os.getpid()
    live = {"status": "running", "pid": me, "host": os.uname().nodename,
            "process_started": process_started(me)}
    assert abandoned_because(live) is None
    reused = {**live, "process_started": process_started(me) - 3600}
    assert "another process" in abandoned_because(reused)
    elsewhere = {**live, "host": "some-other-host", "pid": 999_999_999}
    assert abandoned_because(elsewhere) is None  # cannot be checked from here
    write_record(tmp_path, {**live, "pid": 999_999_999})
    assert read_record(tmp_path)["status"] == "abandoned"


def test_secret_never_reaches_terminal_record_or_notebook(probe):
    """The issue's exact command, through the real CLI, on a library error that echoes the URL."""
    override = "source=sql:mysql+pymysql://analyst:${LUCKIN_DB_PASSWORD}@127.0.0.1:3306/sales"
    outputs = []
    for run, mode in (("leak", "leak"), ("open", "open")):
        path = _params(probe, run, mode=mode)
        proc = _start(probe, "run", str(path), "-p", override)
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 1, (out, err)
        outputs.append(out + err)
        folder = next(_run_dir(probe, run).glob("2*"))
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert {"run.json", "probe.ipynb"} <= {p.name for p in files}
        for file in files:
            assert PASSWORD not in file.read_text(errors="ignore"), file
        record = json.loads((folder / "run.json").read_text())
        assert record["status"] == "failed" and "***" in record["error"]["evalue"]
        assert "${LUCKIN_DB_PASSWORD}" in record["parameters"]["source"]
    leak_nb = (_run_dir(probe, "leak") / next(_run_dir(probe, "leak").glob("2*")).name
               / "probe.ipynb").read_text()
    assert "connecting to mysql+pymysql://analyst:***@127.0.0.1" in leak_nb  # print, log, error
    assert "retrying mysql+pymysql://analyst:***@" in leak_nb
    for terminal in outputs:
        assert PASSWORD not in terminal and "analyst:***@127.0.0.1" in terminal
        assert not [n for n in NOISE if n in terminal], terminal
    assert PASSWORD not in (probe["reports"] / "index.html").read_text()


def test_run_all_validates_everything_first_then_runs_the_good_ones(probe):
    _params(probe, "a_good")
    (probe["params"] / "probe" / "b_bad_date.yaml").write_text(
        "notebook: probe.ipynb\ngroup: weekly\nparameters:\n  seconds: 2026-13-45\n")
    _params(probe, "c_fails", mode="leak")
    (probe["params"] / "probe" / "d_dup.yaml").write_text(
        "notebook: probe.ipynb\ngroup: weekly\ngroup: weekly\n")
    _params(probe, "e_monthly", group="monthly")
    res = CliRunner().invoke(app, ["run-all", "--group", "weekly"], catch_exceptions=False)
    out = " ".join(res.output.split())
    assert res.exit_code == 1
    # both invalid files are reported before the first run starts
    assert out.index("probe/b_bad_date: invalid parameters") < out.index("[1/2] probe/a_good")
    assert out.index("probe/d_dup: invalid parameters") < out.index("[1/2] probe/a_good")
    assert "parameters.seconds" in out and "duplicate key 'group' at line 3" in out
    assert "[2/2] probe/c_fails" in out
    assert "3 of 4 report(s) did not succeed: 1 failed, 2 invalid" in out
    assert (_run_dir(probe, "a_good") / "latest" / "report.pdf").exists()
    assert not (_run_dir(probe, "e_monthly")).exists()
    assert PASSWORD not in res.output


def test_base_exception_in_a_step_is_recorded_as_failed_then_raised(probe, monkeypatch):
    """Only ``Exception`` was caught: a SystemExit in a step left the record ``running``."""
    import luckin_lab.reporting.runner as runner

    def exits():
        raise SystemExit(3)

    monkeypatch.setattr(runner, "render_steps", lambda executed, ctx: [("render_html", exits)])
    with pytest.raises(SystemExit):
        runner.run_report(_params(probe, "weekly"))
    record = json.loads(next(_run_dir(probe, "weekly").glob("*/run.json")).read_text())
    assert record["status"] == "failed" and record["error"]["ename"] == "SystemExit"
    assert record["error"]["step"] == "render_html" and record["ended"]


def test_run_all_stopped_by_a_signal_records_and_summarises(probe):
    _params(probe, "a_sleeps", mode="sleep", seconds=120)
    _params(probe, "b_later")
    proc = _start(probe, "run-all", "--group", "weekly")
    try:
        pid_file = _wait_for("*/results/kernel.pid", _run_dir(probe, "a_sleeps"))
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + int(signal.SIGTERM), (out, err)
    text = " ".join(out.split())
    assert "interrupted" in text and "not run" in text
    assert "2 of 2 report(s) did not succeed: 1 interrupted, 1 not run" in text
    record = json.loads((pid_file.parent.parent / "run.json").read_text())
    assert record["status"] == "interrupted" and record["error"]["ename"] == "SIGTERM"
    assert not _run_dir(probe, "b_later").exists()
    assert _kernel_gone(int(pid_file.read_text()))
