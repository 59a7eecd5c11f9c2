"""CLI commands of the report factory: ``run``, ``run-all`` and ``list``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from luckin_lab.paths import params_dir, reports_dir
from luckin_lab.reporting.params import (
    ParamsError,
    RunSpec,
    discover,
    load_run_spec,
    parse_override,
    read_params_file,
)
from luckin_lab.secrets import redact

console = Console()
_STYLE = {"succeeded": "green", "failed": "red", "invalid": "red", "running": "yellow",
          "interrupted": "red", "abandoned": "red", "not run": "yellow"}


def _overrides(pairs: list[str] | None) -> dict:
    return dict(parse_override(p) for p in pairs or [])


def _say(text: str) -> None:
    """Everything the factory prints goes through the redaction layer."""
    console.print(redact(text))


def _print_result(result) -> None:
    folder = result.folder
    if result.ok:
        target = folder / "report.html" if result.record.get("published") else folder
        _say(f"[green]✓[/green] {result.spec.report}/{result.spec.run} "
             f"in {result.record['duration_s']:.1f} s → {target}")
    else:
        _say(f"[red]✗ {result.error_text()}[/red]")
        _say(f"  executed notebook (error kept in place): {folder / (result.spec.report + '.ipynb')}")
        _say("  'latest' still points at the last good run")


def run(
    params_file: Annotated[Path, typer.Argument(help="params/<report>/<run>.yaml")],
    param: Annotated[list[str] | None, typer.Option("-p", "--param", help="override: key=value")] = None,
    render: Annotated[bool, typer.Option(help="render HTML and PDF after executing")] = True,
) -> None:
    """Run one scheduled report into reports/<report>/<run>/<timestamp>/ and render it."""
    from luckin_lab.reporting.runner import RunInterrupted, run_report

    try:
        result = run_report(params_file, _overrides(param), render=render)
    except ParamsError as err:
        _say(f"[red]invalid parameters[/red]\n{err}")
        raise typer.Exit(2) from None
    except RunInterrupted as stop:
        if stop.result is not None:
            _print_result(stop.result)
        raise typer.Exit(stop.exit_code) from None
    _print_result(result)
    raise typer.Exit(0 if result.ok else 1)


def _validate_all(files: list[Path], overrides: dict) -> tuple[list[RunSpec], list[tuple]]:
    """Every params file validated before anything runs: the good specs and the invalid rows."""
    specs, invalid = [], []
    for path in files:
        try:
            specs.append(load_run_spec(path, overrides))
        except ParamsError as err:
            label = f"{path.parent.name}/{path.stem}"
            _say(f"[red]✗ {label}: invalid parameters[/red]\n{err}")
            problem = [line.strip(" -") for line in str(err).splitlines() if line.strip()][-1]
            invalid.append((label, "invalid", 0.0, problem.replace(str(path) + ": ", "")))
    return specs, invalid


def run_all(
    group: Annotated[str | None, typer.Option(help="only this schedule group: daily|weekly|monthly")] = None,
    param: Annotated[list[str] | None, typer.Option("-p", "--param", help="override for every report")] = None,
) -> None:
    """Validate every params file (of a group), run the valid ones past failures, print a summary.

    Exits 1 if any report was invalid or failed, 128+signal if interrupted.
    """
    from luckin_lab.reporting.runner import RunInterrupted, run_report, signals_caught

    try:
        files = discover(params_dir(), group)
        overrides = _overrides(param)
    except ParamsError as err:
        _say(f"[red]{err}[/red]")
        raise typer.Exit(2) from None
    if not files:
        _say(f"no params files{f' in group {group}' if group else ''} under {params_dir()}")
        raise typer.Exit(1)
    with signals_caught() as signals:  # a signal between two runs stops run-all cleanly too
        try:
            signals.arm()
            specs, rows = _validate_all(files, overrides)
        except RunInterrupted as stop:
            _say(f"[red]run-all stopped by {stop.signame} while validating; nothing ran[/red]")
            raise typer.Exit(stop.exit_code) from None
        stopped: RunInterrupted | None = None
        for i, spec in enumerate(specs, 1):
            label = f"{spec.report}/{spec.run}"
            if stopped is not None:
                rows.append((label, "not run", 0.0, f"run-all was stopped by {stopped.signame}"))
                continue
            t0, result = time.perf_counter(), None
            try:
                _say(f"[bold][{i}/{len(specs)}][/bold] {label} …")
                result = run_report(spec)
                _print_result(result)
                rows.append(_row(label, result))
            except RunInterrupted as stop:
                signals.disarm()
                stopped, result = stop, stop.result or result
                if rows and rows[-1][0] == label:
                    continue  # the signal came after this run was counted
                if result is None:
                    rows.append((label, "interrupted", time.perf_counter() - t0, str(stop)))
                else:
                    _print_result(result)
                    rows.append(_row(label, result))
        signals.disarm()
    _summary(rows, group)
    if stopped is not None:
        raise typer.Exit(stopped.exit_code)
    raise typer.Exit(1 if any(r[1] != "succeeded" for r in rows) else 0)


def _row(label: str, result) -> tuple:
    return (label, result.status, result.record["duration_s"],
            result.error.describe() if result.error else str(result.folder))


def _summary(rows: list[tuple], group: str | None) -> None:
    table = Table(title=f"run-all{f' --group {group}' if group else ''}")
    for col in ("report/run", "status", "seconds", "detail"):
        table.add_column(col)
    for label, status, secs, detail in rows:
        style = _STYLE.get(status, "")
        table.add_row(label, f"[{style}]{status}[/{style}]", f"{secs:.1f}", redact(str(detail)))
    console.print(table)
    _say(f"index: {reports_dir() / 'index.html'}")
    counts = {s: sum(1 for r in rows if r[1] == s) for s in ("failed", "invalid", "interrupted", "not run")}
    bad = {k: v for k, v in counts.items() if v}
    if bad:
        parts = ", ".join(f"{v} {k}" for k, v in bad.items())
        _say(f"[red]{sum(bad.values())} of {len(rows)} report(s) did not succeed: {parts}[/red]")


def list_reports() -> None:
    """Show scheduled reports, their runs and the status of the latest attempt."""
    from luckin_lab.reporting.runs import histories

    seen = {(h.report, h.run): h for h in histories(reports_dir())}
    table = Table(title=f"reports ({params_dir()} → {reports_dir()})")
    for col in ("report", "run", "group", "runs", "last attempt", "status", "latest good"):
        table.add_column(col)
    keys = [(p.parent.name, p.stem) for p in discover(params_dir())]
    keys += [k for k in seen if k not in keys]
    for report, run_name in keys:
        h = seen.get((report, run_name))
        path = params_dir() / report / f"{run_name}.yaml"
        group = ""
        if path.exists():
            try:
                group = str(read_params_file(path).get("group", ""))
            except ParamsError:
                group = "[red]invalid file[/red]"
        if h is None:
            table.add_row(report, run_name, group, "0", "–", "never run", "–")
            continue
        last = h.last or {}
        status = str(last.get("status", "?"))
        style = _STYLE.get(status, "")
        table.add_row(report, run_name, group or str(last.get("group", "")), str(len(h.records)),
                      h.records[0][0].name, f"[{style}]{status}[/{style}]",
                      h.latest.name if h.latest else "–")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("run-all")(run_all)
    app.command("list")(list_reports)
