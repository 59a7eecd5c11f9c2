"""The customer report's words, tables and charts, built from one fitted analysis.

Every page-one sentence is built from the same figures that go to ``results/`` (see
:func:`headline`), so the text and the tables cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from luckin_lab.atomic import read_json
from luckin_lab.customers import winback
from luckin_lab.customers.analysis import CustomerAnalysis, WinBackPlan
from luckin_lab.reporting import nb
from luckin_lab.reporting.certainty import Estimate, disagreement_sentence, interval_text
from luckin_lab.reporting.headline import Headline, fits, write_headline
from luckin_lab.reporting.runs import previous_published

# what the catalog (UC-MK-02) claims: 5-10 % of 76K lapsed users x $4.71 AOV x 12 orders a year
CATALOG_CLAIM = (200_000, 430_000)


def value_word(a: CustomerAnalysis) -> str:
    return "profit" if a.has_margin else "spend"


def headline(a: CustomerAnalysis, plan: WinBackPlan | None) -> dict:
    """The page-one figures (also written to metrics.json)."""
    risk, lapsed = a.at_risk(), a.lapsed()
    e = a.evaluation
    pred, actual = a.holdout_total
    h = {
        "as_of": a.today.isoformat(),
        "data_from": a.data_first.isoformat(),
        "customers": int(len(a.profiles["today"])),
        "at_risk": int(len(risk)),
        "at_risk_value_12m": float(risk["clv_12m"].sum()),
        "lapsed": int(len(lapsed)),
        "lapsed_value_12m": float(lapsed["clv_12m"].sum()),
        "value_measure": value_word(a),
        "margin_rate": a.margin_rate,
        "churn_auc": e.auc, "recency_rule_auc": e.auc_recency_rule,
        "churn_brier_skill": e.brier_skill, "churn_rate_test": e.churn_rate,
        "purchases_12m": a.purchases_12m[0], "purchases_12m_low": a.purchases_12m[1],
        "purchases_12m_high": a.purchases_12m[2],
        "holdout_predicted": pred, "holdout_actual": actual, "holdout_error": pred / actual - 1,
        "horizon_days": a.settings.horizon_days,
        "purchase_model": a.purchase_family,
        "calibration_gap": float((e.calibration["predicted"] - e.calibration["observed"]).abs().max()),
    }
    if plan is not None:
        h.update({
            "winback_budget": plan.monthly_budget, "winback_customers": int(len(plan.customers)),
            "winback_value": plan.value, "winback_value_low": plan.value_low,
            "winback_value_high": plan.value_high, "winback_discount": plan.discount,
            "winback_model_value": plan.model_value,
            "winback_reactivations": float(plan.customers["expected_reactivation"].sum()),
            # offered groups the test measured at a loss that shrink to a gain (named on page one)
            "winback_measured_loss": [
                {"group": group_label(r.group), "offer": offer_name(r.offer), "customers": int(r.customers),
                 "measured": float(r.measured), "shrunk": float(r.shrunk)}
                for r in winback.measured_loss(plan.customers, a.group_effects).itertuples()],
        })
    return h


def brief_headline(h: dict) -> Headline:
    """The leadership brief's block: the decision and its 12-month value with the interval."""
    if "winback_value" not in h:
        return Headline(decision(h), f"12-month {h['value_measure']} of the customers at risk",
                        h["at_risk_value_12m"], unit="USD per 12 months", is_profit=h["value_measure"] == "profit",
                        for_whom=f"{h['at_risk']:,} customers at risk",
                        confidence="a model estimate (no interval)",
                        short_decision="Run a randomized win-back test before spending",
                        short_note=f"what the customers at risk bring ({h['value_measure']})")
    clear = Estimate(h["winback_value"], h["winback_value_low"], h["winback_value_high"], 0.9).significant
    n, budget = f"{h['winback_customers']:,}", nb.money(h["winback_budget"])
    return Headline(decision(h), f"12-month {h['value_measure']} of the win-back list",
                    h["winback_value"], h["winback_value_low"], h["winback_value_high"], "USD per 12 months",
                    is_profit=h["value_measure"] == "profit", level=0.9,
                    for_whom=f"{h['winback_customers']:,} lapsed and at-risk customers",
                    follow_up_days=60,
                    short_decision=(fits(f"Send win-back offers to {n} customers ({budget} budget)",
                                         f"Send win-back offers to {n} customers")
                                    if clear else "Do not scale the win-back offer yet"),
                    short_note=f"{h['value_measure']} the win-back list adds, after coupon cost")


