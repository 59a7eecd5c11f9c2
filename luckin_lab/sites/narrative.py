"""Computed wording of the site-selection report, kept here so it can be tested against the numbers.

Every sentence states what the run's own tables show (no hard-coded results): the only fixed
figure is the R² the customer quoted for their EXISTING model, which we label as theirs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from luckin_lab.reporting.certainty import Estimate, lead_figure
from luckin_lab.reporting.headline import Headline
from luckin_lab.reporting.nb import money, pct
from luckin_lab.sites.analysis import SitePlan
from luckin_lab.sites.huff import _BOUNDS_WEIGHT, HuffFit
from luckin_lab.sites.summary import decision, set_profit, short_decision, short_note
from luckin_lab.transforms import metrics as shared
from luckin_lab.units import DAYS_PER_MONTH

# quoted in the expansion team's request for this analysis (UC-EX-02: "The existing model
# reports R² = 0.94", trained on Manhattan only); theirs, not ours, and shown only in the evidence
EXISTING_MODEL_CLAIMED_R2 = 0.94


def money_parts(sel: SitePlan) -> dict[str, float]:
    """Own revenue - taken from our stores - taken from each other = the set's net gain.

    Each site is scored alone; the set is valued jointly, so the difference between the sum of
    the single-site net gains and the set's net gain is what the new sites take from each other.
    """
    ch = sel.chosen_table()
    own, taken = float(ch.standalone_revenue.sum()), float(ch.cannibalized_revenue.sum())
    total = float(sel.metrics["portfolio_net_gain_monthly"])
    return {"own": own, "taken_from_ours": taken, "taken_from_each_other": own - taken - total, "total": total}


def vs_ranking(sel: SitePlan) -> tuple[float, bool]:
    """Extra monthly value over the one-by-one top k, and whether it is small against one site's range.

    Value is profit after rent when the source has item costs (what the sites are chosen by),
    else net revenue.
    """
    m = sel.metrics
    ch = sel.chosen_table()
    if sel.has_profit:
        diff = float(m["portfolio_profit_monthly"] - m["ranking_profit_monthly"])
        half_width = float(np.median(ch.profit_high - ch.profit_low)) / 2
    else:
        diff = float(m["portfolio_net_gain_monthly"] - m["ranking_net_gain_monthly"])
        half_width = float(np.median(ch.net_gain_high - ch.net_gain_low)) / 2
    return diff, diff < half_width


def _months(x: float) -> str:
    return "never" if not np.isfinite(x) else f"{x:.0f} months"


def portfolio_estimate(sel: SitePlan) -> Estimate:
    """The set's monthly profit after cost of goods, rent and staff, with its range (sites at the low or
    high end together)."""
    est = set_profit(sel.metrics)
    if est is None:
        raise ValueError("site selection: no profit without item costs")
    return est


def break_even_sales(sel: SitePlan) -> tuple[float, float, float]:
    """(net sales a site needs a month to cover its rent and staff, lowest and highest expected net sales
    of the chosen sites): the sites' average rent and staff over the gross margin."""
    ch = sel.chosen_table()
    need = sel.metrics.get("break_even_net_sales_per_site")
    if need is None:  # the same figure, for a selection made before the metric existed
        need = float((ch.monthly_rent + ch.staff_cost).mean()) / sel.metrics["gross_margin_rate"]
    return float(need), float(ch.net_gain.min()), float(ch.net_gain.max())


def profit_certainty(est: Estimate) -> str:
    """Plain words for a profit range: which side the centre and the whole range are on."""
    level = f"{est.level:.0%}".replace("%", " %")
    if est.significant:
        return f"clearly a {'profit' if est.value > 0 else 'loss'} (the whole {level} range)"
    if est.value > 0:
        return f"a profit at the central estimate, but the {level} range includes a loss"
    return f"a loss at the central estimate, though the {level} range reaches a profit"


def _profit_words(sel: SitePlan) -> str:
    return "after cost of goods, rent and staff" if sel.staffing is not None else "after cost of goods and rent"


