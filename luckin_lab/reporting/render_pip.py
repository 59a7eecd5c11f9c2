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


def _cover(front: dict, ctx: RenderContext) -> str:
    title = html.escape(str(front.get("title") or ctx.report.replace("_", " ").title()))
    subtitle = front.get("subtitle")
    rows = [
        ("Report", f"{ctx.report} · run “{ctx.run}”"),
        ("Data window", ctx.data_window or "not reported by the notebook"),
        ("Data source", ctx.source_label),
        ("Generated", ctx.generated_at),
    ]
    meta = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
    )
    sub = f"<div class='ll-subtitle'>{html.escape(str(subtitle))}</div>" if subtitle else ""
    return (
        "<header class='ll-cover'>"
        "<div class='ll-brand'>Luckin Coffee USA · Data Science</div>"
        f"<h1 class='ll-title'>{title}</h1>{sub}"
        f"<table class='ll-meta-table'>{meta}</table></header>"
    )


def _run_details(ctx: RenderContext) -> str:
    """The run's parameters, last: a data scientist's provenance, not page-one reading."""
    if not ctx.parameters_label:
        return ""
    return ("<section class='ll-run'><h2>Run details</h2><p class='ll-note'>Parameters of run "
            f"“{html.escape(ctx.run)}”: {html.escape(ctx.parameters_label)}. Every value, "
            "defaults included, is in run.json beside this report.</p></section>")


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
        f"<body><main class='ll-report'>{_cover(front, ctx)}{body}{_run_details(ctx)}"
        f"<footer class='ll-footer'>Generated {html.escape(ctx.generated_at)} by luckin-lab "
        f"({html.escape(ctx.report)}/{html.escape(ctx.run)}). Machine-readable results: "
        "results/ beside this file.</footer></main></body></html>\n"
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
