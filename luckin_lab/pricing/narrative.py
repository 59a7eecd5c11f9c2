"""Computed sentences and result tables of the report (numbers never typed by hand)."""

from __future__ import annotations

import re

import pandas as pd

from luckin_lab.pricing.analysis import PricePlan, by_category
from luckin_lab.pricing.elasticities import CAUSAL
from luckin_lab.pricing.panel import DESIGN_WORDS, PanelSpec, newey_west_lags
from luckin_lab.pricing.recommend import cross_units_shift
from luckin_lab.reporting.certainty import Estimate, interval_text, probability_sentence
from luckin_lab.reporting.nb import money, pct

DEMO_ASSUMPTION = ("customers respond to a lasting menu-price change as they did to the price "
                   "test's temporary discounts")
GENERIC_ASSUMPTION = ("buyers respond to a lasting price change as they did to the price "
                      "movements in these data")


def assumption(a: PricePlan) -> str:
    """What every projected probability rests on: the estimates come from temporary moves."""
    return DEMO_ASSUMPTION if a.words.demo else GENERIC_ASSUMPTION


KNOWN_INSTRUMENTS = {"log_test_factor": "the randomized price test's discount"}


def instrument_phrase(instruments: tuple[str, ...] | list[str]) -> str:
    """Readers see 'the randomized price test's discount' or 'sales tax', not column codes."""
    names = [KNOWN_INSTRUMENTS.get(i, str(i).replace("_", " ")) for i in instruments]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _day(d: pd.Timestamp) -> str:
    return f"{d.day} {d:%b %Y}"


def test_span(a: PricePlan) -> str:
    """The estimation window's length and dates ('166 days, 1 Sep 2025 to 13 Feb 2026'): in the demo
    the days before the price test are left out, so this is the test's own span."""
    p = a.panel["period"]
    return f"{p.nunique()} {_plural(a.words.period)}, {_day(p.min())} to {_day(p.max())}"


KNOWN_CONTROLS = {"log_planned_factor": "the planned promotion discount"}


def controls_phrase(controls: tuple[str, ...] | list[str]) -> str:
    """The adjustments in words ('the planned promotion discount'), not column codes."""
    names = [KNOWN_CONTROLS.get(c, str(c).replace("_", " ")) for c in controls]
    return ", ".join(names) or "nothing else"


def design_text(a: PricePlan) -> str:
    """Page one's sentence naming the design the data's shape allowed, and what it compares."""
    w, spec = a.words, a.spec
    n_units = int(a.panel.groupby("group")["unit"].nunique().max())
    n_periods = int(a.panel["period"].nunique())
    over = f"the price test's {test_span(a)}" if w.demo else f"{n_periods} {w.period}s"
    shape = {"panel": f"{n_units} {w.unit}s over {over}",
             "series": f"one {w.unit} over {n_periods} {w.period}s",
             "cross_section": f"{n_units} {w.unit}s in one {w.period}"}[spec.design]
    errors = {"period": f"allow for shocks shared within a {w.period}",
              "unit": f"allow for shocks shared within a {w.unit}",
              "none": "are robust to unequal noise",
              "hac": f"allow for shocks that carry over up to {spec.hac_lags} {w.period}s "
                     f"(Newey-West)"}[spec.cluster]
    if spec.design != "panel" and spec.cluster in ("period", "unit"):
        errors = "are robust to unequal noise across observations"
    inst = instrument_phrase(spec.instruments)
    design = re.sub(r"\bunit", w.unit, re.sub(r"\bperiod", w.period, DESIGN_WORDS[spec.design]))
    return (f"**Design:** {design} ({shape}). Price effects are measured "
            f"only from the price changes caused by {inst}; the intervals {errors}.")