def decision(h: dict) -> str:
    """The page-one instruction, only as strong as the evidence."""
    if "winback_value" not in h:
        return ("These data hold no randomized win-back test, so the report ranks customers by risk "
                "and value but cannot say which offer brings them back: run a small randomized "
                "offer test on the at-risk list before spending on it.")
    est = Estimate(h["winback_value"], h["winback_value_low"], h["winback_value_high"], 0.9)
    money = interval_text(est, lambda v: nb.money(v, like=h["winback_value"]))
    measure = (f"12-month {h['value_measure']} after the coupon cost, priced with what the randomized "
               "test measured for each group and offer")
    if not est.significant:
        return (f"Do not scale the win-back offer yet: the best list for a {nb.money(h['winback_budget'])} "
                f"budget is worth {money} in {measure}, an interval that includes zero. Repeat the "
                "randomized test on a larger group first.")
    return (f"Send the win-back offers to {h['winback_customers']:,} customers within a "
            f"{nb.money(h['winback_budget'])} discount budget: expected {measure}: {money} "
            "(90 % interval).")


def model_vs_test_sentence(h: dict) -> str:
    """The model's figure for the same list beside the test's, and which one we trust (and why)."""
    if "winback_model_value" not in h:
        return ""
    test = Estimate(h["winback_value"], h["winback_value_low"], h["winback_value_high"], 0.9)
    model = h["winback_model_value"]
    fmt = nb.money
    warn = disagreement_sentence(Estimate(model, model, model, 0.9), test, "the same list", fmt)
    if warn is None:
        return (f"The per-customer model that chose the list puts it at {fmt(model)}, inside the "
                "test's interval.")
    return (f"{warn} The model credits the customers it picks with more than the test measured for "
            "their groups, which the test cannot confirm. Offers go only to groups whose test value, "
            "pulled toward the offer's average over all groups, is above zero (Table 3 marks which are "
            f"clear on their own). The model expects about {h['winback_reactivations']:,.0f} customers "
            "back who would otherwise not have bought in the offer window.")


def measured_loss_sentence(h: dict) -> str:
    """Say plainly where the list offers a coupon the test measured at a loss in that group."""
    cells = h.get("winback_measured_loss") or []
    if not cells:
        return ""
    n = sum(c["customers"] for c in cells)
    named = "; ".join(f"{c['offer']} to {c['group']} (measured {nb.money(c['measured'], digits=2, signed=True)}, "
                      f"pulled {nb.money(c['shrunk'], digits=2, signed=True)} per customer)" for c in cells)
    return (f"For {n:,} customers on the list the test measured a small loss: {named}. Alone such a "
            "measurement is noisy; pulled toward the offer's result in all groups it is a small gain, so "
            "they stay (drop them to spend only where the test itself saw a gain).")


def risk_sentence(h: dict) -> str:
    return (f"Of {h['customers']:,} customers who have ever bought, {h['at_risk']:,} bought within the last "
            f"{h['horizon_days']} days but are more likely than not to buy nothing in the next "
            f"{h['horizon_days']}; they are worth {nb.money(h['at_risk_value_12m'])} in expected "
            f"12-month {h['value_measure']}. A further {h['lapsed']:,} have already bought nothing for "
            f"{h['horizon_days']}+ days (worth {nb.money(h['lapsed_value_12m'])}).")


def model_sentence(h: dict) -> str:
    """How good the risk score is, in words only as strong as its test."""
    better = h["churn_auc"] - h["recency_rule_auc"]
    if better > 0.02:
        verdict = "a clear gain"
    elif better < -0.005:
        verdict = "no better than today's rule, which remains the one to use"
    else:
        verdict = "about the same as today's rule"
    gap = h["calibration_gap"]
    calibrated = ("its stated chances match what happened within "
                  f"{gap * 100:.0f} points (Figure 1)") if gap <= 0.05 else (
        f"its stated chances are off by up to {gap * 100:.0f} points in some groups (Figure 1)")
    bias = h["holdout_error"]
    reading = "generous" if bias > 0.05 else "cautious" if bias < -0.05 else "about right"
    caveat = (" (the win-back interval covers the test's noise, not this)"
              if "winback_value" in h and reading != "about right" else "")
    return (f"Tested on a later period it never saw, the risk score ranks leavers correctly "
            f"{h['churn_auc']:.0%} of the time, against {h['recency_rule_auc']:.0%} for today's rule "
            f"(days since the last order): {verdict}; {calibrated}. Expected purchases were "
            f"{'over' if bias > 0 else 'under'}-predicted by {abs(bias):.0%} in the last "
            f"{h['horizon_days']} days, so treat the lifetime values as {reading}{caveat}.").replace("%", " %")


