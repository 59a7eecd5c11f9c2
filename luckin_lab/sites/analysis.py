"""The site-selection analysis as one object: fit once (the Huff store-choice model, spatial
cross-validation, conformal intervals, candidate scores, the ramp and the distance-decay
profiles), then decide the sites for any number of openings, budget or staffing without refitting.

>>> a = SiteAnalysis(SiteSettings()).fit(load_site_data(store))   # costly: models
>>> plan = a.decide(k_sites=3)                                     # cheap: the portfolio
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from luckin_lab.estimator import decision_settings
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
from luckin_lab.sites.sensitivity import DecayMarket, decay_markets, decay_sensitivity
from luckin_lab.sites.spatial_cv import conformal_quantile, leave_one_out_coverage, log_residuals
from luckin_lab.sites.staffing import Staffing, staffing_from
from luckin_lab.sites.uncertainty import widen_by_area

DECAY_OFFSETS = (-0.5, -0.3, 0.3, 0.5)  # distance decays around the estimate the choice is re-made under
RECENT_WEEKS = 4  # complete weeks the monthly market is scored on
# settings decide() may change without a refit; every other setting changes the fitted model
POLICY = ("k_sites", "budget", "staff_on_shift", "staff_hourly_cost")


class SiteSettings(BaseModel):
    """What the analysis needs to know; the report's ``Params`` extends this, so defaults live here.

    ``k_sites``, ``budget`` and the staffing are the decision (``decide`` may change them);
    the others shape the fitted model.
    """

    model_config = ConfigDict(extra="forbid")

    k_sites: int | None = Field(5, ge=1, le=50, description="number of new stores to open; None = budget only")
    budget: float | None = Field(None, gt=0, description="opening-cost budget in USD; None = no budget")
    alpha: float = Field(0.1, gt=0, lt=0.5, description="1 - interval level (0.1 = 90% intervals)")
    block_km: float = Field(1.5, gt=0, description="side of the spatial CV blocks, km")
    buffer_km: float = Field(0.5, ge=0, description="training stores this close to a held-out one are dropped")
    min_distance_km: float = Field(0.25, gt=0, description="distances below this count as this (walking floor)")
    new_store_attraction: float = Field(1.0, gt=0, description="attraction of a new store vs our median store")
    staff_on_shift: float = Field(2.0, gt=0, le=20, description="people working in a new store at every open "
                                  "hour (assumption: the data hold no payroll; shown on page one)")
    staff_hourly_cost: float = Field(21.25, ge=0, le=200, description="USD per staff hour, wages plus payroll "
                                     "costs (assumption: New York City's 2026 minimum wage of $17.00 plus 25 %)")

    @model_validator(mode="after")
    def _limit_given(self) -> SiteSettings:
        if self.k_sites is None and self.budget is None:
            raise ValueError("give k_sites or budget (or both)")
        return self


@dataclass
class SiteAnalysis:
    """New store sites net of cannibalization, estimator-style: ``fit`` then ``decide``."""

    settings: SiteSettings = field(default_factory=SiteSettings)
    fits: int = 0  # how many times the models were fitted (decide never refits)

    def fit(self, data: SiteData) -> SiteAnalysis:
        """Fit the store-choice model, check it on held-out blocks of the city, score every candidate."""
        s = self.settings
        if data.candidates.empty:
            raise ValueError("candidate_sites: no candidates to score")
        self.data = data
        self.huff: HuffFit = fit_huff(data, s.min_distance_km)
        self.market: Market = build_market(self.huff, data, RECENT_WEEKS)
        cand, self.cannibalization = candidate_table(data, self.market, s.new_store_attraction)
        self.cv: RevenueCV = cross_validate(data, self.huff, s.block_km, s.buffer_km, RECENT_WEEKS)
        widen_by_area(self.huff, self.cv.fold_fits)  # the sandwich alone was implausibly narrow (decay 1.79-1.81)
        self._intervals(cand)
        self.overlap = pairwise_overlap(self.market, s.new_store_attraction)
        self.margin_rate = float(data.margin_rate) if data.margin_rate is not None else float("nan")
        self.ramp = ramp_curves(self.huff, data)
        self.flagship = flagship_decomposition(self.huff, data)
        self.decay_markets: list[DecayMarket] = decay_markets(data, self.huff, DECAY_OFFSETS,
                                                              s.new_store_attraction, RECENT_WEEKS)
        self.fits += 1
        return self

    def _intervals(self, cand: pd.DataFrame) -> None:
        """Conformal intervals from the held-out stores' errors, carried to every candidate."""
        alpha = self.settings.alpha
        per = self.cv.per_store.dropna(subset=["huff_spatial_cv"])
        res = log_residuals(per.y, per.huff_spatial_cv)
        log_q = conformal_quantile(res, alpha)
        self.interval_level_achievable = bool(np.isfinite(log_q))
        self.log_q = log_q if self.interval_level_achievable else float(res.max())
        self.coverage, _ = leave_one_out_coverage(per.y.to_numpy(), per.huff_spatial_cv.to_numpy(), alpha)
        iv = intervals_by_attraction(self.market, cand.standalone_revenue.to_numpy(), self.log_q)
        cand = pd.concat([cand, iv[["standalone_low", "standalone_high", "net_gain_low", "net_gain_high",
                                    "cannibalized_low", "cannibalized_high"]]], axis=1)
        cand["label"] = site_labels(cand)
        self.candidates = cand

    @property
    def has_profit(self) -> bool:
        """False without item costs: the P&L columns are then revenue only."""
        return bool(np.isfinite(self.margin_rate))

    # -- the decision (no refit) -----------------------------------------------------------

    def decide(self, **policy: Any) -> SitePlan:
        """The best set of sites for the settings' decision, or ``policy`` (any of ``POLICY``)."""
        self._check_fitted()
        s = decision_settings(self.settings, SiteSettings, policy, POLICY)
        data, margin = self.data, self.margin_rate
        staffing = staffing_from(data.stores, data.production, s.staff_on_shift, s.staff_hourly_cost)
        staff = staffing.monthly_cost
        cand = candidate_pnl(self.candidates, margin, staff)  # NaN profit columns without item costs
        if self.has_profit:
            # choose by monthly profit: net revenue at the gross margin less the site's rent and staff
            net = site_value(cand.net_gain.to_numpy(), cand.monthly_rent.to_numpy(), margin, staff)
            overlap_value = self.overlap * margin
        else:
            net, overlap_value = cand.net_gain.to_numpy(), self.overlap
        costs = cand.opening_cost.to_numpy(float)
        chosen = solve_portfolio(net, overlap_value, k=s.k_sites, costs=costs, budget=s.budget)
        ranked = rank_one_by_one(net, k=s.k_sites, costs=costs, budget=s.budget)
        cand["rank_one_by_one"] = (-net).argsort().argsort() + 1
        cand["chosen"] = np.isin(np.arange(len(cand)), chosen)
        cand["in_ranking_shortlist"] = np.isin(np.arange(len(cand)), ranked)
        sens = decay_sensitivity(self.decay_markets, data.candidates, chosen, s.k_sites, s.budget,
                                 self.settings.new_store_attraction,
                                 margin_rate=margin if self.has_profit else None, staff_cost=staff)
        plan = SitePlan(self, s, cand, chosen, ranked, sens, {}, staffing)
        self._metrics(plan)
        return plan

    def _metrics(self, plan: SitePlan) -> None:
        """metrics.json: the fitted model's checks and the plan's money, one figure each."""
        s, data, fit, cand = plan.settings, self.data, self.huff, plan.candidates
        chosen, ranked, a = plan.chosen, plan.ranked, self.settings.new_store_attraction
        r2 = self.cv.r2.set_index(["model", "evaluation"]).r2
        gbm = "Gradient boosting (catchment features)"
        dec = param(fit, "distance decay")
        staff = plan.staffing.monthly_cost
        costs = cand.opening_cost.to_numpy(float)
        m = plan.metrics
        m |= {
            "n_stores": len(data.stores), "n_candidates": len(cand), "n_weeks": data.n_weeks,
            "k": s.k_sites, "budget": s.budget,
            "chosen_sites": cand.site_id[chosen].tolist(),
            "ranking_sites": cand.site_id[ranked].tolist(),
            "portfolio_net_gain_monthly": self.market.set_net_gain(chosen, a),
            "ranking_net_gain_monthly": self.market.set_net_gain(ranked, a),
            "portfolio_standalone_monthly": float(cand.standalone_revenue[chosen].sum()),
            "r2_gbm_in_sample": float(r2[(gbm, "in-sample")]),
            "r2_gbm_random_cv": float(r2[(gbm, "random 5-fold CV")]),
            "r2_gbm_spatial_cv": float(r2[(gbm, "spatial block CV")]),
            "r2_huff_spatial_cv": float(r2[("Huff store choice", "spatial block CV")]),
            "interval_level": 1 - self.settings.alpha, "interval_log_halfwidth": self.log_q,
            "interval_level_achievable": self.interval_level_achievable,
            "interval_coverage_held_out_stores": self.coverage,
            "n_cv_folds": len(self.cv.folds),
            "distance_decay": fit.decay, "distance_decay_ci": [float(dec.ci_low), float(dec.ci_high)],
            "outside_base": fit.outside_base, "outside_per_competitor": fit.outside_per_competitor,
            "grand_opening_boost": fit.boost, "grand_opening_weeks": fit.boost_weeks,
            "demand_weights": dict(zip(fit.state_names, map(float, fit.state_weights), strict=True)),
            "flagship_store_id": self.flagship["store_id"],
            "flagship_revenue_from": self.flagship["revenue_from"], "flagship_revenue_to": self.flagship["revenue_to"],
            "flagship_cannibalization_share_of_decline": float(self.flagship["table"].share_of_change.iloc[1]),
            "decision_robust_to_decay": bool((plan.sensitivity.same_sites_as_base == len(chosen)).all()),
            "distance_decay_se_sandwich": float(dec.se_sandwich), "distance_decay_se_by_area": float(dec.se_by_area),
            "distance_decay_interval_from": str(dec.interval_from),
            "chosen_site_names": cand.label[chosen].tolist(),
            "gross_margin_rate": self.margin_rate if self.has_profit else None,
            "opening_cost_total": float(costs[chosen].sum()),
            "monthly_rent_total": float(cand.monthly_rent.to_numpy(float)[chosen].sum()),
            "staff_cost_per_store_monthly": staff, "staff_cost_total_monthly": staff * len(chosen),
            "staff_on_shift": plan.staffing.on_shift, "staff_hourly_cost": plan.staffing.hourly_cost,
            "staff_open_hours_per_day": plan.staffing.open_hours_per_day,
        }
        if self.has_profit:
            margin = self.margin_rate
            fixed = cand.monthly_rent.to_numpy(float) + staff
            m["portfolio_profit_monthly"] = m["portfolio_net_gain_monthly"] * margin - fixed[chosen].sum()
            m["ranking_profit_monthly"] = m["ranking_net_gain_monthly"] * margin - fixed[ranked].sum()
            # net sales a chosen site needs a month to cover its rent and staff (their average)
            m["break_even_net_sales_per_site"] = float(fixed[chosen].mean() / margin) if len(chosen) else float("nan")
            total = plan.portfolio_table().iloc[-1]
            m.update(portfolio_profit_low=float(total.profit_low), portfolio_profit_high=float(total.profit_high),
                     portfolio_payback_months=float(total.payback_months),
                     portfolio_payback_months_low=float(total.payback_months_low),
                     portfolio_payback_months_high=float(total.payback_months_high))

    # -- inspection ------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not self.fits:
            raise ValueError("SiteAnalysis is not fitted: call fit(data) first")

    def summary(self) -> pd.DataFrame:
        """The fitted model's headline figures as a frame (one row per figure)."""
        self._check_fitted()
        r2 = self.cv.r2.set_index(["model", "evaluation"]).r2
        dec = param(self.huff, "distance decay")
        best = self.candidates.sort_values("net_gain", ascending=False).iloc[0]
        rows = [
            ("stores", len(self.data.stores)),
            ("candidate sites", len(self.candidates)),
            ("complete weeks of sales", self.data.n_weeks),
            ("distance decay", self.huff.decay),
            ("distance decay, 95 % low", float(dec.ci_low)),
            ("distance decay, 95 % high", float(dec.ci_high)),
            ("grand-opening boost", self.huff.boost),
            ("store-choice model R², held-out city blocks", float(r2[("Huff store choice", "spatial block CV")])),
            (f"interval coverage on held-out stores (target {1 - self.settings.alpha:.0%})", self.coverage),
            ("gross margin rate", self.margin_rate),
            (f"best candidate's monthly net sales ({best.label})", float(best.net_gain)),
        ]
        return pd.DataFrame(rows, columns=["figure", "value"])

    def __repr__(self) -> str:
        if not self.fits:
            return f"SiteAnalysis({self.settings!r}, not fitted)"
        r2 = self.cv.r2.set_index(["model", "evaluation"]).r2[("Huff store choice", "spatial block CV")]
        return (f"SiteAnalysis(stores={len(self.data.stores)}, candidates={len(self.candidates)}, "
                f"weeks={self.data.n_weeks}, distance decay={self.huff.decay:.2f}, "
                f"held-out R²={r2:.2f}, margin rate={self.margin_rate:.1%})")


