"""The device report and the generic time-to-event report run under papermill at small scale,
and their page one agrees with results/."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from report_helpers import execute_notebook_small

from luckin_lab.reporting import certainty, nb
from luckin_lab.reporting.params import ReportParams
from luckin_lab.reporting.params_models import iot_survival, time_to_event
from luckin_lab.survival import report as R
from luckin_lab.synth.iot_toy import write_toy_store


@pytest.fixture(scope="module")
def toy_uri(tmp_path_factory) -> str:
    db = write_toy_store(tmp_path_factory.mktemp("iot_small"), seed=5, scale=0.3, drinks_per_store_day=60)
    return f"duckdb:{db}"


@pytest.mark.parametrize("report, model", [("iot_survival", iot_survival), ("time_to_event", time_to_event)])
def test_params_files_are_valid(report, model):
    import yaml

    from luckin_lab.paths import params_dir

    files = sorted((params_dir() / report).glob("*.yaml"))
    assert files
    for f in files:
        doc = yaml.safe_load(f.read_text())
        assert doc["notebook"] == f"{report}.ipynb"
        model.Params(**doc["parameters"])
    assert issubclass(model.Params, ReportParams)


def test_notebooks_do_not_branch_on_the_dataset():
    import nbformat

    from luckin_lab.paths import notebooks_dir

    for name in ("iot_survival", "time_to_event"):
        nb = nbformat.read(notebooks_dir() / f"{name}.ipynb", as_version=4)
        for c in nb.cells:
            if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", []):
                assert not re.search(r"^\s*(if|elif|for|while)\b", c.source, re.M), c.source
                assert "dataset ==" not in c.source and len(c.source.splitlines()) <= 18


def _page_one_text(executed) -> str:
    """The executed notebook's outputs up to 'The evidence' (what page one shows)."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    out = []
    for c in nb.cells:
        if c.cell_type == "markdown" and "The evidence" in c.source:
            break
        for o in c.get("outputs", []):
            data = o.get("data", {})
            out.append(data.get("text/markdown") or data.get("text/html") or "")
    import html

    return html.unescape("\n".join(out))


def test_device_report_runs_and_page_one_matches_results(tmp_path, toy_uri):
    """The toy store has no sales tables: demand from the cup log at the assumed margin."""
    res = execute_notebook_small("iot_survival", tmp_path, toy_uri, assumed_margin_per_cup_usd=3.0)
    m = json.loads((res / "metrics.json").read_text())
    for key in ("expected_failures_7d", "expected_failures_30d", "margin_kept_vs_run_to_failure_usd",
                "chosen_model", "hazard_ratios", "calibration", "plan_visits", "n_failures",
                "recommended_technicians", "expected_profit_usd", "profit_low_usd", "profit_high_usd",
                "margin_per_cup_usd", "lost_margin_if_nobody_usd"):
        assert key in m
    assert m["plan_visits"] <= 2 * 4 * 7
    assert 0.4 < m["share_down_at_snapshot"] < 0.75
    assert not m["lost_sales"]["prices_support"] and m["margin_per_cup_usd"] == pytest.approx(3.0)
    crew = pd.read_csv(res / "crew_projection.csv")  # the crew is chosen on four weeks, not one
    best = crew[crew.recommended]
    assert len(best) == 1 and best.expected_profit_usd.iloc[0] == crew.expected_profit_usd.max()
    assert set(crew.technicians) == set(range(0, 5))
    staffing = pd.read_csv(res / "staffing.csv")
    assert (staffing.recommended == (staffing.technicians == best.technicians.iloc[0])).all()
    page = _page_one_text(tmp_path / "iot_survival.ipynb")
    k = int(best.technicians.iloc[0])
    assert (f"Send **{R.crew_words(k).lower()}**" in page) if k else ("Send no technician" in page)
    assert nb.money(best.expected_profit_usd.iloc[0]) in page  # the house formatter, from results/
    assert f"about **{nb.num(m['expected_failures_7d'])} of the" in page  # failures expected this week
    assert m["plan_visits"] == len(pd.read_csv(res / "maintenance_schedule.csv"))
    assert "grinders and ice makers are not priced" in page
    assert f"{m['devices_down_at_snapshot']} of" in page
    # the calibration claim carries its skill over a constant rate
    assert "same rate for every" in page or "better than a constant rate" in page
    assert "DEV-" not in page and " at " in page  # devices named by type and store
    for word in ("Weibull", "AFT", "CP-SAT", "spell", "store_id"):
        assert word not in page, word
    for t in ("device_risk", "maintenance_schedule", "model_comparison", "policy_comparison", "exclusions",
              "store_coverage"):
        assert (res / f"{t}.csv").stat().st_size > 0


