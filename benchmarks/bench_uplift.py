"""Coupon uplift: model speed at 1M rows vs causalml's T-learner, and accuracy vs planted truth.

Speed: each learner fits and scores a synthetic 1M-row, 4-arm experiment
(:func:`luckin_lab.synth.experiment.simulate_experiment`); the reference is causalml's
T-learner on LightGBM measured in the same run. Accuracy: the full report analysis on the
seed demo store and on a store built from a second truth file (stronger coupon response):
ATE coverage, the chosen model's Qini share of the oracle's, and the optimized policy's
true value against the blanket offer.
"""

from __future__ import annotations

import os
import time

import numpy as np

from benchmarks.measure import alt_truth_store, measure
from luckin_lab.paths import demo_store_dir

ARMS = ["off10", "off20", "off30"]
PROP = {"control": 0.4, "off10": 0.2, "off20": 0.2, "off30": 0.2}
ALT_TRUTH = """\
uplift:
  salience: {loyal: 1.05, regular: 1.3, price_sensitive: 1.7, occasional: 2.0}
"""


def _data(n: int):
    import pandas as pd

    from luckin_lab.synth.experiment import simulate_experiment

    frame, _ = simulate_experiment(n=n, seed=1)
    X = frame[["frequency", "recency_days", "tenure_days", "monetary", "noise"]].to_numpy(float)
    X = np.column_stack([X, pd.Categorical(frame["segment"]).codes])
    return X, frame["arm"].to_numpy(), frame["outcome"].to_numpy(float)


def fit_score(learner: str, n: int, n_jobs: int = 2) -> dict:
    """Fit one learner on n rows and score all rows (the timed unit of work)."""
    X, arm, y = _data(n)
    t0 = time.perf_counter()
    if learner == "causalml-T-LGBM":
        from causalml.inference.meta import BaseTRegressor
        from lightgbm import LGBMRegressor

        m = BaseTRegressor(learner=LGBMRegressor(n_jobs=n_jobs, verbose=-1), control_name="control")
        m.fit(X, arm, y)
        m.predict(X, verbose=False)
    else:
        from luckin_lab.uplift.learners import fit_uplift

        depths = {"off10": 0.1, "off20": 0.2, "off30": 0.3}
        fit_uplift(learner, X, arm, y, "control", ARMS, PROP, n_jobs=n_jobs,
                   depths=depths).predict(X)
    return {"fit_score_s": time.perf_counter() - t0}


def _speed_rows(quick: bool) -> list[dict]:
    n = 100_000 if quick else 1_000_000
    ref = measure("benchmarks.bench_uplift", "fit_score", repeats=1, learner="causalml-T-LGBM", n=n)
    rows = [{"benchmark": f"uplift fit+score {n:,} rows", "variant": "causalml-T-LGBM (reference)",
             "median_s": ref.median_s, "peak_mb": ref.peak_mb, "ratio": 1.0, "target": "reference",
             "met": None, "notes": "LightGBM defaults, 2 threads"}]
    # the report's model of choice (SP), the plain T, and the uplift forest; X and DR are
    # fitted on a 25K-row subsample in the report, so their 1M-row time is not a decision input
    for learner in ("SP", "T", "URF"):
        r = measure("benchmarks.bench_uplift", "fit_score", repeats=1, learner=learner, n=n)
        ratio = r.median_s / ref.median_s
        rows.append({"benchmark": f"uplift fit+score {n:,} rows", "variant": learner,
                     "median_s": r.median_s, "peak_mb": r.peak_mb, "ratio": ratio,
                     "target": "<= 1.5x reference (chosen model)", "met": ratio <= 1.5,
                     "notes": "URF fits a 40K-row sample" if learner == "URF" else ""})
    return rows


