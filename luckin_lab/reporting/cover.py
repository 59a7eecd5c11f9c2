"""The cover (title, provenance, demo mark, staleness warning) and the closing run details.

Written once and used by both renderers: the pip-only page embeds the HTML, the Quarto route
inserts the same :class:`Block` as the notebook's first and last outputs, so the two covers
cannot drift apart. Page one says only what a reader needs (data as of, source in plain words,
when it was made); run names and parameters go to the closing "Run details".
"""

from __future__ import annotations

from html import escape

from luckin_lab.reporting.markdown import Block, typst_string
from luckin_lab.reporting.render_context import RenderContext


def cover_rows(ctx: RenderContext) -> list[tuple[str, str]]:
    return [("Data as of", ctx.data_as_of), ("Data source", ctx.source_words),
            ("Generated", ctx.generated_at)]


def cover_block(front: dict, ctx: RenderContext) -> Block:
    title = str(front.get("title") or ctx.report.replace("_", " ").capitalize())
    subtitle = str(front.get("subtitle") or "")
    rows = cover_rows(ctx)
    meta = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    sub = f"<div class='ll-subtitle'>{escape(subtitle)}</div>" if subtitle else ""
    html = (f"<header class='ll-cover'><div class='ll-brand'>{escape(ctx.brand)}</div>"
            f"<h1 class='ll-title'>{escape(title)}</h1>{sub}"
            f"<table class='ll-meta-table'>{meta}</table></header>")
    pairs = ", ".join(f"({typst_string(k)}, {typst_string(v)})" for k, v in rows)
    typst = (f"#ll-cover({typst_string(ctx.brand)}, {typst_string(title)}, {typst_string(subtitle)}, "
             f"({pairs},))")
    text = "\n".join([title, subtitle, *(f"{k}: {v}" for k, v in rows)])
    if ctx.mark:
        html += f"<div class='ll-watermark' aria-hidden='true'>{escape(ctx.mark)}</div>"
        text += f"\n{ctx.mark}"  # the Typst mark is the page background (house template)
    if ctx.staleness_warning:
        head = "Old data."
        html += (f"<div class='ll-callout ll-callout-warning'><strong>{head}</strong> "
                 f"{escape(ctx.staleness_warning)}</div>")
        typst += (f"\n#ll-callout(\"warning\", {typst_string(head)}, "
                  f"{typst_string(ctx.staleness_warning)})")
        text += f"\n{head} {ctx.staleness_warning}"
    return Block(html, typst, text)


def run_details_text(ctx: RenderContext, title: str = "") -> str:
    """The run's names, exact source and parameters: a data scientist's provenance, last.

    A run on generic data names the report by its title, not its id: the id (a folder name such
    as ``coupon_uplift``) carries the demo's domain words, which a report on anyone's data must
    not print.
    """
    params = ctx.parameters_label or "defaults only"
    name = f"“{title}”" if ctx.is_generic and title else ctx.report
    text = (f"Report {name}, run “{ctx.run}”, generated {ctx.generated_at}. "
            f"Source: {ctx.source_label}. Parameters: {params}. Every value, defaults included, "
            "is in run.json beside this report; machine-readable results are in results/.")
    return text + flagged_text(ctx.flagged)


def flagged_text(flagged: list[dict]) -> str:
    """Rows the data contracts kept although beyond a plausible bound: counted, never hidden."""
    if not flagged:
        return ""
    parts = [f"{f.get('table')}: {int(f.get('rows') or 0):,} row(s) {f.get('reason')}" for f in flagged]
    return (" Data checks: kept but flagged as beyond a plausible bound (check them at the source): "
            + "; ".join(parts) + ".")


def run_details_block(ctx: RenderContext, title: str = "") -> Block:
    text = run_details_text(ctx, title)
    html = (f"<section class='ll-run'><h2>Run details</h2>"
            f"<p class='ll-note'>{escape(text)}</p></section>")
    typst = f"#ll-run-details({typst_string('Run details')}, {typst_string(text)})"
    return Block(html, typst, f"Run details\n{text}")