def elasticity_text(a: PricePlan) -> str:
    """Each estimated group's causal elasticity with its interval, in the data's own nouns."""
    w = a.words
    causal = a.results.by_group[a.results.by_group["method"] == CAUSAL].dropna(subset=["elasticity"])
    parts = []
    for r in causal.itertuples():
        est = Estimate(r.elasticity, r.ci_low, r.ci_high)
        side = ("more than proportionally" if r.ci_high < -1 else
                "less than proportionally" if r.ci_low > -1 else "about proportionally")
        move = "lowers" if r.elasticity < 0 else "raises"
        parts.append(
            f"{r.group}: a 10 % higher price {move} {w.quantity} sold by about "
            f"{pct(abs(1.1 ** r.elasticity - 1))} (elasticity {interval_text(est, _e)}, 95 % "
            f"interval; demand responds {side})")
    return "**What the data show:** " + "; ".join(parts) + "."


def _e(x: float) -> str:
    return f"{x:.2f}".replace("-", "−")


def headline(a: PricePlan) -> str:
    """The decision: which prices move, and revenue, units and margin together."""
    if a.recommendations is None:
        return elasticity_text(a) + " " + a.no_prices_reason
    total = a.total
    recs = a.recommendations.sort_values("change", ascending=False)
    w = a.words

    per_item = by_category(a.settings)

    def moves(rows: pd.DataFrame) -> str:
        if per_item:  # a category's price is an average: say the share every item moves by
            return ", ".join(f"{r.group} {pct(r.change, 0, signed=True)}" for r in rows.itertuples())
        return ", ".join(f"{r.group} {money(r.today_price, 2)} → {money(r.recommended_price, 2)}"
                         for r in rows.itertuples())

    ups, downs = recs[recs["change"] > 0], recs[recs["change"] < 0]
    parts = []
    noun = (lambda n: f"every item's {w.list_price} in {_count(n, w.product)}") if per_item else (
        lambda n: _count(n, w.list_price))
    if len(ups):
        parts.append(f"raise {noun(len(ups))} ({moves(ups)})")
    if len(downs):
        parts.append(f"lower {noun(len(downs))} ({moves(downs)})")
    kept = len(recs) - len(ups) - len(downs)
    if parts and kept:
        parts.append(f"keep {kept} at today's price")
    if not parts:  # nothing moves: no projection to report, and no probability of a change
        why = "; ".join(dict.fromkeys(recs["binding"].str.removeprefix("kept: ")))
        return f"**Decision:** keep every {w.list_price} as it is ({why})."
    decision = "; ".join(parts)
    margin = Estimate(total["margin_change"], total["margin_change_low"],
                      total["margin_change_high"], 0.90)
    revenue = Estimate(total["revenue_change"], total["revenue_change_low"],
                       total["revenue_change_high"], 0.90)
    sure = probability_sentence(total["p_margin_up"], "weekly margin rises", assumption(a))
    return (
        f"**Decision:** {decision}. " + (
            f"Each item's price moves by its {w.product}'s share (rounded to the cent); the {w.product} "
            "figures in Table 1 are averages per item sold, not prices on the menu. " if per_item else "")
        + "Per week, projected: margin "
        f"{interval_text(margin, _signed_money)} ({pct(total['margin_change_pct'], signed=True)}), "
        f"revenue {interval_text(revenue, _signed_money)}, {w.quantity} "
        f"{pct(total['units_change'], signed=True)} (90 % ranges). "
        + _trade_off(total, w) + sure
    )


def uncertainty_rail_text(a: PricePlan) -> str:
    """Page one: how the elasticity's uncertainty limits each move (so the largest moves are the surest)."""
    recs = a.recommendations
    if recs is None or a.settings.sure_z <= 0:
        return ""
    w, full = a.words, a.settings.max_price_change
    held = recs[recs["allowed_change"] < full - 1e-9].sort_values("allowed_change")
    rule = (f"**Where the evidence is weaker, prices move less.** A {w.product} may move the full "
            f"±{pct(full, 0)} only when its elasticity is clearly above or below −1 (demand clearly less or "
            "more than proportionally price-sensitive, 95 % sure); near −1 the margin-best price is not "
            "pinned down, so the allowed move shrinks with the uncertainty. Every move must also add margin "
            "at the unfavourable end of its elasticity's 95 % range")
    if held.empty:
        return rule + f": here every {w.product} is clear enough for the full move."
    limits = ", ".join(f"{r.group} at most ±{pct(r.allowed_change, 0)} (moved {pct(r.change, 0, signed=True)})"
                       for r in held.itertuples())
    return rule + f": {limits}."