def kpi_items(sel: SitePlan) -> dict[str, str]:
    """Page-one tiles in profit; a figure whose range includes zero never leads (certainty rules)."""
    m = sel.metrics
    k = len(sel.chosen)
    strength, _ = decision(sel)
    sites_tile = "recommended new sites" if strength != "hold" else "best-placed sites, none recommended yet"
    if not sel.has_profit:
        return {sites_tile: f"{k}",
                "monthly net revenue (all together; no item costs, so not profit)":
                    money(m["portfolio_net_gain_monthly"]),
                "opening cost": money(m["opening_cost_total"])}
    est = portfolio_estimate(sel)
    level = f"{m['interval_level']:.0%}"
    rng = f"{level} range {money(est.low, signed=True)} to {money(est.high, signed=True)}"
    need, lo, hi = break_even_sales(sel)
    even_tile = (f"net sales a site needs a month to cover its rent and staff (the {k} are expected to bring "
                 f"{money(lo)} to {money(hi)})")
    if lead_figure({"profit": est}) is not None:
        profit_tile = f"monthly profit of the {k} sites {_profit_words(sel)} ({rng})"
        payback_tile = (f"to earn back the {money(m['opening_cost_total'])} opening cost (range "
                        f"{_months(m['portfolio_payback_months_low'])} to {_months(m['portfolio_payback_months_high'])})")
        return {profit_tile: money(est.value, signed=True), payback_tile: _months(m["portfolio_payback_months"]),
                sites_tile: f"{k}", even_tile: money(need)}
    # not sure the set makes money: the profit must not be the lead figure, so the certain figures come
    # first and the profit tile says in words how unsure it is
    unsure = (f"monthly profit of the {k} sites {_profit_words(sel)}: "
              f"{profit_certainty(est)} ({rng})")
    return {sites_tile: f"{k}", "opening cost": money(m["opening_cost_total"]),
            unsure: money(est.value, signed=True), even_tile: money(need)}


def headline(sel: SitePlan) -> Headline:
    """The brief's headline: page one's decision sentence and profit figure, from the same objects."""
    strength, sentence = decision(sel)
    n = len(sel.chosen)
    if not sel.has_profit:
        return Headline(sentence, "added revenue per month, net of sales taken from our stores (revenue, not profit)",
                        sel.metrics["portfolio_net_gain_monthly"], unit="USD per month", is_profit=False,
                        for_whom="the expansion committee", follow_up_days=90,
                        short_decision=short_decision(strength, n, False),
                        short_note="added sales net of sales taken from our stores")
    est = portfolio_estimate(sel)
    return Headline(sentence, f"profit per month {_profit_words(sel)}", est.value, est.low, est.high,
                    "USD per month", True, level=est.level, for_whom="the expansion committee",
                    confidence=profit_certainty(est), follow_up_days=90,
                    short_decision=short_decision(strength, n),
                    short_note=short_note(n, sel.staffing is not None))


def site_list(sel: SitePlan) -> str:
    ch = sel.chosen_table()
    return ", ".join(f"**{n}** ({b})" for n, b in zip(ch.label, ch.borough, strict=True))