@dataclass
class SitePlan:
    """The sites chosen for one decision (number of sites, budget, staffing) on a fitted analysis.

    The fitted pieces (``data``, ``huff``, ``market``, ``cv``, ...) are the analysis's; the
    candidate table here carries this decision's P&L, rank and ``chosen`` flag.
    """

    analysis: SiteAnalysis
    settings: SiteSettings  # the analysis's settings with this decision
    candidates: pd.DataFrame  # scores, intervals, P&L, rank, chosen
    chosen: np.ndarray
    ranked: np.ndarray  # the one-by-one ranking's shortlist under the same limits
    sensitivity: pd.DataFrame
    metrics: dict
    staffing: Staffing

    def __getattr__(self, name: str) -> Any:
        """The fitted analysis's pieces (``data``, ``huff``, ``market``, ``cv``, ``ramp``, ...), so the
        report's words and charts read one object; only called for names the plan does not hold."""
        if name.startswith("__") or name == "analysis":
            raise AttributeError(name)
        return getattr(self.analysis, name)

    def chosen_table(self) -> pd.DataFrame:
        key = "profit" if self.has_profit else "net_gain"
        return self.candidates[self.candidates.chosen].sort_values(key, ascending=False)

    def portfolio_table(self) -> pd.DataFrame:
        """Table 1: recommended sites, the customers they share, the total (= page one)."""
        shared = float(self.chosen_table().net_gain.sum() - self.metrics["portfolio_net_gain_monthly"])
        return portfolio_pnl(self.chosen_table(), shared, self.margin_rate)

    def summary(self) -> pd.DataFrame:
        """The decision's figures as a frame (one row per figure)."""
        m = self.metrics
        rows = [("sites chosen", len(self.chosen)),
                ("monthly net sales of the set", m["portfolio_net_gain_monthly"]),
                ("monthly net sales of the one-by-one ranking", m["ranking_net_gain_monthly"]),
                ("opening cost of the set", m["opening_cost_total"])]
        if self.has_profit:
            rows += [("monthly profit of the set", m["portfolio_profit_monthly"]),
                     (f"monthly profit, {m['interval_level']:.0%} low", m["portfolio_profit_low"]),
                     (f"monthly profit, {m['interval_level']:.0%} high", m["portfolio_profit_high"]),
                     ("monthly profit of the one-by-one ranking", m["ranking_profit_monthly"])]
        rows.append(("same sites under every distance decay tried", m["decision_robust_to_decay"]))
        return pd.DataFrame(rows, columns=["figure", "value"])

    def __repr__(self) -> str:
        m = self.metrics
        money = (f"profit={m['portfolio_profit_monthly']:,.0f}/month "
                 f"[{m['portfolio_profit_low']:,.0f}, {m['portfolio_profit_high']:,.0f}]" if self.has_profit
                 else f"net sales={m['portfolio_net_gain_monthly']:,.0f}/month")
        limit = f"k={self.settings.k_sites}" + (f", budget={self.settings.budget:,.0f}" if self.settings.budget else "")
        return f"SitePlan({limit}: {', '.join(m['chosen_site_names'])}; {money})"
