"""Render an executed notebook to report.html and report.pdf: Quarto if present, else pip-only.

``LUCKIN_LAB_RENDERER`` (``auto``, ``quarto`` or ``pip-only``) overrides the choice; ``quarto``
fails clearly when Quarto is not on PATH instead of quietly falling back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

from luckin_lab.reporting.render_context import RenderContext
from luckin_lab.reporting.render_pip import render_html, render_pdf
from luckin_lab.reporting.render_quarto import quarto_executable, render_with_quarto

Step = tuple[str, Callable[[], object]]
RENDERERS = ("auto", "quarto", "pip-only")


def renderer_name() -> str:
    choice = os.environ.get("LUCKIN_LAB_RENDERER", "auto").strip() or "auto"
    if choice not in RENDERERS:
        raise ValueError(f"LUCKIN_LAB_RENDERER={choice!r}; use one of {', '.join(RENDERERS)}")
    if choice == "quarto" and not quarto_executable():
        raise FileNotFoundError("LUCKIN_LAB_RENDERER=quarto but `quarto` is not on PATH")
    if choice == "auto":
        return "quarto" if quarto_executable() else "pip-only"
    return choice


def render_steps(executed: Path, ctx: RenderContext) -> list[Step]:
    """The rendering steps of a run, in order, so the runner can time each one."""
    folder = executed.parent
    if renderer_name() == "quarto":
        return [("render_quarto", partial(render_with_quarto, executed, ctx, quarto_executable()))]
    html = folder / "report.html"
    return [
        ("render_html", partial(render_html, executed, html, ctx)),
        ("render_pdf", partial(render_pdf, html, folder / "report.pdf")),
    ]