def decision_text(sel: SitePlan) -> str:
    """What to do and what it is worth, as a P&L whose lines add up to Table 1."""
    p = money_parts(sel)
    diff, small = vs_ranking(sel)
    n_rank = len(sel.ranked)
    m = sel.metrics
    strength, sentence = decision(sel)
    k = len(sel.chosen)
    text = (
        f"**Decision.** {sentence} Their own sales would be about {money(p['own'])} a month; "
        f"{money(p['taken_from_ours'])} of that is taken from our existing stores and "
        f"{money(p['taken_from_each_other'])} from each other, so the chain gains {money(p['total'])} a month "
        "of sales. "
    )
    if sel.has_profit:
        est = portfolio_estimate(sel)
        gross = p["total"] * m["gross_margin_rate"]
        staff = (f" and {money(m['staff_cost_total_monthly'])} of staff" if sel.staffing is not None
                 else " (staff costs are not included)")
        text += (
            f"At our gross margin of {pct(m['gross_margin_rate'], 0)} that is {money(gross)} after the cost of goods; "
            f"after {money(m['monthly_rent_total'])} of rent{staff} **the {k} sites make "
            f"{money(est.value, signed=True)} a month** ({m['interval_level']:.0%} range {money(est.low, signed=True)} "
            f"to {money(est.high, signed=True)}): {profit_certainty(est)}. "
        )
        need, lo, hi = break_even_sales(sel)
        text += (f"A site needs about {money(need)} of net sales a month to cover its rent and staff; these {k} "
                 f"are expected to bring {money(lo)} to {money(hi)} each. "
                 f"Opening them would cost {money(m['opening_cost_total'])}: ")
        pb, pb_hi = m["portfolio_payback_months"], m["portfolio_payback_months_high"]
        if np.isfinite(pb):
            text += f"earned back in about {_months(pb)} ({_months(m['portfolio_payback_months_low'])} to "
            text += ("never, if they land at the low end of the range). " if not np.isfinite(pb_hi)
                     else f"{_months(pb_hi)}). ")
        else:
            text += ("at the central estimate they do not cover their costs, so it is never earned back "
                     f"(at the top of the range: in {_months(m['portfolio_payback_months_low'])}). ")
    else:
        text += ("Profit is not shown: this data source has no item costs, so these are sales, before the cost "
                 "of goods, rent and staff. ")
    unit = "profit" if sel.has_profit else "net revenue"
    if strength == "hold":  # how the set was chosen matters little when none should open
        return text
    if abs(diff) < 0.5:
        text += f"Here the top {n_rank} of the one-by-one ranking is an equally good set. "
    elif small:
        text += (f"Choosing them together is slightly better than picking the top {n_rank} one by one "
                 f"({money(diff, signed=True)} a month of {unit}), well within the uncertainty of each site's figure. ")
    else:
        text += (f"Choosing them together is worth {money(diff, signed=True)} a month of {unit} more than picking "
                 f"the top {n_rank} one by one, because nearby candidates would share customers. ")
    return text


def staff_text(sel: SitePlan) -> str:
    """The staffing assumption on page one, with the data's opening hours and barista workload check."""
    st = sel.staffing
    if st is None:
        return ""
    text = (f"**Staff (an assumption: our data hold no payroll).** {st.on_shift:g} people on shift for the "
            f"{st.open_hours_per_day:g} hours a day a store is open ({st.open_hours_from}), at "
            f"{money(st.hourly_cost, 2)} an hour including payroll costs: {money(st.monthly_cost)} a month per store. ")
    busy = st.busy_summary()
    if busy is not None:
        text += (f"Making drinks alone keeps {busy[0]:.1f} baristas busy through the open hours of our median "
                 f"store and {busy[1]:.1f} at {busy[2]} (production records, last four weeks), before taking "
                 "orders, cleaning and breaks. ")
    if sel.has_profit:
        ch = sel.chosen_table()
        before_staff = float((ch.profit + ch.staff_cost).mean())
        hour_cost = st.open_hours_per_day * DAYS_PER_MONTH * st.hourly_cost
        if hour_cost > 0 and before_staff > 0:
            text += (f"Before staff, a site makes about {money(before_staff)} a month at the central estimate: "
                     f"enough for {before_staff / hour_cost:.1f} people on shift.")
        elif before_staff <= 0:
            text += "Even before staff, a site does not cover its rent at the central estimate."
    return text