def guard_rails_text(a: PricePlan) -> str:
    """All the guard rails of the price moves in one sentence."""
    p, w = a.settings, a.words
    steps = ("whole-percent steps (every item in a category by the same share)" if by_category(p) else
             "price endings " + ", ".join(f".{int(round(e * 100)):02d}" for e in p.price_endings))
    text = (f"Guard rails: at most ±{pct(p.max_price_change, 0)} from today's {w.list_price} (less where the "
            f"elasticity is unclear, above), inside the tested price range, {steps}")
    if a.segments is not None and p.protect_segments:
        who = " and ".join(pretty_segment(s) for s in p.protect_segments)
        text += (f", {who} customers buy at most {pct(p.max_segment_loss, 0)} fewer {w.quantity}" if w.demo
                 else f", the {who} segment buys at most {pct(p.max_segment_loss, 0)} fewer {w.quantity}")
    return text + (", today's price order kept." if p.keep_ladder and not by_category(p) else ".")


def _signed_money(x: float) -> str:
    return money(x, signed=True)


def _trade_off(total: pd.Series, w) -> str:
    """Say it plainly when margin rises while revenue and volume fall."""
    if total["margin_change"] > 0 and total["revenue_change"] < 0:
        return (f"Margin rises although revenue and {w.quantity} fall: fewer {w.quantity} are "
                "sold, each at a higher margin. ")
    return ""


def kpis(a: PricePlan) -> dict[str, str]:
    """Page one's tiles: revenue, units and margin side by side, or the elasticity alone."""
    if a.recommendations is None:
        causal = a.results.by_group[a.results.by_group["method"] == CAUSAL].dropna(subset=["elasticity"])
        r = causal.iloc[0]
        tiles = {f"Price elasticity ({r.group})": _e(r.elasticity),
                 "95 % interval": f"{_e(r.ci_low)} to {_e(r.ci_high)}"}
        tiles["Design"] = {"panel": "Panel", "series": "Single time series",
                           "cross_section": "Single cross-section"}[a.spec.design]
        return tiles
    t = a.total
    tiles = {
        "Weekly margin change": money(t["margin_change"], signed=True),
        "Weekly revenue change": money(t["revenue_change"], signed=True),
        f"Weekly {a.words.quantity} change": pct(t["units_change"], signed=True),
    }
    if a.aov is not None:
        tiles["Average order value"] = (f"{money(a.aov.aov.iloc[0], 2)} → "
                                        f"{money(a.aov.aov.iloc[1], 2)}")
    return tiles


def _plural(noun: str) -> str:
    if noun.endswith("y") and noun[-2:-1] not in tuple("aeiou"):
        return f"{noun[:-1]}ies"
    return f"{noun}s"


def _count(n: int, noun: str) -> str:
    return f"1 {noun}" if n == 1 else f"{n} {_plural(noun)}"


def cross_effect_note(a: PricePlan) -> str:
    """Say what the projection includes of the cross-price effects, and their size."""
    cp = a.results.cross_price
    if cp.empty:
        if len(a.recommendations) < 2:
            return ""
        return (f"Effects of one {a.words.product}'s price on another's sales are not estimated "
                f"for these data, so the projection treats each {a.words.product} on its own.")
    main = list(dict.fromkeys(cp["demand_of"]))
    shift = cross_units_shift(a.recommendations, cp)
    big = (shift.abs().idxmax(), shift.loc[shift.abs().idxmax()])
    rest = [g for g in a.recommendations["group"] if g not in main]
    return (f"The projection includes the estimated cross-price effects among {', '.join(main)} "
            f"(largest: {big[0]} units {pct(big[1], signed=True)} from the other categories' moves)"
            + (f"; those involving {', '.join(rest)} are not estimated" if rest else "")
            + "; the prices themselves were chosen without the cross effects.")


