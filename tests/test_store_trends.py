"""Store trends: the sales transforms against hand computation, and the notebook end to end."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd
import pytest
from pypdf import PdfReader
from report_helpers import (
    TINY_LAST_DAY,
    execute_notebook_small,
    write_tiny_sales_store,
)
from typer.testing import CliRunner

from luckin_lab.cli import app
from luckin_lab.paths import params_dir
from luckin_lab.sources import open_store
from luckin_lab.transforms import sales


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "store.duckdb"
    frames = write_tiny_sales_store(path)
    return f"duckdb:{path}", frames


def _hand_weekly(frames) -> pd.DataFrame:
    o = frames["orders"].merge(frames["stores"][["store_id", "is_test_store"]], on="store_id")
    o = o[(o.currency == "USD") & ~o.is_test_store & (o.status == "completed")]
    week = o.order_time.dt.normalize() - pd.to_timedelta(o.order_time.dt.weekday, unit="D")
    return o.assign(week=week).groupby(["store_id", "week"]).agg(
        revenue=("pay_amount", "sum"), orders=("order_id", "count"), customers=("user_id", "nunique"))


def test_store_weekly_matches_hand_computation_and_counts_exclusions(tiny):
    uri, frames = tiny
    store = open_store(uri)
    got = store.execute(sales.store_weekly(store))
    got["week"] = pd.to_datetime(got["week"]).astype("datetime64[ns]")
    got = got.set_index(["store_id", "week"]).sort_index()
    want = _hand_weekly(frames).sort_index()
    assert list(got.index) == list(want.index)
    pd.testing.assert_series_equal(got["revenue"], want["revenue"], check_names=False, rtol=1e-9)
    assert (got["orders"] == want["orders"]).all() and (got["customers"] == want["customers"]).all()
    assert 99 not in got.index.get_level_values("store_id")  # the NZD test store never appears
    o = frames["orders"]
    excl = store.exclusions_frame().set_index("reason")["rows"]
    assert excl[sales.NZD_REASON] == (o.currency == "NZD").sum() > 0
    assert excl[sales.NOT_COMPLETED_REASON] == ((o.currency == "USD") & (o.status != "completed")).sum()
    assert excl[sales.TEST_STORE_REASON] == 0


def test_as_of_cuts_the_data_and_daily_sums_to_weekly(tiny):
    uri, frames = tiny
    store = open_store(uri)
    daily = store.execute(sales.store_daily(store, dt.date(2026, 1, 31)))
    assert pd.to_datetime(daily["date"]).max() == pd.Timestamp("2026-01-31")
    o = frames["orders"]
    kept = o[(o.currency == "USD") & (o.status == "completed") & (o.order_time < "2026-02-01")]
    assert daily["revenue"].sum() == pytest.approx(kept["pay_amount"].sum())
    assert daily["orders"].sum() == len(kept)


def test_weeks_scorecard_and_headline(tiny):
    uri, frames = tiny
    assert sales.last_complete_week(dt.date(2026, 2, 7)) == dt.date(2026, 1, 26)  # Saturday
    assert sales.last_complete_week(dt.date(2026, 2, 8)) == dt.date(2026, 2, 2)  # Sunday
    store = open_store(uri)
    weekly = store.execute(sales.store_weekly(store))
    totals = sales.weekly_totals(weekly, TINY_LAST_DAY)
    assert totals["complete"].tolist() == [True, True, True, True, False]
    week = sales.last_complete_week(TINY_LAST_DAY)
    card = sales.store_scorecard(weekly, week).set_index("store")
    hand = _hand_weekly(frames)["revenue"]
    this, prev = pd.Timestamp(week), pd.Timestamp(week) - pd.Timedelta(days=7)
    assert card.loc["8th Ave (flagship)", "revenue_wow"] == pytest.approx(
        hand[(1, this)] / hand[(1, prev)] - 1)
    four = [pd.Timestamp("2026-01-05") + pd.Timedelta(days=7 * i) for i in range(3)]
    assert card.loc["Union Square", "vs_4wk_avg"] == pytest.approx(
        hand[(2, this)] / (sum(hand[(2, w)] for w in four) / 3) - 1)  # only 3 weeks of history
    assert pd.isna(card.loc["Flatiron", "revenue_wow"])  # opened 2026-01-21: no fair comparison
    head = sales.week_headline(totals, card.reset_index(), week)
    assert head["revenue"] == pytest.approx(sum(hand[(s, this)] for s in (1, 2, 3)))
    assert head["stores"] == 3 and head["new_stores"] == ["Flatiron"]
    assert head["top_store"] == "8th Ave (flagship)"


def test_orders_at_unknown_store_fail_with_a_clear_message(tmp_path):
    frames = write_tiny_sales_store(tmp_path / "s.duckdb")
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    con.execute("UPDATE orders SET store_id = 42 WHERE order_id IN (1, 2)")
    con.close()
    store = open_store(f"duckdb:{tmp_path / 's.duckdb'}")
    # the contract's foreign key catches it on load, naming column, check and rows
    with pytest.raises(ValueError, match=r"column 'store_id' · check references stores.store_id · 2 failing rows"):
        sales.store_weekly(store)
    assert len(frames["orders"]) > 2


def test_notebook_on_the_small_demo_store(small_store_uri, tmp_path):
    """The report runs under papermill and its headline numbers match SQL on the raw tables."""
    results = execute_notebook_small("store_trends", tmp_path, small_store_uri, weeks=8)
    metrics = json.loads((results / "metrics.json").read_text())
    con = duckdb.connect(small_store_uri.split(":", 1)[1], read_only=True)
    revenue, orders = con.execute(
        """SELECT sum(o.pay_amount), count(*) FROM orders o JOIN stores s USING (store_id)
           WHERE o.currency = 'USD' AND NOT s.is_test_store AND o.status = 'completed'
             AND date_trunc('week', o.order_time) = ?""",
        [pd.Timestamp(metrics["week_start"])],
    ).fetchone()
    nzd = con.execute("SELECT count(*) FROM orders WHERE currency = 'NZD'").fetchone()[0]
    con.close()
    assert metrics["revenue"] == pytest.approx(revenue) and metrics["orders"] == orders
    assert metrics["nzd_orders_excluded"] == nzd > 0
    assert dt.date.fromisoformat(metrics["week_end"]) <= dt.date.fromisoformat(metrics["last_day"])
    for name in ("weekly_by_store.csv", "weekly_totals.csv", "store_scorecard.csv",
                 "exclusions.csv", "provenance.json"):
        assert (results / name).exists(), name
    prov = json.loads((results / "provenance.json").read_text())
    assert prov["fingerprint"]["tables"]["orders"]["rows"] > 0 and prov["data_window"]


def test_scheduled_run_renders_html_and_pdf(tiny, tmp_path, monkeypatch):
    """`luckin-lab run params/store_trends/weekly.yaml` end to end (on the tiny store)."""
    uri, _ = tiny
    monkeypatch.setenv("LUCKIN_LAB_REPORTS", str(tmp_path / "reports"))
    res = CliRunner().invoke(app, ["run", str(params_dir() / "store_trends" / "weekly.yaml"),
                                   "-p", f"source={uri}"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    latest = tmp_path / "reports" / "store_trends" / "weekly" / "latest"
    html = (latest / "report.html").read_text()
    assert "Store trends: gross profit, revenue and orders" in html
    assert "Figure 1:" in html and "Table 1:" in html and html.count("data:image/png") == 2
    assert "Executive summary" in html and "NZD test-store orders" in html
    for code in ("open_store(", "import ", "results_dir", "nb.show_table"):
        assert code not in html, code
    text = "\n".join(p.extract_text() for p in PdfReader(str(latest / "report.pdf")).pages)
    assert "Store trends" in text and "Executive summary" in text and "Figure 2:" in text
    assert "Data quality" in text and "open_store" not in text
    record = json.loads((latest / "run.json").read_text())
    assert record["data"]["fingerprint"]["tables"]["orders"]["rows"] == len(tiny[1]["orders"])
    assert record["data"]["data_window"] == "2026-01-05 to 2026-02-07"


def test_young_stores_settling_after_opening_are_not_flagged():
    from luckin_lab.transforms.sales import (
        MATURE_WEEKS,
        store_scorecard,
        week_headline,
        weekly_totals,
    )

    weeks = pd.date_range("2025-09-01", periods=20, freq="W-MON")
    rows = []
    for name, opened, sid in (("Old", weeks[0], 1), ("New", weeks[14], 2)):
        for i, w in enumerate(weeks):
            if w < opened:
                continue
            rev = 1000.0 if name == "Old" else 3000.0 - 400 * (i - 14)  # opening spike decays
            rev = 800.0 if (name == "Old" and w == weeks[-1]) else rev  # a real 20% drop
            rows.append(dict(store_id=sid, store_name=name, open_date=opened.date(), week=w,
                             revenue=rev, orders=100, list_amount=rev, discount_amount=0.0,
                             customers=50, days=7))
    weekly = pd.DataFrame(rows)
    last = weeks[-1].date()
    card = store_scorecard(weekly, last)
    head = week_headline(weekly_totals(weekly, last + pd.Timedelta(days=6)), card, last)
    new = card.set_index("store").loc["New"]
    assert new.vs_4wk_avg < -0.10 and new.weeks_open <= MATURE_WEEKS
    assert head["stores_below_4wk_avg"] == ["Old"]


def _card(rows):
    cols = ["store", "revenue", "vs_4wk_avg", "weeks_open"]
    card = pd.DataFrame(rows, columns=cols).assign(
        store_id=range(len(rows)), orders=100, aov=5.0, customers=50, discount_rate=0.1, revenue_wow=0.01)
    ramping = card.weeks_open <= sales.MATURE_WEEKS
    below = card.vs_4wk_avg < sales.ALERT_DROP
    card["status"] = sales.STATUS_OK
    card.loc[card.vs_4wk_avg.isna(), "status"] = sales.STATUS_TOO_NEW
    card.loc[below & ramping, "status"] = sales.STATUS_SETTLING
    card.loc[below & ~ramping, "status"] = sales.STATUS_ALERT
    return card


def _totals(week, revenue):
    return pd.DataFrame({"week": [pd.Timestamp(week)], "revenue": [revenue], "orders": [1000], "aov": [5.0],
                         "stores": [3], "complete": [True]})


def test_headline_never_says_no_store_is_below_while_the_table_shows_one():
    """The old contradiction: page one said "no store is more than 10% below" beside -23.5 % in Table 1."""
    from luckin_lab.trends import narrative

    week = dt.date(2026, 2, 2)
    card = _card([("8th Ave (flagship)", 12_900, 0.08, 36), ("JFK Terminal 4", 8_239, -0.235, 8),
                  ("Flatiron", 6_765, -0.196, 5)])
    head = sales.week_headline(_totals(week, 27_904), card, week)
    text = narrative.summary_text(head, 1000, 10)
    assert "No store is more than" not in text
    for store, change in (("JFK Terminal 4", "-23.5%"), ("Flatiron", "-19.6%")):
        assert f"**{store}** ({change})" in text  # named with the table's own figure
    assert "Watch, no action yet" in text and "Decision needed" not in text
    # every store the table shows more than 10 % below its average is named on page one
    shown_below = card.loc[card.vs_4wk_avg < -0.10, "store"]
    assert all(s in text for s in shown_below)
    # a mature store below its average is a decision
    card2 = _card([("8th Ave (flagship)", 9_000, -0.15, 36), ("Flatiron", 6_765, -0.196, 5)])
    text2 = narrative.summary_text(sales.week_headline(_totals(week, 15_765), card2, week), 1000, 10)
    assert "**Decision needed:** **8th Ave (flagship)** (-15.0%)" in text2 and "Flatiron" in text2
    card3 = _card([("8th Ave (flagship)", 9_000, 0.02, 36), ("Flatiron", 6_765, float("nan"), 2)])
    text3 = narrative.summary_text(sales.week_headline(_totals(week, 15_765), card3, week), 1000, 10)
    assert "No store is more than 10% below" in text3 and "Too new for a four-week comparison: Flatiron" in text3


def test_gross_profit_matches_item_costs_and_revenue_only_without_costs(small_store_uri, tiny):
    from luckin_lab.trends import narrative

    store = open_store(small_store_uri)
    weekly = store.execute(sales.store_weekly(store))
    con = duckdb.connect(small_store_uri.split(":", 1)[1], read_only=True)
    cogs = con.execute(
        """SELECT sum(i.quantity * p.unit_cost) FROM order_items i JOIN products p USING (product_id)
           JOIN orders o USING (order_id) JOIN stores s ON o.store_id = s.store_id
           WHERE o.currency = 'USD' AND NOT s.is_test_store AND o.status = 'completed'""").fetchone()[0]
    con.close()
    assert weekly["cost_of_goods"].sum() == pytest.approx(cogs, rel=1e-9)
    last_day = pd.Timestamp(weekly["week"].max()).date() + dt.timedelta(days=6)
    totals = sales.weekly_totals(weekly, last_day)
    assert (totals.gross_profit == totals.revenue - totals.cost_of_goods).all()
    assert 0.3 < totals.margin_rate.median() < 0.9
    week = sales.last_complete_week(last_day)
    head = sales.week_headline(totals, sales.store_scorecard(weekly, week), week)
    assert list(narrative.kpi_items(head))[0].startswith("Gross profit")
    # the tiny store has no item costs: page one says revenue, and why
    t = open_store(tiny[0])
    assert not sales.has_costs(t)
    tw = t.execute(sales.store_weekly(t))
    tt = sales.weekly_totals(tw, TINY_LAST_DAY)
    wk = sales.last_complete_week(TINY_LAST_DAY)
    th = sales.week_headline(tt, sales.store_scorecard(tw, wk), wk)
    assert th["gross_profit"] is None and list(narrative.kpi_items(th))[0].startswith("Revenue")
    assert "revenue, not profit" in narrative.summary_text(th, 1, 1)


def test_weekly_run_page_one_matches_results(small_store_uri, tmp_path, monkeypatch):
    """`luckin-lab run params/store_trends/weekly.yaml`: every page-one figure is in results/."""
    from report_helpers import page_one_text

    from luckin_lab.reporting import nb

    monkeypatch.setenv("LUCKIN_LAB_REPORTS", str(tmp_path / "reports"))
    res = CliRunner().invoke(app, ["run", str(params_dir() / "store_trends" / "weekly.yaml"),
                                   "-p", f"source={small_store_uri}"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    latest = tmp_path / "reports" / "store_trends" / "weekly" / "latest"
    page = page_one_text((latest / "report.html").read_text())
    m = json.loads((latest / "results" / "metrics.json").read_text())
    card = pd.read_csv(latest / "results" / "store_scorecard.csv")
    totals = pd.read_csv(latest / "results" / "weekly_totals.csv", parse_dates=["week"])
    row = totals.set_index("week").loc[pd.Timestamp(m["week_start"])]
    assert row.complete  # page one reports a complete week, never the partial one
    assert nb.money(row.gross_profit) in page and nb.money(row.revenue) in page
    assert nb.money(m["aov"], 2) in page and nb.pct(row.margin_rate, 0) in page
    assert f"{m['stores']} stores" in page
    below = card[card.vs_4wk_avg < -0.10]
    for _, r in below.iterrows():  # every store the table shows below is on page one, with its figure
        assert f"{r.store} ({nb.pct(r.vs_4wk_avg, signed=True)})" in page
    if len(below):
        assert "No store is more than" not in page
    for _, r in card[card.status == sales.STATUS_TOO_NEW].iterrows():
        assert r.store in page
    assert "store id" not in page.lower() and "store_id" not in page