def accuracy_page_one(sel: SitePlan, level: str) -> str:
    """How well the revenue models predict a store they have not seen, and what that means for the decision."""
    m = sel.metrics
    huff, gbm = m["r2_huff_spatial_cv"], m["r2_gbm_spatial_cv"]
    best = max(huff, gbm)
    how = "Poorly" if best < 0.5 else ("Moderately" if best < 0.75 else "Well")
    text = (f"**How well we can predict a new site: {how.lower()}.** Tested on parts of the city they had not "
            f"seen, the store-choice model used here scores {huff:.2f} and the best alternative {gbm:.2f}, on a "
            "scale where 1 predicts every store's sales exactly and 0 is no better than giving every store the "
            "average (R²). ")
    if best < 0.5:
        text += "A store's own pull, like the flagship's, does not show in its location. "
    text += (f"So each site's {level} range is wide (its own sales could be {np.exp(sel.log_q):.1f} times lower "
             f"or higher than the central figure); the ranges are built from the models' real misses on "
             f"held-out stores and held {pct(m['interval_coverage_held_out_stores'], 0)} of them. ")
    strength, _ = decision(sel)
    text += {
        "commit": "Even the low end of the range is a profit, so the decision does not rest on the central figures. ",
        "pilot": ("The model cannot settle whether these sites pay; a pilot store's own sales can, so open one "
                  "first and decide on the rest with its first months of sales. "),
        "hold": ("With a loss at the central estimate and accuracy this low, opening would be a bet on the "
                 "site doing better than the model expects, not a choice the evidence supports. "),
    }[strength]
    return text + robustness_text(sel)


def robustness_text(sel: SitePlan) -> str:
    """One plain sentence on how much the choice depends on how far customers travel."""
    s = sel.sensitivity
    k = len(sel.chosen)
    kept = int(s.same_sites_as_base.min())
    if kept == k:
        return (f"The same {k} sites come out best under every assumption tested about how far customers "
                "travel.")
    return (f"Which sites come out best depends a little on how far customers are assumed to travel: under the "
            f"most different assumption tested, {kept} of the {k} stay, and keeping ours would cost at most "
            f"{money(max(float(s.regret_of_base_choice.max()), 0.0))} a month.")


def confidence_text(sel: SitePlan, level: str) -> str:
    """Page one's certainty paragraph (kept for callers): the accuracy and what it means."""
    return accuracy_page_one(sel, level)


def accuracy_text(sel: SitePlan, level: str) -> str:
    """The evidence's accuracy paragraph, with the quoted fit of the current model and its source."""
    m = sel.metrics
    return (
        f"With {m['n_stores']} stores in {m['n_cv_folds']} spatial blocks, the gradient-boosting model fits its "
        f"own stores almost perfectly (R² {m['r2_gbm_in_sample']:.2f}) but reaches {m['r2_gbm_spatial_cv']:.2f} "
        f"on held-out blocks; the store-choice (Huff) model reaches {m['r2_huff_spatial_cv']:.2f}. Most of the "
        "miss is the flagship, whose pull cannot be predicted from its location. The expansion team's request "
        f"for this analysis quotes R² {EXISTING_MODEL_CLAIMED_R2:.2f} for its current site model, trained on the "
        "Manhattan stores; a fit measured on the stores a model learnt from says little about new sites, as the "
        f"in-sample {m['r2_gbm_in_sample']:.2f} above shows. The {level} intervals are calibrated on the "
        "held-out errors (split conformal); they covered "
        f"{pct(m['interval_coverage_held_out_stores'], 0)} of held-out stores when each was left out in turn."
    )


def _same_block(s: pd.DataFrame, k: int) -> tuple[float, float]:
    """The decays next to the estimate (inclusive) at which the same sites are chosen."""
    same = (s.same_sites_as_base == k).to_numpy()
    i0 = i1 = int(np.argmin(np.abs(s.offset.to_numpy())))
    while i0 > 0 and same[i0 - 1]:
        i0 -= 1
    while i1 < len(s) - 1 and same[i1 + 1]:
        i1 += 1
    return float(s.decay.iloc[i0]), float(s.decay.iloc[i1])