def sensitivity_text(a: PricePlan) -> str:
    causal = a.results.by_group[a.results.by_group["method"] == CAUSAL].dropna(subset=["elasticity"])
    elastic = causal[causal["ci_high"] < -1]["group"].tolist()
    inelastic = causal[causal["ci_low"] > -1]["group"].tolist()
    unclear = [g for g in causal["group"] if g not in elastic + inelastic]
    w = a.words
    parts = [
        f"**How price-sensitive.** {w.quantity.capitalize()} fall by more than the price rises (95 % sure): "
        f"{', '.join(elastic) or 'none'}. By less (a rise keeps most of its sales): {', '.join(inelastic) or 'none'}.",
    ]
    if unclear:
        parts.append(f"Not clear which (the 95 % interval includes proportional, −1): {', '.join(unclear)}.")
    seg = a.results.by_segment
    if not seg.empty:
        s = seg.sort_values("elasticity")
        parts.append(
            "Of the customer segments, **"
            + pretty_segment(s["segment"].iloc[0])
            + f"** customers respond most to price (e = {s['elasticity'].iloc[0]:.2f}) and **"
            + pretty_segment(s["segment"].iloc[-1])
            + f"** customers least (e = {s['elasticity'].iloc[-1]:.2f})."
        )
    if a.segment_change is not None:
        sc = a.segment_change.set_index("segment")["units_change"]
        parts.append("Projected unit change by segment: "
                     + ", ".join(f"{pretty_segment(k)} {pct(v, signed=True)}" for k, v in sc.items()) + ".")
    return " ".join(parts)


def first_stage_text(a: PricePlan) -> str:
    """The weakest first stage, for the own-price fits and (separately) the cross-price fits."""
    text = f"smallest first-stage F {f_stat_text(a.results.by_group.first_stage_f.min())} in the own-price fits"
    cp = a.results.cross_price
    if not cp.empty:
        text += f", {f_stat_text(cp.first_stage_f_min.min())} in the cross-price fits"
    return text


def f_stat_text(f: float) -> str:
    """First-stage F for readers: beyond 10,000 the exact number says nothing more."""
    if pd.isna(f):
        return "–"
    return "> 10,000" if f > 1e4 else f"{f:,.0f}"


DEMO_NAIVE = """The naive regression of units on price uses every price change, including the discounts marketing set *because* it expected a weak day. Low prices then coincide with weak demand, so the naive slope looks flatter than the true response. The causal estimates use only the randomized price-test discount."""

DEMO_METHOD = """* **The panel.** For every store, category, customer segment and day we count the items sold and the average price actually paid (menu price minus promotion and coupon discounts). Days where nothing sold are kept, at the price that was on offer.
* **Why not just regress sales on price.** Marketing set its "tactical" discounts deeper on days it expected to be slow. Those days have low prices *and* low sales, which makes customers look less price-sensitive than they are. That is the naive estimate, shown only as the biased baseline.
* **The natural experiment.** During the price test ({TEST_SPAN}), each store, category and day also got a random extra discount of 0, 10, 20 or 30 %. Because it was drawn at random, any difference in sales between deep and shallow test days is caused by price. Two-stage least squares (2SLS) uses only this random part of the price; the first-stage F says how strongly the random discount moved the price paid (above 10 is the usual bar, far above here).
* **The planned discount, split in two.** Every category of a store gets the store's regular promotion that day; marketing then added extra depth for a category it expected to be slow. Only that extra part says something about expected demand, so all causal estimates adjust for the planned discount, for its gap to the store's shallowest discount that day, and for whether there was any gap. This absorbs much of the demand swing marketing foresaw and narrows every causal interval.
* **Double machine learning (DML).** The same idea, with machine-learned adjustments for store, day, trend and the planned discount, and with a model for counts so that slow days with zero sales count too. Shown as a cross-check.
* **Poisson IV with fixed effects (the estimate used for decisions).** Also a count model of the random discount's effect, keeping days with zero sales, but it compares a store's sales only with the same store in the same week, and each day's sales with the same day in the other stores, so slow local swings (a neighbour opening, a busy week) no longer blur the price effect. Its intervals are about as narrow as 2SLS's without dropping the zero-sale days or taking logs of small counts (both distort 2SLS where a cell sells a few items), on average narrower than DML's, it needs no random folds (the same data give the same answer), and in simulations with known elasticities its 95% intervals covered the truth 92-97% of the time. It estimates a separate elasticity per segment; a category's elasticity is the average over its segments, weighted by the items each buys. It measures the whole response of a category's item sales to its price, including the add-on items that ride along with the extra orders a cheaper category brings. For the smallest categories (a few items per store and day) the intervals stay near ±0.2: that is how much a test of this length can say about them, whatever the method.
* **From elasticity to price.** With a constant elasticity *e* and unit cost *c*, margin is maximised at the price *c·e/(1+e)* when *e* < -1. When |*e*| ≤ 1 there is no such optimum (margin keeps rising with price), so the price is capped by the guard rails. {PRICE_RULES} A price stays exactly at today's when no allowed move surely adds at least the minimum weekly margin gain; the table says which rule holds each kept price.
* **Uncertainty.** Projections are recomputed for thousands of elasticities drawn from their confidence intervals; the tables show the median and the 90% range. Prices are chosen without the cross-price effects, but the projections also move each main category's units by the estimated cross-price effects of the other main categories' price changes (every estimate, drawn from its own confidence interval); cross effects of categories outside the cross-price matrix are not estimated."""


