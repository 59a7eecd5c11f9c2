"""Render an executed notebook to report.html and report.pdf: Quarto if present, else pip-only."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from luckin_lab.reporting.render_context import RenderContext
from luckin_lab.reporting.render_pip import render_html, render_pdf
from luckin_lab.reporting.render_quarto import quarto_executable, render_with_quarto

Step = tuple[str, Callable[[], object]]


def renderer_name() -> str:
    return "quarto" if quarto_executable() else "pip-only"


def render_steps(executed: Path, ctx: RenderContext) -> list[Step]:
    """The rendering steps of a run, in order, so the runner can time each one."""
    folder = executed.parent
    quarto = quarto_executable()
    if quarto:
        return [("render_quarto", partial(render_with_quarto, executed, ctx, quarto))]
    html = folder / "report.html"
    return [
        ("render_html", partial(render_html, executed, html, ctx)),
        ("render_pdf", partial(render_pdf, html, folder / "report.pdf")),
    ]
