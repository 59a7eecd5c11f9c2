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


KIND_WORDS = {"maker": "cup-making machine", "grinder": "grinder", "ice_maker": "ice maker"}


def coverage(a: SurvivalAnalysis, stores: pd.DataFrame) -> pd.DataFrame:
    """Per store and kind of machine (cup makers pooled: any of them makes any drink): devices
    and how many work at the snapshot. A kind with none working is what costs sales now."""
    d = a.backlog_devices.copy()
    makers = set(a.margin.get("machine_rate_cups_per_hour", {}))
    d["kind"] = d.device_type.where(~d.device_type.isin(makers), "maker")
    g = d.assign(working=~d.down).groupby(["store_id", "kind"]).agg(
        devices=("device_id", "size"), working=("working", "sum")).reset_index()
    g = g.merge(stores[["store_id", "store_name"]], on="store_id", how="left")
    g["kind_words"] = g.kind.map(KIND_WORDS).fillna(g.kind.str.replace("_", " "))
    return g


def downtime_explainer(a: SurvivalAnalysis, cov: pd.DataFrame) -> str:
    """Why many devices can be down while sales look normal, and which gaps cost sales now."""
    d = a.backlog_devices
    down = d[d.down]
    key = cov.set_index(["store_id", "kind"]).working
    makers = set(a.margin.get("machine_rate_cups_per_hour", {}))
    kinds = down.device_type.where(~down.device_type.isin(makers), "maker")
    covered = int(sum(key.get((s, k), 0) > 0 for s, k in zip(down.store_id, kinds, strict=True)))
    gaps = cov[cov.working == 0].sort_values(["store_name", "kind"])
    total = len(d)
    text = (f"**Why {len(down)} of {total} devices ({nb.pct(len(down) / max(total, 1), 0)}) can be down while "
            f"sales look normal.** {covered} of them are in a store where another machine of the same kind still "
            "works and carries their drinks, so they cost little or nothing. ")
    if len(gaps):
        items = [f"no working {k} at {n}" for n, k in zip(gaps.store_name, gaps.kind_words, strict=True)]
        text += f"What costs sales now: {_join(items)}."
    else:
        text += "Every store has at least one working machine of every kind."
    return text


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _week_range(lo: float, hi: float) -> str:
    return f"9 weeks in 10 between {nb.money(lo, like=hi)} and {nb.money(hi)}"


NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def crew_words(k: int) -> str:
    """'One technician', 'Two technicians', '12 technicians' (a sentence may start with it)."""
    n = NUMBER_WORDS.get(k, str(k))
    return f"{n[:1].upper()}{n[1:]} technician{'s' if k != 1 else ''}"


def plan_trade_text(a: SurvivalAnalysis) -> str:
    """The optimised plan against repairing the oldest failures first, with the sign of each
    difference said as it is (the plan can leave more device downtime while keeping more margin)."""
    from luckin_lab.survival.plan import OPTIMISED

    c = a.plan.comparison.set_index("policy").loc[OPTIMISED]
    kept, hours = float(c.margin_kept_vs_run_to_failure_usd), float(c.downtime_hours_avoided_vs_run_to_failure)
    crew = a.plan.capacity["technicians"]
    who = f"{crew} technician{'s' if crew != 1 else ''}"
    money = (f"keeps an expected {nb.money(kept)} more drink margin" if kept >= 0
             else f"keeps {nb.money(-kept)} less drink margin")
    if hours < 0:
        hrs = (f"but leaves devices down {nb.num(-hours)} more hours in total (store opening hours), because it "
               "skips machines that have a working twin in their store and services the last working machine "
               "of a kind before it fails")
    else:
        hrs = f"and also cuts device downtime by {nb.num(hours)} hours (store opening hours)"
    return (f"**What the plan trades.** Against repairing the oldest failures first with the same {who}, the plan "
            f"{money} {hrs}. It ranks visits by the sales they save, not by hours of downtime.")