def change_since_last_run(results_dir: str | Path, h: dict) -> str:
    """What changed since the previous published run of this report (its metrics.json): data
    date, the at-risk and lapsed counts, the win-back list and its value, the purchase model."""
    prev = previous_published(results_dir)
    if prev is None:
        return "**What changed.** This is the first published run of this report: nothing to compare with yet."
    folder, rec = prev
    m0 = read_json(folder / "results" / "metrics.json") or {}
    started = str(rec.get("started", ""))[:10]
    when = f"{dt.date.fromisoformat(started):%-d %b %Y}" if started else "before"
    items = ["same data" if h["as_of"] == m0.get("as_of") else
             f"data up to {h['as_of']} (was {m0.get('as_of', 'not recorded')})"]

    def count(key: str, words: str) -> None:
        if key in m0 and key in h:
            now, then = int(h[key]), int(m0[key])
            items.append(f"{words} {now:,}" + (" (unchanged)" if now == then else f" (was {then:,})"))

    count("at_risk", "customers at risk")
    count("lapsed", "already lapsed")
    count("winback_customers", "customers on the win-back list")
    if "winback_value" in h and "winback_value" in m0:
        now, then = nb.money(h["winback_value"]), nb.money(m0["winback_value"])
        same_budget = h.get("winback_budget") == m0.get("winback_budget")
        items.append(f"the list's value by the test {now}" + (
            " (unchanged)" if now == then and same_budget else
            f" (was {then}" + ("" if same_budget else f" at a {nb.money(m0.get('winback_budget', 0))} budget") + ")"))
    model0 = m0.get("purchase_model", "BG/NBD")  # runs before the choice existed used BG/NBD
    if h.get("purchase_model") != model0:
        items.append(f"purchase model {h.get('purchase_model')} (was {model0}, chosen on the holdout)")
    if items[0] == "same data" and all(i.endswith("(unchanged)") for i in items[1:]):
        return (f"**What changed since the run of {when}.** Nothing: same data, and the at-risk and lapsed "
                "counts and the win-back list and its value are unchanged.")
    text = "; ".join(items)
    return f"**What changed since the run of {when}.** " + text[:1].upper() + text[1:] + "."


def catalog_check(a: CustomerAnalysis) -> dict | None:
    """What one campaign to every lapsed customer is worth by the experiment, vs the catalog."""
    if a.campaign is None:
        return None
    plan = a.decide(monthly_budget=1e12)
    lapsed = plan.customers[plan.customers["recency_days"] >= a.settings.horizon_days]
    arm_k = lapsed["offer"].map({arm: k for k, arm in enumerate(a.campaign.arms)}).to_numpy()
    lo, hi = winback.plan_interval(arm_k, lapsed["group"].to_numpy(), a.campaign.arms,
                                   a.group_effects)
    value = float(lapsed["measured_value"].sum())
    return {"lapsed_targeted": int(len(lapsed)), "value": value,
            "value_low": value + lo, "value_high": value + hi,
            "reactivations": float(lapsed["expected_reactivation"].sum()),
            "claim_low": CATALOG_CLAIM[0], "claim_high": CATALOG_CLAIM[1]}


def catalog_sentence(c: dict | None, h: dict) -> str:
    if c is None:
        return ""
    return (f"The AI use-case catalog expects $200K–$430K a year from win-back (5–10 % of lapsed customers "
            f"returning at 12 orders a year, in revenue). The randomized test supports "
            f"{nb.money(c['value'])} ({nb.money(c['value_low'])} to {nb.money(c['value_high'])}) in "
            f"12-month {h['value_measure']} from one offer to all {c['lapsed_targeted']:,} lapsed "
            f"customers: about {c['reactivations']:,.0f} come back because of it.")


