"""The Quarto route: one ``quarto render`` writes report.html and report.pdf in the house format.

Used when ``quarto`` is on PATH. The executed notebook is never re-executed. It is copied,
prepared, into a fresh project folder outside the run folder, beside the house extension
(``_extensions/luckin``: ``luckin-html`` styled by house.css, ``luckin-typst`` drawn by
house.typ); both formats come from one call, so Quarto starts and reads the notebook once, and
nothing but the two reports reaches the run folder.

Preparing the copy does what Quarto cannot know: the cover with provenance as the first
output and "Run details" as the last (the same blocks the pip-only page prints), the demo mark
for the page background, and every output in the form Quarto reads in both formats
(Markdown; an HTML-only output would pull require.js and jQuery from a CDN into the HTML).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat
import yaml

from luckin_lab.reporting.cover import cover_block, run_details_block
from luckin_lab.reporting.markdown import raw_block
from luckin_lab.reporting.quarto_options import front_matter
from luckin_lab.reporting.render_context import RenderContext

EXTENSION_DIR = Path(__file__).with_name("_extensions") / "luckin"
CSS_PATH = Path(__file__).with_name("house.css")
FORMATS = ("luckin-html", "luckin-typst")
OUTPUTS = {"html": "report.html", "pdf": "report.pdf"}
TIMEOUT_S = 600


class QuartoRenderError(RuntimeError):
    """Quarto failed; the message ends with Quarto's own error line (the run record keeps it)."""


def quarto_executable() -> str | None:
    return shutil.which("quarto")


def quarto_command(quarto: str = "quarto") -> list[str]:
    """The exact command line: no execution; the front matter lists both house formats, so one
    render writes both (``--to a,b`` is not read as two extension formats by Quarto 1.7)."""
    return [quarto, "render", "report.ipynb", "--no-execute"]


def prepare_project(folder: Path) -> Path:
    """A Quarto project folder with the house extension and house.css (one stylesheet)."""
    ext = folder / "_extensions" / "luckin"
    shutil.copytree(EXTENSION_DIR, ext)
    shutil.copy2(CSS_PATH, ext / "house.css")
    (folder / "_quarto.yml").write_text("project:\n  type: default\n")
    return folder


def _markdown_only(output: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Give Quarto the Markdown form of a rich output (HTML-only outputs become raw HTML)."""
    data = output.get("data")
    if output.get("output_type") not in ("display_data", "execute_result") or not data:
        return output
    if "text/markdown" in data:
        data.pop("text/html", None)
    elif "text/html" in data:
        body = data.pop("text/html")
        data["text/markdown"] = raw_block("html", "".join(body) if isinstance(body, list) else body)
    return output


def prepare_notebook(executed: Path, ctx: RenderContext) -> nbformat.NotebookNode:
    """The executed notebook as Quarto should render it (the run folder's copy is untouched)."""
    nb = nbformat.read(executed, as_version=4)
    front = front_matter(nb)
    meta = {k: v for k, v in front.items() if k != "format"}  # the house formats decide
    meta["format"] = {name: "default" for name in FORMATS}
    meta["luckin-mark"] = ctx.mark  # the page background: "Demo data", "Public data" or none
    meta["luckin-brand"] = ctx.brand
    head = nbformat.v4.new_raw_cell("---\n" + yaml.safe_dump(meta, sort_keys=False) + "---")
    cells = [c for c in nb.cells if not (c.cell_type == "raw" and c.source.strip().startswith("---"))]
    for cell in cells:
        for output in cell.get("outputs", []):
            _markdown_only(output)
    cover = nbformat.v4.new_markdown_cell(cover_block(front, ctx).markdown())
    details = nbformat.v4.new_markdown_cell(run_details_block(ctx, str(front.get("title") or "")).markdown())
    nb.cells = [head, cover, *cells, details]
    return nb


def _error_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith(("ERROR", "error:", "Error"))]
    return (errors or lines or ["no message"])[-1][:400]


def render_with_quarto(executed: Path, ctx: RenderContext, quarto: str) -> dict[str, Path]:
    """Render report.html and report.pdf beside ``executed``; raise with Quarto's message."""
    folder = executed.parent
    with tempfile.TemporaryDirectory(prefix="luckin-quarto-") as tmp:
        project = prepare_project(Path(tmp))
        nbformat.write(prepare_notebook(executed, ctx), project / "report.ipynb")
        cmd = quarto_command(quarto)
        try:
            proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True,
                                  check=False, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise QuartoRenderError(f"quarto render did not finish in {TIMEOUT_S} s") from None
        said = (proc.stderr or "") + (proc.stdout or "")
        if proc.returncode != 0:
            raise QuartoRenderError(
                f"quarto render failed (exit {proc.returncode}):\n{said[-3000:]}\n"
                f"Quarto said: {_error_line(said)}")
        out = {}
        for kind, name in OUTPUTS.items():
            made = project / name
            if not made.exists():
                raise QuartoRenderError(f"quarto finished but wrote no {name}:\n{said[-2000:]}\n"
                                        f"Quarto said: {_error_line(said)}")
            out[kind] = Path(shutil.move(str(made), folder / name))
    return out
