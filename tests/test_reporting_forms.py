"""Output forms both renderers read, and provenance on page one (demo mark, staleness)."""

from __future__ import annotations

import datetime as dt
import json

import nbformat
import pandas as pd
import pytest
from pypdf import PdfReader

from luckin_lab.reporting import nb
from luckin_lab.reporting.cover import cover_block, run_details_text
from luckin_lab.reporting.markdown import Block, raw_blocks, typst_string
from luckin_lab.reporting.provenance import DEMO, source_kind, stale_days
from luckin_lab.reporting.render_context import RenderContext
from luckin_lab.reporting.render_pip import render_html, render_pdf


def _bundle(obj) -> dict:
    return obj._repr_mimebundle_()


def test_every_nb_output_has_a_markdown_form_and_a_readable_text_form():
    frame = pd.DataFrame({"store": ["8th Ave", "JFK T4 #1"], "revenue": [40_912.0, 5_031.0]})
    outputs = [nb.kpis({"Revenue": "$40.9K", "Stores": "11"}),
               nb.show_table(frame, formats={"revenue": "money"}),
               nb.callout("Data are old.", kind="warning", title="Careful."),
               nb.md("Revenue was $3,267 and AOV $7.70.")]
    for out in outputs:
        b = _bundle(out)
        assert "text/markdown" in b and "object>" not in b["text/plain"]
    table = _bundle(outputs[1])
    # the HTML Quarto reads is the HTML the pip-only page shows, and the Typst table has the figures
    assert raw_blocks(table["text/markdown"], "html") == [
        "<!--| quarto-html-table-processing: none -->" + table["text/html"]]
    typst = raw_blocks(table["text/markdown"], "typst")[0]
    assert typst.startswith("#ll-table(") and '"$40.9K"' in typst and '"$5,031"' in typst
    # shares by the longest cell; a figure without spaces counts 1.4 times ("$40.9K": 8)
    assert "numeric: (false, true), widths: (9fr, 8fr)" in typst and '"JFK T4 #1"' in typst
    assert table["text/plain"].splitlines() == ["store | revenue", "8th Ave | $40.9K",
                                                "JFK T4 #1 | $5,031"]
    kpis = _bundle(outputs[0])
    assert raw_blocks(kpis["text/markdown"], "typst") == ['#ll-kpis(("$40.9K", "Revenue"), ("11", "Stores"))']
    assert _bundle(outputs[3])["text/markdown"] == "Revenue was &#36;3,267 and AOV &#36;7.70."
    with pytest.raises(ValueError, match="callout kind"):
        nb.callout("x", kind="shout")


def test_typst_strings_are_plain_text():
    assert typst_string('say "hi" \\ #x $5 *b* @ref') == '"say \\"hi\\" \\\\ #x $5 *b* @ref"'
    block = Block("<b>x</b>", "#ll-note(\"x\")", "x")
    # a raw block stays one block even when the content holds a code fence
    tricky = Block("<pre>```</pre>", "#x", "x").markdown()
    assert tricky.startswith("````{=html}") and raw_blocks(tricky, "html") == ["<pre>```</pre>"]
    assert repr(block) == "x" and block.data == "<b>x</b>"


def test_source_kind_marks_only_the_synthesized_demo_store(tmp_path, small_store_dir):
    assert source_kind(f"duckdb:{small_store_dir / 'store.duckdb'}") == DEMO
    (tmp_path / "store.duckdb").write_bytes(b"")
    assert source_kind(f"duckdb:{tmp_path / 'store.duckdb'}") == "duckdb"  # no planted truth
    snap = tmp_path / "2026-03-02"
    snap.mkdir()
    (snap / "snapshot.json").write_text(json.dumps({"id": "2026-03-02"}))
    assert source_kind(f"folder:{snap}") == "snapshot" and source_kind(f"folder:{tmp_path}") == "folder"
    assert source_kind("sql:mysql+pymysql://u:${PW}@h/db") == "database"
    # the demo store's Parquet, read by DuckDB or Spark, is still the demo (watermarked)
    parquet = small_store_dir / "parquet"
    assert source_kind(f"folder:{parquet}") == DEMO and source_kind(f"spark:folder/{parquet}") == DEMO
    assert source_kind(f"spark:folder/{snap}") == "snapshot" and source_kind("spark:catalog/sales") == "catalog"


def _ctx(kind: str = DEMO, end: str = "2026-02-07", run_date=dt.date(2026, 12, 4),
         stale_after: int = 14) -> RenderContext:
    return RenderContext("site_selection", "monthly", {"k_sites": 5, "source": ""},
                         data_window=f"2025-06-01 to {end}", generated_at="2026-12-04 19:00 UTC",
                         data_end=end, source_kind=kind, stale_after_days=stale_after,
                         run_date=run_date)