def sensitivity_text(sel: SitePlan) -> str:
    """What the decay table shows: where the choice changes against the CI, and how the money moves."""
    s = sel.sensitivity
    k = len(sel.chosen)
    ci_lo, ci_hi = sel.metrics["distance_decay_ci"]
    ci = f"{sel.metrics['distance_decay']:.2f}, 95% range {ci_lo:.2f}–{ci_hi:.2f}"
    lo, hi = _same_block(s, k)
    changed = s[s.same_sites_as_base != k]
    if changed.empty:
        text = (f"The same sites are chosen at every distance decay tested ({s.decay.min():.2f} to "
                f"{s.decay.max():.2f}; estimate {ci}). ")
    else:
        where = ", ".join(f"{d:.2f} ({n} of {k} sites kept)" for d, n in
                          zip(changed.decay, changed.same_sites_as_base, strict=True))
        if changed.decay.between(ci_lo, ci_hi).any():
            text = ("The choice is not settled within the plausible range of how far customers travel "
                    f"(distance decay {ci}): ")
        elif lo <= ci_lo + 1e-9 and hi >= ci_hi - 1e-9:
            text = ("The same sites are chosen across the plausible range of how far customers travel "
                    f"(distance decay {ci}) and at every tested decay from {lo:.2f} to {hi:.2f}; ")
        else:
            text = f"The same sites are chosen at the tested decays from {lo:.2f} to {hi:.2f} (estimate {ci}); "
        text += (f"the choice changes only at {where}, where keeping ours would cost up to "
                 f"{money(max(changed.regret_of_base_choice.max(), 0.0))} a month. ")
    g = s.profit_of_base_choice if sel.has_profit else s.net_gain_of_base_choice
    what = "profit" if sel.has_profit else "net gain"
    return text + (f"The chosen set's {what} moves from {money(g.min(), signed=True)} to "
                   f"{money(g.max(), signed=True)} a month across the decays tested "
                   f"({s.decay.min():.2f} to {s.decay.max():.2f}).")


def sensitivity_note(sel: SitePlan) -> str:
    """The negative-cost caveat, only when the table has a negative cost."""
    neg = sel.sensitivity.regret_of_base_choice < -0.5
    if not neg.any():
        return ""
    return ("A negative cost means our set is slightly better than the re-optimised one: costs use the full "
            "store-choice model while the optimiser works with pairwise overlaps.")


def opening_text(fit: HuffFit) -> str:
    """The opening boost in one consistent unit (+x% = ×(1+x)) and one ramp length (shared definition)."""
    weeks = shared.ramp_weeks(fit.boost, fit.boost_weeks)
    return (
        f"Estimated opening effect: +{fit.boost:.0%} attraction on opening day (×{1 + fit.boost:.1f} the mature "
        f"pull), halving about every {np.log(2) * fit.boost_weeks:.1f} weeks and within "
        f"{shared.RAMP_SETTLED_WITHIN:.0%} of the mature level after about {weeks:.0f} weeks, net of the opening "
        f"discount's own effect on sales. The weekly store report treats a store as new for its first "
        f"{shared.OPENING_RAMP_WEEKS} weeks for the same reason. Plan a new store's first two months above its "
        "mature revenue."
    )


def flagship_text(sel: SitePlan) -> str:
    """The flagship's fall between two named full months, and where it stands in the latest week.

    The weekly store report compares the flagship's last complete week with its own previous
    four weeks (shared definition); saying both, with their periods, keeps "halved" here and
    "+8 % vs its four-week average" there from reading as a contradiction.
    """
    f = sel.flagship
    ft = f["table"].set_index("short")
    plain = {"Opening boost fading": "its opening boost fading", "Taken by later stores": "later stores taking its customers",
             "Customer base": "its area's customer base (sign-ups, less one-time triers)",
             "Chain-wide spend": "launch deals ending (chain-wide)", "Unexplained": "what the model does not explain"}
    parts = [(plain.get(c, c), v) for c, v in ft.revenue_change.items()]
    fell = "; ".join(f"{n} {money(-v)}" for n, v in sorted(parts, key=lambda x: x[1]) if v < 0)
    rose = "; ".join(f"{n} {money(v)}" for n, v in parts if v > 0)
    ratio = f["revenue_to"] / f["revenue_from"]
    shape = "halved" if 0.4 <= ratio <= 0.6 else f"changed by {pct(ratio - 1, 0, signed=True)}"
    text = (f"**The flagship.** {f['store_name']} {shape} between its first and its latest full month, from "
            f"{money(f['revenue_from'])} ({f['month_from']:%B %Y}) to {money(f['revenue_to'])} "
            f"({f['month_to']:%B %Y}) a month. Pulling it down: {fell}. " + (f"Adding back: {rose}. " if rose else ""))
    w = sel.data.weekly
    if w is not None and len(w):
        last = shared.last_complete_week(sel.data.snapshot.date())
        own = w[w.store_id == f["store_id"]].set_index("week").revenue
        chg = shared.vs_own_average(own, last)
        if np.isfinite(chg):
            lead = "The fall has levelled off" if chg > -0.10 else "It is still falling"
            text += (f"{lead}: in the week of {last:%B} {last.day} it took {pct(chg, signed=True)} against its "
                     "own previous four weeks (the weekly store report's figure).")
    return text