def naive_text(a: PricePlan) -> str:
    """Why the naive slope differs from the causal ones, in the data's words."""
    if a.words.demo:
        return DEMO_NAIVE
    naive = a.results.causal("naive")
    causal = a.results.causal(CAUSAL)
    g = next(iter(causal.index))
    flatter = abs(naive[g]) < abs(causal[g])
    return ("The naive regression of quantity on price uses every price change, including those "
            "driven by demand itself (sellers raise prices when buyers want more), so it mixes "
            "the demand response with the supply response. The instrumented estimates use only "
            f"the price changes caused by {instrument_phrase(a.spec.instruments)}. Here the naive slope "
            f"({_e(naive[g])}) is {'flatter' if flatter else 'steeper'} than the instrumented "
            f"one ({_e(causal[g])}) for {g}.")


def _errors_words(spec: PanelSpec, period: str, n_periods: int) -> str:
    """How the standard errors are computed, in the method section's words."""
    if spec.cluster == "hac":
        return (f"Newey-West (robust to unequal noise and to shocks that carry over): a shock may "
                f"carry over up to {spec.hac_lags} {period}s, with weights falling linearly; "
                f"Newey and West's rule, floor(4 (T/100)^(2/9)), gives "
                f"{newey_west_lags(n_periods)} for these {n_periods} {period}s")
    if spec.design == "panel" and spec.cluster != "none":
        return "clustered by " + spec.cluster
    return "robust to unequal noise (heteroskedasticity-robust)"


def price_rules_text(a: PricePlan) -> str:
    """The rules the recommender applied, as run (the GuardRails of PricingAnalysis.decide): a category's
    average price has no endings and no price order; protected segments link the choices."""
    p, w = a.settings, a.words
    protect = a.segments is not None and bool(p.protect_segments)
    rules = [f"at most ±{pct(p.max_price_change, 0)} from today (less where the elasticity is unclear)",
             "inside the range the test actually tried"]
    if by_category(p):
        rules.append(f"in whole-percent steps; each item's {w.list_price} then moves by its {w.product}'s "
                     "share, rounded to the cent (an average per item is no menu price, so there are no "
                     f"price endings and no price order across {_plural(w.product)})")
    else:
        rules.append("ending in " + "/".join(f".{int(round(e * 100)):02d}" for e in p.price_endings))
        if p.keep_ladder:
            rules.append(f"keeping today's price order across {_plural(w.product)}")
    text = "Prices move " + ", ".join(rules) + "."
    if protect:
        who = " and ".join(pretty_segment(s) for s in p.protect_segments)
        text += (f" {who.capitalize()} customers may buy at most {pct(p.max_segment_loss, 0)} fewer "
                 f"{w.quantity} in total, which links the {_plural(w.product)}: all prices are chosen at once "
                 "by an integer program (OR-Tools).")
    elif p.keep_ladder and not by_category(p):
        text += " The price order links them: all prices are chosen at once by an integer program (OR-Tools)."
    else:
        text += f" Each {w.product}'s price is chosen on its own."
    return text


