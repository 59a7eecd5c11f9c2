"""What a site-selection run writes to ``results/``: the tables behind every figure and metrics.json."""

from __future__ import annotations

from luckin_lab.reporting.nb import Results
from luckin_lab.sites.analysis import SitePlan


def write_results(plan: SitePlan, results: Results) -> None:
    """Candidate scores, cannibalization, portfolio, model checks and metrics.json."""
    results.table("candidate_scores", plan.candidates)
    results.table("cannibalization", plan.cannibalization)
    results.table("portfolio", plan.chosen_table())
    results.table("portfolio_pnl", plan.portfolio_table())
    results.table("huff_parameters", plan.huff.params)
    results.table("revenue_model_cv", plan.cv.per_store)
    results.table("revenue_model_r2", plan.cv.r2)
    results.table("ramp_curves", plan.ramp)
    results.table("flagship_decomposition", plan.flagship["table"])
    results.table("decay_sensitivity", plan.sensitivity)
    results.metrics(plan.metrics)
