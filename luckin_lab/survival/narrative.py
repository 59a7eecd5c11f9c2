"""The report's 'method in plain words', written for the kind of data that was analysed.

IoT devices (cups, grinders, a technician plan) and a generic fleet (printers, kiosks,
no stores or cups) need different explanations; the notebook emits this text instead of
a fixed markdown cell so a printer report never talks about ice makers.
"""

from __future__ import annotations


def method_text(
    dataset: str,
    horizons: tuple[int, int],
    calibration_days: int,
    blip_hours: float = 4.0,
    group_label: str = "group",
    covariate_labels: list[str] | None = None,
) -> str:
    """Markdown bullets explaining events, spells, covariates, models, risk and the decision."""
    h1, h2 = horizons
    models = (
        f"- **Models.** Kaplan-Meier curves describe time to failure; a Cox model measures how much "
        f"each factor raises the failure hazard. Its proportional-hazards assumption is tested; when "
        f"the {group_label} breaks it, each {group_label} gets its own baseline (stratification); a "
        f"covariate that breaks it gets separate early and late effects. Weibull, log-normal and "
        f"log-logistic models are fitted per {group_label} and the one with the lowest AIC is used "
        f"unless it ranks held-out units clearly worse."
    )
    if dataset == "devices":
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
            models,
            f"- **Risk.** For a running device, the chance of failing within {h1} or {h2} days is the "
            "model's probability of failure in that window given it has already run for its current "
            f"spell's age. The check: refit on data up to {calibration_days} days ago and compare "
            "predictions with what happened.",
            "- **The plan.** Each visit brings a device back as good as new. OR-Tools picks the visits "
            "(device and day) that avoid the most expected lost cups, within technicians × visits a day "
            "and the visits a store can host during its opening hours. Without a visit a failed device "
            "is assumed down for the rest of the plan (the repair backlog is weeks long). The same "
            "expected-value model scores run-to-failure and a fixed calendar.",
        ])
    covs = ", ".join(covariate_labels or []) or "none"
    return "\n".join([
        "- **The data** is the fleet owner's extract in the generic time-to-event form: one row per "
        "spell of a unit, from its last renewal (installation or repair) to a failure (event = 1) or "
        "to the end of observation (event = 0, *censored*: it lasted at least that long). A spell "
        "whose start is above zero began before observation did and enters late (*left truncation*). "
        "A unit that fails, is repaired and fails again contributes one spell each time; standard "
        "errors are clustered by unit.",
        f"- **Covariates** are the extract's own columns ({covs}); each effect is stated per a step "
        "close to the covariate's spread across the fleet, so it reads as a change that really "
        "occurs.",
        models,
        f"- **Risk.** For a running unit, the chance of failing within {h1} or {h2} days is the model's "
        "probability of failure in that window given it has already run for its current spell's age.",
        f"- **The decision.** A preventive service is assumed to renew a unit (as good as new). It "
        f"pays where the cut in the {h2}-day failure chance, times the cost of a failure, exceeds the "
        "cost of the service; the units where it pays most are serviced first, up to the service "
        "capacity, and the expected cost is compared with running every unit to failure. The extract "
        "carries no calendar dates, so no held-out-time calibration check is made.",
    ])
