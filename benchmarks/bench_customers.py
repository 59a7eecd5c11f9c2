"""Customer report speed: profile + churn + lifetime value at chain scale (target: < 60 s on
2 cores for the seed store's ~150K buying customers of 277K registered), and the BG/NBD fit
on identical-row weights against lifetimes fitting every customer row (the reference library's
own call on the same data; target: within 2x its time). Accuracy against planted truth
(:mod:`luckin_lab.customers.truth_eval`) on the seed store and on a store built from a second
truth file (longer active lifetimes, twice the dormant rate): churn AUC vs the best achievable
from the report's features, holdout and 12-month purchases vs the planted expectation (total
and by cohort), and the win-back list's true value vs the best list the features allow."""

from __future__ import annotations

import time

from benchmarks.measure import alt_truth_store, measure
from luckin_lab.paths import demo_store_dir

ALT_TRUTH = """\
population:
  dormant_rate_factor: 0.07
  active_lifetime_days: {loyal: 300.0, regular: 90.0, price_sensitive: 40.0, occasional: 20.0}
"""
CAMPAIGN = "CMP-2025-12-WINBACK"
BUDGET = 5000.0  # params/customers/monthly.yaml


def analyse(source: str) -> dict:
    import os

    from luckin_lab.customers.analysis import CustomerAnalysis, CustomerSettings
    from luckin_lab.sources import open_store

    load0, cpu0 = os.getloadavg()[0], time.process_time()
    a = CustomerAnalysis(CustomerSettings()).fit(open_store(source))
    return {"customers": len(a.profiles["today"]), "auc": a.evaluation.auc,
            "cpu_s": time.process_time() - cpu0, "load": [load0, os.getloadavg()[0]],
            "model": a.purchase_family}


def _summary(source: str):
    from luckin_lab.customers.clv import rfm_summary
    from luckin_lab.sources import open_store
    from luckin_lab.transforms import customers as tc

    store = open_store(source)
    tx = tc.transactions(store)
    last = tc.data_days(store, tx)[1]
    return rfm_summary(store.execute(tc.profile(tx, last)))


def bgnbd(source: str, weighted: bool) -> dict:
    import time

    from lifetimes import BetaGeoFitter

    from luckin_lab.customers.clv import CLVModel

    s = _summary(source)
    t0 = time.perf_counter()
    if weighted:
        params = CLVModel(spend=False).fit(s).purchases.params_
    else:
        params = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"]).params_
    return {"fit_s": time.perf_counter() - t0, "r": float(params["r"]), "rows": len(s)}


def accuracy(source: str) -> dict:
    """The report analysis on a demo store, scored against its planted truth."""
    from luckin_lab.customers import truth_eval
    from luckin_lab.customers.analysis import CustomerAnalysis, CustomerSettings
    from luckin_lab.sources import open_store

    t0 = time.perf_counter()
    a = CustomerAnalysis(CustomerSettings(experiment_id=CAMPAIGN)).fit(open_store(source))
    seconds = time.perf_counter() - t0
    truth = truth_eval.load_truth(source)
    ev = truth_eval.evaluate(a, truth, budget=BUDGET)
    # the other purchase model on the same data, for the departure table (not what the report uses)
    other = next(f for f in ("BG/NBD", "Pareto/NBD") if f != a.purchase_family)
    alt = _future_with(a, other, truth["customers"])
    auc = ev["churn"].set_index("score")["auc"].to_dict()
    hold, fut = (ev[k].set_index("cohort") for k in ("holdout", "future"))
    wb = ev["winback"]
    return {"seconds": seconds, "auc": auc, "customers_test": ev["churn"].attrs["customers"],
            "holdout": hold.reset_index().to_dict("records"),
            "future": fut.reset_index().to_dict("records"),
            "winback": wb.to_dict("records"), "pool": wb.attrs["pool"],
            "by_state": ev["future_by_state"].to_dict("records"), "chosen": a.purchase_family,
            "choice": a.model_choice.to_dict("records"), "other": other, "other_future": alt}