def device_page_one(a: SurvivalAnalysis, staffing: pd.DataFrame, margin: dict, horizons: tuple[int, int],
                    plan_days: int, technicians_param: int, stores: pd.DataFrame) -> PageOne:
    """Page one of the device report: how many technicians, the profit and its range, what the
    plan trades, why many devices are down, and how sure we are. Every figure from ``staffing``,
    ``a.plan.comparison`` and ``margin`` (the frames results/ holds)."""
    best = staffing[staffing.recommended].iloc[0]
    none = staffing[staffing.technicians == 0].iloc[0]
    k = int(best.technicians)
    st = staffing.set_index("technicians")
    cs = a.calibration_summary
    down, total = int(a.backlog.down.sum()), int(a.backlog.devices.sum())
    week_margin = margin["drink_margin_per_horizon_usd"]
    kpis = {
        "Technicians to send": f"{k}",
        f"Expected profit, next {plan_days} days": nb.money(best.expected_profit_usd),
        f"Drink margin lost if nobody is sent, next {plan_days} days": nb.money(none.expected_lost_margin_usd),
        "Devices down now": f"{down} of {total} ({nb.pct(down / total, 0)})",
    }
    tech = f"{k} technician{'s' if k != 1 else ''}"
    if k == 0:
        decision = (f"**Decision.** Send no technician this week: no number of technicians keeps more drink margin "
                    f"than it costs. Down machines cost the stores an expected "
                    f"**{nb.money(none.expected_lost_margin_usd)} of drink margin** over the next {plan_days} days "
                    f"({_week_range(none.lost_margin_low_usd, none.lost_margin_high_usd)}), out of the "
                    f"{nb.money(week_margin)} they make on drinks in {plan_days} days.")
    else:
        decision = (
            f"**Decision.** Send **{tech}** for the next {plan_days} days ({int(best.visits)} visits). If nobody "
            f"is sent, down machines cost the stores an expected **{nb.money(none.expected_lost_margin_usd)} of "
            f"drink margin** ({_week_range(none.lost_margin_low_usd, none.lost_margin_high_usd)}), out of the "
            f"{nb.money(week_margin)} they make on drinks in {plan_days} days. {crew_words(k)} keep"
            f"{'s' if k == 1 else ''} an expected {nb.money(best.margin_kept_usd)} of it for "
            f"{nb.money(best.technician_cost_usd)} of technician time: an expected profit of "
            f"**{nb.money(best.expected_profit_usd)}** ({_week_range(best.profit_low_usd, best.profit_high_usd)})."
        )
    if k + 1 in st.index:
        nxt = st.loc[k + 1]
        decision += (f" One more technician would keep only {nb.money(nxt.margin_kept_usd - best.margin_kept_usd)} "
                     f"more for {nb.money(nxt.technician_cost_usd - best.technician_cost_usd)}.")
    if technicians_param != k and technicians_param in st.index:
        decision += (f" The standing crew of {technicians_param} would earn "
                     f"{nb.money(st.loc[technicians_param].expected_profit_usd)}.")
    chain = ""
    if margin.get("chain_gross_profit_usd") is not None:
        chain = (f" For scale, the chain made {nb.money(margin['chain_gross_profit_usd'])} gross profit in the week "
                 f"of {pd.Timestamp(margin['chain_week_start']):%-d %b %Y} (store report).")
    support = ("a store with no working grinder loses its coffee drinks, one with no working ice maker its iced "
               "drinks and cold brew (our assumption)" if margin["prices_support"] else
               "grinders and ice makers are not priced, because without sales tables we cannot tell which drinks "
               "need them")
    sold = "sold" if margin["prices_support"] else "made (cup log)"
    money = (
        "**How downtime is priced.** A store loses a drink only when it has no working machine to make it: one "
        f"cup-making machine makes up to {_rate_text(margin)} drinks an hour (its type's busiest hours in the cup "
        f"log) and the busiest store hour sells {nb.num(margin['busiest_store_hour_drinks'])}, so a store loses drinks "
        f"only in hours when fewer machines work than it needs, and every drink when none works; {support}. Lost drinks are those the store {sold} in the same hours over the "
        f"last 4 weeks, never more, at {nb.money(margin['margin_per_cup'], 2)} of margin a drink on average"
        f"{'' if margin['prices_support'] else ' (assumed: this source has no sales tables)'}.{chain}"
    )
    conf = (f"**How sure we are.** The ranges come from 1,000 simulated weeks of failures; they take the failure "
            "model and the pricing rules above as right, and those rules are assumptions, not measured from sales. "
            f"The failure model ranks correctly which of two devices fails first {nb.pct(_holdout_c(a), 0)} of the "
            "time on held-out devices (50 % is chance).")
    if cs:
        conf += " " + calibration_claim(cs)
    text = "\n\n".join([decision, plan_trade_text(a), downtime_explainer(a, coverage(a, stores)), money, conf])
    return PageOne(kpis, text)


def _holdout_c(a: SurvivalAnalysis) -> float:
    return float(a.comparison.table.set_index("model").loc[a.comparison.chosen, "holdout_concordance"])


def _rate_text(margin: dict) -> str:
    r = sorted(margin.get("machine_rate_cups_per_hour", {}).values())
    if not r:
        return "an unlimited number of"
    return nb.num(r[0]) if r[0] == r[-1] else f"{nb.num(r[0])} to {nb.num(r[-1])}"


def not_reached(x: float) -> str | float:
    return "not reached" if x is None or not math.isfinite(float(x)) else x


def device_risk_table(a: SurvivalAnalysis, names: pd.Series, top_n: int, horizons: tuple[int, int]) -> pd.DataFrame:
    """Running devices at highest risk, named as readers know them (codes stay in results/)."""
    h1, h2 = horizons
    t = a.risk.head(top_n)
    return pd.DataFrame({
        "device": t.unit_id.map(names).fillna(t.unit_id).to_numpy(), "model": t.model.to_numpy(),
        "days since repair": t.spell_age_days.to_numpy(),
        f"chance of failing in {h1} days": [certainty.probability_text(p) for p in t[f"p_fail_{h1}d"]],
        f"in {h2} days": [certainty.probability_text(p) for p in t[f"p_fail_{h2}d"]],
        "median days left": t.median_remaining_days.to_numpy(),
    })