def test_staleness_warning_follows_the_threshold():
    assert stale_days("2026-02-07", dt.date(2026, 12, 4)) == 300
    assert stale_days(None, dt.date(2026, 12, 4)) is None and stale_days("day 0", dt.date.today()) is None
    assert "300 days before" in _ctx().staleness_warning
    assert _ctx(stale_after=300).staleness_warning == ""  # 300 days is not more than 300
    assert _ctx(end="2026-11-27").staleness_warning == ""  # a week old
    assert _ctx().data_as_of == "7 Feb 2026 (data from 1 Jun 2025 to 7 Feb 2026)"
    assert _ctx(end="2025-06-01").data_as_of == "1 Jun 2025"  # a one-day window says its day once


def test_cover_says_where_the_data_come_from_without_code_names():
    demo, real = cover_block({"title": "Sites"}, _ctx()), cover_block({"title": "Sites"}, _ctx("snapshot"))
    assert "ll-watermark" in demo.html and "Demo data" in demo.text
    assert "ll-watermark" not in real.html and "Demo data" not in real.text
    for block in (demo, real):
        assert "site_selection" not in block.html and "monthly" not in block.html
        assert "Data as of" in block.html and "7 Feb 2026" in block.typst
    assert "Old data." in demo.html and "Old data." in demo.typst
    assert "site_selection" in run_details_text(_ctx()) and "k sites: 5" in run_details_text(_ctx())


def test_run_details_of_a_generic_run_name_the_report_by_its_title_not_its_id():
    generic = RenderContext("coupon_uplift", "job_training", {}, tables=["generic_experiment"])
    company = RenderContext("coupon_uplift", "demo", {}, tables=["orders", "generic_experiment"])
    text = run_details_text(generic, "Randomized experiment")
    assert "coupon" not in text and "“Randomized experiment”" in text and "job_training" in text
    assert "coupon_uplift" in run_details_text(company, "Randomized experiment")


def _notebook(paragraphs: int, rows: int) -> nbformat.NotebookNode:
    """A report whose captioned table starts wherever ``paragraphs`` of filler end."""
    code = nbformat.v4.new_code_cell
    filler = " ".join(["The stores traded normally this week and nothing needs doing."] * 9)
    table = nb.show_table(pd.DataFrame({"store": [f"Row{i:02d}" for i in range(rows)],
                                        "revenue": [1000.0 + i for i in range(rows)]}),
                          formats={"revenue": "money"})
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_raw_cell("---\ntitle: \"Keep together\"\nexecute:\n  echo: false\n---"),
        *[nbformat.v4.new_markdown_cell(filler) for _ in range(paragraphs)],
        code("#| label: tbl-x\n#| tbl-cap: \"The stores\"\nx", outputs=[nbformat.v4.new_output(
            "display_data", data=table._repr_mimebundle_())]),
    ])


@pytest.mark.parametrize("rows", [6, 30])
def test_pip_pdf_keeps_each_table_caption_on_the_page_of_its_table(tmp_path, rows):
    """Filler of growing length moves the table across the page end: the caption never stays behind."""
    for paragraphs in range(7, 12):
        nbformat.write(_notebook(paragraphs, rows), tmp_path / "k.ipynb")
        html = render_html(tmp_path / "k.ipynb", tmp_path / "k.html", _ctx("duckdb", "2026-12-01"))
        pages = [p.extract_text() for p in PdfReader(str(render_pdf(html, tmp_path / "k.pdf"))).pages]
        where = [i for i, text in enumerate(pages) if "Table 1:" in text]
        first_row = [i for i, text in enumerate(pages) if "Row00" in text]
        assert where == first_row, (paragraphs, where, first_row)
        assert all("Demo data" not in text for text in pages)


def test_pip_pdf_marks_every_page_of_a_demo_run_and_warns_on_page_one(tmp_path):
    nbformat.write(_notebook(12, 30), tmp_path / "k.ipynb")
    html = render_html(tmp_path / "k.ipynb", tmp_path / "k.html", _ctx())
    pages = [p.extract_text() for p in PdfReader(str(render_pdf(html, tmp_path / "k.pdf"))).pages]
    assert len(pages) >= 2 and all("Demo data" in text for text in pages)
    assert "Old data." in pages[0] and "300 days before" in pages[0]
    assert all("Old data." not in text for text in pages[1:])


def test_rows_flagged_beyond_a_plausible_bound_are_counted_in_the_run_details():
    from luckin_lab.reporting.render_context import RenderContext

    ctx = RenderContext("store_trends", "weekly", {"source": ""}, flagged=[
        {"table": "orders", "reason": "pay_amount above 1000 (plausible bound)", "rows": 3}])
    text = run_details_text(ctx)
    assert "Data checks" in text and "orders: 3 row(s) pay_amount above 1000" in text
    assert "Data checks" not in run_details_text(RenderContext("store_trends", "weekly", {}))
    from_record = RenderContext.for_run("store_trends", "weekly", {}, {"flagged": ctx.flagged})
    assert from_record.flagged == ctx.flagged


def test_a_negative_figure_never_breaks_after_its_sign():
    table = _bundle(nb.show_table(pd.DataFrame({"site": ["Harlem", "Flatbush"], "profit": [-6_423.0, 7_565.0]}),
                                  formats={"profit": "money"}))
    typst = raw_blocks(table["text/markdown"], "typst")[0]
    assert '"\u2011$6,423"' in typst and '"$7,565"' in typst and "-$6,423" in table["text/html"]