def frontier(a: CustomerAnalysis, budgets: list[float]) -> pd.DataFrame:
    """Win-back value by budget (decide() only: no refit)."""
    rows = []
    for b in budgets:
        p = a.decide(b)
        rows.append({"budget": b, "customers": len(p.customers), "discount": p.discount,
                     "value": p.value, "value_low": p.value_low, "value_high": p.value_high})
    return pd.DataFrame(rows)


def month_label(month: str, first: dt.date, last: dt.date) -> str:
    """'2026-02' -> '2026-02 (to 13 Feb: part month)' when the data cover only part of it, so a
    reader does not compare a half month with whole ones."""
    p = pd.Period(month, "M")
    start, end = p.start_time.date(), p.end_time.date()
    lo, hi = max(start, first), min(end, last)
    if lo == start and hi == end:
        return month
    if lo == start:
        return f"{month} (to {hi:%-d %b}: part month)"
    if hi == end:
        return f"{month} (from {lo:%-d %b}: part month)"
    return f"{month} ({lo:%-d}-{hi:%-d %b}: part month)"


def cohort_table(a: CustomerAnalysis) -> pd.DataFrame:
    """Lifetime value by month of first purchase (acquisition cohort); part months marked."""
    t = a.profiles["today"]
    g = t.groupby("cohort").agg(customers=("customer_id", "size"), chance_not_gone_for_good=("p_alive", "mean"),
                                purchases_12m=("expected_purchases_12m", "sum"),
                                value_12m=("clv_12m", "sum"))
    g["value_per_customer"] = g["value_12m"] / g["customers"]
    g = g.reset_index()
    g["cohort"] = [month_label(m, a.data_first, a.today) for m in g["cohort"]]
    return g.rename(columns={"cohort": "first purchase month"})


def holdout_table(a: CustomerAnalysis) -> pd.DataFrame:
    """The holdout by month of first purchase (up to the holdout's start; part months marked)."""
    h = a.holdout.copy()
    h["cohort"] = [month_label(m, a.data_first, a.test_day) for m in h["cohort"]]
    return h.rename(columns={"cohort": "first purchase month"})


def effects_table(a: CustomerAnalysis, plan: WinBackPlan) -> pd.DataFrame:
    """What the list gives each group (offer, customers) next to the test's measured value of that
    offer for the group (shrunk toward the offer's average, and as measured); all offers in results/."""
    e = all_effects(a)
    if e.empty:
        return e
    lst = plan.customers.assign(offer=plan.customers["offer"].map(offer_name))
    given = lst.groupby(["group", "offer"]).size().rename("customers on the list").reset_index()
    t = given.merge(e, on=["group", "offer"], how="left")
    t = t.sort_values("customers on the list", ascending=False).reset_index(drop=True)
    t["group"] = t["group"].map(group_label)
    t["clear"] = np.where(t["value_effect"] - 1.645 * t["value_se"] > 0, "yes", "no")
    return t[["group", "offer", "customers on the list", "reactivation_effect", "value_effect",
              "value_effect_raw", "clear"]].rename(columns={
                  "reactivation_effect": "extra buying with coupon",
                  "value_effect": "value per customer (pulled)",
                  "value_effect_raw": "value per customer (measured)"})


def all_effects(a: CustomerAnalysis) -> pd.DataFrame:
    """Every group x offer effect of the campaign, in reader units."""
    e = a.group_effects.copy()
    if e.empty:
        return e
    e["offer"] = e["arm"].map(offer_name)
    return e[["group", "offer", "campaign_customers", "reactivation_control", "reactivation_effect",
              "reactivation_se", "margin_effect", "discount", "value_effect", "value_se",
              "value_effect_raw"]]


def offer_name(arm: str) -> str:
    """'off30' -> '30 % off' (the campaign's arm codes stay in the appendix)."""
    arm = str(arm)
    if arm.startswith("off") and arm[3:].isdigit():
        return f"{int(arm[3:])} % off"
    return arm.replace("_", " ")


def calibration_figure(a: CustomerAnalysis) -> Figure:
    cal = a.evaluation.calibration
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    ax.plot([0, 1], [0, 1], color=nb.NEUTRAL, lw=1, ls="--", label="perfect calibration")
    ax.plot(cal["predicted"], cal["observed"], marker="o", color=nb.ACCENT, label="risk score")
    ax.set_xlabel("predicted chance of no purchase in the horizon")
    ax.set_ylabel("share who bought nothing")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("Predicted vs actual leaving, later period")
    return fig