def schedule_table(a: SurvivalAnalysis, names: pd.Series, n: int = 10) -> pd.DataFrame:
    """The most valuable visits of the plan, in words and dollars."""
    s = a.plan.schedule.sort_values("margin_kept_usd", ascending=False).head(n)
    return pd.DataFrame({
        "date": s.date.to_numpy(), "device": s.device_id.map(names).fillna(s.device_id).to_numpy(),
        "visit": s.action.to_numpy(), "chance of failing this week": s.p_fail_horizon.to_numpy(),
        "drinks saved": s.lost_drinks_avoided.to_numpy(),
        "margin kept": s.margin_kept_usd.to_numpy(),
    })


STAFFING_FORMATS = {"expected lost margin": "money", "margin kept": "money", "technician cost": "money",
                    "expected profit": "money", "visits": "int", "technicians": "int"}


def staffing_table(staffing: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "technicians": staffing.technicians, "visits": staffing.visits,
        "expected lost margin": staffing.expected_lost_margin_usd, "margin kept": staffing.margin_kept_usd,
        "technician cost": staffing.technician_cost_usd, "expected profit": staffing.expected_profit_usd,
        "profit, 9 weeks in 10": [f"{nb.money(lo)} to {nb.money(hi)}" if t else "–" for t, lo, hi in
                                  zip(staffing.technicians, staffing.profit_low_usd, staffing.profit_high_usd,
                                      strict=True)],
        "recommended": staffing.recommended.map({True: "recommended", False: ""}),
    })


POLICY_FORMATS = {"visits": "int", "device downtime (open hours)": "int", "drinks lost": "int",
                  "drink margin lost": "money", "margin kept vs run to failure": "money",
                  "downtime hours avoided vs run to failure": "int"}


def policy_table(a: SurvivalAnalysis) -> pd.DataFrame:
    c = a.plan.comparison
    return pd.DataFrame({
        "policy": c.policy, "visits": c.visits, "device downtime (open hours)": c.expected_downtime_hours,
        "drinks lost": c.expected_lost_drinks, "drink margin lost": c.expected_lost_margin_usd,
        "margin kept vs run to failure": c.margin_kept_vs_run_to_failure_usd,
        "downtime hours avoided vs run to failure": c.downtime_hours_avoided_vs_run_to_failure,
    })


def backlog_table(a: SurvivalAnalysis) -> pd.DataFrame:
    b = a.backlog
    return pd.DataFrame({"store": b.store_name if "store_name" in b else b.store_id, "devices": b.devices,
                         "down": b.down, "median days down": b.median_days_down, "share down": b.share_down})


def ph_table(a: SurvivalAnalysis) -> pd.DataFrame:
    """The proportional-hazards check with each covariate named as on the effects chart."""
    names = hr_labels(a)
    t = a.cox.ph_final
    return pd.DataFrame({"characteristic": [names.get(c, str(c).replace("_", " ")) for c in t.covariate],
                         "statistic": t.statistic, "p": t.p})


def models_table(a: SurvivalAnalysis) -> pd.DataFrame:
    t = a.comparison.table.copy()
    if "chosen" in t:
        t["chosen"] = t.chosen.map({True: "chosen", False: ""})
    return t.rename(columns={"holdout_concordance": "held-out concordance"})


def shapes_table(a: SurvivalAnalysis) -> pd.DataFrame:
    t = a.shapes
    return pd.DataFrame({"device type": t.group.str.replace("_", " "), "shape": t["shape"],
                         "95 % low": t.shape_lo, "95 % high": t.shape_hi})


def coverage_table(a: SurvivalAnalysis, stores: pd.DataFrame) -> pd.DataFrame:
    """Per store: working / all machines of each kind (a 0 is a store that cannot make some drinks)."""
    cov = coverage(a, stores)
    cov["cell"] = cov.working.astype(int).astype(str) + " of " + cov.devices.astype(int).astype(str)
    t = cov.pivot_table(index="store_name", columns="kind_words", values="cell", aggfunc="first").fillna("–")
    return t.reset_index().rename(columns={"store_name": "store"})


def glossary_terms(a: SurvivalAnalysis) -> list[str]:
    """The method terms the evidence section uses, for the closing glossary."""
    terms = ["Censored", "Concordance", "Cox model", "Hazard ratio", "Kaplan-Meier curve",
             "Left truncation", "Proportional hazards", "Spell", "Weibull model", "AIC"]
    if a.cox.stratified:
        terms.append("Stratified Cox model")
    if a.calibration_summary:
        terms += ["Brier skill", "Held-out data"]
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
                        ("store_coverage", coverage(a, store.load("stores"))),
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
