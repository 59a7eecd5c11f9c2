"""The whole IoT survival analysis in one call, so the report notebook stays thin.

``analyse(store, ...)`` builds the spells (devices or a generic fleet), fits KM, Cox with its
PH check and the parametric candidates, scores every online device, checks the 30-day
probabilities on held-out time and, for devices, plans this week's technician visits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from luckin_lab.sources import DataStore
from luckin_lab.survival import lost_sales as ls
from luckin_lab.survival import models as M
from luckin_lab.survival.crew_weeks import WEEKS, CrewProjection, project_crews
from luckin_lab.survival.episodes import EventData, as_of, device_events, generic_events
from luckin_lab.survival.plan import (
    INTERVAL,
    OPTIMISED,
    MaintenancePlan,
    PlanInputs,
    maintenance_plan,
    plan_inputs,
    staffing_options,
)
from luckin_lab.survival.prediction import holdout_calibration, risk_table
from luckin_lab.survival.service import ServicePlan, service_priority
from luckin_lab.survival.words import Nouns
from luckin_lab.transforms import iot as tx


@dataclass
class SurvivalAnalysis:
    data: EventData
    km: dict
    km_table: pd.DataFrame
    logrank: dict
    cox: M.CoxResult
    comparison: M.ModelComparison
    risk: pd.DataFrame
    calibration: pd.DataFrame | None = None
    calibration_summary: dict = field(default_factory=dict)
    plan: MaintenancePlan | None = None
    backlog: pd.DataFrame | None = None
    shapes: pd.DataFrame | None = None
    service: ServicePlan | None = None
    backlog_devices: pd.DataFrame | None = None
    staffing: pd.DataFrame | None = None
    margin: dict = field(default_factory=dict)
    crew: CrewProjection | None = None  # several weeks of failures and repairs per crew size
    plan_inputs: PlanInputs | None = None  # devices, failure chances and store demand the plans are built on

    @property
    def chosen(self) -> M.GroupModels:
        return self.comparison.models[self.comparison.chosen]


def device_state(store: DataStore, data: EventData, blip_hours: float) -> pd.DataFrame:
    """device_id, down, down_since at the snapshot (a failure still ongoing)."""
    expr = tx.current_state(store.table("iot_device_status"), data.snapshot.to_pydatetime(), blip_hours)
    return store.execute(expr)


def offline_backlog(state: pd.DataFrame, devices: pd.DataFrame, stores: pd.DataFrame, snapshot: pd.Timestamp) -> pd.DataFrame:
    """Per store: devices, devices down at the snapshot, share down and median days down."""
    d = devices[["device_id", "store_id"]].merge(state, on="device_id", how="left")
    d["down"] = d["down"].fillna(False).astype(bool)
    d["days_down"] = (snapshot - pd.to_datetime(d.down_since)).dt.total_seconds() / 86400
    g = d.groupby("store_id").agg(
        devices=("device_id", "size"), down=("down", "sum"), median_days_down=("days_down", "median")
    ).reset_index()
    g["share_down"] = g.down / g.devices
    names = stores[["store_id", "store_name"]] if "store_name" in stores.columns else stores[["store_id"]]
    return names.merge(g, on="store_id").sort_values("share_down", ascending=False).reset_index(drop=True)


def demand_summary(demand: ls.StoreDemand, rates: pd.Series, chain: dict, inp) -> dict:
    """What a lost drink is worth and how much the stores sell: the scale every lost-margin
    figure is checked against (a week's loss can never exceed a week's drink margin)."""
    drinks = demand.drinks_per_day()
    margin = demand.margin_per_day().sum()
    return {
        "margin_per_cup": float(margin / drinks.sum()) if drinks.sum() else 0.0,
        "how": demand.how,
        "prices_support": demand.prices_support,
        "drinks_per_week": float(drinks.sum() * 7),
        "drink_margin_per_week_usd": float(margin * 7),
        "drink_margin_per_horizon_usd": float(margin * inp.horizon),
        "machine_rate_cups_per_hour": {k: float(v) for k, v in rates.items()},
        "busiest_store_hour_drinks": float(demand.hourly.groupby(["store_id", "hour"]).drinks.sum().max()),
        **{f"chain_{k}": v for k, v in chain.items()},
    }


def analyse(
    store: DataStore,
    dataset: str = "devices",
    blip_hours: float = 4.0,
    snapshot: str = "",
    horizons: tuple[int, int] = (7, 30),
    calibration_days: int = 30,
    technicians: int = 2,
    visits_per_technician_day: int = 4,
    plan_horizon_days: int = 7,
    visit_hours: float = 2.0,
    group_col: str = "",
    covariates: list[str] | None = None,
    ph_p: float = 0.05,
    seed: int = 0,
    service_capacity: int = 20,
    failure_cost: float = 0.0,
    service_cost: float = 0.0,
    cox_design: str = "time_split",
    covariate_labels: dict[str, str] | None = None,
    covariate_units: dict[str, str] | None = None,
    nouns: Nouns | None = None,
    max_technicians: int = 4,
    technician_day_cost: float = 320.0,
    assumed_margin_per_cup: float | None = None,
) -> SurvivalAnalysis:
    """Run every step; ``dataset`` is "devices" (IoT tables) or "generic" (generic_time_to_event)."""
    if dataset == "devices":
        data = device_events(store, blip_hours=blip_hours, snapshot=snapshot or None)
    elif dataset == "generic":
        data = generic_events(store, group_col=group_col, covariates=covariates,
                              covariate_labels=covariate_labels, covariate_units=covariate_units, nouns=nouns)
    else:
        raise ValueError(f"dataset must be 'devices' or 'generic', not {dataset!r}")
    km = M.kaplan_meier(data)
    cox = M.fit_cox(data, ph_p=ph_p, design=cox_design)
    comparison = M.compare_models(data, cox, seed=seed)
    out = SurvivalAnalysis(
        data=data,
        km=km,
        km_table=M.km_summary(km, data),
        logrank=M.logrank(data) if data.frame[data.group_col].nunique() > 1 else {},
        cox=cox,
        comparison=comparison,
        risk=risk_table(data, comparison.models[comparison.chosen], horizons),
        shapes=M.weibull_shapes(comparison.models["Weibull AFT"]),
    )
    if dataset != "devices":
        out.service = service_priority(
            data, out.chosen, horizons[1], service_capacity, failure_cost, service_cost
        )
        return out
    earlier = as_of(store, data.snapshot - pd.Timedelta(days=calibration_days), blip_hours)
    # the plan acts on the short horizon's risk, so that is the one checked on held-out days
    out.calibration, out.calibration_summary = holdout_calibration(
        data, earlier, comparison.chosen, horizon_days=horizons[0]
    )
    state = device_state(store, data, blip_hours)
    stores = store.load("stores")
    out.backlog = offline_backlog(state, store.load("iot_devices"), stores, data.snapshot)
    demand = ls.store_demand(store, data.snapshot, assumed_margin_per_cup)
    rates = ls.machine_rates(store, data.snapshot)
    inp = plan_inputs(data, out.chosen, state, stores, plan_horizon_days, demand, rates)
    out.plan_inputs = inp
    out.plan = maintenance_plan(inp, data.snapshot, technicians, visits_per_technician_day, visit_hours)
    out.backlog_devices = store.load("iot_devices")[["device_id", "store_id", "device_type"]].merge(
        state[["device_id", "down"]], on="device_id", how="left").fillna({"down": False})
    out.backlog_devices["down"] = out.backlog_devices.down.astype(bool)
    out.margin = demand_summary(demand, rates, ls.chain_week(store, data.snapshot), inp)
    out.staffing = staffing_options(inp, max(max_technicians, technicians), visits_per_technician_day,
                                    visit_hours, technician_day_cost)
    # a repair keeps a machine working for weeks: the crew is chosen on several weeks of
    # failures and repairs, and the week's plan shown and exported is that crew's
    long = plan_inputs(data, out.chosen, state, stores, WEEKS * 7, demand, rates)
    out.crew = project_crews(long, list(out.staffing.technicians), visits_per_technician_day, technician_day_cost)
    best = int(out.crew.table.loc[out.crew.table.recommended, "technicians"].iloc[0])
    out.staffing["recommended"] = out.staffing.technicians == best
    if best > 0 and best != technicians:
        out.plan = maintenance_plan(inp, data.snapshot, best, visits_per_technician_day, visit_hours)
    return out


def headline_metrics(a: SurvivalAnalysis) -> dict:
    """The figures metrics.json carries (and the executive summary quotes)."""
    hr = a.cox.hazard_ratios.set_index("covariate")
    m = {
        **{f"n_{k}": v for k, v in a.data.counts.items()},
        "cox_concordance": a.cox.concordance,
        "cox_design": a.cox.design,
        "cox_time_split_at": a.cox.t_split,
        "cox_plain_concordance": a.cox.plain_concordance if a.cox.plain is not None else a.cox.concordance,
        "cox_left_out": a.cox.dropped,
        "cox_stratified": a.cox.stratified,
        "chosen_model": a.comparison.chosen,
        "hazard_ratios": {c: float(hr.loc[c, "hr"]) for c in hr.index},
        "weibull_shapes": dict(zip(a.shapes.group, a.shapes["shape"], strict=True)) if a.shapes is not None else {},
        "devices_online": len(a.risk),
        "snapshot": str(a.data.snapshot.date()) if a.data.snapshot is not None else None,
        # one per risk horizon, e.g. expected_failures_7d (the suffix is the time unit's count)
        **{f"expected_failures_{c[len('p_fail_'):]}": float(a.risk[c].sum())
           for c in a.risk.columns if c.startswith("p_fail_")},
    }
    if a.calibration_summary:
        m["calibration"] = a.calibration_summary
    if a.plan is not None:
        comp = a.plan.comparison.set_index("policy")
        m["plan_visits"] = int(len(a.plan.schedule))
        m["downtime_hours"] = comp.expected_downtime_hours.to_dict()
        m["lost_drinks"] = comp.expected_lost_drinks.to_dict()
        m["lost_margin_usd"] = comp.expected_lost_margin_usd.to_dict()
        for col in ("downtime_hours_avoided_vs_run_to_failure", "lost_drinks_avoided_vs_run_to_failure",
                    "margin_kept_vs_run_to_failure_usd"):
            m[col] = float(comp.loc[OPTIMISED, col])
    if a.service is not None:
        m["service"] = a.service.summary
    if a.crew is not None:  # the headline: the crew on several weeks of failures and repairs
        t = a.crew.table.set_index("technicians")
        k = int(a.crew.table.loc[a.crew.table.recommended, "technicians"].iloc[0])
        w = a.crew.weeks
        m["crew_weeks"] = w
        m["crew_simulated_futures"] = a.crew.futures
        m["recommended_technicians"] = k
        for col in ("expected_profit_usd", "profit_low_usd", "profit_high_usd", "margin_kept_usd",
                    "technician_cost_usd"):
            m[f"crew_{col}"] = float(t.loc[k, col])
        m["devices_down_after_weeks"] = {int(j): float(r[f"down_after_week{w}"]) for j, r in t.iterrows()}
        m["expected_new_failures_week1"] = float(t.loc[0, "new_failures_week1"])
        m["week_plan_margin_kept_usd"] = float(a.plan.capacity.get("margin_kept_usd", 0.0))
        others = t.drop(index=k).expected_profit_usd
        if len(others):
            j = int(others.idxmax())
            m["crew_runner_up"] = j
            m["crew_chance_beats_runner_up"] = float(a.crew.beats.loc[k, j])
    if a.staffing is not None:
        best = a.staffing[a.staffing.recommended].iloc[0]
        none = a.staffing[a.staffing.technicians == 0].iloc[0]
        m.setdefault("recommended_technicians", int(best.technicians))
        for k in ("expected_profit_usd", "profit_low_usd", "profit_high_usd", "margin_kept_usd",
                  "technician_cost_usd", "expected_lost_margin_usd"):
            m[k] = float(best[k])
        m["lost_margin_if_nobody_usd"] = float(none.expected_lost_margin_usd)
        m["lost_margin_if_nobody_low_usd"] = float(none.lost_margin_low_usd)
        m["lost_margin_if_nobody_high_usd"] = float(none.lost_margin_high_usd)
        m["profit_interval_level"] = INTERVAL
        m["margin_per_cup_usd"] = a.margin["margin_per_cup"]
        m["lost_sales"] = {k: v for k, v in a.margin.items() if k != "margin_per_cup"}
    if a.backlog is not None:
        m["devices_down_at_snapshot"] = int(a.backlog.down.sum())
        m["share_down_at_snapshot"] = float(a.backlog.down.sum() / a.backlog.devices.sum())
    return m


def spell_window_label(data: EventData) -> str:
    """The generic extract's observation window in its own units (days since renewal): it
    carries no calendar dates, so the cover states the span of spell times instead."""
    f, n = data.frame, data.nouns
    return (f"spells observed from {n.time_unit} {f.entry.min():.0f} to {n.time_unit} {f.stop.max():.0f} "
            f"({data.counts.get('units', data.n_units):,} {n.units}; the extract has no calendar dates)")


