"""Leadership brief at seed scale: the whole run (papermill + HTML/PDF) under 30 s.

The brief fits no model: it reads the contracts' last 28 days plus each report's run record
and metrics.json. Set-up (not timed): the seed demo store and a reports folder holding one
finished run of each leadership report (their headline keys only; the brief reads nothing
else of them). Timed in fresh processes: the analysis alone, and ``luckin-lab run`` of the
daily and the weekly brief.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.measure import measure
from luckin_lab.atomic import point_latest
from luckin_lab.paths import ROOT, demo_store_dir

_METRICS = {
    ("store_trends", "weekly"): {"week_start": "2026-02-02", "revenue": 60_000.0,
                                 "stores_below_4wk_avg": []},
    ("price_elasticity", "demo"): {"weekly_margin_change": 800.0, "weekly_margin_change_low": 100.0,
                                   "weekly_margin_change_high": 1500.0},
    ("iot_survival", "weekly"): {"plan_visits": 56, "lost_cups_avoided_vs_run_to_failure": 900.0,
                                 "expected_failures_7d": 12.0},
    ("coupon_uplift", "demo"): {"monthly_gain_vs_today": 2000.0, "monthly_gain_vs_today_ci_low": -2000.0,
                                "monthly_gain_vs_today_ci_high": 6000.0, "monthly_today_vs_none": -500.0,
                                "monthly_today_vs_none_ci_low": -900.0, "monthly_today_vs_none_ci_high": 100.0},
    ("site_selection", "monthly"): {"chosen_sites": ["S011", "S017"], "portfolio_net_gain_monthly": 8500.0},
}


def _reports(root: Path) -> None:
    started = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    for (report, run), metrics in _METRICS.items():
        folder = root / report / run / started.strftime("%Y%m%dT%H%M%SZ")
        (folder / "results").mkdir(parents=True)
        (folder / "results" / "metrics.json").write_text(json.dumps(metrics))
        (folder / "run.json").write_text(json.dumps({
            "report": report, "run": run, "group": "weekly", "audience": "leadership",
            "status": "succeeded", "published": True, "started": started.isoformat(),
            "data": {"data_window": "2025-06-01 to 2026-02-13"}}))
        point_latest(folder)


def analysis(source: str, reports_root: str, period: str) -> dict:
    from luckin_lab.brief.analysis import build_brief
    from luckin_lab.reporting.params_models.brief import Params
    from luckin_lab.sources import open_store

    b = build_brief(open_store(source), Params(source=source, period=period, reports_root=reports_root))
    return {"alerts": len(b.alerts), "reports": len(b.reports)}


TABLES = ("orders", "stores", "users", "production_records", "iot_devices", "iot_device_status")


def validation_only(source: str) -> dict:
    """The floor under any brief: loading and validating the contract tables it reads."""
    from luckin_lab.sources import open_store

    store = open_store(source)
    return {"rows": sum(len(store.load(t)) for t in TABLES)}


def full_run(source: str, reports_root: str, run: str) -> dict:
    env = {**os.environ, "LUCKIN_LAB_REPORTS": reports_root, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "luckin_lab.cli", "run", f"params/brief/{run}.yaml",
                          "-p", f"source={source}"], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stdout[-2000:] + out.stderr[-2000:])
    return {}


def run(quick: bool) -> list[dict]:
    from luckin_lab.synth.build import build_store

    scale = "small" if quick else "seed"
    db = demo_store_dir(scale) / "store.duckdb"
    if not db.exists():
        build_store(db.parent, scale=scale)
    src, rows = f"duckdb:{db}", []
    load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at start"
    v = measure(__name__, "validation_only", 1 if quick else 3, source=src)
    rows.append(dict(benchmark=f"brief ({scale})", variant="contract validation of its 6 tables",
                     median_s=v.median_s, peak_mb=v.peak_mb, ratio=None, target="", met=None,
                     notes=f"{v.extra['rows']:,} rows validated in the engine and loaded, the data layer's cost; {load}"))
    with tempfile.TemporaryDirectory() as tmp:
        _reports(Path(tmp))
        for period in ("day", "week"):
            m = measure(__name__, "analysis", 1 if quick else 3, source=src, reports_root=tmp,
                        period=period)
            rows.append(dict(benchmark=f"brief ({scale})", variant=f"analysis, period={period}",
                             median_s=m.median_s, peak_mb=m.peak_mb, ratio=None, target="",
                             met=None, notes=f"{m.extra['alerts']} alerts, {m.extra['reports']} "
                             f"reports; KPIs + baselines from the contracts, no model fitted; {load}"))
        for run_name in ("daily", "weekly"):
            t0 = time.perf_counter()
            m = measure(__name__, "full_run", 1 if quick else 2, source=src, reports_root=tmp,
                        run=run_name)
            rows.append(dict(benchmark=f"brief ({scale})", variant=f"luckin-lab run brief/{run_name}",
                             median_s=m.median_s, peak_mb=None, ratio=None,
                             target="< 30 s at seed scale", met=(m.median_s < 30) if not quick else None,
                             notes=f"papermill + HTML + PDF; wall {time.perf_counter() - t0:.0f} s "
                                   f"for all repeats; {load}"))
    return rows
