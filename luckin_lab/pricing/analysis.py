"""The pricing analysis as one object: estimate the elasticities once, then decide prices under
any guard rails without re-estimating.

>>> a = PricingAnalysis(PricingSettings()).fit(store)   # costly: the demand panel, four estimators
>>> plan = a.decide(max_price_change=0.05)               # cheap: the menu within these rails
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from luckin_lab.estimator import decision_settings
from luckin_lab.pricing import plots
from luckin_lab.pricing.economics import aov_path, group_economics, segment_economics
from luckin_lab.pricing.elasticities import CAUSAL, ElasticityResults, estimate_elasticities
from luckin_lab.pricing.load import load_demo_panel, load_generic_panel
from luckin_lab.pricing.panel import PanelSpec, instrument_window, resolve_design
from luckin_lab.pricing.recommend import (
    GuardRails,
    project,
    recommend_prices,
    segment_volume_change,
)
from luckin_lab.pricing.settings import GUARD_RAILS, PricingSettings
from luckin_lab.pricing.words import Words, words_for
from luckin_lab.sources import DataStore
from luckin_lab.transforms.pricing import weekly_order_value


class PricingAnalysis:
    """Price elasticity and pricing, estimator-style.

    ``fit`` builds the demand panel and estimates the elasticities (naive, 2SLS, Poisson IV,
    DML) and today's economics per group (the costly step); ``decide`` chooses the menu within
    guard rails and projects its effect, without re-estimating. ``fits`` counts the fits.
    """

    def __init__(self, settings: PricingSettings | None = None) -> None:
        self.settings = settings or PricingSettings()
        self.fits = 0

    # -- fit: the costly modelling, once ------------------------------------------------------

    def fit(self, store: DataStore) -> PricingAnalysis:
        """Read the demand panel, estimate every elasticity, and price today's menu."""
        self.store = store
        self._load_panel()
        self._estimate_elasticities()
        self._price_today()
        self.fits += 1
        return self

    def _load_panel(self) -> None:
        """The demand panel at the settings' grain, cut to the randomized price test."""
        s, store = self.settings, self.store
        if s.panel == "demo":
            panel, _ = load_demo_panel(store, s.grain, s.period)
        else:
            panel, _ = load_generic_panel(store, s.instruments, s.controls)
        spec = PanelSpec(tuple(s.instruments), tuple(s.controls), s.time_effects,
                         s.weekday_effects, cluster=s.cluster, hac_lags=s.hac_lags)
        self.spec = resolve_design(panel, spec)
        self.panel, n_before = instrument_window(panel, self.spec)
        if n_before:
            store.exclude("demand panel", "cells before the randomized price test (no instrument)",
                          n_before)

    def _estimate_elasticities(self) -> None:
        """Own-price elasticity per group and segment by every method, and cross-price effects."""
        s = self.settings
        self.results: ElasticityResults = estimate_elasticities(
            self.panel, self.spec, dml_folds=s.dml_folds, seed=s.seed,
            n_main_groups=s.main_groups, min_quantity=s.min_units)
        if self.results.zero_rows:
            self.store.exclude("demand panel", "group-period cells without sales (left out of the "
                               "log-log naive and 2SLS fits only; DML and the Poisson IV keep "
                               "them)", self.results.zero_rows)
        self.words: Words = words_for(s, self.panel["period"])
        self.no_prices_reason = no_prices_reason(self.panel, self.spec, self.words)

    def _price_today(self) -> None:
        """Today's prices, volumes and costs per group and segment (the recent weeks), and the
        weekly order value: what every menu is compared with."""
        s = self.settings
        self.economics: pd.DataFrame | None = None
        self.segments: pd.DataFrame | None = None
        self.order_value: pd.DataFrame | None = None
        if self.no_prices_reason:
            return
        window = 7 * s.recent_weeks
        self.economics = group_economics(self.panel, self.results, CAUSAL, window)
        self.segments = segment_economics(self.panel, self.results, window)
        if s.panel == "demo" and self.store.has("orders"):  # a generic panel has its own groups
            self.order_value = self.store.execute(weekly_order_value(self.store))

    # -- decide: the cheap step, any number of times --------------------------------------------

    def decide(self, **rails: Any) -> PricePlan:
        """The menu within guard rails (any of ``GUARD_RAILS``; default: the settings') and its
        projected weekly effect. Uses the fitted elasticities only: nothing is re-estimated."""
        if not self.fits:
            raise ValueError("decide() needs a fitted analysis: call fit(store) first")
        s = decision_settings(self.settings, PricingSettings, rails, GUARD_RAILS)
        plan = PricePlan(self, s)
        if self.no_prices_reason:
            return plan
        # a category's price is an average over its items, which no menu shows: it moves in
        # whole-percent steps (every item by the same share, so the order of items within it is
        # kept); price endings and the price order across groups apply to item prices, not to
        # averages of different items
        segs = self.segments
        endings = () if by_category(s) else tuple(s.price_endings)
        plan.rails = GuardRails(s.max_price_change, endings,
                                tuple(s.protect_segments) if segs is not None else (),
                                s.max_segment_loss, s.keep_ladder and not by_category(s),
                                s.min_weekly_gain, s.sure_z)
        plan.recommendations = recs = recommend_prices(self.economics, plan.rails, segs)
        cross = self.results.cross_price if not self.results.cross_price.empty else None
        plan.projection = project(recs, self.economics.set_index("group")["se"], cross,
                                  seed=s.seed)
        plan.segment_change = segment_volume_change(recs, segs) if segs is not None else None
        if self.order_value is not None:
            recent = self.order_value.tail(s.recent_weeks)
            aov_today = float((recent["aov"] * recent["orders"]).sum() / recent["orders"].sum())
            plan.aov = aov_path(aov_today, recs)
        return plan

    # -- inspection ---------------------------------------------------------------------------

    def estimates_figure(self) -> Figure:
        """Own-price elasticity per group: naive and instrumented estimates with 95 % intervals."""
        return plots.estimates_forest(self.results.by_group)

    def segments_figure(self) -> Figure:
        """Poisson IV elasticity by group and customer segment (a heat map)."""
        return plots.segment_heatmap(self.results.by_group_segment)

    def summary(self) -> pd.DataFrame:
        """Own-price elasticity per group, one column per method (the Poisson IV decides)."""
        t = self.results.by_group.pivot_table(index="group", columns="method",
                                              values="elasticity", sort=False)
        return t.reset_index().rename_axis(columns=None)

    def __repr__(self) -> str:
        if not self.fits:
            return f"PricingAnalysis({self.settings!r}, not fitted)"
        causal = self.results.causal()
        groups = ", ".join(f"{g} {e:.2f}" for g, e in causal.items())
        return (f"PricingAnalysis({len(self.panel):,} {self.words.period} cells, design "
                f"{self.spec.design}; {CAUSAL} elasticities: {groups})")


