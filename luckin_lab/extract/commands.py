"""`luckin-lab extract`: snapshot the company's MySQL tables into the workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def _plan_table(plans) -> Table:
    table = Table(title="source mapping joined with the contracts")
    for col in ("table", "source", "watermark", "renames", "casts", "pii"):
        table.add_column(col)
    for p in plans:
        shards = p.shards[0] if len(p.shards) == 1 else f"{p.shards[0]} .. {p.shards[-1]} ({len(p.shards)})"
        renames = ", ".join(f"{c.source}->{c.name}" for c in p.columns if c.source != c.name)
        casts = ", ".join(f"{c.name}: {c.declared}->{c.type}" for c in p.columns if c.declared)
        pii = ", ".join(c.name for c in p.columns if c.pii)
        table.add_row(p.name, f"{p.database}.{shards}", p.watermark or "(full pull)", renames, casts, pii)
    return table


def register(app: typer.Typer) -> None:
    @app.command()
    def extract(
        source: Annotated[str, typer.Option(help="source name: data_contracts/source_mappings/<source>.yaml")],
        snapshot: Annotated[str | None, typer.Option(help="snapshot name (default: today, YYYY-MM-DD)")] = None,
        tables: Annotated[str | None, typer.Option(help="comma-separated contract tables (default: all mapped)")] = None,
        full: Annotated[bool, typer.Option(help="ignore earlier snapshots and read every row")] = False,
        pii: Annotated[str, typer.Option(help="contract pii columns: mask (default), hash (needs LUCKIN_LAB_PII_KEY) or keep")] = "mask",
        chunk_rows: Annotated[int | None, typer.Option(help="rows per SELECT (default: the mapping's)")] = None,
        out: Annotated[Path | None, typer.Option(help="snapshots folder (default data/snapshots/<source>)")] = None,
        check: Annotated[bool, typer.Option(help="only connect and check tables, shards, columns and types")] = False,
        plan: Annotated[bool, typer.Option(help="print what would be pulled from where; no connection")] = False,
    ) -> None:
        """Pull the contracted tables into a dated, validated snapshot (re-run to resume).

        Connection settings come from LUCKIN_LAB_<SOURCE>_HOST/_PORT/_USER/_PASSWORD or the
        git-ignored .luckin_lab.local.yaml. Reports read the result with
        source "folder:data/snapshots/<source>/<snapshot>" (or .../latest).
        """
        from luckin_lab.extract.connection import ReadOnlySession
        from luckin_lab.extract.errors import ExtractError
        from luckin_lab.extract.extract import extract_source
        from luckin_lab.extract.mapping import load_mapping, plan_tables
        from luckin_lab.extract.schema_check import check_source
        from luckin_lab.extract.settings import load_settings, pii_key

        names = [t.strip() for t in tables.split(",") if t.strip()] if tables else None
        try:
            mapping = load_mapping(source)
            plans = plan_tables(mapping, names)
            if plan:
                console.print(_plan_table(plans))
                return
            settings = load_settings(mapping.source)
            if check:
                with ReadOnlySession(settings) as session:
                    catalog = check_source(session, plans)
                for w in catalog.warnings:
                    console.print(f"[yellow]warning:[/yellow] {w}")
                console.print(f"[green]ok[/green]: {len(plans)} tables on {settings.where()} "
                              f"({session.server_version}) fit their contracts")
                return
            if pii == "keep":
                console.print("[yellow]warning:[/yellow] --pii keep stores raw phone numbers and "
                              "emails in the snapshot; keep it off shared drives")
            result = extract_source(
                mapping, settings, root=out, snapshot=snapshot, tables=names, full=full,
                pii=pii, pii_key=pii_key(), chunk_rows=chunk_rows,  # type: ignore[arg-type]
                progress=console.is_terminal,
            )
        except ExtractError as err:
            console.print(f"[red]extract failed:[/red] {err}")
            raise typer.Exit(2) from None
        for w in result.warnings:
            console.print(f"[yellow]warning:[/yellow] {w}")
        doc = result.manifest
        table = Table(title=f"snapshot {doc['id']} ({doc['mode']}{', resumed' if result.resumed else ''})")
        for col in ("table", "rows", "pulled", "superseded", "mode"):
            table.add_column(col, justify="right" if col in ("rows", "pulled", "superseded") else "left")
        for name, t in doc["tables"].items():
            mode = f"carried from {t['carried_from']}" if t.get("carried_from") else t["mode"]
            table.add_row(name, f"{t['rows']:,}", f"{t['pulled']:,}", f"{t['superseded']:,}", mode)
        console.print(table)
        console.print(f"written to {result.snapshot} in {doc['seconds']:.1f} s; PII: {doc['pii']}")
        console.print(f'reports read it with source: "{result.uri}"')
