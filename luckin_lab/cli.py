"""`luckin-lab`: the command line front door (every command has --help)."""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from luckin_lab.secrets import install_log_redaction, redact


class _RedactingTyper(typer.Typer):
    """The app: an uncaught error prints a plain traceback through ``secrets.redact``.

    Typer's pretty tracebacks show every frame's local variables, which would include an
    expanded database URL; this one shows code and messages only, redacted.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        install_log_redaction()
        try:
            return super().__call__(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - printed redacted, then a failing exit code
            sys.stderr.write(redact("".join(traceback.format_exception(err))))
            sys.exit(1)


app = _RedactingTyper(
    name="luckin-lab",
    help="Luckin Coffee USA data-science workspace: demo data, contracts, scheduled reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()


@app.command()
def synth(
    scale: Annotated[str, typer.Option(help="small (tests), seed (the catalog's size) or large (4x)")] = "seed",
    out: Annotated[Path | None, typer.Option(help="output folder (default data/demo/<scale>)")] = None,
    truth: Annotated[Path | None, typer.Option(help="YAML file overriding the planted truth")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed (default: the truth file's)")] = None,
    parquet: Annotated[bool, typer.Option(help="also write a Parquet folder beside the DuckDB file")] = False,
) -> None:
    """Build the demo store: raw tables per the data contracts plus the planted truth."""
    from luckin_lab.paths import demo_store_dir
    from luckin_lab.synth.build import build_store

    out = out or demo_store_dir(scale)
    summary = build_store(out, scale=scale, truth_path=truth, seed=seed, parquet=parquet)
    table = Table(title=f"demo store {out}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in summary["rows"].items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    console.print(f"built in {summary['seconds']:.1f} s; truth written to {out / 'truth.json'}")


@app.command()
def validate(
    source: Annotated[str | None, typer.Option(help="duckdb:<file>, folder:<dir> or sql:<url>")] = None,
    quarantine: Annotated[bool, typer.Option(help="set failing rows aside instead of failing")] = False,
) -> None:
    """Validate every contracted table of a source and print row counts."""
    from luckin_lab.contracts import ContractViolation, all_contracts
    from luckin_lab.sources import open_store

    store = open_store(source, on_error="quarantine" if quarantine else "raise")
    table = Table(title=f"contracts on {store.uri}")
    for col in ("table", "rows", "quarantined", "status"):
        table.add_column(col)
    failed = False
    for name, contract in all_contracts().items():
        if contract.generic or not store.has(name):
            continue
        try:
            store.table(name)
            res = store._validated[name]
            table.add_row(name, f"{len(res.frame):,}", f"{res.n_quarantined:,}", "ok")
        except ContractViolation as err:
            failed = True
            table.add_row(name, "", "", "[red]failed[/red]")
            console.print(str(err))
    console.print(table)
    raise typer.Exit(1 if failed else 0)


def _register_optional_commands() -> None:
    """Command groups live beside the code they drive; each module exposes register(app)."""
    for name in ("luckin_lab.reporting.commands", "luckin_lab.extract.commands"):
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name is None or not name.startswith(err.name):
                raise
            continue
        mod.register(app)


_register_optional_commands()

if __name__ == "__main__":
    app()
