"""Page one of the experiment report: the effect, the decision, how sure we are.

Every sentence here is built from :mod:`luckin_lab.uplift.decision` and the arm effects,
the same frames the evidence tables show, so page one cannot contradict them. Money is
given per month when the outcome window is known (per unit otherwise); a figure whose
interval includes zero is never the lead figure; when the model and the experiment
disagree about a policy, the page says so and trusts the experiment.
"""

from __future__ import annotations

import pandas as pd

from luckin_lab.reporting import certainty
from luckin_lab.reporting.certainty import Estimate
from luckin_lab.reporting.headline import Headline
from luckin_lab.uplift import words as w
from luckin_lab.uplift.analysis import UpliftPlan
from luckin_lab.uplift.decision import (
    Decision,
    Measured,
    clearly_better,
    page_factor,
    why_not_targeted,
)
from luckin_lab.uplift.policy import NONE, TARGETED


def estimate(m: Measured, factor: float = 1.0) -> Estimate:
    return Estimate.from_se(m.value, m.se).scaled(factor)


def per_period(a: UpliftPlan) -> str:
    """'per month' when the window is known, else 'per <unit>' (figures are per unit then)."""
    return "per month" if a.data.window_days else f"per {a.data.nouns.unit}"


def total_factor(a: UpliftPlan, d: Decision) -> float:
    """Per-unit figure -> the page's unit (a month's total, or one unit)."""
    return page_factor(a)


def value_text(a: UpliftPlan, x: float, like: float | None = None, signed: bool = False) -> str:
    return w.diff(x, a.data.nouns.value_unit, like=like, signed=signed)


def fmt_value(a: UpliftPlan, *figures: float, signed: bool = False):
    """Formatter for the page's value unit; ``figures`` printed together share one scale."""
    ref = max((abs(x) for x in figures if x == x), default=None)
    return lambda x: value_text(a, x, like=ref, signed=signed)


def policy_label(a: UpliftPlan, key: str) -> str:
    """Plain name of a policy: 'no coupon for anyone', '30 % off for every user'."""
    nn = a.data.nouns
    if key == NONE:
        return f"{nn.control} for anyone"
    if key.startswith("everyone "):
        return f"{nn.arm(key.removeprefix('everyone '))} for every {nn.unit}"
    what = (f"{nn.arm(a.data.arms[0])} only for the {nn.units} the model picks"
            if len(a.data.arms) == 1 else f"each {nn.unit} the {nn.treatment} the model picks")
    return what + (", within the budget" if key == TARGETED else ", no budget")


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def effect_lines(a: UpliftPlan) -> list[str]:
    """One line per arm: its randomized effect on each outcome, interval, p-value, in words.

    Money with a known window reads as a month's total if every unit got the arm (the
    page's unit), with the per-unit effect beside it; shares read in percentage points.
    """
    d, nn = a.data, a.data.nouns
    e = a.arm_effects
    monthly = float(len(d.frame) * a.months_factor) if d.window_days else None
    lines = []
    for arm in d.arms:
        parts = []
        for col in dict.fromkeys([d.value, d.response]):
            r = e[(e["outcome"] == col) & (e["arm"] == arm)].iloc[0]
            unit = nn.unit_of(col, d.response, d.value)
            k = monthly if (unit == "usd" and monthly) else 1.0
            est = Estimate(r["effect"] * k, r["ci_low"] * k, r["ci_high"] * k)
            shown = w.diff(abs(est.value), unit, like=est.high)
            verb = "did not change" if shown in ("$0", "$0.00", "0.0 points") else \
                "raised" if est.value > 0 else "lowered"
            per = (" per month if every " + nn.unit + " got it" if k != 1.0 else
                   "" if unit == "share" else f" per {nn.unit}")
            what = ("the share " if unit == "share" else "") + nn.label(col, d.response, d.value)
            interval = f"{w.diff(est.low, unit, like=est.high)} to {w.diff(est.high, unit, like=est.low)}"
            parts.append(f"{verb} {what} by **{shown}**{per} (95 % interval {interval}, "
                         f"{_p(r['p_value'])}): {certainty.confidence_words(est)}")
        lines.append(f"* **{nn.arm(arm)}** against {nn.control}: " + "; it ".join(parts) + ".")
    return lines