def params_view(fit: HuffFit) -> tuple[pd.DataFrame, bool]:
    """Parameter table for readers; an estimate stuck at its lower bound gets no interval.

    A Wald interval assumes the estimate is interior; at a bound the curvature there says nothing
    about the uncertainty, so the interval is left blank rather than shown as [0, 0].
    """
    p = fit.params.copy()
    plain = {"grand-opening boost": f"opening boost: extra pull on opening day (+{fit.boost:.0%}, "
                                    f"×{1 + fit.boost:.1f})",
             "boost e-folding weeks": "weeks for the opening boost to fade to a third",
             "price elasticity": "revenue response to a store's price vs the chain's (opening discounts)"}
    name = p.parameter.map(lambda n: plain.get(n, n))
    name = name.where(p.store_name.isna(), "attraction: " + p.store_name.astype(str))
    at_bound = name.str.startswith("demand weight") & (p.estimate <= 1.5 * np.exp(_BOUNDS_WEIGHT[0]))
    name = name.where(~at_bound, name + ": 0 (at lower bound)")
    view = pd.DataFrame({"parameter": name, "estimate": p.estimate.where(~at_bound, 0.0),
                         "95% CI low": p.ci_low.where(~at_bound), "95% CI high": p.ci_high.where(~at_bound)})
    return view, bool(at_bound.any())


GLOSSARY_TERMS = ["Cannibalization", "Conformal interval", "CP-SAT", "Distance decay", "Gross margin",
                  "Held-out data", "Huff model", "Jackknife", "Payback", "R²", "Spatial cross-validation"]


def _money_cols(df: pd.DataFrame, cols: list[str]) -> dict[str, str]:
    return {c: "money" for c in cols if c in df.columns}


def portfolio_view(sel: SitePlan) -> tuple[pd.DataFrame, dict[str, str]]:
    """Table 1: the P&L of each recommended site, the customers they share and the total (= page one)."""
    t = sel.portfolio_table()
    level = f"{sel.metrics['interval_level']:.0%}"
    view = pd.DataFrame({
        "site": t.site, "own sales": t.standalone_revenue, "taken from our stores": t.cannibalized_revenue,
        "net sales": t.net_gain,
    })
    if sel.has_profit:
        # gross profit (net sales x the margin) is on page one and in results/; left out here so the
        # profit column is wide enough to print whole
        view["rent"] = t.monthly_rent
        view["staff"] = t.staff_cost
        view["profit"] = t.profit
        view[f"profit, {level} range"] = [
            "" if lo == hi else f"{money(lo, signed=True)} to {money(hi, signed=True)}"
            for lo, hi in zip(t.profit_low, t.profit_high, strict=True)]
        view["opening cost"] = t.opening_cost
        view["payback"] = [("" if not np.isfinite(lo) and np.isnan(pb) else _months(pb))
                           for lo, pb in zip(t.payback_months_low, t.payback_months, strict=True)]
    shared = (t.site == "customers the new sites share").to_numpy()
    for col in ("own sales", "taken from our stores", "rent", "staff", "opening cost", f"profit, {level} range"):
        if col in view:
            view[col] = view[col].astype(object).where(~shared, np.nan if col != f"profit, {level} range" else "")
    return view, _money_cols(view, ["own sales", "taken from our stores", "net sales", "gross profit", "rent",
                                    "staff", "profit", "opening cost"])


