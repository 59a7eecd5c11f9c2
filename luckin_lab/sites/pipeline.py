"""The whole site-selection analysis in one call, for the report notebook and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from luckin_lab.reporting.nb import Results
from luckin_lab.sites.data import SiteData
from luckin_lab.sites.huff import HuffFit, fit_huff, param
from luckin_lab.sites.places import site_labels
from luckin_lab.sites.pnl import candidate_pnl, portfolio_pnl, site_value
from luckin_lab.sites.portfolio import rank_one_by_one, solve_portfolio
from luckin_lab.sites.ramp import flagship_decomposition, ramp_curves
from luckin_lab.sites.revenue_model import RevenueCV, cross_validate
from luckin_lab.sites.scoring import (
    Market,
    build_market,
    candidate_table,
    intervals_by_attraction,
    pairwise_overlap,
)
from luckin_lab.sites.sensitivity import decay_sensitivity
from luckin_lab.sites.spatial_cv import conformal_quantile, leave_one_out_coverage, log_residuals
from luckin_lab.sites.staffing import Staffing
from luckin_lab.sites.uncertainty import widen_by_area


@dataclass
class SiteSelection:
    data: SiteData
    fit: HuffFit
    market: Market
    candidates: pd.DataFrame  # scores, intervals, rank, chosen
    cannibalization: pd.DataFrame  # site x store
    overlap: np.ndarray
    chosen: np.ndarray
    ranked: np.ndarray
    cv: RevenueCV
    log_q: float
    coverage: float
    ramp: pd.DataFrame
    flagship: dict
    sensitivity: pd.DataFrame
    metrics: dict
    margin_rate: float = float("nan")  # NaN: no item costs, so the P&L columns are revenue-only
    staffing: Staffing | None = None  # None: no staff cost in the P&L

    @property
    def has_profit(self) -> bool:
        return bool(np.isfinite(self.margin_rate))

    def chosen_table(self) -> pd.DataFrame:
        key = "profit" if self.has_profit else "net_gain"
        return self.candidates[self.candidates.chosen].sort_values(key, ascending=False)

    def portfolio_table(self) -> pd.DataFrame:
        """Table 1: recommended sites, the customers they share, the total (= page one)."""
        shared = float(self.chosen_table().net_gain.sum() - self.metrics["portfolio_net_gain_monthly"])
        return portfolio_pnl(self.chosen_table(), shared, self.margin_rate)


def run_site_selection(data: SiteData, k: int | None = 5, budget: float | None = None,
                       alpha: float = 0.1, block_km: float = 1.5, buffer_km: float = 0.5,
                       min_distance_km: float = 0.25, new_attraction: float = 1.0,
                       decay_offsets: tuple[float, ...] = (-0.5, -0.3, 0.3, 0.5),
                       recent_weeks: int = 4, staffing: Staffing | None = None) -> SiteSelection:
    """Fit, validate, score, choose and stress-test; see the module docs of each step."""
    if data.candidates.empty:
        raise ValueError("candidate_sites: no candidates to score")
    fit = fit_huff(data, min_distance_km)
    market = build_market(fit, data, recent_weeks)
    cand, cann = candidate_table(data, market, new_attraction)
    cv = cross_validate(data, fit, block_km, buffer_km, recent_weeks)
    widen_by_area(fit, cv.fold_fits)  # the sandwich alone was implausibly narrow (decay 1.79-1.81)
    per = cv.per_store.dropna(subset=["huff_spatial_cv"])
    res = log_residuals(per.y, per.huff_spatial_cv)
    log_q = conformal_quantile(res, alpha)
    level_ok = np.isfinite(log_q)
    if not level_ok:
        log_q = float(res.max())
    coverage, _ = leave_one_out_coverage(per.y.to_numpy(), per.huff_spatial_cv.to_numpy(), alpha)
    iv = intervals_by_attraction(market, cand.standalone_revenue.to_numpy(), log_q)
    cand = pd.concat([cand, iv[["standalone_low", "standalone_high", "net_gain_low", "net_gain_high",
                                "cannibalized_low", "cannibalized_high"]]], axis=1)
    overlap = pairwise_overlap(market, new_attraction)
    margin = float(data.margin_rate) if data.margin_rate is not None else float("nan")
    has_profit = np.isfinite(margin)
    cand["label"] = site_labels(cand)
    staff = staffing.monthly_cost if staffing is not None else 0.0
    cand = candidate_pnl(cand, margin, staff)  # NaN profit columns without item costs
    if has_profit:
        # choose by monthly profit: net revenue at the gross margin less the site's rent and staff
        net = site_value(cand.net_gain.to_numpy(), cand.monthly_rent.to_numpy(), margin, staff)
        overlap_value = overlap * margin
    else:
        net, overlap_value = cand.net_gain.to_numpy(), overlap
    costs = cand.opening_cost.to_numpy(float)
    chosen = solve_portfolio(net, overlap_value, k=k, costs=costs, budget=budget)
    ranked = rank_one_by_one(net, k=k, costs=costs, budget=budget)
    cand["rank_one_by_one"] = (-net).argsort().argsort() + 1
    cand["chosen"] = np.isin(np.arange(len(cand)), chosen)
    cand["in_ranking_shortlist"] = np.isin(np.arange(len(cand)), ranked)
    sens = decay_sensitivity(data, fit, chosen, k, budget, decay_offsets, new_attraction,
                             margin_rate=margin if has_profit else None, staff_cost=staff)
    ramp = ramp_curves(fit, data)
    flag = flagship_decomposition(fit, data)
    r2 = cv.r2.set_index(["model", "evaluation"]).r2
    gbm = "Gradient boosting (catchment features)"
    dec = param(fit, "distance decay")
    metrics = {
        "n_stores": len(data.stores), "n_candidates": len(cand), "n_weeks": data.n_weeks,
        "k": k, "budget": budget,
        "chosen_sites": cand.site_id[chosen].tolist(),
        "ranking_sites": cand.site_id[ranked].tolist(),
        "portfolio_net_gain_monthly": market.set_net_gain(chosen, new_attraction),
        "ranking_net_gain_monthly": market.set_net_gain(ranked, new_attraction),
        "portfolio_standalone_monthly": float(cand.standalone_revenue[chosen].sum()),
        "r2_gbm_in_sample": float(r2[(gbm, "in-sample")]),
        "r2_gbm_random_cv": float(r2[(gbm, "random 5-fold CV")]),
        "r2_gbm_spatial_cv": float(r2[(gbm, "spatial block CV")]),
        "r2_huff_spatial_cv": float(r2[("Huff store choice", "spatial block CV")]),
        "interval_level": 1 - alpha, "interval_log_halfwidth": log_q,
        "interval_level_achievable": bool(level_ok),
        "interval_coverage_held_out_stores": coverage,
        "n_cv_folds": len(cv.folds),
        "distance_decay": fit.decay, "distance_decay_ci": [float(dec.ci_low), float(dec.ci_high)],
        "outside_base": fit.outside_base, "outside_per_competitor": fit.outside_per_competitor,
        "grand_opening_boost": fit.boost, "grand_opening_weeks": fit.boost_weeks,
        "demand_weights": dict(zip(fit.state_names, map(float, fit.state_weights), strict=True)),
        "flagship_store_id": flag["store_id"],
        "flagship_revenue_from": flag["revenue_from"], "flagship_revenue_to": flag["revenue_to"],
        "flagship_cannibalization_share_of_decline": float(
            flag["table"].share_of_change.iloc[1]),
        "decision_robust_to_decay": bool((sens.same_sites_as_base == len(chosen)).all()),
        "distance_decay_se_sandwich": float(dec.se_sandwich), "distance_decay_se_by_area": float(dec.se_by_area),
        "distance_decay_interval_from": str(dec.interval_from),
        "chosen_site_names": cand.label[chosen].tolist(),
        "gross_margin_rate": margin if has_profit else None,
        "opening_cost_total": float(costs[chosen].sum()),
        "monthly_rent_total": float(cand.monthly_rent.to_numpy(float)[chosen].sum()),
        "staff_cost_per_store_monthly": staff, "staff_cost_total_monthly": staff * len(chosen),
    }
    if staffing is not None:
        metrics.update(staff_on_shift=staffing.on_shift, staff_hourly_cost=staffing.hourly_cost,
                       staff_open_hours_per_day=staffing.open_hours_per_day)
    if has_profit:
        fixed = cand.monthly_rent.to_numpy(float) + staff
        metrics["portfolio_profit_monthly"] = metrics["portfolio_net_gain_monthly"] * margin - fixed[chosen].sum()
        metrics["ranking_profit_monthly"] = metrics["ranking_net_gain_monthly"] * margin - fixed[ranked].sum()
        # net sales a chosen site needs a month to cover its rent and staff (their average)
        metrics["break_even_net_sales_per_site"] = float(fixed[chosen].mean() / margin)
    sel = SiteSelection(data, fit, market, cand, cann, overlap, chosen, ranked, cv, log_q, coverage,
                        ramp, flag, sens, metrics, margin, staffing)
    if has_profit:
        total = sel.portfolio_table().iloc[-1]
        metrics.update(portfolio_profit_low=float(total.profit_low), portfolio_profit_high=float(total.profit_high),
                       portfolio_payback_months=float(total.payback_months),
                       portfolio_payback_months_low=float(total.payback_months_low),
                       portfolio_payback_months_high=float(total.payback_months_high))
    return sel


def write_results(sel: SiteSelection, results: Results) -> None:
    """Candidate scores, cannibalization, portfolio, model checks and metrics.json."""
    results.table("candidate_scores", sel.candidates)
    results.table("cannibalization", sel.cannibalization)
    results.table("portfolio", sel.chosen_table())
    results.table("portfolio_pnl", sel.portfolio_table())
    results.table("huff_parameters", sel.fit.params)
    results.table("revenue_model_cv", sel.cv.per_store)
    results.table("revenue_model_r2", sel.cv.r2)
    results.table("ramp_curves", sel.ramp)
    results.table("flagship_decomposition", sel.flagship["table"])
    results.table("decay_sensitivity", sel.sensitivity)
    results.metrics(sel.metrics)
