"""Rendering: Quarto options honoured by the pip-only renderer, PDF text, the Quarto command line."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from luckin_lab.reporting import render, render_quarto  # noqa: E402
from luckin_lab.reporting.quarto_options import QuartoOptions, split_options  # noqa: E402
from luckin_lab.reporting.render_context import RenderContext  # noqa: E402
from luckin_lab.reporting.render_pip import render_html, render_pdf  # noqa: E402
from luckin_lab.secrets import expand_env, has_literal_password, redact  # noqa: E402

FRONT = ("---\ntitle: \"Coffee pulse\"\nsubtitle: \"A test report\"\nexecute:\n  echo: false\n"
         "  warning: false\n---")


def _png() -> str:
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 2, 3], [3, 1, 2])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()



def executed_notebook() -> nbformat.NotebookNode:
    """What papermill leaves behind: parameters, injected parameters, outputs of every kind."""
    code = nbformat.v4.new_code_cell
    cells = [
        nbformat.v4.new_raw_cell(FRONT),
        code("source = ''\nSECRET_PARAM_CELL = 1", metadata={"tags": ["parameters"]}),
        code("source = 'duckdb:x'\nINJECTED_CELL = 2", metadata={"tags": ["injected-parameters"]}),
        code("#| include: false\nimport_setup_code = 3",
             outputs=[nbformat.v4.new_output("stream", name="stdout", text="setup noise\n")]),
        nbformat.v4.new_markdown_cell("## Executive summary\n\nRevenue was $3,267 and AOV $7.70; "
                                      "see @fig-trend and @tbl-stores."),
        code("#| label: fig-trend\n#| fig-cap: \"Weekly revenue by week\"\nplot_code_here()",
             outputs=[nbformat.v4.new_output("display_data", data={"image/png": _png(),
                                                                   "text/plain": "<Figure>"}),
                      nbformat.v4.new_output("stream", name="stderr", text="UserWarning: noisy\n")]),
        code("#| label: tbl-stores\n#| tbl-cap: \"Stores ranked\"\ntable_code_here()",
             outputs=[nbformat.v4.new_output("display_data", data={
                 "text/html": "<table class='ll-table'><tr><td>8th Ave</td></tr></table>",
                 "text/plain": "table"})]),
        code("#| echo: true\nshown_on_purpose = 1",
             outputs=[nbformat.v4.new_output("stream", name="stdout", text="visible output\n")]),
    ]
    return nbformat.v4.new_notebook(cells=cells)


def _ctx() -> RenderContext:
    return RenderContext("pulse", "weekly", {"source": "sql:mysql://u:${PW}@h/db", "weeks": 6,
                                             "results_dir": "/x/results"},
                         data_window="2026-01-05 to 2026-02-07", generated_at="2026-02-09 07:00 EST")


def test_split_options_reads_leading_option_lines_only():
    opts, rest = split_options("#| label: fig-a\n#| fig-cap: \"A: b\"\nx = 1\n#| not: an option")
    assert opts == {"label": "fig-a", "fig-cap": "A: b"}
    assert rest == "x = 1\n#| not: an option"
    with pytest.raises(ValueError, match="bad Quarto cell options"):
        split_options("#| label: [unclosed")


def test_preprocessor_hides_what_readers_must_not_see():
    nb, res = QuartoOptions().preprocess(executed_notebook(), {})
    sources = "\n".join(c.source for c in nb.cells)
    assert "SECRET_PARAM_CELL" not in sources and "INJECTED_CELL" not in sources
    assert "import_setup_code" not in sources  # include: false drops the cell
    assert res["front_matter"]["title"] == "Coffee pulse"
    assert res["captions"] == {"fig-trend": "Figure 1", "tbl-stores": "Table 1"}
    fig_cell = next(c for c in nb.cells if "plot_code_here" in c.source)
    assert fig_cell.metadata["transient"]["remove_source"] is True
    assert [o.get("name") for o in fig_cell.outputs if o.output_type == "stream"] == []  # warning
    assert "Figure 1:" in fig_cell.outputs[-1]["data"]["text/html"]  # caption below the figure
    tbl_cell = next(c for c in nb.cells if "table_code_here" in c.source)
    assert "Table 1:" in tbl_cell.outputs[0]["data"]["text/html"]  # caption above the table
    md = next(c for c in nb.cells if c.cell_type == "markdown").source
    assert "[Figure 1](#fig-trend)" in md and "[Table 1](#tbl-stores)" in md
    assert "&#36;3,267" in md  # two dollar amounts must not become LaTeX math


def test_html_is_offline_single_file_with_title_captions_figure_and_no_code(tmp_path):
    nbformat.write(executed_notebook(), tmp_path / "pulse.ipynb")
    html = render_html(tmp_path / "pulse.ipynb", tmp_path / "report.html", _ctx()).read_text()
    assert "Coffee pulse" in html and "A test report" in html
    assert "Figure 1:</span> Weekly revenue by week" in html
    assert "Table 1:</span> Stores ranked" in html
    assert "data:image/png;base64," in html
    for hidden in ("plot_code_here", "table_code_here", "SECRET_PARAM_CELL", "INJECTED_CELL",
                   "import_setup_code", "setup noise", "UserWarning"):
        assert hidden not in html, hidden
    assert "shown_on_purpose" in html and "visible output" in html  # echo: true is honoured
    assert "<script" not in html and "cdn" not in html.lower() and "http" not in html.lower()
    assert "Revenue was $3,267 and AOV $7.70" in html
    assert 'alt="Weekly revenue by week"' in html
    # title block: data window and generation time; run parameters (no results_dir) at the end
    cover, rest = html.split("</header>", 1)
    assert "2026-01-05 to 2026-02-07" in cover and "2026-02-09 07:00 EST" in cover
    assert "weeks: 6" not in cover and "Run details" in rest and "weeks: 6" in rest
    assert "results_dir" not in html and "results dir" not in html
    assert "${PW}" in html


def test_pdf_has_pages_with_the_report_text(tmp_path):
    nbformat.write(executed_notebook(), tmp_path / "pulse.ipynb")
    html = render_html(tmp_path / "pulse.ipynb", tmp_path / "report.html", _ctx())
    pdf = render_pdf(html, tmp_path / "report.pdf")
    reader = PdfReader(str(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 1
    assert "Coffee pulse" in text and "Figure 1:" in text and "Table 1:" in text
    assert "Page 1 of" in text
    assert "plot_code_here" not in text


def _fake_quarto(bin_dir: Path, log: Path, fail: str = "") -> Path:
    """A stand-in ``quarto``: records arguments, folder and the notebook it was given, then
    writes both reports (or fails with Quarto's kind of message)."""
    script = bin_dir / "quarto"
    script.write_text(
        "#!/usr/bin/env python3\n"
        "import json, os, sys\n"
        f"with open({str(log)!r}, 'a') as f:\n"
        "    f.write(json.dumps({'args': sys.argv[1:], 'cwd': os.getcwd(),\n"
        "                        'files': sorted(os.listdir('.')),\n"
        "                        'nb': json.load(open('report.ipynb'))}) + '\\n')\n"
        + (f"sys.stderr.write('Stack trace:\\n  at render\\nERROR: {fail}\\n'); sys.exit(1)\n"
           if fail else "")
        + "open('report.html', 'w').write('html by fake quarto')\n"
        "open('report.pdf', 'w').write('pdf by fake quarto')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_quarto_renders_both_formats_in_one_call_and_leaves_nothing_behind(tmp_path, monkeypatch):
    bin_dir, run = tmp_path / "bin", tmp_path / "run"
    bin_dir.mkdir()
    run.mkdir()
    log = tmp_path / "calls.jsonl"
    _fake_quarto(bin_dir, log)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("LUCKIN_LAB_RENDERER", "auto")
    nbformat.write(executed_notebook(), run / "pulse.ipynb")
    steps = render.render_steps(run / "pulse.ipynb", _ctx())
    assert [name for name, _ in steps] == ["render_quarto"]
    for _, fn in steps:
        fn()
    (call,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert call["args"] == ["render", "report.ipynb", "--no-execute"]
    assert Path(call["cwd"]) != run and "_extensions" in call["files"]
    # the run folder holds the notebook and the two reports, nothing of Quarto's
    assert sorted(p.name for p in run.iterdir()) == ["pulse.ipynb", "report.html", "report.pdf"]
    assert (run / "report.pdf").read_text() == "pdf by fake quarto"
    assert not Path(call["cwd"]).exists()  # the project folder is gone too
    cells = call["nb"]["cells"]
    front = yaml.safe_load("".join(cells[0]["source"]).strip().strip("-"))
    assert front["format"] == {"luckin-html": "default", "luckin-typst": "default"}
    assert front["title"] == "Coffee pulse" and front["luckin-mark"] == ""
    assert front["luckin-brand"] == "Luckin Coffee USA · Data Science"  # no tables read: company
    assert "ll-cover" in "".join(cells[1]["source"]) and "Data as of" in "".join(cells[1]["source"])
    assert "Run details" in "".join(cells[-1]["source"]) and "weeks: 6" in "".join(cells[-1]["source"])
    assert "weeks: 6" not in "".join(cells[1]["source"])  # run parameters are not on the cover
    shown = [o for c in cells for o in c.get("outputs", []) if o.get("data")]
    assert shown and all("text/html" not in o["data"] for o in shown)  # no CDN scripts
    table = next(o for o in shown if "8th Ave" in "".join(o["data"].get("text/markdown", "")))
    assert "".join(table["data"]["text/markdown"]).startswith("```{=html}")


def test_a_failed_quarto_render_fails_with_quartos_message(tmp_path, monkeypatch):
    bin_dir, run = tmp_path / "bin", tmp_path / "run"
    bin_dir.mkdir()
    run.mkdir()
    _fake_quarto(bin_dir, tmp_path / "calls.jsonl", fail="typst compile: unknown variable ll-kpis")
    nbformat.write(executed_notebook(), run / "pulse.ipynb")
    with pytest.raises(render_quarto.QuartoRenderError) as err:
        render_quarto.render_with_quarto(run / "pulse.ipynb", _ctx(), str(bin_dir / "quarto"))
    last = str(err.value).strip().splitlines()[-1]
    assert last == "Quarto said: ERROR: typst compile: unknown variable ll-kpis"
    assert sorted(p.name for p in run.iterdir()) == ["pulse.ipynb"]  # nothing half-written


def test_pip_renderer_chosen_without_quarto(tmp_path, monkeypatch):
    monkeypatch.setattr(render_quarto.shutil, "which", lambda name: None)
    monkeypatch.setenv("LUCKIN_LAB_RENDERER", "auto")
    steps = render.render_steps(tmp_path / "x.ipynb", _ctx())
    assert [name for name, _ in steps] == ["render_html", "render_pdf"]
    monkeypatch.setenv("LUCKIN_LAB_RENDERER", "quarto")  # asked for, but not installed
    with pytest.raises(FileNotFoundError, match="not on PATH"):
        render.render_steps(tmp_path / "x.ipynb", _ctx())


def test_secrets_expand_only_on_request_and_are_redacted(monkeypatch):
    uri = "sql:mysql+pymysql://analyst:${LL_TEST_PW}@db:3306/sales"
    monkeypatch.delenv("LL_TEST_PW", raising=False)
    with pytest.raises(KeyError, match="LL_TEST_PW"):
        expand_env(uri)
    monkeypatch.setenv("LL_TEST_PW", "s3cr3t")
    assert expand_env(uri) == "sql:mysql+pymysql://analyst:s3cr3t@db:3306/sales"
    assert redact(expand_env(uri)) == "sql:mysql+pymysql://analyst:***@db:3306/sales"
    assert redact(uri) == uri
    assert has_literal_password("mysql://a:b@h/db") and not has_literal_password(uri)


def test_cover_parameters_read_like_words():
    from luckin_lab.reporting.render_context import RenderContext

    ctx = RenderContext("r", "weekly", {"source": "duckdb:x", "results_dir": "res", "seed": 7,
                                        "learners": ["SP", "T"], "monthly_budget": None,
                                        "arm_costs": {}, "max_price_change": 0.15,
                                        "keep_ladder": True, "weekday_effects": False})
    assert ctx.parameters_label == ("learners: SP, T · max price change: 0.15 · keep ladder: yes · "
                                    "weekday effects: no")


def test_money_pairs_share_a_unit_and_short_tables_stay_whole():
    from luckin_lab.reporting import nb

    assert nb.money(40_912.0) == "$40.9K"
    assert nb.money(5_031.0) == "$5,031"
    assert nb.money(5_031.0, like=40_912.0) == "$5.0K"  # "from $40.9K to $5.0K"
    assert nb.money(-1_250_000.0, like=3.0) == "-$1.25M"
    assert nb.money(-0.4) == "$0" and nb.money(-0.004, 2) == "$0.00"  # never "-$0"
    assert nb.money(-0.6) == "-$1"
    from luckin_lab.reporting.charts import axis_formatter

    fig, ax = plt.subplots()
    ax.set_ylim(0, 40_000)
    ax.yaxis.set_major_formatter(axis_formatter("money"))
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels and all(t == "$0" or t.endswith("K") for t in labels), labels
    plt.close(fig)
    short = nb.show_table(pd.DataFrame({"a": range(nb.KEEP_WHOLE_ROWS)})).data
    long = nb.show_table(pd.DataFrame({"a": range(nb.KEEP_WHOLE_ROWS + 1)})).data
    assert "ll-keep" in short and "ll-keep" not in long


def _generic_ctx(tables: dict, source_kind: str = "folder") -> RenderContext:
    prov = {"fingerprint": {"tables": {t: {"rows": 1} for t in tables}}, "source_kind": source_kind}
    return RenderContext.for_run("time_to_event", "fleet", {"source": "folder:x"}, prov)


def test_a_generic_run_names_no_company_on_cover_or_footer(tmp_path):
    nbformat.write(executed_notebook(), tmp_path / "pulse.ipynb")
    generic = _generic_ctx({"generic_time_to_event": 1})
    assert generic.is_generic and generic.brand == "Data Science" and not generic.mark
    html = render_html(tmp_path / "pulse.ipynb", tmp_path / "report.html", generic)
    text = " ".join(p.extract_text() for p in PdfReader(str(render_pdf(html, tmp_path / "r.pdf"))).pages)
    import re

    markup = re.sub(r"<(style|script)\b.*?</\1>|<[^>]+>", " ", html.read_text(), flags=re.S)
    assert "luckin" not in markup.lower() and "luckin" not in text.lower()
    assert "Data Science" in text  # the footer keeps the team, without the company
    company = _generic_ctx({"orders": 1, "generic_time_to_event": 1})
    assert not company.is_generic and company.brand == "Luckin Coffee USA · Data Science"
    html = render_html(tmp_path / "pulse.ipynb", tmp_path / "company.html", company)
    text = " ".join(p.extract_text() for p in PdfReader(str(render_pdf(html, tmp_path / "c.pdf"))).pages)
    assert text.lower().count("luckin coffee usa") >= 2  # cover and every page's footer


def test_the_demo_stores_public_example_is_labelled_public_not_simulated():
    cdnow = _generic_ctx({"generic_transactions": 1}, source_kind="demo")
    assert cdnow.mark == "Public data" and not cdnow.is_demo
    assert cdnow.source_words.startswith("Public data: the CDNOW sample")
    assert "simulated" not in cdnow_cover(cdnow)
    sim = _generic_ctx({"generic_experiment": 1}, source_kind="demo")
    assert sim.mark == "Demo data" and sim.is_demo and "simulated" in sim.source_words
    folder = _generic_ctx({"generic_transactions": 1}, source_kind="folder")  # a user's own log
    assert not folder.mark and not folder.public_example


def cdnow_cover(ctx: RenderContext) -> str:
    from luckin_lab.reporting.cover import cover_block

    return cover_block({"title": "Customers"}, ctx).text