def candidates_view(sel: SitePlan, top: int = 15) -> pd.DataFrame:
    """The best candidates by what they are chosen on, always including every recommended site."""
    key = "profit" if sel.has_profit else "net_gain"
    ranked = sel.candidates.sort_values(key, ascending=False).reset_index(drop=True)
    ranked["rank"] = np.arange(1, len(ranked) + 1)
    keep = ranked[(ranked["rank"] <= top) | ranked.chosen]
    cols = {"rank": "rank", "label": "site", "borough": "borough", "net_gain": "net sales",
            "profit": "profit", "profit_low": "profit low", "profit_high": "profit high",
            "payback_months": "payback (months)", "cannibalization_rate": "share of own sales taken from us",
            "chosen": "in the best set"}
    if not sel.has_profit:
        cols = {k: v for k, v in cols.items() if not k.startswith(("profit", "payback"))}
        cols.update(net_gain_low="net sales low", net_gain_high="net sales high")
    out = keep[list(cols)].rename(columns=cols)
    out["in the best set"] = out["in the best set"].map({True: "yes", False: ""})
    if "payback (months)" in out:
        out["payback (months)"] = [_months(x).replace(" months", "") for x in out["payback (months)"]]
    return out


def codes_view(sel: SitePlan) -> pd.DataFrame:
    """Appendix: the platform's codes behind the names used in this report."""
    c = sel.candidates.sort_values("site_id")
    return pd.DataFrame({"site": c.label, "code": c.site_id, "platform name": c.site_name, "borough": c.borough,
                         "monthly rent": c.monthly_rent, "opening cost": c.opening_cost})


def sensitivity_view(sel: SitePlan) -> tuple[pd.DataFrame, dict[str, str]]:
    """The decay table with site names instead of codes."""
    names = dict(zip(sel.candidates.site_id, sel.candidates.label, strict=True))
    s = sel.sensitivity
    val = "profit_of_choice" if sel.has_profit else "net_gain_of_choice"
    view = pd.DataFrame({
        "distance decay": s.decay,
        "sites chosen": [", ".join(names[x] for x in str(c).split(", ")) for c in s.chosen],
        "same sites as ours": s.same_sites_as_base,
        "value of that choice a month": s[val],
        "cost of keeping ours a month": s.regret_of_base_choice,
    })
    return view, {"distance decay": "float2", "same sites as ours": "int",
                  "value of that choice a month": "money", "cost of keeping ours a month": "money"}


def decay_interval_text(sel: SitePlan) -> str:
    """Why the distance decay's interval is what it is (sandwich vs leave-one-area-out), honestly."""
    m = sel.metrics
    lo, hi = m["distance_decay_ci"]
    sw, area = m["distance_decay_se_sandwich"], m["distance_decay_se_by_area"]
    text = (f"The distance decay's 95 % interval is {lo:.2f} to {hi:.2f}, from {m['distance_decay_interval_from']}. "
            f"A narrow interval with {m['n_stores']} stores deserves a check: the robust (sandwich) standard error "
            f"counts every home area and week as evidence ({sw:.3f}); refitting the model with each area's stores "
            f"left out moves the estimate by a standard error of {area:.3f}, and the wider of the two is used for "
            "every shape parameter. ")
    if np.isfinite(area) and area < 3 * sw:
        text += ("Both agree that, if the model's form is right, the openings pin the decay down closely; what "
                 "no interval covers is the form being wrong, which is why the sites are re-chosen at decays "
                 "well outside it (the sensitivity table above).")
    else:
        text += ("The areas disagree far more than the sandwich says, so the sandwich interval would overstate "
                 "how sure we are.")
    return text


def bound_note(any_at_bound: bool) -> str:
    """Why a demand weight at its lower bound has no interval in the parameters table ("" if none is)."""
    if not any_at_bound:
        return ""
    return (" A demand weight at its lower bound (0) has no valid interval: the data push it to zero, and a "
            "confidence interval from the curvature there would be meaningless, so none is shown.")
