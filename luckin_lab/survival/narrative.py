"""The report's 'method in plain words', written for the kind of data that was analysed.

IoT devices (cups, grinders, a technician plan) and a generic fleet (printers, kiosks,
no stores or cups) need different explanations; the notebook emits this text instead of
a fixed markdown cell so a printer report never talks about ice makers.
"""

from __future__ import annotations

from luckin_lab.survival.words import DEVICES, Nouns


def _models(nouns: Nouns, grouped: bool) -> str:
    per = f" per {nouns.group}" if grouped else ""
    strat = (f" when the {nouns.group} breaks it, each {nouns.group} gets its own baseline (stratification);"
             if grouped else "")
    return (
        f"- **Models.** Kaplan-Meier curves describe the time to {nouns.event}; a Cox model measures how much "
        f"each characteristic raises or lowers the {nouns.event} rate. Its proportional-hazards assumption is "
        f"tested;{strat} a characteristic that breaks it gets separate early and late effects unless the run "
        f"asks for the plain model. Weibull, log-normal and log-logistic models are fitted{per} and the one "
        f"with the lowest AIC is used unless it ranks held-out {nouns.units} clearly worse."
    )


def device_method_text(horizons: tuple[int, int], calibration_days: int, blip_hours: float = 4.0) -> str:
    """Markdown bullets explaining failures, spells, usage, models, risk and the plan for devices."""
    h1, h2 = horizons
    return "\n".join([
        f"- **A failure** is a device going offline for at least {blip_hours:g} hours (a parameter; "
        "shorter drop-outs are connectivity blips and ignored). Repeated status heartbeats are "
        "collapsed first.",
        "- **A spell** runs from a device's last installation or repair to its next failure. Spells "
        "still running at the snapshot are *censored*: we know the device lasted at least that long. "
        "Devices installed before the status log began enter late (*left truncation*): their first "
        "spell counts only from the day logging started, using the registry's last service date. A "
        "device that is repaired and fails again contributes a new spell every time, so repeat "
        "failures count; standard errors are clustered by device.",
        "- **Usage** comes from the cup log: cups per day a device is online (cup makers), or the "
        "store's cups per day shared among the devices of that type (grinders, ice makers); peak load "
        "is the busiest hour against the average hour; age is years since the device was built, at "
        "the start of each spell.",
        _models(DEVICES, True),
        f"- **Risk.** For a running device, the chance of failing within {h1} or {h2} days is the "
        "model's probability of failure in that window given it has already run for its current "
        f"spell's age. The check: refit on data up to {calibration_days} days ago, give each device "
        f"running then a chance of failing within {h1} days, and compare with what happened, and with "
        "a constant rate for every device (skill).",
        "- **What downtime costs.** A store loses a drink only when it cannot make it. Cup-making "
        "machines (the types the cup log names) share the store's drinks; one machine makes at most "
        "its type's busiest-hour rate in the cup log (99th percentile of its machine-hours), and the "
        "store loses the drinks of an hour beyond what its working machines make. A store with no "
        "working grinder loses its coffee drinks and one with no working ice maker its iced drinks "
        "and cold brew (an assumption; the data do not link them to drinks). Demand is what each "
        "store sold in each hour over the last 4 weeks (order items), at its own drink margin (paid "
        "price minus recipe cost), so no store can lose more than it sells. Devices fail "
        "independently.",
        "- **The plan.** Each visit brings a device back as good as new. Visits are chosen one at a "
        "time, each the device and day that keeps the most expected drink margin given the visits "
        "already chosen (a second repair where one already restores service is worth little), within "
        "technicians x visits a day and the visits a store can host during its opening hours; spare "
        "capacity repairs the oldest failures. Without a visit a failed device is assumed down for the "
        "rest of the plan (the repair backlog is weeks long). Run-to-failure and a fixed calendar are "
        "scored on the same model and the same 1,000 simulated weeks.",
        "- **The crew.** A repair keeps a machine working for weeks and running machines keep failing, so "
        "each number of technicians from none up is followed through 4 weeks in 400 simulated futures: each "
        "day running devices fail at the model's chance given their time since repair, down devices stay down "
        "until a technician comes, and the crew repairs first the down devices whose repair saves the most "
        "drinks that day. Profit is the drink margin kept against sending nobody minus the technicians' cost "
        "per day (a parameter); the recommendation is the most profitable number, with the range 9 futures in "
        "10 fall in and the share of futures in which it beats the next-best number (same futures). The "
        "ranges are chance of failures only: the failure model and the rules above are taken as right; the "
        "projection leaves out preventive service, the visits a store can host per day, and losses after week 4.",
    ])


def fleet_method_text(horizons: tuple[int, int], nouns: Nouns, grouped: bool,
                      covariate_labels: list[str] | None = None) -> str:
    """Markdown bullets for a generic run, in the run's own nouns."""
    h1, h2 = horizons
    covs = ", ".join(covariate_labels or []) or "none"
    return "\n".join([
        f"- **The data** is the extract in the generic time-to-event form: one row per spell of a "
        f"{nouns.unit}, from {nouns.renewal} to a {nouns.event} (event = 1) or to the end of observation "
        "(event = 0, *censored*: it lasted at least that long). A spell whose start is above zero began "
        f"before observation did and enters late (*left truncation*). A {nouns.unit} with several spells "
        f"contributes each; standard errors are clustered by {nouns.unit}. Times are in {nouns.time_units}.",
        f"- **Characteristics** are the extract's own columns ({covs}); each numeric effect is stated per "
        f"a round step close to its spread across the {nouns.units}, so it reads as a change that really occurs.",
        _models(nouns, grouped),
        f"- **Risk.** For a {nouns.unit} still at risk, the chance of a {nouns.event} within {nouns.span(h1)} "
        f"or {nouns.span(h2)} is the model's probability in that window given the time it has already "
        "lasted.",
        f"- **The decision.** A preventive action is assumed to renew a {nouns.unit} (as good as new). It "
        f"pays where the cut in the {nouns.span(h2)} chance of a {nouns.event}, times its cost, exceeds the "
        "cost of the action; the units where it pays most come first, up to the capacity.",
    ])
