"""Every report, executed once at small scale, rendered by the pip-only renderer and by Quarto.

Checks what leadership would notice: no object repr, traceback or raw markup in any output;
page one of each PDF holds the headline figures (the KPI cards), which are figures of
metrics.json; HTML and PDF of both renderers state the same headline numbers. The Quarto half
skips with a message when ``quarto`` is not on PATH (CI installs it, see .ci/run).
"""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
from itertools import combinations
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader
from report_helpers import execute_notebook_small

from luckin_lab.paths import params_dir
from luckin_lab.reporting.markdown import raw_blocks
from luckin_lab.reporting.params import load_run_spec
from luckin_lab.reporting.render_context import RenderContext
from luckin_lab.reporting.render_pip import render_html, render_pdf
from luckin_lab.reporting.render_quarto import quarto_executable, render_with_quarto

# the leadership run of each report, with the small-scale settings the report's own tests use
REPORTS = {
    "store_trends": ("weekly", {"weeks": 8}),
    "site_selection": ("monthly", {"k_sites": 3}),
    "coupon_uplift": ("demo", {"learners": ["SP", "T"]}),
    "price_elasticity": ("demo", {}),
    "iot_survival": ("weekly", {}),
    "customers": ("monthly", {}),
}
LEAKS = ("object>", "<IPython", "Traceback (most recent call last)", "```{=", "#ll-", "{=typst}")
NEEDS_QUARTO = pytest.mark.skipif(
    quarto_executable() is None,
    reason="quarto not on PATH: Quarto render tests skipped (CI installs it with ../shared/quarto)")
# one xdist group per report: its notebook runs once, on one worker, for both renderers
EACH_REPORT = [pytest.param(r, marks=pytest.mark.xdist_group(f"render_{r}")) for r in sorted(REPORTS)]
_NUMBER = re.compile(r"[+\-−]?\$?\d[\d,]*(?:\.\d+)?[KM%]?")


@pytest.fixture(scope="module")
def executed(small_store_uri, tmp_path_factory):
    """report -> (run folder with the executed notebook, metrics, render context); run once."""
    done: dict[str, tuple[Path, dict, RenderContext]] = {}

    def get(report: str) -> tuple[Path, dict, RenderContext]:
        if report not in done:
            run, overrides = REPORTS[report]
            spec = load_run_spec(params_dir() / report / f"{run}.yaml", {"source": small_store_uri})
            folder = tmp_path_factory.mktemp(report)
            params = {k: v for k, v in spec.parameters.items()
                      if k not in ("source", "results_dir", "stale_after_days")}
            results = execute_notebook_small(report, folder, small_store_uri, **{**params, **overrides})
            prov = json.loads((results / "provenance.json").read_text())
            ctx = RenderContext.for_run(report, run, spec.for_cover(spec.parameters), prov)
            done[report] = (folder, json.loads((results / "metrics.json").read_text()), ctx)
        return done[report]

    return get


def _render(folder: Path, ctx: RenderContext, report: str, renderer: str) -> tuple[str, list[str]]:
    out = folder / renderer
    out.mkdir(exist_ok=True)
    notebook = out / f"{report}.ipynb"
    shutil.copy2(folder / f"{report}.ipynb", notebook)
    if renderer == "pip":
        html = render_html(notebook, out / "report.html", ctx)
        pdf = render_pdf(html, out / "report.pdf")
    else:
        made = render_with_quarto(notebook, ctx, quarto_executable())
        html, pdf = made["html"], made["pdf"]
        assert {p.name for p in out.iterdir()} == {notebook.name, "report.html", "report.pdf"}
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(str(pdf)).pages]
    return html.read_text(), pages


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _normal(text: str) -> str:
    return text.replace("\u2011", "-").replace("\u2212", "-").replace("\xa0", " ")


def kpi_cards(notebook: Path) -> list[tuple[str, str]]:
    """(label, value) of every KPI card in the executed notebook (nb.kpis' text form)."""
    nb = nbformat.read(notebook, as_version=4)
    cards = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            md = "".join(out.get("data", {}).get("text/markdown", ""))
            for call in raw_blocks(md, "typst"):
                if call.startswith("#ll-kpis("):
                    cards += [(_unquote(label), _unquote(value))
                              for value, label in _CARD.findall(call)]
    return cards


_STR = r'"((?:[^"\\]|\\.)*)"'
_CARD = re.compile(rf"\({_STR}, {_STR}\)")


