"""The pip-only renderer: nbconvert HTML (Quarto options honoured) and WeasyPrint PDF.

Used whenever ``quarto`` is not on PATH. HTML and PDF come from the same page, so what an
executive reads on paper is exactly what is on screen. The page is one offline file: no
CDN scripts (MathJax, require.js), images inline as data URIs, the house CSS embedded.
"""

from __future__ import annotations

import html
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from luckin_lab.reporting.cover import cover_block, run_details_block
from luckin_lab.reporting.quarto_options import QuartoOptions
from luckin_lab.reporting.render_context import RenderContext

CSS_PATH = Path(__file__).with_name("house.css")


def notebook_body(nb: nbformat.NotebookNode) -> tuple[str, dict]:
    """Cells as HTML fragments (no page head, so nothing loads from the internet)."""
    exporter = HTMLExporter(
        template_name="basic",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(QuartoOptions(), enabled=True)
    body, resources = exporter.from_notebook_node(nb)
    return body, resources


def render_html(executed: Path, out: Path, ctx: RenderContext) -> Path:
    """Write the single-file house-style HTML report of an executed notebook."""
    nb = nbformat.read(executed, as_version=4)
    body, resources = notebook_body(nb)
    front = resources.get("front_matter", {})
    title = html.escape(str(front.get("title") or ctx.report))
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<meta name='generator' content='luckin-lab pip-only renderer'>"
        f"<title>{title}</title><style>{CSS_PATH.read_text()}</style></head>"
        f"<body><main class='ll-report'>{cover_block(front, ctx).html}{body}"
        f"{run_details_block(ctx, str(front.get('title') or '')).html}</main></body></html>\n"
    )
    out.write_text(page, encoding="utf-8")
    return out


def render_pdf(html_path: Path, out: Path) -> Path:
    """Print the HTML report to PDF with WeasyPrint (house print CSS applies)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(filename=str(html_path), base_url=str(html_path.parent)).write_pdf(str(out))
    return out