def options(a: UpliftPlan, d: Decision) -> pd.DataFrame:
    """Every change from today's policy page one weighs: the single-arm policies (randomized
    test, all units) and, when the experiment is large enough to try it, targeting within
    the budget (held-out units). Rows of ``d.frame``, the recommended one first."""
    f = d.frame
    keep = ~f["today"] & (f["policy"].str.startswith("everyone ") | (f["policy"] == NONE))
    tg = a.targeting
    if tg is not None and tg.large_enough and a.offers.cost.any():
        keep |= f["policy"] == TARGETED
    return f[keep].sort_values(["recommended", "gain_vs_today"], ascending=False)


def _verdict(m: Measured, compared: int) -> str:
    """'clearly better' / 'clearly worse' / 'not clearly different' for a table cell, allowing
    for the number of options compared with today (the decision's own rule)."""
    if clearly_better(m, compared):
        return "clearly better"
    if clearly_better(Measured(-m.value, m.se, m.source), compared):
        return "clearly worse"
    if m.low > 0 or m.high < 0:  # the 95 % interval alone excludes zero
        return f"unclear once {compared} options are compared"
    return "not clearly different"


def options_table(a: UpliftPlan, d: Decision) -> pd.DataFrame:
    """Page one's table: each option against today's policy, in the page's unit, with its
    interval: the ``page_*`` columns of the decision frame, as results/ holds them."""
    t, per = options(a, d), per_period(a)
    rows = []
    for r in t.itertuples():
        est = Estimate(r.page_gain_vs_today, r.page_gain_vs_today_low, r.page_gain_vs_today_high)
        fmt = fmt_value(a, est.value, est.low, est.high)
        rows.append({
            "instead of today's policy": policy_label(a, r.policy).capitalize()
            + (" (recommended)" if r.recommended else ""),
            f"{a.data.nouns.value} {per.replace('per ', '/ ')} vs today":
                fmt_value(a, est.value, est.low, est.high, signed=True)(est.value),
            "95 % interval": f"{fmt(est.low)} to {fmt(est.high)}",
            "verdict" + (f" ({d.compared} options compared)" if d.compared > 1 else ""):
                _verdict(Measured(r.gain_vs_today, r.gain_vs_today_se, ""), d.compared),
            "measured on": ("randomized test" if r.gain_vs_today_measured_on == "experiment"
                            else f"held-out {a.data.nouns.units}"),
        })
    return pd.DataFrame(rows)


def lead_candidates(a: UpliftPlan, d: Decision) -> dict[str, Estimate]:
    """Figures page one may lead with, in the page's unit: changes against today's policy."""
    nn, f, per = a.data.nouns, total_factor(a, d), per_period(a)
    out = {}
    if d.recommended != d.today:
        out[f"{nn.value} {per}: {policy_label(a, d.recommended)}, against today's "
            f"{policy_label(a, d.today)}"] = estimate(d.gain_vs_today, f)
    return out


def tiles(a: UpliftPlan, d: Decision) -> dict[str, str]:
    """KPI tiles: the recommended change's gain against today only if significant, the
    recommendation, the size of the test."""
    cand = lead_candidates(a, d)
    key = certainty.lead_figure(cand)
    nn = a.data.nouns
    out = {}
    if key is not None:
        est = cand[key]
        out[f"{key} (95 % interval {value_text(a, est.low, like=est.high)} to "
            f"{value_text(a, est.high, like=est.low)})"] = value_text(a, est.value, signed=True)
    else:
        out[f"no change from today's policy clearly raises {nn.value}"] = "no clear gain"
    if d.recommended == d.today:
        out["no change is supported: today's policy stays"] = \
            policy_label(a, d.today).capitalize()
    else:
        out[f"recommended, instead of today's {policy_label(a, d.today)}"] = \
            policy_label(a, d.recommended).capitalize()
    out[f"{nn.units} in the randomized test"] = f"{len(a.data.frame):,}"
    return out


def _runner_up_text(a: UpliftPlan, d: Decision) -> str:
    """When a second option also beats today: how sure we are that the pick is the better one."""
    if d.runner_up is None or d.gain_vs_runner_up is None:
        return ""
    est = estimate(d.gain_vs_runner_up, total_factor(a, d))
    fmt = fmt_value(a, est.value, est.low, est.high)
    sure = certainty.confidence_words(est, "ahead", "behind")
    return (f" {policy_label(a, d.runner_up).capitalize()} also beats today's policy; the "
            f"recommendation is ahead of it by {certainty.interval_text(est, fmt)} "
            f"{per_period(a)}: {sure}.")