def lift_figure(a: CustomerAnalysis) -> Figure:
    lift = a.evaluation.lift
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    ax.plot(lift["targeted_share"], lift["churners_found_model"], color=nb.ACCENT, label="risk score")
    ax.plot(lift["targeted_share"], lift["churners_found_rule"], color=nb.PALETTE[1],
            label="days since last order")
    ax.plot([0, 1], [0, 1], color=nb.NEUTRAL, lw=1, ls="--", label="random")
    ax.set_xlabel("share of customers contacted, riskiest first")
    ax.set_ylabel("share of leavers reached")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("Leavers reached by contacting the riskiest first")
    return fig


def frontier_figure(f: pd.DataFrame) -> Figure:
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    ax.fill_between(f["discount"], f["value_low"], f["value_high"], color=nb.ACCENT, alpha=0.15,
                    label="90 % interval")
    ax.plot(f["discount"], f["value"], marker="o", color=nb.ACCENT, label="expected value")
    ax.set_xlabel("discount spent (USD)")
    ax.set_ylabel("12-month value")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: nb.money(v)))
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: nb.money(v)))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("Win-back value by discount budget")
    return fig


def write_results(a: CustomerAnalysis, plan: WinBackPlan | None, results: nb.Results) -> dict:
    """Tables and metrics for results/; returns the headline (same figures as page one)."""
    h = headline(a, plan)
    results.metrics(h)
    write_headline(results, brief_headline(h))
    results.table("calibration", a.evaluation.calibration)
    results.table("lift", a.evaluation.lift)
    results.table("cohorts", cohort_table(a))
    results.table("holdout_by_cohort", a.holdout)
    results.table("model_parameters", a.clv.params)
    results.table("purchase_model_choice", a.model_choice)
    scores = a.profiles["today"][["customer_id", "recency_days", "occasions", "p_churn", "p_alive",
                                  "expected_purchases_12m", "clv_12m"]]
    results.table("customer_scores", scores)
    if plan is not None:
        results.table("winback_list", plan.customers.assign(offer=plan.customers["offer"].map(offer_name)))
        results.table("campaign_effects", all_effects(a))
    return h


COHORT_FORMATS = {"customers": "int", "chance_not_gone_for_good": "pct0", "purchases_12m": "int",
                  "value_12m": "money", "value_per_customer": "money2"}
HOLDOUT_FORMATS = {"customers": "int", "predicted": "int", "actual": "int", "error": "pct"}
EFFECT_FORMATS = {"customers on the list": "int", "extra buying with coupon": "pct",
                  "value per customer (pulled)": "money2", "value per customer (measured)": "money2"}
GLOSSARY_TERMS = ["BG/NBD model", "Calibration", "Gamma-Gamma model", "Held-out data",
                  "Lifetime value", "Out-of-time test", "Pareto/NBD model", "Uplift"]


def budgets(chosen: float) -> list[float]:
    """Budgets for the frontier: a range around the chosen one."""
    return sorted({round(chosen * f, 2) for f in (0.1, 0.25, 0.5, 1, 2, 4)})


def page_one_kpis(h: dict) -> dict[str, str]:
    word = h["value_measure"]
    k = {
        "Customers at risk": f"{h['at_risk']:,}",
        f"Their expected 12-month {word} (not a saving)": nb.money(h["at_risk_value_12m"]),
        "Already lapsed": f"{h['lapsed']:,}",
    }
    if "winback_value" in h:
        est = Estimate(h["winback_value"], h["winback_value_low"], h["winback_value_high"], 0.9)
        k[f"Win-back list, 12-month {word} after coupons, by the test"
          + ("" if est.significant else " (not significant)")] = nb.money(h["winback_value"])
        k["The model's figure for the same list"] = nb.money(h["winback_model_value"])
        k["Customers to contact" if est.significant else "Customers the list would reach"] = (
            f"{h['winback_customers']:,}")
    return k