def test_weekly_run_on_the_demo_store_prices_downtime_within_what_stores_sell(small_store_uri, small_store_dir,
                                                                              tmp_path, monkeypatch):
    """`luckin-lab run params/iot_survival/weekly.yaml` on the small demo store (sales tables):
    the rendered page one's figures are those of results/, the lost margin never exceeds what
    the stores make on drinks (computed here from the raw tables), and the plan's downtime
    against run to failure is said with its true sign."""
    import duckdb
    from report_helpers import page_one_text
    from typer.testing import CliRunner

    from luckin_lab.cli import app
    from luckin_lab.paths import params_dir

    monkeypatch.setenv("LUCKIN_LAB_REPORTS", str(tmp_path / "reports"))
    out = CliRunner().invoke(app, ["run", str(params_dir() / "iot_survival" / "weekly.yaml"),
                                   "-p", f"source={small_store_uri}"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    latest = tmp_path / "reports" / "iot_survival" / "weekly" / "latest"
    page = page_one_text((latest / "report.html").read_text(), end="The evidence")
    res = latest / "results"
    m = json.loads((res / "metrics.json").read_text())
    staffing = pd.read_csv(res / "staffing.csv").set_index("technicians")
    crew = pd.read_csv(res / "crew_projection.csv").set_index("technicians")
    beats = pd.read_csv(res / "crew_beats.csv").set_index("technicians")
    policies = pd.read_csv(res / "policy_comparison.csv").set_index("policy")
    best, none = crew[crew.recommended].iloc[0], crew.loc[0]
    # every money figure of the decision comes from results/
    for v in (best.expected_profit_usd, none.lost_margin_usd, m["lost_sales"]["chain_gross_profit_usd"],
              m["lost_sales"]["drink_margin_per_week_usd"], m["week_plan_margin_kept_usd"]):
        assert nb.money(v) in page, v
    k = int(best.name)
    if k:
        assert f"between {nb.money(best.profit_low_usd, like=best.profit_high_usd)} and " \
               f"{nb.money(best.profit_high_usd)}" in page
    else:
        assert "Send no technician" in page
    # devices down after four weeks for every crew, and the chance the pick beats the runner-up
    for j, r in crew.iterrows():
        assert f"{'nobody' if j == 0 else R.crew_words(j).lower()}: {nb.num(r.down_after_week4)}" in page
    j = m["crew_runner_up"]
    assert f"in {certainty.probability_text(beats.loc[k, str(j)])} of the same simulated futures" in page
    # Table 2's margins add up to the week plan's total
    sched = pd.read_csv(res / "maintenance_schedule.csv")
    assert sched.margin_kept_usd.sum() == pytest.approx(m["week_plan_margin_kept_usd"], abs=0.01)
    # planted data: what the stores made on drinks in the 28 days before the snapshot, from raw tables
    snap = pd.Timestamp(m["snapshot"])
    con = duckdb.connect(str(small_store_dir / "store.duckdb"), read_only=True)
    made = con.execute(
        "SELECT sum((i.paid_price - p.unit_cost) * i.quantity) FROM order_items i JOIN products p USING (product_id) "
        "JOIN orders o USING (order_id) JOIN stores s USING (store_id) WHERE p.is_drink AND o.status = 'completed' "
        "AND o.currency = 'USD' AND NOT s.is_test_store AND o.order_time >= ? AND o.order_time < ?",
        [snap - pd.Timedelta(days=28), snap]).fetchone()[0]
    week = made / 28 * 7
    assert m["lost_sales"]["drink_margin_per_week_usd"] == pytest.approx(week, rel=0.01)
    assert (staffing.lost_margin_high_usd <= week + 1e-6).all()  # never more than the stores sell
    assert (crew.lost_margin_usd <= 4 * week + 1e-6).all()
    assert staffing.loc[0].expected_lost_margin_usd < m["lost_sales"]["chain_gross_profit_usd"]
    # the plan against run to failure (evidence section): the sign of the downtime difference is said as it is
    hours = policies.loc["optimised plan", "downtime_hours_avoided_vs_run_to_failure"]
    full = (latest / "report.html").read_text()
    if hours < 0:
        assert f"leaves devices down {nb.num(-hours)} more hours" in full
    else:
        assert f"cuts device downtime by {nb.num(hours)} hours" in full
    assert policies.loc["optimised plan", "expected_lost_margin_usd"] <= \
        policies.loc["run to failure", "expected_lost_margin_usd"] + 1e-6


def test_generic_printer_fleet_runs(tmp_path, toy_uri):
    import yaml

    from luckin_lab.paths import params_dir

    p = yaml.safe_load((params_dir() / "time_to_event" / "printer_fleet.yaml").read_text())["parameters"]
    res = execute_notebook_small("time_to_event", tmp_path, toy_uri, **p)
    m = json.loads((res / "metrics.json").read_text())
    assert m["dataset"] == "generic" and "plan_visits" not in m
    page = _page_one_text(tmp_path / "time_to_event.ipynb")
    assert "technician" not in page.lower() and "device" not in page.lower()
    risk = pd.read_csv(res / "device_risk.csv")
    assert f"{nb.num(len(risk))}</div><div class='ll-kpi-label'>Printers still at risk" in page
    assert f"{nb.num(m['expected_failures_30d'], 1)}</div><div class='ll-kpi-label'>Expected failures, next 30 days" in page
    sv = m["service"]
    assert nb.money(sv["saving_usd"]) in page and f"{nb.num(sv['failures_avoided'], 1)} failures" in page
    assert len(pd.read_csv(res / "service_priority.csv")) == sv["services"]


def test_what_changed_compares_with_the_newest_published_run_before_this_one(tmp_path):
    """Older published run found; failed, unpublished and newer runs skipped; none -> first run."""
    from luckin_lab.reporting.runs import write_record

    run_dir = tmp_path / "iot_survival" / "weekly"
    for name, rec in [("20261201T000000Z", {"status": "succeeded", "published": True}),
                      ("20261202T000000Z", {"status": "succeeded", "published": True}),
                      ("20261203T000000Z", {"status": "failed"}),
                      ("20261204T000000Z", {"status": "succeeded", "published": False}),
                      ("20261206T000000Z", {"status": "succeeded", "published": True})]:
        (run_dir / name / "results").mkdir(parents=True)
        (run_dir / name / "results" / "metrics.json").write_text("{}")
        write_record(run_dir / name, {**rec, "started": f"{name[:4]}-{name[4:6]}-{name[6:8]}"})
    current = run_dir / "20261205T000000Z" / "results"
    current.mkdir(parents=True)
    folder, rec = R._previous_run(current)
    assert folder.name == "20261202T000000Z" and rec["started"] == "2026-12-02"
    assert R._previous_run(run_dir / "20261201T000000Z" / "results") is None