@dataclass(eq=False)
class PricePlan:
    """One decision on a fitted analysis: the guard rails, the recommended menu and its
    projected weekly effect (all None when the data cannot price: ``no_prices_reason``). The
    estimates (panel, elasticities, today's economics) are read through the analysis: one copy,
    shared by every plan made from it."""

    analysis: PricingAnalysis
    settings: PricingSettings  # the analysis' settings with this decision's guard rails
    rails: GuardRails | None = None
    recommendations: pd.DataFrame | None = None
    projection: pd.DataFrame | None = None
    segment_change: pd.DataFrame | None = None
    aov: pd.DataFrame | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "analysis":
            raise AttributeError(name)
        return getattr(self.analysis, name)

    @property
    def total(self) -> pd.Series | None:
        """The projection's all-groups row (None without recommendations)."""
        return None if self.projection is None else self.projection.set_index("group").loc["All groups"]

    def demand_figure(self) -> Figure:
        """Projected weekly quantity against price for every group whose price changes."""
        return plots.demand_curves(self.economics, self.recommendations, self.words)

    def aov_figure(self) -> Figure:
        """Weekly average order value, the projected steps, and the specialty benchmark."""
        return plots.aov_history(self.order_value, self.aov)

    def summary(self) -> pd.DataFrame:
        """The menu: today's and the recommended price per group, with the projected weekly
        margin change and its 90 % range (empty when the data cannot price)."""
        if self.recommendations is None:
            return pd.DataFrame(columns=["group", "today_price", "recommended_price", "change"])
        cols = ["group", "margin_change", "margin_change_low", "margin_change_high"]
        return self.recommendations[["group", "today_price", "recommended_price", "change"]] \
            .merge(self.projection[cols], on="group", how="left")

    def __repr__(self) -> str:
        if self.recommendations is None:
            return f"PricePlan(no prices: {self.analysis.no_prices_reason})"
        t, moved = self.total, int((self.recommendations["change"] != 0).sum())
        return (f"PricePlan(max move {self.settings.max_price_change:.0%}, {moved} of "
                f"{len(self.recommendations)} prices change, weekly margin "
                f"{t['margin_change']:+,.0f} [{t['margin_change_low']:+,.0f}, "
                f"{t['margin_change_high']:+,.0f}])")

    def metrics(self) -> dict:
        """Headline numbers for metrics.json."""
        causal = self.results.by_group[self.results.by_group["method"] == CAUSAL]
        naive = self.results.by_group[self.results.by_group["method"] == "naive"]
        out = {
            "panel": self.settings.panel,
            "design": self.spec.design,
            "time_effects": self.spec.time_effects,
            "cluster": self.spec.cluster,
            "hac_lags": self.spec.hac_lags,
            "methods_omitted": self.results.omitted,
            "grain": self.settings.grain,
            "n_cells": int(len(self.panel)),
            "units": float(self.panel["quantity"].sum()),
            "causal_method": CAUSAL,
            "elasticity_causal": dict(zip(causal["group"], causal["elasticity"], strict=True)),
            "elasticity_causal_se": dict(zip(causal["group"], causal["se"], strict=True)),
            "elasticity_dml": self.results.causal("dml").to_dict(),
            "elasticity_naive": dict(zip(naive["group"], naive["elasticity"], strict=True)),
            "elasticity_2sls": self.results.causal("2sls").to_dict(),
            "first_stage_f_min": float(self.results.by_group["first_stage_f"].min()),
            "weak_instrument_groups": self.results.weak_instrument,
            "prices_recommended": self.recommendations is not None,
        }
        if self.recommendations is not None:
            total = self.total
            out.update({
                "today_price": dict(zip(self.recommendations["group"],
                                        self.recommendations["today_price"], strict=True)),
                "recommended_price": dict(zip(self.recommendations["group"],
                                              self.recommendations["recommended_price"], strict=True)),
                "price_change": dict(zip(self.recommendations["group"], self.recommendations["change"],
                                         strict=True)),
                "allowed_change": dict(zip(self.recommendations["group"],
                                           self.recommendations["allowed_change"], strict=True)),
                "prices_are_category_averages": by_category(self.settings),
                "weekly_margin_change": float(total["margin_change"]),
                "weekly_margin_change_low": float(total["margin_change_low"]),
                "weekly_margin_change_high": float(total["margin_change_high"]),
                "weekly_margin_change_pct": float(total["margin_change_pct"]),
                "weekly_revenue_change": float(total["revenue_change"]),
                "weekly_revenue_change_low": float(total["revenue_change_low"]),
                "weekly_revenue_change_high": float(total["revenue_change_high"]),
                "units_change_pct": float(total["units_change"]),
                "p_margin_up": float(total["p_margin_up"]),
            })
        else:
            out["no_prices_reason"] = self.no_prices_reason
        if not self.results.by_segment.empty:
            s = self.results.by_segment
            out["elasticity_by_segment"] = dict(zip(s["segment"], s["elasticity"], strict=True))
        if self.aov is not None:
            out["aov_today"] = float(self.aov["aov"].iloc[0])
            out["aov_after_prices"] = float(self.aov["aov"].iloc[1])
        return out


def no_prices_reason(panel: pd.DataFrame, spec: PanelSpec, words: Words) -> str:
    """Why the data cannot support price recommendations ('' when they can)."""
    missing = [c for c in ("list_price", "unit_cost") if c not in panel.columns]
    if missing:
        return ("No prices are recommended: the data give no "
                + " and no ".join(c.replace("_", " ") for c in missing)
                + ", so the margin of a price change cannot be computed. The report estimates "
                  "how demand responds to price only.")
    if spec.design == "cross_section" or words.period not in ("day", "week"):
        return ("No prices are recommended: recommendations project weekly volumes from the "
                f"latest weeks, and these data hold one value per {words.period}.")
    return ""


def by_category(params: PricingSettings) -> bool:
    """True when a group is a category of the demo's menu (its price is an average per item sold)."""
    return params.panel == "demo" and params.grain == "category"