def _unquote(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")


def _displayed(value: str) -> tuple[float, float] | None:
    """'$8.5K' -> (8500, 50): the number a card shows and half its last displayed digit."""
    m = re.fullmatch(r"([+\-−]?)\$?(\d[\d,]*)(?:\.(\d+))?([KM%]?)", value.replace(" ", ""))
    if not m:
        return None
    sign, whole, frac, unit = m.groups()
    number = float(whole.replace(",", "") + ("." + frac if frac else ""))
    half = 0.5 * 10 ** -(len(frac) if frac else 0)
    scale = {"K": 1e3, "M": 1e6, "%": 0.01, "": 1.0}[unit]
    return (-1 if sign in "-−" and sign else 1) * number * scale, half * scale


def _numbers(value, out: list[float]) -> list[float]:
    if isinstance(value, bool):
        return out
    if isinstance(value, int | float):
        out.append(float(value))
    elif isinstance(value, dict):
        for v in value.values():
            _numbers(v, out)
    elif isinstance(value, list):
        for v in value:
            _numbers(v, out)
    return out


def unmatched_cards(cards: list[tuple[str, str]], metrics: dict) -> list[tuple[str, str]]:
    """Cards whose figure is neither a number in metrics.json nor a difference of two."""
    values = _numbers(metrics, [])
    pool = values + [a - b for a, b in combinations(values, 2)] + [b - a for a, b in combinations(values, 2)]
    missing = []
    for label, value in cards:
        shown = _displayed(value)
        if shown is None:
            continue  # words, not a figure
        number, half = shown
        if not any(abs(number - v) <= half + 1e-9 or abs(abs(number) - abs(v)) <= half + 1e-9
                   for v in pool):
            missing.append((label, value))
    return missing


def test_card_figures_are_read_with_their_rounding():
    assert _displayed("$8.5K") == (8500.0, 50.0) and _displayed("12.3%") == pytest.approx((0.123, 0.0005))
    assert _displayed("-$1,250") == (-1250.0, 0.5) and _displayed("Keep prices") is None
    cards = [("gain", "$8,528"), ("vs ranking", "+$774"), ("sites", "5"), ("rate", "9.1%")]
    metrics = {"gain": 8528.49, "ranking": 7754.69, "k": 5, "nested": {"cov": [0.0909]}}
    assert unmatched_cards(cards, metrics) == []
    assert unmatched_cards([("made up", "$9,999")], metrics) == [("made up", "$9,999")]


def _check(report: str, html: str, pages: list[str], cards: list[tuple[str, str]]) -> None:
    text = _normal(_visible_text(html))
    for leak in LEAKS:
        assert leak not in text and all(leak not in p for p in pages), (report, leak)
    first = _normal(pages[0])
    for label, value in cards:
        assert _normal(value) in first, (report, "page one of the PDF lacks", label, value)
        assert _normal(value) in text, (report, "the HTML lacks", label, value)


@pytest.mark.parametrize("report", EACH_REPORT)
def test_pip_only_report_states_its_headline_figures(report, executed):
    folder, metrics, ctx = executed(report)
    cards = kpi_cards(folder / f"{report}.ipynb")
    assert cards, f"{report}: no KPI cards on page one"
    assert unmatched_cards(cards, metrics) == [], f"{report}: card figures not in metrics.json"
    html, pages = _render(folder, ctx, report, "pip")
    _check(report, html, pages, cards)


@NEEDS_QUARTO
@pytest.mark.parametrize("report", EACH_REPORT)
def test_quarto_report_matches_the_pip_only_report(report, executed):
    folder, _, ctx = executed(report)
    cards = kpi_cards(folder / f"{report}.ipynb")
    q_html, q_pages = _render(folder, ctx, report, "quarto")
    _check(report, q_html, q_pages, cards)
    assert "luckin-lab pip-only renderer" not in q_html and "ll-cover" in q_html
    assert "cdnjs" not in q_html and "<script src" not in q_html  # one offline file
    assert ("Demo data" in q_pages[0]) == ctx.is_demo and all(("Demo data" in p) == ctx.is_demo
                                                             for p in q_pages)
    p_html = (folder / "pip" / "report.html").read_text() if (folder / "pip").exists() else None
    if p_html is None:
        p_html, _ = _render(folder, ctx, report, "pip")
    # the same figures everywhere: every number in the text of one HTML is in the other's
    q_nums = set(_NUMBER.findall(_normal(_visible_text(q_html))))
    p_nums = set(_NUMBER.findall(_normal(_visible_text(p_html))))
    assert q_nums == p_nums, (report, sorted(q_nums ^ p_nums)[:20])
    q_money = {n for n in _NUMBER.findall(_normal(" ".join(q_pages))) if "$" in n or "%" in n}
    # PDF text may wrap a line right after a minus sign ("range -" / "$28.6K"), so a PDF figure
    # counts as found when it is in the HTML with or without its sign
    unsigned = {n.lstrip("+-") for n in p_nums}
    missing = {n for n in q_money if n not in p_nums and n.lstrip("+-") not in unsigned}
    assert not missing, (report, sorted(missing)[:20])
