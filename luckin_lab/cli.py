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
    scale: Annotated[str, typer.Option(
        help="small (tests), seed (the catalog's size), large (4x), or x<N>: a chain of N seed-size "
             "regions (11 stores each; x200 has 2,200), written as partitioned Parquet")] = "seed",
    out: Annotated[Path | None, typer.Option(help="output folder (default data/demo/<scale>)")] = None,
    truth: Annotated[Path | None, typer.Option(help="YAML file overriding the planted truth")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed (default: the truth file's)")] = None,
    parquet: Annotated[bool, typer.Option(help="also write a Parquet folder beside the DuckDB file")] = False,
    region_scale: Annotated[str, typer.Option(help="x<N> chains: the scale of each region")] = "seed",
) -> None:
    """Build the demo store: raw tables per the data contracts plus the planted truth."""
    from luckin_lab.paths import demo_store_dir
    from luckin_lab.synth.build import build_store
    from luckin_lab.synth.chain import build_chain, chain_regions

    out = out or demo_store_dir(scale)
    regions = chain_regions(scale)
    if regions is not None:
        done = build_chain(out, regions, region_scale, truth_path=truth, seed=seed,
                           progress=lambda s: console.print(s, highlight=False))
        console.print(f"chain of {done['stores']:,} stores ({regions} regions) in {done['seconds']:.1f} s: "
                      f"{done['rows']['orders']:,} orders; read it with folder:{out / 'parquet'} "
                      f"or spark:folder/{out / 'parquet'}", highlight=False)
        return
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
    tables: Annotated[str | None, typer.Option(
        help="comma-separated tables that must be present (default: every company table once the "
             "source holds one; none for a source of generic tables only)")] = None,
    as_of: Annotated[str | None, typer.Option(help="run date no timestamp may pass (default today)")] = None,
) -> None:
    """Validate every contract table of a source (generic ones too) and print row counts.

    Exits non-zero when a table breaks its contract or its foreign keys, when a required
    table is missing, or when the source holds no contract table at all.
    """
    from luckin_lab.contracts import ContractViolation, all_contracts
    from luckin_lab.secrets import redact
    from luckin_lab.sources import SourceError, open_store

    try:
        store = open_store(source, on_error="quarantine" if quarantine else "raise", as_of=as_of)
    except (SourceError, FileNotFoundError, KeyError) as err:
        console.print(f"[red]cannot open the source:[/red] {err}", markup=True, highlight=False)
        raise typer.Exit(1) from None
    contracts = all_contracts()
    present = [name for name in contracts if store.has(name)]
    others = sorted(t for t in store.tables_available if t not in contracts)
    if others:
        console.print(f"not contract tables (not checked): {others}", highlight=False)
    if not present:
        console.print(
            f"[red]no contract table in {redact(store.uri)}[/red]: nothing was checked; expected "
            f"tables (or files <table>.parquet / <table>.csv) named like {sorted(contracts)[:5]} ...",
            highlight=False)
        raise typer.Exit(1)
    if tables is not None:
        required = [t.strip() for t in tables.split(",") if t.strip()]
        unknown = [t for t in required if t not in contracts]
        if unknown:
            console.print(f"[red]no contract for {unknown}[/red]; known: {sorted(contracts)}")
            raise typer.Exit(1)
    elif any(not contracts[n].generic for n in present):
        required = [n for n, c in contracts.items() if not c.generic]
    else:
        required = []
    table = Table(title=f"contracts on {redact(store.uri)}")
    for col in ("table", "rows", "quarantined", "flagged", "status"):
        table.add_column(col)
    failed = False
    for name in required:
        if not store.has(name):
            failed = True
            table.add_row(name, "", "", "", "[red]missing[/red]")
    for name in present:
        try:
            store.table(name)
        except (ContractViolation, SourceError) as err:
            failed = True
            table.add_row(name, "", "", "", "[red]failed[/red]")
            console.print(str(err), markup=False, highlight=False)
            continue
        res = store.checked(name)
        flagged = sum(f.n_rows for f in res.flags)
        table.add_row(name, f"{res.n_rows:,}", f"{res.n_quarantined:,}", f"{flagged:,}", "ok")
        for f in res.flags:
            console.print(f"{name}: {f.n_rows:,} row(s) kept but flagged: {f.reason}; e.g. "
                          + "; ".join(f.examples), markup=False, highlight=False)
    console.print(table)
    if quarantine:
        record = store.record_quarantine()
        console.print(f"quarantine record: {record}", highlight=False)
    raise typer.Exit(1 if failed else 0)


def _register_optional_commands() -> None:
    """Command groups live beside the code they drive; each module exposes register(app)."""
    for name in ("luckin_lab.reporting.commands", "luckin_lab.extract.commands",
                 "luckin_lab.brief.commands"):
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