def _future_with(a, family: str, truth) -> dict:
    """12-month total of the other purchase model fitted to the same customers, vs planted."""
    from luckin_lab.customers import clv, truth_eval
    from luckin_lab.units import DAYS_PER_MONTH

    today = a.profiles["today"]
    summ = clv.rfm_summary(today, a.settings.time_unit_days)
    model = clv.CLVModel(spend=False, family=family).fit(summ)
    pred = model.expected_purchases(summ, a.settings.clv_months * DAYS_PER_MONTH / a.settings.time_unit_days)
    t = truth_eval._at(truth, a.today, 365, today["customer_id"])
    return {"predicted": float(pred.sum()), "planted": float(t["expected_occasions"].sum())}




def _cohort_note(recs: list[dict]) -> str:
    cells = []
    for r in recs:
        if r["cohort"] == "total":
            continue
        cells.append(f"{r['cohort']} {r['error_vs_planted']:+.0%} (dormant {r['dormant_share']:.0%})")
    return "; ".join(cells)


def _accuracy_rows(quick: bool) -> list[dict]:
    scale = "small" if quick else "seed"
    stores = [("default truth", demo_store_dir(scale) / "store.duckdb")]
    if not quick:
        stores.append(("second truth file", alt_truth_store("customers_alt_truth", ALT_TRUTH)))
    rows = []
    for label, path in stores:
        if not path.exists():
            continue
        r = measure("benchmarks.bench_customers", "accuracy", repeats=1, source=f"duckdb:{path}").extra
        bench = f"customers accuracy {scale} ({label})"
        auc = r["auc"]
        best = auc["best achievable, out of time"]
        gap = best - auc["report (out of time)"]
        rows.append({"benchmark": bench, "variant": "churn AUC vs best achievable from features",
                     "median_s": r["seconds"], "peak_mb": None, "ratio": auc["report (out of time)"],
                     "target": ">= best achievable - 0.02", "met": gap <= 0.02,
                     "notes": f"report {auc['report (out of time)']:.3f}, best achievable (trees fitted to "
                              f"the planted probability, out of time) {best:.3f}, in-time bound "
                              f"{auc['best achievable, in time (bound)']:.3f}, planted-state oracle "
                              f"{auc['planted probability (oracle)']:.3f}, recency rule "
                              f"{auc['recency rule']:.3f}; {r['customers_test']:,} active customers; "
                              "median_s = analysis fit, 1 run"})
        for key, what in (("holdout", "holdout purchases (60 days) vs planted"),
                          ("future", "12-month purchases vs planted (rates carried forward)")):
            recs = r[key]
            tot = next(x for x in recs if x["cohort"] == "total")
            coh = [x for x in recs if x["cohort"] != "total"]
            worst = max(abs(x["error_vs_planted"]) for x in coh)
            choice = "; ".join(f"{c['purchase_model']} {c['error']:+.1%} (cohort miss {c['cohort_miss']:,.0f})"
                               for c in r["choice"])
            o = r["other_future"]
            extra = (f"; realised vs planted z {tot['z_actual_vs_planted']:+.1f}; holdout choice: {choice}"
                     if key == "holdout" else
                     f"; {r['other']} on the same customers {o['predicted'] / o['planted'] - 1:+.0%}; "
                     "future rates = mean of the last 28 days, lifetimes planted (exact)")
            rows.append({"benchmark": bench, "variant": f"{what}, total",
                         "median_s": None, "peak_mb": None, "ratio": tot["error_vs_planted"],
                         "target": "within 10 %", "met": abs(tot["error_vs_planted"]) <= 0.10,
                         "notes": f"predicted {tot['predicted']:,.0f} vs planted {tot['planted']:,.0f} "
                                  f"occasions by {r['chosen']} (chosen on the holdout), "
                                  f"{tot['dormant_share']:.0%} of planted from dormant users (no dormant "
                                  f"state in either model; README, Planted truth){extra}"})
            rows.append({"benchmark": bench, "variant": f"{what}, by cohort (worst)",
                         "median_s": None, "peak_mb": None, "ratio": worst,
                         "target": "every cohort within 10 %", "met": worst <= 0.10,
                         "notes": "error (dormant share of planted): " + _cohort_note(coh)})
        st = {(x["planted_state"], x["history"]): x for x in r["by_state"]}
        cells = [f"{state} {hist}: {st[(state, hist)]['error_vs_planted']:+.0%} "
                 f"({st[(state, hist)]['customers']:,} customers, {st[(state, hist)]['share_of_excess']:.0%} "
                 "of the excess)" for state, hist in sorted(st) if state != "total"]
        rows.append({"benchmark": bench, "variant": "12-month purchases vs planted, by planted state today",
                     "median_s": None, "peak_mb": None,
                     "ratio": st[("dormant today", "all")]["error_vs_planted"],
                     "target": "(where the process departs)", "met": None,
                     "notes": f"{r['chosen']}: " + "; ".join(cells)})
        wb = r["winback"]
        for b in sorted({x["budget"] for x in wb}):
            by = {x["list"]: x for x in wb if x["budget"] == b}
            share = by["report"]["share_of_best"]
            rows.append({"benchmark": bench, "variant": f"win-back list true value, budget ${b:,.0f}",
                         "median_s": None, "peak_mb": None, "ratio": share,
                         "target": ">= 0.90 of the best list the features allow", "met": share >= 0.9,
                         "notes": f"report ${by['report']['true_value']:,.0f} "
                                  f"({by['report']['customers']:,} customers), best achievable "
                                  f"${by['best achievable from features']['true_value']:,.0f}, oracle "
                                  f"${by['oracle']['true_value']:,.0f}; campaign customers 30+ days "
                                  f"since last order ({r['pool']:,}), planted window margin + "
                                  "reactivation x group future gain; the report's per-customer "
                                  "effects 2-fold cross-fitted (out of sample)"})
    return rows


