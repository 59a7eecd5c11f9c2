"""Rendering cost of a report: pip-only (HTML + WeasyPrint PDF) and Quarto side by side.

Executes the store trends and site selection reports once on the small demo store (set-up,
not timed), then renders each executed notebook in fresh processes (libraries imported before
the clock starts, as in a run, where they are imported once). Quarto rows are measured only
when ``quarto`` is on PATH; besides wall time they report the CPU seconds of Quarto's
processes, which a loaded machine does not inflate. Reference rows: stock nbconvert HTML, and
Quarto the way the first version called it (stock formats, one call per format, in the run
folder), which took 37 s for site selection on a loaded machine.
Targets: pip-only HTML under 2 s and PDF under 5 s; Quarto (both formats) under 15 s.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import tempfile
from pathlib import Path

import weasyprint  # noqa: F401 - imported before timing: a run imports it once per process
from nbconvert import HTMLExporter
from pypdf import PdfReader

from benchmarks.measure import measure
from luckin_lab.paths import demo_store_dir, notebooks_dir
from luckin_lab.reporting.render_context import RenderContext
from luckin_lab.reporting.render_pip import render_html, render_pdf
from luckin_lab.reporting.render_quarto import quarto_executable, render_with_quarto

_TMP = Path(tempfile.gettempdir()) / "luckin_bench_render"
REPORTS = {"store_trends": {"weeks": 8}, "site_selection": {"k_sites": 5}}


def _children_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def stock_nbconvert_html(executed: str, out: str) -> dict:
    """Reference: nbconvert's own lab HTML (shows code and parameters; CDN scripts)."""
    body, _ = HTMLExporter(template_name="lab").from_filename(executed)
    Path(out).write_text(body)
    return {"kb": len(body) // 1024}


def house_html(executed: str, out: str) -> dict:
    path = render_html(Path(executed), Path(out), RenderContext(Path(executed).stem, "bench"))
    return {"kb": path.stat().st_size // 1024}


def house_pdf(html: str, out: str) -> dict:
    path = render_pdf(Path(html), Path(out))
    return {"pages": len(PdfReader(str(path)).pages)}


def quarto_house(executed: str) -> dict:
    """The house route: one call, both formats, prepared copy outside the run folder."""
    out = render_with_quarto(Path(executed), RenderContext(Path(executed).stem, "bench"),
                             quarto_executable())
    return {"pages": len(PdfReader(str(out["pdf"])).pages), "cpu_s": _children_cpu()}


def quarto_stock_two_calls(executed: str) -> dict:
    """Reference: stock Quarto formats, one render per format, in the notebook's folder, on
    outputs as nb gave them before (HTML only, so tables reach Typst through juice)."""
    import nbformat

    folder = Path(executed).parent / "stock"
    folder.mkdir(exist_ok=True)
    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text/html" in out.get("data", {}):
                out["data"].pop("text/markdown", None)
    executed = str(folder / Path(executed).name)
    nbformat.write(nb, executed)
    (folder / "_quarto.yml").write_text(
        "project: {type: default}\nformat:\n  html: {embed-resources: true}\n  typst: default\n")
    for to, name in (("html", "stock.html"), ("typst", "stock.pdf")):
        subprocess.run([quarto_executable(), "render", Path(executed).name, "--to", to,
                        "--no-execute", "--output", name], cwd=folder, check=True,
                       capture_output=True)
    (folder / "_quarto.yml").unlink()
    shutil.rmtree(folder / ".quarto", ignore_errors=True)
    return {"cpu_s": _children_cpu()}


def _executed_notebook(report: str) -> Path:
    from luckin_lab.reporting.execution import execute_notebook

    store = demo_store_dir("small") / "store.duckdb"
    if not store.exists():
        raise FileNotFoundError(f"{store} missing: run `luckin-lab synth --scale small` first")
    folder = _TMP / report
    (folder / "results").mkdir(parents=True, exist_ok=True)
    executed = folder / f"{report}.ipynb"
    parameters = {"source": f"duckdb:{store}", "results_dir": str(folder / "results"), **REPORTS[report]}
    execute_notebook(notebooks_dir() / f"{report}.ipynb", executed, parameters, folder / "kernel.log")
    return executed


def _rows(report: str, quick: bool) -> list[dict]:
    executed = _executed_notebook(report)
    repeats = 1 if quick else 3
    folder = executed.parent
    html, pdf = folder / "report.html", folder / "report.pdf"
    ref = measure(__name__, "stock_nbconvert_html", repeats, executed=str(executed),
                  out=str(folder / "stock.html"))
    h = measure(__name__, "house_html", repeats, executed=str(executed), out=str(html))
    p = measure(__name__, "house_pdf", repeats, html=str(html), out=str(pdf))
    pip_total = h.median_s + p.median_s
    rows = [
        dict(benchmark="render", variant=f"{report}: nbconvert lab HTML (reference)",
             median_s=ref.median_s, peak_mb=ref.peak_mb, ratio=1.0, target="", met=None,
             notes=f"{ref.extra['kb']} KB, shows code, CDN scripts"),
        dict(benchmark="render", variant=f"{report}: pip-only HTML (Quarto options)",
             median_s=h.median_s, peak_mb=h.peak_mb, ratio=h.median_s / ref.median_s,
             target="< 2 s", met=h.median_s < 2, notes=f"{h.extra['kb']} KB single file"),
        dict(benchmark="render", variant=f"{report}: pip-only PDF (WeasyPrint)",
             median_s=p.median_s, peak_mb=p.peak_mb, ratio=p.median_s / ref.median_s,
             target="< 5 s", met=p.median_s < 5, notes=f"{p.extra['pages']} pages"),
    ]
    if quarto_executable() is None:
        rows.append(dict(benchmark="render", variant=f"{report}: Quarto (not on PATH)",
                         median_s=float("nan"), peak_mb=float("nan"), ratio=float("nan"),
                         target="< 15 s", met=None, notes="install Quarto to measure"))
        return rows
    q = measure(__name__, "quarto_house", repeats, executed=str(executed))
    s = measure(__name__, "quarto_stock_two_calls", 1, executed=str(executed))
    rows += [
        dict(benchmark="render", variant=f"{report}: Quarto house format, HTML + PDF in one call",
             median_s=q.median_s, peak_mb=q.peak_mb, ratio=q.median_s / pip_total,
             target="< 15 s", met=q.median_s < 15,
             notes=f"ratio vs pip-only HTML + PDF ({pip_total:.1f} s); Quarto CPU "
                   f"{q.extra['cpu_s']:.1f} s; {q.extra['pages']} pages"),
        dict(benchmark="render", variant=f"{report}: Quarto stock formats, two calls (before)",
             median_s=s.median_s, peak_mb=s.peak_mb, ratio=s.median_s / pip_total, target="",
             met=None, notes=f"Quarto CPU {s.extra['cpu_s']:.1f} s; HTML tables reach Typst "
                             "through one `quarto run juice.ts` (Deno) per table"),
    ]
    return rows


def run(quick: bool) -> list[dict]:
    return [row for report in REPORTS for row in _rows(report, quick)]