def accuracy(source: str, label: str) -> dict:
    """Run the report analysis on a demo store and score it against its planted truth."""
    from luckin_lab.sources import open_store
    from luckin_lab.uplift import truth_eval
    from luckin_lab.uplift.analysis import UpliftAnalysis, UpliftSettings
    from luckin_lab.uplift.data import from_campaign
    from luckin_lab.uplift.policy import TARGETED

    t0 = time.perf_counter()
    store = open_store(source)
    exp = from_campaign(store, "CMP-2025-12-WINBACK")
    a = UpliftAnalysis(UpliftSettings(n_jobs=2)).fit(exp).decide()
    seconds = time.perf_counter() - t0
    ev = truth_eval.evaluate(a, truth_eval.load_truth(source, "CMP-2025-12-WINBACK"))
    rank = ev["ranking"]
    chosen = rank[rank["learner"] == a.chosen]
    pv = ev["policy_values"].set_index("policy")["true_incremental_margin"]
    urf = rank[rank["learner"] == "URF"]
    return {
        "label": label, "seconds": seconds, "chosen": a.chosen,
        "fit_s": {k: v for k, v in a.timings.items() if k.startswith("fit_")},
        "ate_covered": int(ev["ate"]["ci_covers_truth"].sum()), "ate_total": len(ev["ate"]),
        "qini_share": float(chosen["qini_share_of_oracle"].mean()),
        "qini_share_ci": (float(chosen["qini_share_90ci_low"].mean()),
                          float(chosen["qini_share_90ci_high"].mean())),
        "expected_qini_share": float(chosen["expected_qini_share"].mean()),
        "corr": float(chosen["corr_true_uplift"].mean()),
        "urf_qini_share": float(urf["qini_share_of_oracle"].mean()) if len(urf) else None,
        "optimized_true": float(pv[TARGETED]), "blanket_true": float(pv[a.today_policy]),
        "oracle_true": float(pv["oracle (true best offer)"]),
        "ceiling_qini_share": float(ev["feature_ceiling"]["qini_share_of_oracle"].mean()),
        "ceiling_expected_share": float(ev["feature_ceiling"]["expected_qini_share"].mean()),
        "ceiling_r2": float(ev["feature_ceiling"]["r2_true_uplift"].mean()),
    }




def _accuracy_rows(quick: bool) -> list[dict]:
    scale = "small" if quick else "seed"
    stores = [("default truth", demo_store_dir(scale) / "store.duckdb")]
    if not quick:
        stores.append(("second truth file", alt_truth_store("uplift_alt_truth", ALT_TRUTH)))
    rows = []
    for label, path in stores:
        if not path.exists():
            continue
        r = measure("benchmarks.bench_uplift", "accuracy", repeats=1, source=f"duckdb:{path}",
                    label=label).extra
        bench = f"uplift accuracy {scale} ({label})"
        rows += [
            {"benchmark": bench, "variant": f"report analysis, chosen {r['chosen']}",
             "median_s": r["seconds"], "peak_mb": None, "ratio": None, "target": "< 180 s",
             "met": r["seconds"] < 180, "notes": "fits: " + ", ".join(
                 f"{k[4:-2]} {v:.0f}s" for k, v in r["fit_s"].items())},
            {"benchmark": bench, "variant": "ATE 95% CI covers truth", "median_s": None,
             "peak_mb": None, "ratio": r["ate_covered"] / r["ate_total"], "target": "all",
             "met": r["ate_covered"] == r["ate_total"],
             "notes": f"{r['ate_covered']}/{r['ate_total']} (purchase and margin, 3 arms)"},
            {"benchmark": bench, "variant": "Qini share of oracle (chosen)", "median_s": None,
             "peak_mb": None, "ratio": r["qini_share"], "target": ">= 0.90",
             "met": r["qini_share"] >= 0.9,
             "notes": f"mean of 3 arms; bootstrap 90% {r['qini_share_ci'][0]:.2f}-"
                      f"{r['qini_share_ci'][1]:.2f}; noise-free (true-uplift outcome) "
                      f"{r['expected_qini_share']:.2f}; corr with true uplift {r['corr']:.2f}"
                      + (f"; URF {r['urf_qini_share']:.2f}" if r["urf_qini_share"] is not None
                         else "")},
            {"benchmark": bench, "variant": "Qini share of the best achievable (chosen)",
             "median_s": None, "peak_mb": None,
             "ratio": r["expected_qini_share"] / r["ceiling_expected_share"],
             "target": ">= 0.90 (the issue's target, against a reachable reference)",
             "met": r["expected_qini_share"] / r["ceiling_expected_share"] >= 0.9,
             "notes": "noise-free shares, chosen / best achievable: "
                      f"{r['expected_qini_share']:.2f} / {r['ceiling_expected_share']:.2f}. "
                      "Best achievable = boosted trees fitted to the PLANTED uplift on the "
                      f"report's features (R2 {r['ceiling_r2']:.2f}); its realised Qini is "
                      f"{r['ceiling_qini_share']:.2f} of the oracle's, so >= 0.90 of the "
                      "oracle is out of reach for any model of these tables"},
            {"benchmark": bench, "variant": "optimized policy true value vs blanket",
             "median_s": None, "peak_mb": None, "ratio": None, "target": "optimized > blanket",
             "met": r["optimized_true"] > r["blanket_true"],
             "notes": f"optimized ${r['optimized_true']:,.0f}, blanket ${r['blanket_true']:,.0f}, "
                      f"oracle ${r['oracle_true']:,.0f} per campaign"},
        ]
    return rows


