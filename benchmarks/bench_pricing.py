"""Pricing report: accuracy against planted truth (two truths) and report speed at seed scale.

Accuracy target: every category's causal (Poisson IV) elasticity within 0.1 of the planted truth with
its 95 % CI covering it, while the naive estimate is visibly biased; the same under a second
truth file. Speed target: the report (`luckin-lab run`: papermill + HTML/PDF) at seed scale in
< 2 minutes.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.measure import measure
from luckin_lab.paths import ROOT, demo_store_dir
from luckin_lab.pricing.truth_eval import SECOND_TRUTH


def analyse(source: str, dml_folds: int = 5) -> dict:
    """Run the analysis (no notebook) and score it against the truth beside the store.

    Category estimates are scored against ``derived.category_elasticity`` (total own-price
    elasticity, add-on channel included); the cross-price matrix against
    ``derived.cross_elasticity`` for the pairs it estimates.
    """
    from luckin_lab.pricing.analysis import PricingAnalysis
    from luckin_lab.pricing.elasticities import CAUSAL
    from luckin_lab.pricing.truth_eval import (
        accuracy_summary,
        load_elasticity_truth,
        score,
        score_cross,
        truth_path_for,
    )
    from luckin_lab.reporting.params_models.price_elasticity import Params
    from luckin_lab.sources import open_store

    a = PricingAnalysis(Params(dml_folds=dml_folds)).fit(open_store(source)).decide()
    truth = load_elasticity_truth(truth_path_for(source))
    scored = score(a.results.by_group, truth.category)
    out = accuracy_summary(scored, len(truth.category))
    for method in ("dml", CAUSAL):
        est = scored[scored["method"] == method].set_index("group")
        se = a.results.by_group[a.results.by_group["method"] == method].set_index("group")["se"]
        worst = est["error"].abs().idxmax()
        out[method]["worst"] = f"{worst} {est.loc[worst, 'error']:+.3f} (SE {se[worst]:.3f})"
        out[method]["mean_se"] = float(se.mean())
    cross = score_cross(a.results.cross_price, truth.cross)
    off = cross[~cross["own"]]
    out["cross"] = dict(n=int(len(off)), coverage=float(off["covered"].mean()) if len(off) else None,
                        max_abs_error=float(off["error"].abs().max()) if len(off) else None)
    return out


def run_report(source: str, out_dir: str) -> dict:
    """The whole report as `luckin-lab run` does it: papermill, then HTML and PDF rendering."""
    from luckin_lab.reporting.runner import run_report as run_params

    result = run_params(ROOT / "params" / "price_elasticity" / "demo.yaml",
                        overrides={"source": source}, reports_root=Path(out_dir) / "reports")
    if not result.ok:
        raise RuntimeError(result.error_text())
    return {"status": result.status}


def _accuracy_row(variant: str, acc: dict, seconds: float) -> dict:
    from luckin_lab.pricing.elasticities import CAUSAL

    causal, dml, naive = acc.get(CAUSAL, {}), acc.get("dml", {}), acc.get("naive", {})
    met = (
        causal.get("n") == causal.get("of") and causal.get("max_abs_error", 9) <= 0.1
        and causal.get("coverage", 0) == 1.0 and naive.get("mean_error", 0) > 0.15
    )
    return dict(
        benchmark="pricing_accuracy", variant=variant, median_s=seconds, peak_mb=None, ratio=None,
        target="causal (Poisson IV) abs. error <= 0.1 and 95 % CI covers, every category; naive biased",
        met=bool(met),
        notes=(f"Poisson IV {causal.get('n')}/{causal.get('of')} categories, max abs. error "
               f"{causal.get('max_abs_error', float('nan')):.3f} [{causal.get('worst')}], coverage "
               f"{causal.get('coverage', 0):.0%}, mean SE {causal.get('mean_se', float('nan')):.3f}; "
               f"DML max abs. error {dml.get('max_abs_error', float('nan')):.3f} [{dml.get('worst')}], "
               f"coverage {dml.get('coverage', 0):.0%}, mean SE {dml.get('mean_se', float('nan')):.3f}; "
               f"2SLS max abs. error {acc.get('2sls', {}).get('max_abs_error', float('nan')):.3f}; naive mean err "
               f"{naive.get('mean_error', float('nan')):+.3f}; cross-price: "
               f"{acc.get('cross', {}).get('n')} off-diagonal pairs, coverage "
               f"{acc.get('cross', {}).get('coverage') or 0:.0%}"),
    )


def run(quick: bool) -> list[dict]:
    from luckin_lab.synth.build import build_store

    scale = "small" if quick else "seed"
    rows = []
    default = demo_store_dir(scale) / "store.duckdb"
    if not default.exists():
        build_store(default.parent, scale=scale)
    src = f"duckdb:{default}"
    t0 = time.perf_counter()
    rows.append(_accuracy_row(f"{scale}, default truth", analyse(src), time.perf_counter() - t0))
    with tempfile.TemporaryDirectory() as tmp:
        truth_file = Path(tmp) / "truth.yaml"
        truth_file.write_text(yaml.safe_dump(SECOND_TRUTH))
        store2 = Path(tmp) / "second"
        build_store(store2, scale=scale, truth_path=truth_file)
        t0 = time.perf_counter()
        acc = analyse(f"duckdb:{store2 / 'store.duckdb'}")
        rows.append(_accuracy_row(f"{scale}, second truth", acc, time.perf_counter() - t0))
        m = measure("benchmarks.bench_pricing", "run_report", repeats=1 if quick else 2,
                    source=src, out_dir=tmp)
    rows.append(dict(
        benchmark="pricing_report", variant=f"run + render, {scale} store", median_s=m.median_s,
        peak_mb=m.peak_mb, ratio=None, target="< 120 s at seed scale",
        met=(m.median_s < 120) if not quick else None,
        notes="luckin-lab run params/price_elasticity/demo.yaml: papermill (Poisson IV, DML 5 folds, "
              "2SLS, cross-price, OR-Tools ladder) + HTML and PDF rendering",
    ))
    print(json.dumps(rows, indent=1, default=str))
    return rows
