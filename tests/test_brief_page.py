"""The brief's PDF: page one holds every report's row, the alerts and the company's figures,
and nothing of it spills onto page two (the review found an orphan row there), in both renderers."""

from __future__ import annotations

import datetime as dt

import pytest
from brief_helpers import fake_run, fresh_reports, planted_store
from pypdf import PdfReader

from luckin_lab.paths import params_dir
from luckin_lab.reporting.render import quarto_executable
from luckin_lab.reporting.runner import run_report

NOW = dt.datetime.now(dt.UTC)
LONG = ("Shortlist the 5 sites (Harlem, Flatbush, Brownsville, Elmhurst west, Kew Gardens Hills) "
        "for due diligence: their profit is not yet clear and the choice depends on the distance "
        "assumption.")
# a run written before the short fields may hold a long headline: the row prints its first clause whole
LONG_DECISION = ("Stop sending 30 % off to everyone: it loses margin against no coupon; test the targeting "
                 "on a fresh holdout of new and lapsed users in every store, split by weekday and hour, "
                 "before any coupon goes out again, and keep the current budget ceiling until the test "
                 "reads out with a clear margin gain for the targeted group against no coupon at all.")
LONG_FIGURE = ("margin of sending 30 % off to everyone against no coupons: coupon cost, lost full-price "
               "margin and extra orders over the next four weeks, per month")
LONG_SURE = ("range of 9 in 10 simulated futures of redemptions and orders; the response model and the "
             "margin rules are taken as right")


def _headline(decision: str, figure: str, value: float, low: float | None, high: float | None,
              unit: str) -> dict:
    return {"headline": {"version": 1, "decision": decision, "figure": figure, "value": value,
                         "low": low, "high": high, "unit": unit, "is_profit": True, "level": 0.9}}


def six_reports(root) -> None:
    """Every leadership report, the longest decisions seen in real runs, one of 300+ characters
    with a long figure and 'how sure'; one is stale."""
    fresh_reports(root, NOW, stale="iot_survival")
    fake_run(root, "site_selection", "monthly", NOW - dt.timedelta(days=3), _headline(
        LONG, "profit per month after cost of goods and rent (before staff)", 38345.0, -18405.0,
        177941.0, "USD per month"), group="monthly")
    coupon = _headline(LONG_DECISION, LONG_FIGURE, -5200.0, -9100.0, -1300.0, "USD per month")
    coupon["headline"]["confidence"] = LONG_SURE
    fake_run(root, "coupon_uplift", "demo", NOW - dt.timedelta(days=2), coupon)
    fake_run(root, "customers", "monthly", NOW - dt.timedelta(days=3), _headline(
        "Send the win-back offer to the 1,240 lapsed customers on the list, within the $1,000 "
        "monthly budget.", "12-month profit of the win-back list", 5100.0, 900.0, 9800.0,
        "USD per 12 months"), group="monthly")


@pytest.mark.slow
@pytest.mark.parametrize("renderer", ["quarto", "pip-only"])
def test_page_one_is_one_page_in_the_pdf(small_store_dir, tmp_path, monkeypatch, renderer):
    if renderer == "quarto" and not quarto_executable():
        pytest.skip("quarto is not installed")
    monkeypatch.setenv("LUCKIN_LAB_RENDERER", renderer)
    planted = planted_store(small_store_dir, tmp_path / "store")
    six_reports(tmp_path / "reports")
    result = run_report(params_dir() / "brief" / "weekly.yaml",
                        {"source": planted, "reports_root": str(tmp_path / "reports"),
                         "devices_down_max": 0.95}, reports_root=tmp_path / "out")
    assert result.ok, result.record.get("error")
    pages = [" ".join(p.extract_text().split()) for p in
             PdfReader(str(result.folder / "report.pdf")).pages]
    one, two = pages[0], pages[1]
    # the first words of each report's decision (a cell's first line): all on page one
    for start in ("No action", "Apply the", "Send technicians", "Shortlist the", "Stop sending",
                  "Send the"):
        assert start in one and start not in two, start
    assert "Profit per month" in one and "Alerts (3)" in one
    assert "Seconds per drink" in one  # the last row of the company's figures
    assert "What happened after" in two and "What happened after" not in one
    # the row prints the decision's first clause, whole; nothing on page one ends in a cut
    assert len(LONG_DECISION) >= 300 and "until the test reads out" not in one
    assert "Stop sending 30 % off to everyone" in one and "…" not in one
