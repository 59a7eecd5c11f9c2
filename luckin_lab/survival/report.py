"""Page one and the reader-facing tables of the two time-to-event reports.

The device report (notebooks/iot_survival.ipynb) and the generic report
(notebooks/time_to_event.ipynb) call these so that every sentence is built from the same
frame as the table it summarises, and the notebooks hold no logic. Nouns come from
:class:`~luckin_lab.survival.words.Nouns`; certainty wording from the reporting layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from luckin_lab.reporting import certainty, nb
from luckin_lab.survival.analysis import SurvivalAnalysis
from luckin_lab.survival.words import Nouns

DEVICE_WORDS = {
    "coffee_machine": "espresso machine", "grinder": "grinder", "ice_maker": "ice maker",
    "dispenser": "drink dispenser", "refrigerator": "refrigerator", "blender": "blender",
    "oven": "oven", "printer": "receipt printer", "kiosk": "self-order kiosk",
}


def device_names(devices: pd.DataFrame, stores: pd.DataFrame) -> pd.Series:
    """device_id -> 'espresso machine 2 at Fulton St' (numbered only where a store has several)."""
    d = devices[["device_id", "store_id", "device_type"]].merge(
        stores[["store_id", "store_name"]], on="store_id", how="left").sort_values("device_id")
    kind = d.device_type.map(DEVICE_WORDS).fillna(d.device_type.str.replace("_", " "))
    n = d.groupby(["store_id", "device_type"]).device_id.transform("size")
    k = d.groupby(["store_id", "device_type"]).cumcount() + 1
    label = kind.where(n == 1, kind + " " + k.astype(str))
    return pd.Series((label + " at " + d.store_name.fillna("store " + d.store_id.astype(str))).to_numpy(),
                     index=d.device_id.to_numpy())


def drivers_text(hr: pd.DataFrame, k: int = 3) -> str:
    """The clearest effects in words (only those whose interval excludes no effect)."""
    sig = hr[(hr.hr_lo > 1) | (hr.hr_hi < 1)]
    if sig.empty:
        return "No characteristic has a clear effect."
    top = sig.reindex(sig.coef.abs().sort_values(ascending=False).index).head(k)
    items = list(top.in_words.str.rstrip("."))
    lower = ("Each ", "An ", "Being ", "After ", "Until ", "One ")
    items = items[:1] + [_lower_first(t) if t.startswith(lower) else t for t in items[1:]]
    return "; ".join(items) + "."


def km_table(a: SurvivalAnalysis, nouns: Nouns) -> pd.DataFrame:
    """Per group: units, spells, events and the median with its interval in words."""
    t = a.km_table.copy()
    col = a.data.group_col
    out = pd.DataFrame({
        nouns.group if col != "_all" else "group": t[col].str.replace("_", " "),
        nouns.units: t.units, "spells": t.spells, nouns.events: t.failures,
        f"median {nouns.time_units}": [nouns.duration(x) for x in t.median_days],
        "95 % interval": [f"{nouns.duration(lo)} to {nouns.duration(hi)}" for lo, hi in
                          zip(t.median_lo, t.median_hi, strict=True)],
    })
    return out


def concordance_text(a: SurvivalAnalysis, nouns: Nouns) -> str:
    c = a.comparison.table.set_index("model").loc[a.comparison.chosen, "holdout_concordance"]
    return (f"The chosen model ({a.comparison.chosen}) ranks correctly which of two {nouns.units} has the "
            f"{nouns.event} first {nb.pct(c, 0)} of the time on held-out {nouns.units} (50 % is chance).")


@dataclass
class PageOne:
    kpis: dict[str, str]
    text: str


def fleet_page_one(a: SurvivalAnalysis, nouns: Nouns, horizons: tuple[int, int]) -> PageOne:
    """Page one of a generic run: the service decision, the fleet, drivers and certainty."""
    h1, h2 = horizons
    n_at_risk = len(a.risk)
    e1, e2 = a.risk[f"p_fail_{h1}d"].sum(), a.risk[f"p_fail_{h2}d"].sum()
    sv = a.service.summary
    kpis = {
        f"{nouns.units.capitalize()} still at risk": nb.num(n_at_risk),
        f"Expected {nouns.events}, next {nouns.span(h1)}": nb.num(e1, 1),
        f"Expected {nouns.events}, next {nouns.span(h2)}": nb.num(e2, 1),
    }
    if sv["capacity"]:
        kpis[f"Expected saving, next {nouns.span(h2)}"] = nb.money(sv["saving_usd"])
    if not sv["capacity"]:
        decision = (f"**What this run answers.** Who is likely to have a {nouns.event} next and what drives it; "
                    "it makes no decision about preventive action (the run gives no capacity for it).")
    elif sv["services"]:
        decision = (
            f"**Decision.** Act on the {sv['services']} {nouns.units} listed below in the next {nouns.span(h2)} "
            f"({sv['units_worth_servicing']} are worth it; capacity is {sv['capacity']}). Renewing them avoids "
            f"an expected **{nb.num(sv['failures_avoided'], 1)} {nouns.events}** and saves an expected "
            f"**{nb.money(sv['saving_usd'])}** net of the cost of acting, against doing nothing (at an assumed "
            f"{nb.money(sv['failure_cost_usd'])} per {nouns.event} and {nb.money(sv['service_cost_usd'])} per "
            "action; both are parameters of the run)."
        )
    else:
        decision = (
            f"**Decision.** No preventive action pays at an assumed {nb.money(sv['failure_cost_usd'])} per "
            f"{nouns.event} and {nb.money(sv['service_cost_usd'])} per action: the risk of {nouns.units} does not "
            f"rise enough with time for renewing them early to pay."
        )
    fleet = (
        f"**The data.** {nb.num(a.data.counts['units'])} {nouns.units}, {nb.num(a.data.counts['failures'])} "
        f"{nouns.events} observed. Of the {nb.num(n_at_risk)} still at risk at the end of observation, we expect "
        f"{nb.num(e1, 1)} {nouns.events} within {nouns.span(h1)} and {nb.num(e2, 1)} within {nouns.span(h2)}."
    )
    text = "\n\n".join([decision, f"**What drives {nouns.events}.** {drivers_text(a.cox.hazard_ratios)}", fleet,
                        f"**Confidence.** {concordance_text(a, nouns)}"])
    return PageOne(kpis, text)


def downtime_explainer(state_down: pd.DataFrame) -> str:
    """Why many devices can be down while sales look normal: most have a working twin.

    ``state_down``: one row per device with store_id, device_type, down (bool)."""
    d = state_down.copy()
    up = d.assign(up=~d.down).groupby(["store_id", "device_type"]).up.transform("sum")
    down = d[d.down]
    covered = int((up[d.down] > 0).sum())
    return (f"{covered} of the {len(down)} down devices ({nb.pct(covered / max(len(down), 1), 0)}) are in a store "
            "with another working machine of the same type, which can take over their drinks, so a large share "
            "of devices down does not mean the same share of sales lost: store revenue can look normal while "
            "many devices are down. The plan values each device by the cups it made, which overstates the "
            "loss where a backup carries the load.")


def device_page_one(a: SurvivalAnalysis, staffing: pd.DataFrame, margin: dict, horizons: tuple[int, int],
                    plan_days: int, technicians_param: int) -> PageOne:
    """Page one of the device report: how many technicians, the money, the fleet, certainty."""
    h1, _ = horizons
    best = staffing[staffing.recommended].iloc[0]
    k = int(best.technicians)
    asked = staffing.set_index("technicians").loc[technicians_param] if technicians_param in set(staffing.technicians) else None
    cs = a.calibration_summary
    down, total = int(a.backlog.down.sum()), int(a.backlog.devices.sum())
    kpis = {
        "Technicians to send": f"{k}",
        f"Expected profit, next {plan_days} days": nb.money(best.expected_profit_usd),
        "Devices down now": f"{down} of {total} ({nb.pct(down / total, 0)})",
        f"Expected failures, next {h1} days": nb.num(a.risk[f"p_fail_{h1}d"].sum(), 1),
    }
    compare = ""
    if asked is not None and k != technicians_param:
        compare = (f" The run's standing assumption of {technicians_param} technicians would earn "
                   f"{nb.money(asked.expected_profit_usd)}.")
    decision = (
        f"**Decision.** Send **{k} technician{'s' if k != 1 else ''}** on the {int(best.visits)} visits of the "
        f"optimised plan over the next {plan_days} days. The plan keeps an expected "
        f"**{nb.money(best.margin_kept_usd)} of drink margin** that down machines would otherwise lose, for "
        f"{nb.money(best.technician_cost_usd)} of technician time: an expected profit of "
        f"**{nb.money(best.expected_profit_usd)}** against sending nobody. We compared 0 to "
        f"{int(staffing.technicians.max())} technicians by expected profit; more would cost more than the "
        f"margin they save.{compare}"
    )
    money = (
        f"**How downtime is priced.** A down machine loses the cups it made per open hour (from the cup log) "
        f"at {nb.money(margin['margin_per_cup'], 2)} of margin per drink ({margin['how']}). "
        f"{downtime_explainer(a.backlog_devices)}"
    )
    fleet = (f"**The fleet.** {down} of {total} devices ({nb.pct(down / total, 0)}) are down at the snapshot; of the "
             f"{len(a.risk)} running, we expect {nb.num(a.risk[f'p_fail_{h1}d'].sum(), 1)} to fail within {h1} days.")
    conf = f"**Confidence.** {concordance_text(a, a.data.nouns)} On the last held-out month, " + _lower_first(
        calibration_claim(cs))
    text = "\n\n".join([decision, money, fleet, f"**What drives failures.** {drivers_text(a.cox.hazard_ratios)}", conf])
    return PageOne(kpis, text)


def not_reached(x: float) -> str | float:
    return "not reached" if x is None or not math.isfinite(float(x)) else x


def device_risk_table(a: SurvivalAnalysis, names: pd.Series, top_n: int, horizons: tuple[int, int]) -> pd.DataFrame:
    """Running devices at highest risk, named as readers know them (codes stay in results/)."""
    h1, h2 = horizons
    t = a.risk.head(top_n)
    return pd.DataFrame({
        "device": t.unit_id.map(names).fillna(t.unit_id).to_numpy(), "model": t.model.to_numpy(),
        "days since repair": t.spell_age_days.to_numpy(),
        f"chance of failing in {h1} days": t[f"p_fail_{h1}d"].to_numpy(),
        f"in {h2} days": t[f"p_fail_{h2}d"].to_numpy(),
        "median days left": t.median_remaining_days.to_numpy(),
    })


def schedule_table(a: SurvivalAnalysis, names: pd.Series, margin_per_cup: float, n: int = 10) -> pd.DataFrame:
    """The most valuable visits of the plan, in words and dollars."""
    s = a.plan.schedule.sort_values("lost_cups_avoided", ascending=False).head(n)
    return pd.DataFrame({
        "date": s.date.to_numpy(), "device": s.device_id.map(names).fillna(s.device_id).to_numpy(),
        "visit": s.action.to_numpy(), "chance of failing this week": s.p_fail_horizon.to_numpy(),
        "open hours of downtime avoided": s.downtime_hours_avoided.to_numpy(),
        "margin kept": (s.lost_cups_avoided * margin_per_cup).to_numpy(),
    })


def staffing_table(staffing: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "technicians": staffing.technicians, "visits": staffing.visits,
        "expected lost margin": staffing.expected_lost_margin_usd, "margin kept": staffing.margin_kept_usd,
        "technician cost": staffing.technician_cost_usd, "expected profit": staffing.expected_profit_usd,
        "recommended": staffing.recommended.map({True: "recommended", False: ""}),
    })


def glossary_terms(a: SurvivalAnalysis) -> list[str]:
    """The method terms the evidence section uses, for the closing glossary."""
    terms = ["Censored", "Concordance", "Cox model", "Hazard ratio", "Kaplan-Meier curve",
             "Left truncation", "Proportional hazards", "Spell", "Weibull model", "AIC"]
    if a.cox.stratified:
        terms.append("Stratified Cox model")
    if a.calibration_summary:
        terms += ["Brier skill", "Held-out data"]
    if a.plan is not None:
        terms.append("CP-SAT")
    return sorted(set(terms))


def save_results(results, a: SurvivalAnalysis, store, extra: dict) -> None:
    """Every table and metric a reader can check a page-one figure against."""
    from luckin_lab.survival.analysis import headline_metrics

    for name, t in [("device_risk", a.risk), ("model_comparison", a.comparison.table),
                    ("hazard_ratios", a.cox.hazard_ratios), ("km_summary", a.km_table)]:
        results.table(name, t)
    if a.cox.plain is not None:
        from luckin_lab.survival.cox import hazard_ratio_table

        results.table("hazard_ratios_plain", hazard_ratio_table(a.cox.plain, a.data.labels, a.data.nouns.event))
    if a.plan is not None:
        for name, t in [("maintenance_schedule", a.plan.schedule), ("policy_comparison", a.plan.comparison),
                        ("calibration", a.calibration), ("offline_backlog", a.backlog), ("staffing", a.staffing)]:
            results.table(name, t)
    if a.service is not None:
        results.table("service_priority", a.service.units)
        results.table("service_comparison", a.service.comparison)
    excl = store.exclusions_frame()
    results.table("exclusions", excl)
    results.metrics({**headline_metrics(a), **extra, "rows_excluded": int(excl.rows.sum()) if len(excl) else 0})


def calibration_text(cs: dict, days: int) -> str:
    """The held-out check in words, always with its skill over a constant rate."""
    return (f"Fitted on data up to {cs['cutoff']}, the model gave each of the {cs['devices']} devices running then "
            f"a chance of failing in the next {days} days. "
            + calibration_claim(cs) + f" (Brier score {cs['brier']:.3f}.)")


def calibration_claim(cs: dict) -> str:
    """The calibration claim with its skill over a constant rate (certainty rules); a negative
    skill is said as 'worse than a constant rate', never as '-28 % better'."""
    if cs["brier_skill"] >= 0:
        return certainty.calibration_sentence(cs["expected_failures"], cs["observed_failures"], cs["brier_skill"],
                                              "failures")
    return (f"The model expected {cs['expected_failures']:,.1f} failures and {cs['observed_failures']:,.0f} happened, "
            f"but its device-by-device chances were worse than assuming the same rate for every device (skill "
            f"{nb.pct(cs['brier_skill'])}), so it tells how many, not which ones.")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def exclusions_table(store) -> pd.DataFrame:
    excl = store.exclusions_frame()
    return excl if len(excl) else pd.DataFrame({"table": ["–"], "reason": ["nothing excluded"], "rows": [0]})


SERVICE_FORMATS = {"time at risk": "float1", "chance now": "pct", "chance if renewed now": "pct",
                   "events avoided": "float2", "net value": "money"}


def service_view(a: SurvivalAnalysis, nouns: Nouns):
    """The service table, or one sentence when the run evaluates no preventive action."""
    if not a.service.summary["capacity"]:
        return nb.md("No preventive action was evaluated: the run gives no capacity for it.")
    if not len(a.service.units):
        return nb.md("No preventive action pays at the run's assumed costs.")
    return nb.show_table(service_table(a, nouns), formats=SERVICE_FORMATS)


def service_table(a: SurvivalAnalysis, nouns: Nouns) -> pd.DataFrame:
    u = a.service.units
    g = a.data.group_col
    out = pd.DataFrame({nouns.unit: u.unit_id.to_numpy()})
    if g != "_all":
        out[nouns.group] = u[g].str.replace("_", " ").to_numpy()
    return out.assign(**{"time at risk": u.spell_age_days.to_numpy(), "chance now": u.p_fail_now.to_numpy(),
                         "chance if renewed now": u.p_fail_if_serviced.to_numpy(),
                         "events avoided": u.failures_avoided.to_numpy(), "net value": u.net_value_usd.to_numpy()})


def risk_formats(nouns: Nouns, horizons: tuple[int, int]) -> dict[str, str]:
    return {f"{nouns.time_units} at risk": "float1", f"chance within {nouns.span(horizons[0])}": "pct",
            f"within {nouns.span(horizons[1])}": "pct"}


def fleet_risk_table(a: SurvivalAnalysis, nouns: Nouns, top_n: int, horizons: tuple[int, int]) -> pd.DataFrame:
    h1, h2 = horizons
    t = a.risk.head(top_n)
    g = a.data.group_col
    out = pd.DataFrame({nouns.unit: t.unit_id.to_numpy()})
    if g != "_all":
        out[nouns.group] = t[g].str.replace("_", " ").to_numpy()
    out[f"{nouns.time_units} at risk"] = t.spell_age_days.to_numpy()
    out[f"chance within {nouns.span(h1)}"] = t[f"p_fail_{h1}d"].to_numpy()
    out[f"within {nouns.span(h2)}"] = t[f"p_fail_{h2}d"].to_numpy()
    out[f"median {nouns.time_units} left"] = [nouns.duration(x).split(" ")[0] if math.isfinite(x) else "not reached"
                                              for x in t.median_remaining_days]
    return out


def km_title(a: SurvivalAnalysis, nouns: Nouns) -> str:
    by = "" if a.data.group_col == "_all" else f" by {nouns.group}"
    return f"Time to {nouns.event}{by}"


def logrank_text(a: SurvivalAnalysis, nouns: Nouns) -> str:
    lr = a.logrank
    if not lr:
        return f"Median time to {nouns.event}:"
    differs = "differs" if lr["p"] < 0.05 else "does not clearly differ"
    return (f"A log-rank test says the time to {nouns.event} {differs} across {nouns.group}s (chi-square "
            f"{lr['statistic']:.1f} on {lr['df']} degrees of freedom, p = {lr['p']:.2g}). Median time per {nouns.group}:")


def cox_design_text(a: SurvivalAnalysis, nouns: Nouns) -> str:
    """Which Cox design was used, its notes, and the plain model's concordance beside it."""
    c = a.cox
    parts = list(c.notes)
    if c.plain is not None:
        parts.append(f"On the {nouns.units}' own spells the time-split model ranks who has the {nouns.event} first "
                     f"correctly {nb.pct(c.concordance, 0)} of the time, the plain model {nb.pct(c.plain_concordance, 0)} "
                     "(results/hazard_ratios_plain.csv has the plain model's effects).")
    else:
        parts.append(f"On the {nouns.units}' own spells the model ranks who has the {nouns.event} first correctly "
                     f"{nb.pct(c.concordance, 0)} of the time.")
    return " ".join(parts)


def counts_table(a: SurvivalAnalysis, nouns: Nouns) -> pd.DataFrame:
    words = {"units": nouns.units, "failures": nouns.events, "repeat_failures": f"repeat {nouns.events}"}
    return pd.DataFrame({"item": [words.get(k, k.replace("_", " ")) for k in a.data.counts],
                         "count": list(a.data.counts.values())})


def hr_labels(a: SurvivalAnalysis) -> dict[str, str]:
    """Axis labels for the hazard-ratio chart: each effect's subject from its sentence."""
    hr = a.cox.hazard_ratios
    return {c: w.split(" raises ")[0].split(" lowers ")[0] for c, w in zip(hr.covariate, hr.in_words, strict=True)}