def method_text(a: PricePlan) -> str:
    """'Method in plain words': the demo's price test, or the user's design in neutral words."""
    if a.words.demo:
        return DEMO_METHOD.replace("{TEST_SPAN}", test_span(a)).replace("{PRICE_RULES}", price_rules_text(a))
    w, spec = a.words, a.spec
    inst = ", ".join(spec.instruments)
    controls = ", ".join(spec.controls) or "none"
    comparison = {
        "panel": (f"Each {w.unit} is compared with itself over time (unit effects) and, with "
                  f"period effects, each {w.period} across {w.unit}s."),
        "series": (f"There is one {w.unit}, so there are no unit effects: {w.period}s are "
                   f"compared with each other, adjusting for the time controls given ({controls})."),
        "cross_section": (f"There is one {w.period}, so there are no period effects: {w.unit}s "
                          "are compared with each other."),
    }[spec.design]
    omitted = "".join(f" {why.removeprefix('not run: ')}." for why in a.results.omitted.values())
    return "\n".join([
        f"* **The data.** One row per {w.unit} and {w.period}: {w.quantity} sold and the price "
        f"paid ({w.currency} per {w.per}).",
        f"* **The design.** {comparison} Standard errors are "
        + _errors_words(spec, w.period, int(a.panel["period"].nunique())) + ".",
        "* **Why not just regress sales on price.** Prices respond to demand, so the naive "
        "slope mixes the demand curve with the supply side. It is shown only as a baseline.",
        f"* **Instruments.** {inst}: they move the price but, by assumption, not demand itself. "
        "Two-stage least squares uses only the price movement they cause; the first-stage F says "
        "how strongly they move the price (above 10 is the usual bar).",
        "* **Poisson IV (the estimate used here).** The same instruments in a model of the "
        "quantity's level rather than its logarithm, so periods or units with zero sales count "
        "too; usually close to two-stage least squares." + (
            " Double machine learning, the fourth comparison on larger data, is left out "
            "here:" + omitted if omitted else ""),
    ])


def glossary_terms(a: PricePlan) -> list[str]:
    """The method terms this run's report uses (unused ones stay out of its glossary)."""
    terms = ["Confidence interval", "Elasticity", "First-stage F", "Instrumental variable",
             "Poisson IV", "Two-stage least squares"]
    if not a.results.cross_price.empty:
        terms.append("Cross-price effect")
    if "dml" not in a.results.omitted:
        terms.append("Double machine learning")
    if a.spec.design == "panel":
        terms.append("Fixed effects")
    return sorted(terms)


def naive_vs_causal(a: PricePlan) -> pd.DataFrame:
    t = a.results.by_group.pivot(index="group", columns="method", values="elasticity")
    ci = a.results.by_group[a.results.by_group["method"] == CAUSAL].set_index("group")
    f = a.results.by_group[a.results.by_group["method"] == "2sls"].set_index("group")
    name = a.words.product.capitalize()
    out = pd.DataFrame({
        name: t.index,
        "Naive OLS": t.get("naive"),
        "2SLS": t.get("2sls"),
        **({"DML": t.get("dml")} if "dml" in t.columns else {}),
        "Poisson IV": t.get(CAUSAL),
        "Poisson IV 95% low": ci["ci_low"].reindex(t.index),
        "Poisson IV 95% high": ci["ci_high"].reindex(t.index),
        "First-stage F": f["first_stage_f"].reindex(t.index).map(f_stat_text),
    }).reset_index(drop=True)
    order = a.results.by_group["group"].drop_duplicates().tolist()
    return out.set_index(name).loc[order].reset_index()


