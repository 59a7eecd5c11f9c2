"""``luckin-lab brief``: run the leadership brief, optionally writing its outbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from luckin_lab.paths import params_dir

console = Console()


def brief(
    params_file: Annotated[Path | None, typer.Argument(help="params/brief/<run>.yaml")] = None,
    param: Annotated[list[str] | None, typer.Option("-p", "--param", help="override: key=value")] = None,
    send: Annotated[bool, typer.Option("--send", help="write email HTML + Slack text to outbox/")] = False,
) -> None:
    """Run the leadership brief (default: the daily one); --send prepares the messages (no sending)."""
    from luckin_lab.brief.outbox import write_outbox
    from luckin_lab.reporting.commands import _overrides, _print_result
    from luckin_lab.reporting.params import ParamsError
    from luckin_lab.reporting.runner import run_report

    path = params_file or params_dir() / "brief" / "daily.yaml"
    try:
        result = run_report(path, _overrides(param))
    except ParamsError as err:
        console.print(f"[red]invalid parameters[/red]\n{err}")
        raise typer.Exit(2) from None
    _print_result(result)
    if not result.ok:
        raise typer.Exit(1)
    if send:
        for p in write_outbox(result.folder):
            console.print(f"outbox: {p}")


def register(app: typer.Typer) -> None:
    app.command("brief")(brief)