def run(quick: bool = False) -> list[dict]:
    scale = "small" if quick else "seed"
    path = demo_store_dir(scale) / "store.duckdb"
    if not path.exists():
        return []
    source = f"duckdb:{path}"
    m = measure("benchmarks.bench_customers", "analyse", repeats=1 if not quick else 1, source=source)
    lo, hi = sorted(m.extra["load"])
    quiet = hi < 2.5  # 2 cores: a wall time under more load measures the neighbours too
    rows = [dict(benchmark="customers", variant=f"profile + churn + CLV, {scale} (wall time)",
                 median_s=m.median_s, peak_mb=m.peak_mb, ratio=None,
                 target="< 60 s wall on 2 cores" if scale == "seed" else "",
                 met=((m.median_s < 60) if quiet else None) if scale == "seed" else None,
                 notes=f"{m.extra['customers']:,} customers; out-of-time AUC {m.extra['auc']:.3f}; "
                       f"purchase model {m.extra['model']} (both fitted on the holdout); wall "
                       f"{m.median_s:.0f} s at load average {lo:.1f}-{hi:.1f}, process CPU "
                       f"{m.extra['cpu_s']:.0f} s (1 run)"
                       + ("" if quiet else "; not a verdict: the machine was shared (load > 2.5)"))]
    ref = measure("benchmarks.bench_customers", "bgnbd", repeats=3, source=source, weighted=False)
    ours = measure("benchmarks.bench_customers", "bgnbd", repeats=3, source=source, weighted=True)
    ratio = ours.extra["fit_s"] / ref.extra["fit_s"]
    rows.append(dict(benchmark="customers BG/NBD fit", variant="lifetimes, every row (reference)",
                     median_s=ref.extra["fit_s"], peak_mb=ref.peak_mb, ratio=1.0, target="", met=None,
                     notes=f"{ref.extra['rows']:,} customers; r = {ref.extra['r']:.4f}"))
    rows.append(dict(benchmark="customers BG/NBD fit", variant="identical rows weighted (ours)",
                     median_s=ours.extra["fit_s"], peak_mb=ours.peak_mb, ratio=ratio,
                     target="<= 2x reference", met=ratio <= 2.0,
                     notes=f"same likelihood; r = {ours.extra['r']:.4f}; fit time only (last of 3 runs)"))
    return rows + _accuracy_rows(quick)
