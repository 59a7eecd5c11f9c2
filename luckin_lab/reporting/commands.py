"""CLI commands of the report factory: ``run``, ``run-all`` and ``list``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from luckin_lab.paths import params_dir, reports_dir
from luckin_lab.reporting.params import ParamsError, discover, parse_override

console = Console()
_STYLE = {"succeeded": "green", "failed": "red", "invalid": "red", "running": "yellow"}


def _overrides(pairs: list[str] | None) -> dict:
    return dict(parse_override(p) for p in pairs or [])


def _print_result(result) -> None:
    folder = result.folder
    if result.ok:
        target = folder / "report.html" if result.record.get("published") else folder
        console.print(f"[green]✓[/green] {result.spec.report}/{result.spec.run} "
                      f"in {result.record['duration_s']:.1f} s → {target}")
    else:
        console.print(f"[red]✗ {result.error_text()}[/red]")
        console.print(f"  executed notebook (error kept in place): {folder / (result.spec.report + '.ipynb')}")
        console.print("  'latest' still points at the last good run")


def run(
    params_file: Annotated[Path, typer.Argument(help="params/<report>/<run>.yaml")],
    param: Annotated[list[str] | None, typer.Option("-p", "--param", help="override: key=value")] = None,
    render: Annotated[bool, typer.Option(help="render HTML and PDF after executing")] = True,
) -> None:
    """Run one scheduled report into reports/<report>/<run>/<timestamp>/ and render it."""
    from luckin_lab.reporting.runner import run_report

    try:
        result = run_report(params_file, _overrides(param), render=render)
    except ParamsError as err:
        console.print(f"[red]invalid parameters[/red]\n{err}")
        raise typer.Exit(2) from None
    _print_result(result)
    raise typer.Exit(0 if result.ok else 1)


def run_all(
    group: Annotated[str | None, typer.Option(help="only this schedule group: daily|weekly|monthly")] = None,
    param: Annotated[list[str] | None, typer.Option("-p", "--param", help="override for every report")] = None,
) -> None:
    """Run every params file (of a group); keep going past failures; exit 1 if any failed."""
    from luckin_lab.reporting.runner import run_report

    try:
        files = discover(params_dir(), group)
    except ParamsError as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from None
    if not files:
        console.print(f"no params files{f' in group {group}' if group else ''} under {params_dir()}")
        raise typer.Exit(1)
    overrides = _overrides(param)
    rows = []
    for i, path in enumerate(files, 1):
        label = f"{path.parent.name}/{path.stem}"
        console.print(f"[bold][{i}/{len(files)}][/bold] {label} …")
        t0 = time.perf_counter()
        try:
            result = run_report(path, overrides)
        except ParamsError as err:
            console.print(f"[red]✗ invalid parameters[/red]\n{err}")
            rows.append((label, "invalid", time.perf_counter() - t0, str(err).splitlines()[-1].strip()))
            continue
        _print_result(result)
        rows.append((label, result.status, result.record["duration_s"],
                     result.error.describe() if result.error else str(result.folder)))
    table = Table(title=f"run-all{f' --group {group}' if group else ''}")
    for col in ("report/run", "status", "seconds", "detail"):
        table.add_column(col)
    for label, status, secs, detail in rows:
        style = _STYLE.get(status, "")
        table.add_row(label, f"[{style}]{status}[/{style}]", f"{secs:.1f}", detail)
    console.print(table)
    console.print(f"index: {reports_dir() / 'index.html'}")
    failed = sum(1 for r in rows if r[1] != "succeeded")
    if failed:
        console.print(f"[red]{failed} of {len(rows)} report(s) failed[/red]")
    raise typer.Exit(1 if failed else 0)


def list_reports() -> None:
    """Show scheduled reports, their runs and the status of the latest attempt."""
    from luckin_lab.reporting.runs import histories

    seen = {(h.report, h.run): h for h in histories(reports_dir())}
    table = Table(title=f"reports ({params_dir()} → {reports_dir()})")
    for col in ("report", "run", "group", "runs", "last attempt", "status", "latest good"):
        table.add_column(col)
    keys = [(p.parent.name, p.stem) for p in discover(params_dir())]
    keys += [k for k in seen if k not in keys]
    import yaml

    for report, run_name in keys:
        h = seen.get((report, run_name))
        path = params_dir() / report / f"{run_name}.yaml"
        group = ""
        if path.exists():
            raw = yaml.safe_load(path.read_text()) or {}
            group = str(raw.get("group", "")) if isinstance(raw, dict) else ""
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
