"""Page one and the reader-facing tables of the two time-to-event reports.

The device report (notebooks/iot_survival.ipynb) and the generic report
(notebooks/time_to_event.ipynb) call these so that every sentence is built from the same
frame as the table it summarises, and the notebooks hold no logic. Nouns come from
:class:`~luckin_lab.survival.words.Nouns`; certainty wording from the reporting layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from luckin_lab.reporting import certainty, nb
from luckin_lab.survival.analysis import SurvivalPlan
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


def km_table(a: SurvivalPlan, nouns: Nouns) -> pd.DataFrame:
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


def concordance_text(a: SurvivalPlan, nouns: Nouns) -> str:
    c = a.comparison.table.set_index("model").loc[a.comparison.chosen, "holdout_concordance"]
    return (f"The chosen model ({a.comparison.chosen}) ranks correctly which of two {nouns.units} has the "
            f"{nouns.event} first {nb.pct(c, 0)} of the time on held-out {nouns.units} (50 % is chance).")


@dataclass
class PageOne:
    kpis: dict[str, str]
    text: str


def fleet_page_one(a: SurvivalPlan, nouns: Nouns, horizons: tuple[int, int]) -> PageOne:
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


def coverage(a: SurvivalPlan, stores: pd.DataFrame) -> pd.DataFrame:
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


def downtime_explainer(a: SurvivalPlan, cov: pd.DataFrame) -> str:
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


NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def crew_words(k: int) -> str:
    """'One technician', 'Two technicians', '12 technicians' (a sentence may start with it)."""
    n = NUMBER_WORDS.get(k, str(k))
    return f"{n[:1].upper()}{n[1:]} technician{'s' if k != 1 else ''}"


def plan_trade_text(a: SurvivalPlan) -> str:
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


def _futures_range(lo: float, hi: float, money: bool = True) -> str:
    f = (lambda v: nb.money(v, like=hi)) if money else (lambda v: nb.num(v))
    return f"9 futures in 10 between {f(lo)} and {nb.money(hi) if money else nb.num(hi)}"


def crew_text(a: SurvivalPlan, horizons: tuple[int, int], technicians_param: int) -> str:
    """The crew decision on several weeks of failures and repairs: the backlog now, the failures
    expected this week, devices down after the last week per crew size, profit and its range,
    and the chance the recommended crew beats the next-best option on the same futures."""
    from luckin_lab.survival.crew_weeks import runner_up

    p = a.crew
    t = p.table.set_index("technicians")
    k = int(p.table.loc[p.table.recommended, "technicians"].iloc[0])
    best, w = t.loc[k], p.weeks
    down, total = int(a.backlog.down.sum()), int(a.backlog.devices.sum())
    new = float(a.risk[f"p_fail_{horizons[0]}d"].sum())
    end = f"down_after_week{w}"
    per_crew = ", ".join(f"{'nobody' if j == 0 else crew_words(j).lower()}: {nb.num(r[end])}" for j, r in t.iterrows())
    head = (f"**Decision.** Send **{crew_words(k).lower()}** for each of the next {w} weeks "
            f"({nb.num(best.visits_per_week)} visits a week)." if k else
            f"**Decision.** Send no technician: over the next {w} weeks no crew keeps more drink margin than it costs.")
    text = (f"{head} Now {down} of {total} devices are down, and about **{nb.num(new)} of the {total - down} running "
            f"devices are expected to fail in the next {horizons[0]} days**. Devices down after {w} weeks, in "
            f"{nb.num(p.futures)} simulated futures of failures and repairs: {per_crew}.")
    if k:
        text += (f" With {crew_words(k).lower()}, {nb.num(best[end])} are down after {w} weeks "
                 f"({_futures_range(best.down_end_low, best.down_end_high, money=False)}); the crew keeps an expected "
                 f"{nb.money(best.margin_kept_usd)} of the {nb.money(t.loc[0].lost_margin_usd)} of drink margin that "
                 f"sending nobody would lose, for {nb.money(best.technician_cost_usd)} of technician time: an expected "
                 f"profit of **{nb.money(best.expected_profit_usd)} over {w} weeks** "
                 f"({_futures_range(best.profit_low_usd, best.profit_high_usd)}).")
    else:
        text += f" Sending nobody loses an expected {nb.money(t.loc[0].lost_margin_usd)} of drink margin over {w} weeks."
    j = runner_up(p)
    if j != k:
        share = float(p.beats.loc[k, j])
        close = " The two are close; either is defensible." if share < 0.75 else ""
        text += (f" It earns more than the next-best option, {crew_words(j).lower()} (expected "
                 f"{nb.money(t.loc[j].expected_profit_usd)}), in {certainty.probability_text(share)} of the same "
                 f"simulated futures."
                 f"{close}")
    if technicians_param != k and technicians_param in t.index:
        text += (f" The standing crew of {technicians_param} would earn {nb.money(t.loc[technicians_param].expected_profit_usd)} "
                 f"and leave {nb.num(t.loc[technicians_param][end])} down.")
    return text


def week_plan_text(a: SurvivalPlan, plan_days: int) -> str:
    """This week's visits and why most of a repair's value lies after the week."""
    cap = a.plan.capacity
    crew = cap["technicians"]
    if not crew or not a.crew.table.loc[a.crew.table.recommended, "technicians"].iloc[0]:
        return ""  # no plan to send when the recommendation is no technician
    return (f"**This week.** The {crew_words(crew).lower()}'{'' if crew != 1 else 's'} {nb.num(len(a.plan.schedule))} "
            f"visits (Table 2) keep an expected {nb.money(cap['margin_kept_usd'])} inside these {plan_days} days; most "
            "of a repair's worth comes later, while the machine keeps working. Down machines that stop a store "
            "making some drinks go first (each day they wait costs drinks for sure); a running machine at risk "
            "costs drinks only if it fails where no backup works.")


def omitted_text(a: SurvivalPlan) -> str:
    w = a.crew.weeks
    return (f"The ranges are the chance of failures only (the failure model and the pricing rules taken as right); "
            f"each crew makes this week's planned visits, then repairs the costliest failures each day; the "
            f"projection leaves out preventive service after this week, the limit on visits a store can host in a "
            f"day after it, and losses after week {w} from devices still down (this favours larger crews).")


def _previous_run(results_dir: str | Path) -> tuple[Path, dict] | None:
    """The newest published, succeeded run of the same report and run before this one."""
    from luckin_lab.reporting.runs import read_record

    folder = Path(results_dir).resolve().parent
    run_dir = folder.parent
    if not run_dir.is_dir():
        return None
    older = sorted((p for p in run_dir.iterdir() if p.is_dir() and not p.is_symlink() and p.name < folder.name),
                   reverse=True)
    for f in older:
        rec = read_record(f)
        if rec and rec.get("status") == "succeeded" and rec.get("published") and (f / "results" / "metrics.json").is_file():
            return f, rec
    return None


def change_since_last_run(results_dir: str | Path, a: SurvivalPlan, horizons: tuple[int, int]) -> str:
    """What changed since the previous published run: data date, crew, backlog, failures expected
    this week and profit (only where the previous run measured it the same way)."""
    import json

    from luckin_lab.survival.analysis import headline_metrics

    prev = _previous_run(results_dir)
    if prev is None:
        return "**What changed.** This is the first published run of this report: nothing to compare with yet."
    folder, rec = prev
    m0 = json.loads((folder / "results" / "metrics.json").read_text())
    m = headline_metrics(a)
    started = pd.Timestamp(str(rec.get("started", ""))[:10]) if rec.get("started") else None
    when = f"{started:%-d %b %Y}" if started is not None else "before"
    snap, snap0 = str(m.get("snapshot", ""))[:10], str(m0.get("snapshot", ""))[:10]
    items = ["Same data" if snap == snap0 else f"Data up to {snap} (was {snap0})"]
    k, k0 = m.get("recommended_technicians"), m0.get("recommended_technicians")
    if k0 is not None:
        items.append(f"crew {k} technician{'s' if k != 1 else ''} ({'unchanged' if k == k0 else f'was {k0}'})")
    for key, words in (("devices_down_at_snapshot", "devices down"),
                       (f"expected_failures_{horizons[0]}d", f"failures expected in {horizons[0]} days")):
        if key in m0 and key in m:
            now, then = nb.num(m[key]), nb.num(m0[key])
            items.append(f"{words} {now}" + (" (unchanged)" if now == then else f" (was {then})"))
    if "crew_expected_profit_usd" in m0:
        items.append(f"expected profit over {m['crew_weeks']} weeks {nb.money(m['crew_expected_profit_usd'])} "
                     f"(was {nb.money(m0['crew_expected_profit_usd'])})")
    else:
        items.append("profit not comparable: that run valued the crew on one week, this one on "
                     f"{m.get('crew_weeks', 4)} weeks of failures and repairs")
    return f"**What changed since the run of {when}.** " + "; ".join(items) + "."


def device_page_one(a: SurvivalPlan, staffing: pd.DataFrame, margin: dict, horizons: tuple[int, int],
                    plan_days: int, technicians_param: int, stores: pd.DataFrame, change: str = "") -> PageOne:
    """Page one of the device report: how many technicians on several weeks of failures and
    repairs, the profit and its range, this week's plan, why many devices are down, and how
    sure we are. Every figure from ``a.crew.table``, ``a.plan`` and ``margin`` (results/)."""
    p = a.crew
    t = p.table.set_index("technicians")
    k = int(p.table.loc[p.table.recommended, "technicians"].iloc[0])
    best, w = t.loc[k], p.weeks
    cs = a.calibration_summary
    down = int(a.backlog.down.sum())
    kpis = {
        "Technicians to send": f"{k}",
        f"Expected profit, next {w} weeks": nb.money(best.expected_profit_usd),
        f"Devices down: now, after {w} weeks": f"{down} → {nb.num(best[f'down_after_week{w}'])}",
        f"Running devices expected to fail, next {horizons[0]} days": nb.num(float(a.risk[f"p_fail_{horizons[0]}d"].sum())),
    }
    chain = ""
    if margin.get("chain_gross_profit_usd") is not None:
        chain = (f" The chain made {nb.money(margin['chain_gross_profit_usd'])} gross profit in the week "
                 f"of {pd.Timestamp(margin['chain_week_start']):%-d %b %Y} (store report).")
    support = ("without a working grinder a store loses its coffee drinks, without an ice maker its iced drinks "
               "and cold brew (our assumption)" if margin["prices_support"] else
               "grinders and ice makers are not priced, because without sales tables we cannot tell which drinks "
               "need them")
    sold = "sold" if margin["prices_support"] else "made (cup log)"
    money = (
        "**How downtime is priced.** A store loses a drink only when no working machine can make it (one cup-making "
        f"machine makes up to {_rate_text(margin)} drinks an hour; the busiest store hour sells "
        f"{nb.num(margin['busiest_store_hour_drinks'])}); {support}. Lost drinks are those the store {sold} in the "
        f"same hours over the last 4 weeks, at {nb.money(margin['margin_per_cup'], 2)} of margin a drink"
        f"{'' if margin['prices_support'] else ' (assumed: this source has no sales tables)'}; the stores make "
        f"{nb.money(margin['drink_margin_per_week_usd'])} on drinks a week.{chain}"
    )
    conf = ("**How sure we are.** The failure model ranks correctly which of two devices fails first "
            f"{certainty.probability_text(_holdout_c(a))} of the time on held-out devices (50 % is chance).")
    if cs:
        conf += " On held-out days: " + _lower_first(calibration_claim(cs))
        if a.calibration is not None and len(a.calibration):
            c = a.calibration
            conf += " " + certainty.calibration_spread_sentence(list(c.predicted), list(c.observed), list(c.devices),
                                                                    "devices")
    conf += " " + omitted_text(a)
    parts = [crew_text(a, horizons, technicians_param), change, week_plan_text(a, plan_days),
             downtime_explainer(a, coverage(a, stores)), money, conf]
    return PageOne(kpis, "\n\n".join(x for x in parts if x))


def _holdout_c(a: SurvivalPlan) -> float:
    return float(a.comparison.table.set_index("model").loc[a.comparison.chosen, "holdout_concordance"])


def _rate_text(margin: dict) -> str:
    r = sorted(margin.get("machine_rate_cups_per_hour", {}).values())
    if not r:
        return "an unlimited number of"
    return nb.num(r[0]) if r[0] == r[-1] else f"{nb.num(r[0])} to {nb.num(r[-1])}"


def not_reached(x: float) -> str | float:
    return "not reached" if x is None or not math.isfinite(float(x)) else x


def device_risk_table(a: SurvivalPlan, names: pd.Series, top_n: int, horizons: tuple[int, int]) -> pd.DataFrame:
    """Running devices at highest risk, named as readers know them (codes stay in results/)."""
    h1, h2 = horizons
    t = a.risk.head(top_n)
    return pd.DataFrame({
        "device (model)": [f"{n} ({m})" for n, m in zip(t.unit_id.map(names).fillna(t.unit_id), t.model, strict=True)],
        "days up": t.spell_age_days.to_numpy(),
        f"{h1}-day risk": [certainty.probability_text(p) for p in t[f"p_fail_{h1}d"]],
        "days left": t.median_remaining_days.to_numpy(),
        "visit": planned_visits(a, t.unit_id),
    })


def planned_visits(a: SurvivalPlan, units: pd.Series) -> list[str]:
    """Each device's visit day in this week's plan, or why it has none (a working backup in its
    store, or the visits went to machines whose stores lose more)."""
    sched = a.plan.schedule.set_index("device_id")
    cov = coverage(a, a.backlog_devices.assign(store_name=a.backlog_devices.store_id)[["store_id", "store_name"]]
                   .drop_duplicates()).set_index(["store_id", "kind"]).working
    dev = a.plan_inputs.devices.set_index("unit_id")
    out = []
    for u in units:
        if u in sched.index:
            out.append(f"day {int(sched.loc[u, 'day'])}")
        elif u in dev.index and cov.get((dev.loc[u, "store_id"], dev.loc[u, "kind"]), 0) > 1:
            out.append("no: a backup works")
        else:
            out.append("no: others first")
    return out


def schedule_table(a: SurvivalPlan, names: pd.Series, n: int = 10) -> pd.DataFrame:
    """The most valuable visits of the plan in words and dollars, then the rest and the total:
    the margin column adds up to the plan's expected margin kept this week."""
    s = a.plan.schedule.sort_values("margin_kept_usd", ascending=False)
    top, rest = s.head(n), s.iloc[n:]
    t = pd.DataFrame({
        "day": top.day.astype(int).astype(str).to_numpy(), "device": top.device_id.map(names).fillna(top.device_id).to_numpy(),
        "visit": top.action.to_numpy(),
        "drinks saved": top.lost_drinks_avoided.to_numpy(), "margin kept": top.margin_kept_usd.to_numpy(),
    })
    if (top.action == "preventive service").any():
        t.insert(3, "chance of failing this week",
                 ["–" if pd.isna(p) else certainty.probability_text(p) for p in top.p_fail_horizon])
    tail = []
    if len(rest):
        tail.append({"day": "", "device": f"the other {len(rest)} visits", "visit": "",
                     "drinks saved": rest.lost_drinks_avoided.sum(), "margin kept": rest.margin_kept_usd.sum()})
    tail.append({"day": "", "device": f"all {len(s)} visits", "visit": "",
                 "drinks saved": s.lost_drinks_avoided.sum(), "margin kept": s.margin_kept_usd.sum()})
    return pd.concat([t, pd.DataFrame(tail)], ignore_index=True).fillna({"chance of failing this week": ""})


