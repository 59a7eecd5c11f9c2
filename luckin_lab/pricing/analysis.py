"""The whole pricing analysis in one call, so the notebook stays thin and benchmarks time it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

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
from luckin_lab.pricing.settings import PricingSettings
from luckin_lab.pricing.words import Words, words_for
from luckin_lab.sources import DataStore, open_store
from luckin_lab.transforms.pricing import weekly_order_value


@dataclass
class PricingAnalysis:
    store: DataStore
    params: PricingSettings
    panel: pd.DataFrame  # estimation window only
    spec: PanelSpec
    results: ElasticityResults
    economics: pd.DataFrame | None
    segments: pd.DataFrame | None
    recommendations: pd.DataFrame | None  # None when the data cannot price (see no_prices_reason)
    projection: pd.DataFrame | None
    segment_change: pd.DataFrame | None
    order_value: pd.DataFrame | None
    aov: pd.DataFrame | None
    words: Words
    no_prices_reason: str = ""

    @property
    def total(self) -> pd.Series | None:
        """The projection's all-groups row (None without recommendations)."""
        return None if self.projection is None else self.projection.set_index("group").loc["All groups"]

    def metrics(self) -> dict:
        """Headline numbers for metrics.json."""
        causal = self.results.by_group[self.results.by_group["method"] == CAUSAL]
        naive = self.results.by_group[self.results.by_group["method"] == "naive"]
        out = {
            "panel": self.params.panel,
            "design": self.spec.design,
            "time_effects": self.spec.time_effects,
            "cluster": self.spec.cluster,
            "hac_lags": self.spec.hac_lags,
            "methods_omitted": self.results.omitted,
            "grain": self.params.grain,
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
                "prices_are_category_averages": by_category(self.params),
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


def run_pricing(params: PricingSettings) -> PricingAnalysis:
    store = open_store(params.source or None)
    if params.panel == "demo":
        panel, spec = load_demo_panel(store, params.grain, params.period)
    else:
        panel, spec = load_generic_panel(store, params.instruments, params.controls)
    spec = PanelSpec(tuple(params.instruments), tuple(params.controls), params.time_effects,
                     params.weekday_effects, cluster=params.cluster, hac_lags=params.hac_lags)
    spec = resolve_design(panel, spec)
    panel, n_before = instrument_window(panel, spec)
    if n_before:
        store.exclude("demand panel", "cells before the randomized price test (no instrument)",
                      n_before)
    results = estimate_elasticities(panel, spec, dml_folds=params.dml_folds, seed=params.seed,
                                    n_main_groups=params.main_groups, min_quantity=params.min_units)
    if results.zero_rows:
        store.exclude("demand panel", "group-period cells without sales (left out of the log-log "
                      "naive and 2SLS fits only; DML and the Poisson IV keep them)", results.zero_rows)
    words = words_for(params, panel["period"])
    why_not = no_prices_reason(panel, spec, words)
    a = PricingAnalysis(store, params, panel, spec, results, None, None, None, None, None,
                        None, None, words, why_not)
    if why_not:
        return a
    window = 7 * params.recent_weeks
    a.economics = group_economics(panel, results, CAUSAL, window)
    a.segments = segs = segment_economics(panel, results, window)
    # a category's price is an average over its items, which no menu shows: it moves in whole-percent
    # steps (every item by the same share, so the order of items within it is kept); price endings
    # and the price order across groups apply to item prices, not to averages of different items
    endings = () if by_category(params) else tuple(params.price_endings)
    ladder = params.keep_ladder and not by_category(params)
    rails = GuardRails(params.max_price_change, endings,
                       tuple(params.protect_segments) if segs is not None else (),
                       params.max_segment_loss, ladder, params.min_weekly_gain, params.sure_z)
    a.recommendations = recs = recommend_prices(a.economics, rails, segs)
    cross = results.cross_price if not results.cross_price.empty else None
    a.projection = project(recs, a.economics.set_index("group")["se"], cross, seed=params.seed)
    a.segment_change = segment_volume_change(recs, segs) if segs is not None else None
    if params.panel == "demo" and store.has("orders"):  # a generic panel has its own groups
        a.order_value = store.execute(weekly_order_value(store))
        recent = a.order_value.tail(params.recent_weeks)
        aov_today = float((recent["aov"] * recent["orders"]).sum() / recent["orders"].sum())
        a.aov = aov_path(aov_today, recs)
    return a