def what_to_do(a: UpliftPlan, d: Decision) -> str:
    """The instruction against today's policy, as strong as the measured evidence."""
    nn, f = a.data.nouns, total_factor(a, d)
    gain = estimate(d.gain_vs_today, f)
    per = per_period(a)
    fmt = fmt_value(a, gain.value, gain.low, gain.high)
    today = policy_label(a, d.today)
    gain_text = (f"{certainty.interval_text(gain, fmt)} {per} in {nn.value} against today's "
                 f"policy ({today}): {certainty.confidence_words(gain, 'a gain', 'a loss')}")
    if d.reason == "targeting":
        return (f"**What to do.** Give each {nn.unit} the {nn.treatment} the model picks (the "
                f"table below shows how many get each) instead of today's policy ({today}). On "
                f"{nn.units} it never saw, this earned {gain_text}.")
    if d.reason in ("best arm", "stop"):
        if d.reason == "stop":
            text = (f"**What to do.** Stop giving **{nn.arm(_arm(d.today))}** to every "
                    f"{nn.unit}: in the randomized test, {nn.control} instead is worth "
                    f"{gain_text}.")
        elif d.today == NONE:
            text = (f"**What to do.** Give **{nn.arm(_arm(d.recommended))}** to every "
                    f"{nn.unit}: in the randomized test it is worth {gain_text}.")
        else:
            text = (f"**What to do.** Switch every {nn.unit} from **{nn.arm(_arm(d.today))}** "
                    f"to **{nn.arm(_arm(d.recommended))}**: in the randomized test this is "
                    f"worth {gain_text}.")
        if d.compared > 1:
            text += (f" It stays clear after allowing for the {d.compared} options compared "
                     "with today's.")
        text += _runner_up_text(a, d)
        if not a.data.cost and d.reason == "best arm":
            text += (f" The data do not say what the {nn.treatment} costs, so weigh this gain "
                     "against its cost before acting.")
        return text
    return (f"**What to do.** No change: no option clearly beats today's policy ({today}) on "
            f"{nn.value} in this experiment. Today's policy stays until a larger test shows a "
            "difference.")


def _arm(key: str) -> str:
    return key.removeprefix("everyone ")


def disagreement(a: UpliftPlan, d: Decision) -> str | None:
    """Model versus experiment on the figures page one rests on: the recommended change
    against today, and today's policy against no treatment. Trust the experiment."""
    f, per, nn = total_factor(a, d), per_period(a), a.data.nouns
    row = d.frame.set_index("policy")
    checks = []
    if d.recommended != d.today and d.gain_vs_today.source == "experiment":
        r = row.loc[d.recommended]
        checks.append((f"the gain {per} of {policy_label(a, d.recommended)} over today's policy",
                       r["model_gain_vs_today"], r["gain_vs_today"], r["gain_vs_today_se"]))
    if d.today != NONE:
        r = row.loc[d.today]
        checks.append((f"{nn.value} {per} of today's policy ({policy_label(a, d.today)}) "
                       f"against {nn.control}", r["model_gain_vs_none"], r["gain_vs_none"],
                       r["gain_vs_none_se"]))
    out = []
    for what, model_value, value, se in checks:
        model = Estimate(model_value * f, model_value * f, model_value * f)
        exp = Estimate.from_se(value, se).scaled(f)
        text = certainty.disagreement_sentence(
            model, exp, what, fmt_value(a, model.value, exp.value, exp.low, exp.high))
        if text:
            out.append(text)
    return f"**Model and experiment disagree.** {' '.join(out)}" if out else None


def targeting_note(a: UpliftPlan) -> str | None:
    why = why_not_targeted(a)
    return f"**Why every {a.data.nouns.unit} is treated alike.** {why}" if why else None