CREW_FORMATS = {"technicians": "int", "visits a week": "int", "margin lost": "money", "margin kept": "money",
                "technician cost": "money", "expected profit": "money"}


def crew_table(a: SurvivalPlan) -> pd.DataFrame:
    """Per crew size over the projection's weeks: devices down at its end, money, and the chance
    of beating the recommended crew on the same simulated futures."""
    p = a.crew
    t = p.table
    k = int(t.loc[t.recommended, "technicians"].iloc[0])
    w = p.weeks
    return pd.DataFrame({
        "technicians": t.technicians, "visits a week": t.visits_per_week,
        f"down after {w} weeks": [f"{nb.num(m)} ({nb.num(lo)}–{nb.num(hi)})" for m, lo, hi in
                                  zip(t[f"down_after_week{w}"], t.down_end_low, t.down_end_high, strict=True)],
        "margin lost": t.lost_margin_usd, "margin kept": t.margin_kept_usd,
        "technician cost": t.technician_cost_usd, "expected profit": t.expected_profit_usd,
        "profit, 9 in 10": [f"{nb.money(lo)} to {nb.money(hi)}" if j else "–" for j, lo, hi in
                            zip(t.technicians, t.profit_low_usd, t.profit_high_usd, strict=True)],
        "chance it beats the pick": ["recommended" if j == k else certainty.probability_text(float(p.beats.loc[j, k]))
                                     for j in t.technicians],
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
                  "extra downtime hours vs run to failure": "int"}


def policy_table(a: SurvivalPlan) -> pd.DataFrame:
    c = a.plan.comparison
    return pd.DataFrame({
        "policy": c.policy, "visits": c.visits, "device downtime (open hours)": c.expected_downtime_hours,
        "drinks lost": c.expected_lost_drinks, "drink margin lost": c.expected_lost_margin_usd,
        "margin kept vs run to failure": c.margin_kept_vs_run_to_failure_usd,
        "extra downtime hours vs run to failure": 0.0 - c.downtime_hours_avoided_vs_run_to_failure + 0.0,
    })


def backlog_table(a: SurvivalPlan) -> pd.DataFrame:
    b = a.backlog
    return pd.DataFrame({"store": b.store_name if "store_name" in b else b.store_id, "devices": b.devices,
                         "down": b.down, "median days down": b.median_days_down, "share down": b.share_down})


def ph_table(a: SurvivalPlan) -> pd.DataFrame:
    """The proportional-hazards check with each covariate named as on the effects chart."""
    names = hr_labels(a)
    t = a.cox.ph_final
    return pd.DataFrame({"characteristic": [names.get(c, str(c).replace("_", " ")) for c in t.covariate],
                         "statistic": t.statistic, "p": t.p})


MODEL_WORDS = {"Weibull AFT": "Weibull (time-scaling)", "Log-normal AFT": "log-normal (time-scaling)",
               "Log-logistic AFT": "log-logistic (time-scaling)", "Cox PH (stratified)": "Cox, one baseline per type",
               "Cox PH": "Cox"}
MODEL_FORMATS = {"fit score (AIC)": "float1", "ranks held-out devices right": "pct0", "parameters": "int"}


def model_words(name: str) -> str:
    return MODEL_WORDS.get(name, name)


def models_table(a: SurvivalPlan) -> pd.DataFrame:
    """The models compared, named in words (AIC: lower is better; a Cox model has none here)."""
    t = a.comparison.table
    out = pd.DataFrame({"model": t.model.map(model_words), "fit score (AIC)": t.aic,
                        "parameters": t.parameters, "ranks held-out devices right": t.holdout_concordance})
    if "chosen" in t:
        out["chosen"] = t.chosen.map({True: "chosen", False: ""})
    return out


def shapes_table(a: SurvivalPlan) -> pd.DataFrame:
    t = a.shapes
    return pd.DataFrame({"device type": t.group.map(DEVICE_WORDS).fillna(t.group.str.replace("_", " ")),
                         "shape": t["shape"], "95 % low": t.shape_lo, "95 % high": t.shape_hi})


def coverage_table(a: SurvivalPlan, stores: pd.DataFrame) -> pd.DataFrame:
    """Per store: working / all machines of each kind (a 0 is a store that cannot make some drinks)."""
    cov = coverage(a, stores)
    cov["cell"] = cov.working.astype(int).astype(str) + " of " + cov.devices.astype(int).astype(str)
    t = cov.pivot_table(index="store_name", columns="kind_words", values="cell", aggfunc="first").fillna("–")
    return t.reset_index().rename(columns={"store_name": "store"})


def glossary_terms(a: SurvivalPlan) -> list[str]:
    """The method terms the evidence section uses, for the closing glossary."""
    terms = ["Censored", "Concordance", "Cox model", "Hazard ratio", "Kaplan-Meier curve",
             "Left truncation", "Proportional hazards", "Spell", "Weibull model", "AIC", "Log-logistic model",
             "Log-normal model", "Time-scaling model (AFT)"]
    if a.cox.stratified:
        terms.append("Stratified Cox model")
    if a.calibration_summary:
        terms += ["Brier skill", "Held-out data"]
    return sorted(set(terms))


def save_results(results, a: SurvivalPlan, store, extra: dict) -> None:
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
    if a.crew is not None:
        results.table("crew_projection", a.crew.table)
        results.table("crew_beats", a.crew.beats.rename_axis("technicians").reset_index())
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


def service_view(a: SurvivalPlan, nouns: Nouns):
    """The service table, or one sentence when the run evaluates no preventive action."""
    if not a.service.summary["capacity"]:
        return nb.md("No preventive action was evaluated: the run gives no capacity for it.")
    if not len(a.service.units):
        return nb.md("No preventive action pays at the run's assumed costs.")
    return nb.show_table(service_table(a, nouns), formats=SERVICE_FORMATS)


def service_table(a: SurvivalPlan, nouns: Nouns) -> pd.DataFrame:
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


def fleet_risk_table(a: SurvivalPlan, nouns: Nouns, top_n: int, horizons: tuple[int, int]) -> pd.DataFrame:
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


def km_title(a: SurvivalPlan, nouns: Nouns) -> str:
    by = "" if a.data.group_col == "_all" else f" by {nouns.group}"
    return f"Time to {nouns.event}{by}"


def logrank_text(a: SurvivalPlan, nouns: Nouns) -> str:
    lr = a.logrank
    if not lr:
        return f"Median time to {nouns.event}:"
    differs = "differs" if lr["p"] < 0.05 else "does not clearly differ"
    return (f"A log-rank test says the time to {nouns.event} {differs} across {nouns.group}s (chi-square "
            f"{lr['statistic']:.1f} on {lr['df']} degrees of freedom, p = {lr['p']:.2g}). Median time per {nouns.group}:")


def cox_design_text(a: SurvivalPlan, nouns: Nouns) -> str:
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


COUNT_WORDS = {
    "devices_registered": "devices in the registry", "devices_used": "devices analysed",
    "devices_excluded_no_log": "devices left out: no status log",
    "censored_spells": "spells still running at the end (censored)",
    "left_truncated_spells": "spells begun before the log (entered late)",
    "blips_ignored": "offline blips ignored (shorter than the failure threshold)",
    "pending_short_offline": "devices offline at the end for less than the threshold (not yet failures)",
    "status_events_after_snapshot": "status events after the analysis date (not used)",
    "zero_length_spells_excluded": "spells of zero length left out",
}


def counts_table(a: SurvivalPlan, nouns: Nouns) -> pd.DataFrame:
    words = {**COUNT_WORDS, "units": nouns.units, "failures": nouns.events, "repeat_failures": f"repeat {nouns.events}"}
    return pd.DataFrame({"item": [words.get(k, k.replace("_", " ")) for k in a.data.counts],
                         "count": list(a.data.counts.values())})


def hr_labels(a: SurvivalPlan) -> dict[str, str]:
    """Axis labels for the hazard-ratio chart: each effect's subject from its sentence."""
    hr = a.cox.hazard_ratios
    return {c: w.split(" raises ")[0].split(" lowers ")[0] for c, w in zip(hr.covariate, hr.in_words, strict=True)}