def real_data(name: str) -> dict:
    """The report analysis on a real public experiment, read as a user's ``folder:`` extract
    through the generic_experiment contract: effect vs the published one."""
    import tempfile

    from luckin_lab.sources import open_store
    from luckin_lab.uplift import public
    from luckin_lab.uplift.analysis import UpliftAnalysis, UpliftSettings
    from luckin_lab.uplift.data import from_generic

    frame, pub = {"NSW job training": (public.nsw(), public.NSW_PUBLISHED),
                  "Thornton HIV incentive": (public.thornton(), public.THORNTON_PUBLISHED)}[name]
    folder = tempfile.mkdtemp(prefix="bench_uplift_real_")
    public.write_folder(frame, folder)
    t0 = time.perf_counter()
    exp = from_generic(open_store(f"folder:{folder}"), "generic_experiment")
    a = UpliftAnalysis(UpliftSettings(current_arm="control", n_jobs=2)).fit(exp).decide()
    r = a.arm_effects.iloc[0]
    d = a.decision
    return {"seconds": time.perf_counter() - t0, "effect": float(r["effect"]),
            "se": float(r["se"]), "published": pub["effect"], "published_se": pub["se"],
            "rule": d.reason, "n": len(frame)}


def planted(n: int) -> dict:
    """A large two-arm experiment with planted heterogeneity: does the report target, and
    does the held-out interval cover the learned policy's true gain?"""
    from luckin_lab.synth.experiment import simulate_heterogeneous
    from luckin_lab.uplift import decision
    from luckin_lab.uplift.analysis import UpliftAnalysis, UpliftSettings
    from luckin_lab.uplift.data import from_generic
    from luckin_lab.uplift.policy import TARGETED

    frame, tau = simulate_heterogeneous(n, effect=0.0, spread=2.0, seed=5, n_clusters=n // 50)
    t0 = time.perf_counter()
    a = UpliftAnalysis(UpliftSettings(current_arm="control", n_jobs=2,
                                      learners=["SP", "S", "T", "X", "DR"])) \
        .fit(from_generic(frame)).decide()
    d = a.decision
    te = a.part == "test"
    assign = a.policies[TARGETED]
    truth = float(np.mean(np.where(assign[te] == 0, tau[te], 0.0)))
    est = decision.measured(a, TARGETED)
    return {"seconds": time.perf_counter() - t0, "rule": d.reason, "truth": truth,
            "low": est.low, "high": est.high, "value": est.value}


def _real_rows(quick: bool) -> list[dict]:
    rows = []
    for name in ("NSW job training", "Thornton HIV incentive"):
        r = measure("benchmarks.bench_uplift", "real_data", repeats=1, name=name).extra
        gap = abs(r["effect"] - r["published"]) / r["published_se"]
        rows.append({"benchmark": f"uplift real data: {name} ({r['n']:,} units)",
                     "variant": "report analysis, all learners", "median_s": r["seconds"],
                     "peak_mb": None, "ratio": gap, "target": "effect within 1 published SE",
                     "met": gap < 1, "notes": f"effect {r['effect']:.4g} (SE {r['se']:.3g}) vs "
                     f"published {r['published']:.4g} ({r['published_se']:.3g}); rule: {r['rule']}"})
    n = 20_000 if quick else 200_000
    r = measure("benchmarks.bench_uplift", "planted", repeats=1, n=n).extra
    covered = r["low"] < r["truth"] < r["high"]
    rows.append({"benchmark": f"uplift planted heterogeneity ({n:,} units, clustered)",
                 "variant": "report analysis, 5 learners", "median_s": r["seconds"],
                 "peak_mb": None, "ratio": r["truth"], "target": "targets; CI covers true gain",
                 "met": r["rule"] == "targeting" and covered,
                 "notes": f"rule {r['rule']}; held-out gain {r['value']:.3f} "
                          f"({r['low']:.3f} to {r['high']:.3f}) vs true {r['truth']:.3f} "
                          "(oracle 1.0)"})
    return rows


def run(quick: bool) -> list[dict]:
    if os.environ.get("UPLIFT_BENCH_REAL_ONLY") == "1":  # the real-data and planted rows alone
        return _real_rows(quick)
    return _speed_rows(quick) + _accuracy_rows(quick) + _real_rows(quick)
