"""Rendering cost of one report: pip-only HTML and WeasyPrint PDF vs stock nbconvert HTML.

Executes the store trends report once on the small demo store (set-up, not timed), then
renders the executed notebook in fresh processes (libraries imported before the clock starts,
as in a run, where they are imported once). Targets come from the rendering facts file:
HTML under 1 s, PDF 1-3 s for a small report (we allow 2 s and 5 s on these shared machines).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import weasyprint  # noqa: F401 - imported before timing: a run imports it once per process
from nbconvert import HTMLExporter
from pypdf import PdfReader

from benchmarks.measure import measure
from luckin_lab.paths import demo_store_dir
from luckin_lab.reporting.render_context import RenderContext
from luckin_lab.reporting.render_pip import render_html, render_pdf

_TMP = Path(tempfile.gettempdir()) / "luckin_bench_render"


def stock_nbconvert_html(executed: str, out: str) -> dict:
    """Reference: nbconvert's own lab HTML (shows code and parameters; CDN scripts)."""
    body, _ = HTMLExporter(template_name="lab").from_filename(executed)
    Path(out).write_text(body)
    return {"kb": len(body) // 1024}


def house_html(executed: str, out: str) -> dict:
    path = render_html(Path(executed), Path(out), RenderContext("store_trends", "bench"))
    return {"kb": path.stat().st_size // 1024}


def house_pdf(html: str, out: str) -> dict:
    path = render_pdf(Path(html), Path(out))
    return {"pages": len(PdfReader(str(path)).pages)}


def _executed_notebook() -> Path:
    from luckin_lab.reporting.testing import execute_notebook_small

    store = demo_store_dir("small") / "store.duckdb"
    if not store.exists():
        raise FileNotFoundError(f"{store} missing: run `luckin-lab synth --scale small` first")
    execute_notebook_small("store_trends", _TMP, f"duckdb:{store}")
    return _TMP / "store_trends.ipynb"


def run(quick: bool) -> list[dict]:
    executed = _executed_notebook()
    repeats = 1 if quick else 3
    html, pdf = _TMP / "report.html", _TMP / "report.pdf"
    ref = measure(__name__, "stock_nbconvert_html", repeats, executed=str(executed),
                  out=str(_TMP / "stock.html"))
    h = measure(__name__, "house_html", repeats, executed=str(executed), out=str(html))
    p = measure(__name__, "house_pdf", repeats, html=str(html), out=str(pdf))
    rows = [
        dict(benchmark="render", variant="nbconvert lab HTML (reference)", median_s=ref.median_s,
             peak_mb=ref.peak_mb, ratio=1.0, target="", met=None,
             notes=f"{ref.extra['kb']} KB, shows code, CDN scripts"),
        dict(benchmark="render", variant="house HTML (Quarto options)", median_s=h.median_s,
             peak_mb=h.peak_mb, ratio=h.median_s / ref.median_s, target="< 2 s",
             met=h.median_s < 2, notes=f"{h.extra['kb']} KB single file"),
        dict(benchmark="render", variant="house PDF (WeasyPrint)", median_s=p.median_s,
             peak_mb=p.peak_mb, ratio=p.median_s / ref.median_s, target="< 5 s",
             met=p.median_s < 5, notes=f"{p.extra['pages']} pages"),
    ]
    return rows