def recommendation_table(a: PricePlan) -> pd.DataFrame:
    """Page one's table: the price moves and their weekly effect (elasticities are in the evidence).

    A demo category's price is its average list price per item sold, and is labelled so.
    """
    r = a.recommendations.merge(a.projection, on="group")
    today, after = (("Avg item price today", "Avg item price after") if by_category(a.settings)
                    else ("Price today", "Recommended"))
    return pd.DataFrame({
        a.words.product.capitalize(): r["group"],
        today: r["today_price"],
        after: r["recommended_price"],
        "Price change": r["change"],
        f"{a.words.quantity.capitalize()}/wk change": r["units_change"],
        "Revenue/wk change": r["revenue_change"],
        "Margin/wk change": r["margin_change"],
        "Margin 90% range": [f"{money(lo, signed=True)}\u00a0to\u00a0{money(hi, signed=True)}"
                             for lo, hi in zip(r["margin_change_low"], r["margin_change_high"], strict=True)],
        "Why this price": r["binding"],
    })


def pretty_segment(name: str) -> str:
    return str(name).replace("_", " ")


def segment_table(a: PricePlan) -> pd.DataFrame:
    s = a.results.by_segment.sort_values("elasticity")
    return pd.DataFrame({
        "Segment": s["segment"].map(pretty_segment),
        "Elasticity": s["elasticity"],
        "95% low": s["ci_low"],
        "95% high": s["ci_high"],
        "Units in window": s["quantity"],
    })


def cross_price_table(a: PricePlan) -> pd.DataFrame:
    """Rows: whose units; columns: whose price; cells "estimate [95% CI]", * when CI excludes 0."""
    cp = a.results.cross_price
    cell = [f"{e:.2f}{'*' if s else ''} [{lo:.2f}, {hi:.2f}]"
            for e, s, lo, hi in zip(cp.elasticity, cp.significant, cp.ci_low, cp.ci_high, strict=True)]
    m = cp.assign(cell=cell).pivot(index="demand_of", columns="price_of", values="cell")
    order = list(dict.fromkeys(cp["demand_of"]))
    m = m.loc[order, order]
    m.columns = [f"{c} price" for c in m.columns]
    return m.rename_axis("Units of").reset_index()


def cross_price_text(a: PricePlan) -> str:
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
                   "chosen without them; the projections (Table 1) then add every "
                   "estimated cross effect, significant or not, with its uncertainty.")


def write_results(a: PricePlan, results) -> None:
    """Everything machine-readable: elasticity tables with CIs, recommendations, metrics.json."""
    results.table("elasticities", a.results.by_group)
    results.table("elasticities_by_segment", a.results.by_group_segment)
    if not a.results.by_segment.empty:
        results.table("elasticities_segment_pooled", a.results.by_segment)
    if not a.results.cross_price.empty:
        results.table("cross_price", a.results.cross_price)
    if a.recommendations is not None:
        results.table("recommendations", a.recommendations.merge(a.projection, on="group"))
    if a.aov is not None:
        results.table("aov_path", a.aov)
    results.table("exclusions", a.store.exclusions_frame())
    results.metrics(a.metrics())


def page_one_text(a: PricePlan) -> str:
    """Page one below the tiles: the decision, the uncertainty rail, the design, and (with
    prices) how the projection moves with the elasticities."""
    parts = [headline(a), uncertainty_rail_text(a), design_text(a)]
    if a.recommendations is not None:
        parts.append(sensitivity_text(a))
    return "\n\n".join(t for t in parts if t)


def warnings_text(a: PricePlan) -> str:
    """What to keep in mind under the menu: weak instruments, the guard rails, cross effects
    ('' when there is nothing to say)."""
    warn = []
    if a.results.weak_instrument:
        warn.append(f"**Weak instrument** (first-stage F < 10) for: "
                    f"{', '.join(a.results.weak_instrument)}; their causal estimates are unreliable.")
    if a.recommendations is not None:
        warn += [guard_rails_text(a), cross_effect_note(a)]
    return " ".join(warn)


def not_drawn_text(a: PricePlan) -> str:
    """The groups whose price is kept, left out of the demand curves ('' when all or none move)."""
    if a.recommendations is None:
        return ""
    kept = a.recommendations.loc[a.recommendations["change"] == 0, "group"].tolist()
    if not kept or len(kept) == len(a.recommendations):
        return ""
    return f"Not drawn (price kept, so nothing moves along the curve): {', '.join(kept)}."
