"""Computed sentences and result tables of the report (numbers never typed by hand)."""

from __future__ import annotations

import pandas as pd

from luckin_lab.pricing.analysis import PricingAnalysis
from luckin_lab.pricing.elasticities import CAUSAL
from luckin_lab.pricing.recommend import cross_units_shift
from luckin_lab.reporting.nb import money, pct


def headline(a: PricingAnalysis) -> str:
    """The decision in two sentences: which prices move, and what that does to margin."""
    total = a.projection.set_index("group").loc["All groups"]
    recs = a.recommendations.sort_values("change", ascending=False)

    def moves(rows: pd.DataFrame) -> str:
        return ", ".join(f"{r.group} {money(r.today_price, 2)} → {money(r.recommended_price, 2)}"
                         for r in rows.itertuples())

    ups, downs = recs[recs["change"] > 0], recs[recs["change"] < 0]
    parts = []
    if len(ups):
        parts.append(f"raise {_count(len(ups), 'menu price')} ({moves(ups)})")
    if len(downs):
        parts.append(f"lower {len(downs)} ({moves(downs)})")
    kept = len(recs) - len(ups) - len(downs)
    if parts and kept:
        parts.append(f"keep {kept} at today's price")
    decision = "; ".join(parts) or "keep every menu price"
    return (
        f"**Decision:** {decision}. "
        f"Projected weekly margin {money(total['margin_change'], signed=True)} "
        f"({pct(total['margin_change_pct'], signed=True)}; 90% range "
        f"{money(total['margin_change_low'], signed=True)} to "
        f"{money(total['margin_change_high'], signed=True)}, "
        f"chance it rises {chance(total['p_margin_up'])}), with weekly units "
        f"{pct(total['units_change'], signed=True)}. " + cross_effect_note(a)
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def chance(p: float) -> str:
    """A probability from draws: never "100%" or "0%", which a finite sample cannot show."""
    if p > 0.99:
        return ">99%"
    if p < 0.01:
        return "<1%"
    return pct(p, 0)


def cross_effect_note(a: PricingAnalysis) -> str:
    """Say what the projection includes of the cross-price effects, and their size."""
    cp = a.results.cross_price
    if cp.empty:
        return ("Cross-category effects are not estimated for this panel, so the projection "
                "treats categories as independent.")
    main = list(dict.fromkeys(cp["demand_of"]))
    shift = cross_units_shift(a.recommendations, cp)
    big = (shift.abs().idxmax(), shift.loc[shift.abs().idxmax()])
    rest = [g for g in a.recommendations["group"] if g not in main]
    return (f"The projection includes the estimated cross-price effects among {', '.join(main)} "
            f"(largest: {big[0]} units {pct(big[1], signed=True)} from the other categories' moves)"
            + (f"; those involving {', '.join(rest)} are not estimated" if rest else "")
            + "; prices were chosen category by category.")


def sensitivity_text(a: PricingAnalysis) -> str:
    causal = a.results.by_group[a.results.by_group["method"] == CAUSAL].dropna(subset=["elasticity"])
    elastic = causal[causal["ci_high"] < -1]["group"].tolist()
    inelastic = causal[causal["ci_low"] > -1]["group"].tolist()
    unclear = [g for g in causal["group"] if g not in elastic + inelastic]
    parts = [
        f"Price-sensitive (elastic, |e| > 1 with 95% confidence): {', '.join(elastic) or 'none'}.",
        f"Inelastic (|e| < 1 with 95% confidence): {', '.join(inelastic) or 'none'}.",
    ]
    if unclear:
        parts.append(f"Unclear (the 95% interval includes -1): {', '.join(unclear)}.")
    seg = a.results.by_segment
    if not seg.empty:
        s = seg.sort_values("elasticity")
        parts.append(
            "By segment the most price-sensitive segment is **'"
            + pretty_segment(s["segment"].iloc[0])
            + f"'** (e = {s['elasticity'].iloc[0]:.2f}); the least is **'"
            + pretty_segment(s["segment"].iloc[-1])
            + f"'** (e = {s['elasticity'].iloc[-1]:.2f})."
        )
    if a.segment_change is not None:
        sc = a.segment_change.set_index("segment")["units_change"]
        parts.append("Projected unit change by segment: "
                     + ", ".join(f"{pretty_segment(k)} {pct(v, signed=True)}" for k, v in sc.items()) + ".")
    return " ".join(parts)


def f_stat_text(f: float) -> str:
    """First-stage F for readers: beyond 10,000 the exact number says nothing more."""
    if pd.isna(f):
        return "–"
    return "> 10,000" if f > 1e4 else f"{f:,.0f}"


def naive_vs_causal(a: PricingAnalysis) -> pd.DataFrame:
    t = a.results.by_group.pivot(index="group", columns="method", values="elasticity")
    ci = a.results.by_group[a.results.by_group["method"] == CAUSAL].set_index("group")
    f = a.results.by_group[a.results.by_group["method"] == "2sls"].set_index("group")
    out = pd.DataFrame({
        "Category": t.index,
        "Naive OLS": t.get("naive"),
        "2SLS": t.get("2sls"),
        "DML": t.get("dml"),
        "Poisson IV": t.get(CAUSAL),
        "Poisson IV 95% low": ci["ci_low"].reindex(t.index),
        "Poisson IV 95% high": ci["ci_high"].reindex(t.index),
        "First-stage F": f["first_stage_f"].reindex(t.index).map(f_stat_text),
    }).reset_index(drop=True)
    order = a.results.by_group["group"].drop_duplicates().tolist()
    return out.set_index("Category").loc[order].reset_index()


def recommendation_table(a: PricingAnalysis) -> pd.DataFrame:
    """Page one's table: the price moves and their weekly effect (elasticities are in the evidence)."""
    r = a.recommendations.merge(a.projection, on="group")
    return pd.DataFrame({
        "Category": r["group"],
        "Menu price today": r["today_price"],
        "Recommended": r["recommended_price"],
        "Price change": r["change"],
        "Units/wk change": r["units_change"],
        "Margin/wk change": r["margin_change"],
        "Margin 90% range": [f"{money(lo, signed=True)}\u00a0to\u00a0{money(hi, signed=True)}"
                             for lo, hi in zip(r["margin_change_low"], r["margin_change_high"], strict=True)],
        "Why this price": r["binding"],
    })


def pretty_segment(name: str) -> str:
    return str(name).replace("_", " ")


def segment_table(a: PricingAnalysis) -> pd.DataFrame:
    s = a.results.by_segment.sort_values("elasticity")
    return pd.DataFrame({
        "Segment": s["segment"].map(pretty_segment),
        "Elasticity": s["elasticity"],
        "95% low": s["ci_low"],
        "95% high": s["ci_high"],
        "Units in window": s["quantity"],
    })


def cross_price_table(a: PricingAnalysis) -> pd.DataFrame:
    """Rows: whose units; columns: whose price; cells "estimate [95% CI]", * when CI excludes 0."""
    cp = a.results.cross_price
    cell = [f"{e:.2f}{'*' if s else ''} [{lo:.2f}, {hi:.2f}]"
            for e, s, lo, hi in zip(cp.elasticity, cp.significant, cp.ci_low, cp.ci_high, strict=True)]
    m = cp.assign(cell=cell).pivot(index="demand_of", columns="price_of", values="cell")
    order = list(dict.fromkeys(cp["demand_of"]))
    m = m.loc[order, order]
    m.columns = [f"{c} price" for c in m.columns]
    return m.rename_axis("Units of").reset_index()


def cross_price_text(a: PricingAnalysis) -> str:
    cp = a.results.cross_price
    off = cp[cp.demand_of != cp.price_of]
    neg = off[off.significant & (off.elasticity < 0)]
    pos = off[off.significant & (off.elasticity > 0)]
    pairs = [f"{r.demand_of} units fall when {r.price_of} gets dearer" for r in neg.itertuples()]
    text = (f"{len(neg) + len(pos)} of {len(off)} cross effects are distinguishable from zero at 5% "
            "(about 1 in 20 would be by chance alone). ")
    if pairs:
        text += "Complements (negative): " + "; ".join(pairs) + ". "
    if len(pos):
        text += "Substitutes (positive): " + "; ".join(
            f"{r.demand_of} units rise when {r.price_of} gets dearer" for r in pos.itertuples()) + ". "
    return text + ("Cross effects are small next to the own-price effects, so the prices are "
                   "chosen category by category; the projections (Table 1) then add every "
                   "estimated cross effect, significant or not, with its uncertainty.")


def write_results(a: PricingAnalysis, results) -> None:
    """Everything machine-readable: elasticity tables with CIs, recommendations, metrics.json."""
    results.table("elasticities", a.results.by_group)
    results.table("elasticities_by_segment", a.results.by_group_segment)
    if not a.results.by_segment.empty:
        results.table("elasticities_segment_pooled", a.results.by_segment)
    if not a.results.cross_price.empty:
        results.table("cross_price", a.results.cross_price)
    results.table("recommendations", a.recommendations.merge(a.projection, on="group"))
    if a.aov is not None:
        results.table("aov_path", a.aov)
    results.table("exclusions", a.store.exclusions_frame())
    results.metrics(a.metrics())