def page_one_text(h: dict, change: str = "") -> str:
    """Decision, what changed, how sure, who is at risk; the catalog check is in the evidence."""
    parts = [f"**{decision(h)}**", change, model_vs_test_sentence(h), measured_loss_sentence(h),
             risk_sentence(h), model_sentence(h)]
    if h["value_measure"] == "spend":
        parts.append("These data carry no cost of goods, so values are spend, not profit.")
    else:
        parts.append(f"Values are profit: spend times the {h['margin_rate']:.0%} gross margin of the "
                     "period's orders, after discounts.".replace("%", " %"))
    return "\n\n".join(p for p in parts if p)


def group_label(group: str) -> str:
    """'60-119 days since last order · price_sensitive' -> '... · price-sensitive customers'."""
    band, _, segment = str(group).partition(" · ")
    return f"{band} · {segment.replace('_', '-')} customers" if segment else band


def winback_section(a: CustomerAnalysis, check: dict | None, h: dict) -> str:
    """The win-back evidence: how the list is made, then the catalog's claim against the test."""
    return "\n\n".join(p for p in (winback_text(a), catalog_sentence(check, h)) if p)


def winback_text(a: CustomerAnalysis) -> str:
    if a.campaign is None:
        return ("These data hold no randomized win-back test. Without one, who comes back *because* of "
                "an offer cannot be told from who would have come back anyway.")
    window = a.campaign.window_days
    return (f"The win-back campaign randomly gave customers one of {len(a.campaign.arms)} coupon "
            f"depths or no coupon, and counted purchases in the {window} days after, so the difference "
            "from the no-coupon customers is what the coupon caused. A model learned on that test "
            "predicts, for each customer today, how much each depth raises their chance of buying in "
            "the window and the margin it brings, from their own history: how often and how recently "
            "they bought against their usual rhythm, and how close a store is. A customer who comes "
            "back is also worth the purchases they are then expected to make over 12 months. The list "
            "picks, for the budget, the customers and depths with the most value per dollar of "
            "discount. The chart below shows what the best list is worth for each discount budget; "
            "the table gives, as a check anyone can read, the best depth for each group of customers "
            "(time since the last order and segment) measured directly in the test, each pulled "
            "toward the offer's average over all groups by its noise (every offer is in results/); "
            "'clear' marks a value whose 90 % interval excludes zero.")


def method_text(a: CustomerAnalysis) -> str:
    s = a.settings
    unit = "weeks" if s.time_unit_days == 7 else "days" if s.time_unit_days == 1 else f"{s.time_unit_days:g}-day units"
    return (f"**Churn.** A customer churns when they buy nothing for {s.horizon_days} days. A gradient-"
            f"boosted classifier learns the chance of that from each customer's history on "
            f"{a.train_day} (recency, frequency, spend, gaps between purchases, habits"
            f"{', segment and channel' if 'segment' in a.profiles['today'] else ''}), its probabilities "
            f"are calibrated on held-out customers, and it is judged on {a.test_day}, a snapshot it "
            f"never saw. The score used today is refitted on that later snapshot.\n\n"
            f"**Lifetime value.** {purchase_model_text(a)} A Gamma-Gamma model describes how much "
            f"customers spend per purchase (time in {unit}). Both are fitted to all purchases up to "
            f"{a.today}; 12-month value is expected purchases times expected spend per purchase"
            f"{' times the gross margin rate' if a.has_margin else ''}. "
            "The interval on total purchases reflects the uncertainty of the fitted parameters only, "
            "not changes in the business.")


def purchase_model_text(a: CustomerAnalysis) -> str:
    """Which purchase model the holdout chose, and by how much, in words."""
    c = a.model_choice.set_index("purchase_model")
    words = {"BG/NBD": "a BG/NBD model (each purchase may be a customer's last)",
             "Pareto/NBD": "a Pareto/NBD model (customers stop buying after a time of their own, "
                           "whether or not they buy)"}
    chosen = a.purchase_family
    if len(c) < 2:
        return f"How often each customer buys and the chance they have stopped is described by {words[chosen]}."
    other = next(f for f in c.index if f != chosen)
    return (f"How often each customer buys and the chance they have stopped is described by "
            f"{words[chosen]}, chosen over {words[other]} because it predicted the last "
            f"{a.settings.horizon_days} days better month by month of first purchase (missed by "
            f"{c.loc[chosen, 'cohort_miss']:,.0f} purchases in all against {c.loc[other, 'cohort_miss']:,.0f}; "
            f"{c.loc[chosen, 'error']:+.0%} against {c.loc[other, 'error']:+.0%} in total).").replace("%", " %")