def headline(a: UpliftPlan, d: Decision) -> dict:
    """metrics.json: the page-one figures, in the page's unit, and the effect per arm."""
    f = total_factor(a, d)
    gain = estimate(d.gain_vs_today, f)
    cand = lead_candidates(a, d)
    lead = certainty.lead_figure(cand)
    e = a.arm_effects
    money = float(len(a.data.frame) * a.months_factor) if a.data.window_days else 1.0
    effects = {}
    for r in e.itertuples():
        k = money if a.data.nouns.unit_of(r.outcome, a.data.response, a.data.value) == "usd" \
            else 1.0
        effects[f"effect_{r.outcome}_{r.arm}"] = {
            "effect": r.effect, "ci_low": r.ci_low, "ci_high": r.ci_high, "se": r.se,
            "p_value": r.p_value, "se_type": r.se_type, "n_arm": r.n_arm,
            "n_control": r.n_control, "page_one_factor": k}
    tg = a.targeting
    return {
        "units": len(a.data.frame), "unit_noun": a.data.nouns.units,
        "value_column": a.data.value,
        "outcome_units": {c: a.data.nouns.unit_of(c, a.data.response, a.data.value)
                          for c in (a.data.response, a.data.value)},
        "figures_per": per_period(a), "periods_per_window": a.months_factor
        if a.data.window_days else None,
        "recommended_policy": d.recommended, "recommended_label": policy_label(a, d.recommended),
        "decision_rule": d.reason, "today_policy": d.today,
        "gain_vs_today": gain.value, "gain_vs_today_ci_low": gain.low,
        "gain_vs_today_ci_high": gain.high, "gain_vs_today_measured_on": d.gain_vs_today.source,
        "lead_figure": lead, "lead_value": cand[lead].value if lead else None,
        "targeting_supported": bool(tg.supported) if tg else False,
        "smallest_arm_units": tg.min_arm_units if tg else None,
        "targeting_gain_over_best_single": tg.gain_over_best_blanket if tg else None,
        "targeting_gain_over_best_single_se": tg.gain_over_best_blanket_se if tg else None,
        "units_treated": int(d.frame.set_index("policy").loc[d.recommended, "units_treated"]),
        "runner_up_policy": d.runner_up,
        **({} if d.gain_vs_runner_up is None else {
            "gain_vs_runner_up": estimate(d.gain_vs_runner_up, f).value,
            "gain_vs_runner_up_ci_low": estimate(d.gain_vs_runner_up, f).low,
            "gain_vs_runner_up_ci_high": estimate(d.gain_vs_runner_up, f).high}),
        "chosen_model": a.chosen, "allocation_gap": a.allocation.gap,
        "monthly_budget": a.campaign_budget * a.months_factor if a.data.window_days else None,
        **effects,
    }


def brief_headline(a: UpliftPlan, d: Decision) -> Headline:
    """The brief's headline block: the change against today's policy and its measured gain.

    With no change supported, the figure is the best alternative's gain over today (not
    clear by construction), so the brief shows what is at stake and how unsure it is."""
    nn, f = a.data.nouns, total_factor(a, d)
    unit = "USD " + per_period(a) if nn.value_unit == "usd" else per_period(a)
    who = f"{nn.units} in the experiment"
    today = policy_label(a, d.today)
    if d.recommended != d.today:
        g = estimate(d.gain_vs_today, f)
        return Headline(f"Switch from {today} to {policy_label(a, d.recommended)}.",
                        f"{nn.value} {per_period(a)} against today's policy", g.value, g.low,
                        g.high, unit, nn.value == "profit", for_whom=who, follow_up_days=30)
    t = options(a, d)
    decision_text = f"Keep today's policy ({today}): no change clearly pays."
    if not len(t):
        return Headline(decision_text, for_whom=who, follow_up_days=30)
    best = t.iloc[0]
    g = estimate(Measured(best["gain_vs_today"], best["gain_vs_today_se"], ""), f)
    return Headline(decision_text, f"{nn.value} {per_period(a)} of the best alternative "
                    f"({policy_label(a, best['policy'])}) against today", g.value, g.low, g.high,
                    unit, nn.value == "profit", for_whom=who, follow_up_days=30)


def test_sentence(a: UpliftPlan) -> str:
    """What was tested, in one line: arms, units, window."""
    d, nn = a.data, a.data.nouns
    arms = [nn.arm(x) for x in d.arms]
    listed = arms[0] if len(arms) == 1 else ", ".join(arms[:-1]) + " and " + arms[-1]
    window = f", outcomes over {d.window_days} days" if d.window_days else ""
    clusters = (f" in {d.frame[d.cluster].nunique():,} randomized groups" if d.cluster else "")
    return (f"**The test.** {len(d.frame):,} {nn.units}{clusters} were assigned at random to "
            f"{listed} or {nn.control}{window}.")


def assumption_note(a: UpliftPlan) -> str:
    d = a.data
    if not d.window_days:
        return (f"*Figures are per {d.nouns.unit} over the experiment's outcome window; tables "
                "below use the same unit.*")
    profit = (" Profit is the margin after the discount, not revenue."
              if d.nouns.value == "profit" else "")
    return (f"*{profit.strip()} Figures per month assume a test like this one runs back to back "
            f"({a.months_factor:.1f} windows of {d.window_days} days a month) on the same "
            f"{len(d.frame):,} {d.nouns.units}, with the effects measured here; the tables "
            "below use the same unit.*")
