"""The Quarto route: render an executed notebook without re-executing it.

Used when ``quarto`` is on PATH. Quarto reads the notebook's raw front matter and ``#|`` cell
options itself; HTML is one file (``embed-resources``) and PDF goes through Typst, which
Quarto bundles, so no LaTeX is needed. Quarto's ``--output`` takes a file name only, so we
render inside the run folder, made a Quarto project by a small ``_quarto.yml``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from luckin_lab.reporting.render_context import RenderContext


def quarto_executable() -> str | None:
    return shutil.which("quarto")


def quarto_commands(executed: Path, quarto: str = "quarto") -> list[list[str]]:
    """The exact command lines: one per output format, no execution, file-name outputs."""
    name = executed.name
    return [
        [quarto, "render", name, "--to", "html", "--no-execute", "--output", "report.html"],
        [quarto, "render", name, "--to", "typst", "--no-execute", "--output", "report.pdf"],
    ]


def write_project_file(folder: Path, ctx: RenderContext) -> Path:
    """``_quarto.yml``: project root for --output, run details for the title block."""
    meta = {
        "project": {"type": "default"},
        "date": ctx.generated_at,
        "abstract": f"Data window: {ctx.data_window or 'n/a'}. Source: {ctx.source_label}. "
        f"Run: {ctx.report}/{ctx.run}. Parameters: {ctx.parameters_label or 'defaults'}.",
        "format": {
            "html": {"embed-resources": True, "toc": False},
            "typst": {"papersize": "us-letter", "margin": {"x": "1.6cm", "y": "1.8cm"}},
        },
    }
    path = folder / "_quarto.yml"
    path.write_text(yaml.safe_dump(meta, sort_keys=False))
    return path


def render_with_quarto(executed: Path, ctx: RenderContext, quarto: str) -> dict[str, Path]:
    folder = executed.parent
    write_project_file(folder, ctx)
    for cmd in quarto_commands(executed, quarto):
        proc = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(
                f"quarto failed ({' '.join(cmd[1:])}):\n{(proc.stderr or proc.stdout)[-2000:]}"
            )
    out = {"html": folder / "report.html", "pdf": folder / "report.pdf"}
    for kind, path in out.items():
        if not path.exists():
            raise RuntimeError(f"quarto finished but did not write {path.name} ({kind})")
    return out
