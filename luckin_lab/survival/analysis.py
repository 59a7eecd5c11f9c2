"""The failure analyses as objects: fit once (spells, Kaplan-Meier, Cox with its PH check, the
parametric candidates, every running unit's risk), then decide without refitting.

- :class:`DeviceAnalysis` (the IoT report): also checks the risk on held-out days, prices
  downtime in the drinks stores lose, and decides how many technicians to send, with this
  week's visits: ``DeviceAnalysis(DeviceSettings()).fit(store).decide(technicians=3)``.
- :class:`FleetAnalysis` (any fleet, or people, through ``generic_time_to_event``): decides
  which units get a preventive action: ``FleetAnalysis(FleetSettings()).fit(store).decide()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from matplotlib.figure import Figure
from pydantic import BaseModel, ConfigDict, Field

from luckin_lab.estimator import decision_settings
from luckin_lab.sources import DataStore
from luckin_lab.survival import lost_sales as ls
from luckin_lab.survival import models as M
from luckin_lab.survival import plots
from luckin_lab.survival.crew_weeks import WEEKS, CrewProjection, project_crews, staffing_options
from luckin_lab.survival.episodes import EventData, as_of, device_events, generic_events
from luckin_lab.survival.plan import (
    INTERVAL,
    OPTIMISED,
    MaintenancePlan,
    PlanInputs,
    availability_options,
    maintenance_plan,
    plan_inputs,
    store_slots,
    week_schedule,
)
from luckin_lab.survival.prediction import holdout_calibration, risk_table
from luckin_lab.survival.service import ServicePlan, service_priority
from luckin_lab.survival.words import Nouns, nouns
from luckin_lab.transforms import iot as tx

COX_DESIGNS = {"constant": "plain", "early and late": "time_split"}  # the report's words -> fit_cox's design
PH_P = 0.05  # proportional-hazards test level
SEED = 0


class DeviceSettings(BaseModel):
    """The IoT analysis's settings; the report's ``Params`` extends this, so defaults live here.

    ``technicians``, ``max_technicians``, ``technician_day_cost_usd``, ``visits_per_technician_day``
    and ``visit_hours`` are the decision (``decide`` may change them); the others shape the fit.
    """

    model_config = ConfigDict(extra="forbid")

    blip_hours: float = Field(4.0, gt=0, description="offline shorter than this is a blip, not a failure")
    snapshot: str = Field("", description="analysis date YYYY-MM-DD; empty = the day after the log ends")
    horizon_short_days: int = Field(7, ge=1, le=90)
    horizon_long_days: int = Field(30, ge=1, le=365)
    calibration_days: int = Field(30, ge=7, le=120, description="held-out days for the calibration check")
    technicians: int = Field(2, ge=1, le=500, description="technicians available today (compared with the recommendation)")
    max_technicians: int = Field(4, ge=1, le=50, description="the report compares 0 to this many technicians by expected profit")
    technician_day_cost_usd: float = Field(320.0, ge=0, description="cost of one technician for one day (assumed)")
    assumed_margin_per_cup_usd: float | None = Field(
        None, ge=0, description="margin per drink, needed only for a source without sales tables (the report "
        "otherwise prices each store's own drink margin)")
    visits_per_technician_day: int = Field(4, ge=1, le=12)
    plan_horizon_days: int = Field(7, ge=1, le=28)
    visit_hours: float = Field(2.0, gt=0, le=12, description="store time one visit takes")
    effects_over_time: Literal["constant", "early and late"] = Field(
        "early and late", description="constant: one effect per characteristic; early and late: separate "
        "effects before and after the split for a characteristic whose effect changes with time")

    @property
    def horizons(self) -> tuple[int, int]:
        return self.horizon_short_days, self.horizon_long_days


class FleetSettings(BaseModel):
    """The generic time-to-event analysis's settings; the report's ``Params`` extends this.

    ``service_capacity`` and the two costs are the decision (``decide`` may change them)."""

    model_config = ConfigDict(extra="forbid")

    unit_noun: str = Field("unit", min_length=1, description="what one unit is: printer, person, account")
    event_noun: str = Field("failure", min_length=1, description="what the event is: failure, re-arrest, churn")
    time_unit: str = Field("day", min_length=1, description="the unit of start and stop: day, week, month")
    group_noun: str = Field("group", min_length=1, description="what the grouping column is, in words")
    horizon_short: int = Field(7, ge=1, le=520, description="first risk horizon, in time units")
    horizon_long: int = Field(30, ge=1, le=5200, description="second risk horizon, in time units")
    group_col: str = Field("", description="column that groups units (e.g. asset_type); empty = none")
    covariates: list[str] = Field(default_factory=list, description="covariate columns (empty = all others)")
    covariate_labels: dict[str, str] = Field(default_factory=dict, description="column -> words, e.g. fin: financial aid")
    covariate_units: dict[str, str] = Field(default_factory=dict, description="column -> its unit, e.g. age: years")
    cox_design: Literal["plain", "time_split"] = Field(
        "time_split", description="plain: one effect per covariate; time_split: separate early/late effects "
        "for a covariate that breaks proportional hazards")
    service_capacity: int = Field(20, ge=0, le=100000, description="preventive actions available over the long horizon")
    failure_cost_usd: float = Field(150.0, ge=0, description="cost of one event (assumed)")
    service_cost_usd: float = Field(40.0, ge=0, description="cost of one preventive action (assumed)")

    @property
    def horizons(self) -> tuple[int, int]:
        return self.horizon_short, self.horizon_long

    def words(self) -> Nouns:
        return nouns(self.unit_noun, self.event_noun, self.time_unit, self.group_noun)


class _FailureModels:
    """What both analyses fit on their spells: survival curves, Cox, the parametric candidates, risk."""

    # set by fit(); the device analysis adds its checks and plan inputs
    calibration: pd.DataFrame | None = None
    calibration_summary: dict = {}  # noqa: RUF012 - never mutated, replaced by fit()
    backlog: pd.DataFrame | None = None
    backlog_devices: pd.DataFrame | None = None
    margin: dict = {}  # noqa: RUF012
    plan_inputs: PlanInputs | None = None

    def _fit_models(self, data: EventData, horizons: tuple[int, int], cox_design: str) -> None:
        self.data = data
        self.km = M.kaplan_meier(data)
        self.cox = M.fit_cox(data, ph_p=PH_P, design=cox_design)
        self.comparison = M.compare_models(data, self.cox, seed=SEED)
        self.km_table = M.km_summary(self.km, data)
        self.logrank = M.logrank(data) if data.frame[data.group_col].nunique() > 1 else {}
        self.risk = risk_table(data, self.chosen, horizons)
        self.shapes = M.weibull_shapes(self.comparison.models["Weibull AFT"])

    @property
    def chosen(self) -> M.GroupModels:
        """The parametric model chosen by the comparison (it scores risk and plans)."""
        return self.comparison.models[self.comparison.chosen]

    def _check_fitted(self) -> None:
        if not self.fits:
            raise ValueError(f"{type(self).__name__} is not fitted: call fit(store) first")

    # -- figures ---------------------------------------------------------------------------

    @property
    def xmax(self) -> float:
        """The x axis of the survival curves: the 95th percentile of spell lengths."""
        return float(self.data.frame.stop.quantile(0.95))

    def km_figure(self, title: str, xlabel: str | None = None) -> Figure:
        """Share still without the event by time since renewal, one line per group, 95 % bands."""
        return plots.km_curves(self.km, title, self.xmax, **({"xlabel": xlabel} if xlabel else {}))

    def km_by_figure(self, by: str, title: str) -> Figure:
        """One survival panel per group, a line per level of column ``by`` (e.g. model)."""
        panels = {g: M.km_by(sub, by) for g, sub in self.data.frame.groupby(self.data.group_col)}
        return plots.km_small_multiples(panels, title, self.xmax)

    def hazard_ratio_figure(self, title: str, labels: dict[str, str] | None = None) -> Figure:
        """The Cox model's hazard ratios with 95 % intervals (log scale)."""
        return plots.hazard_ratio_forest(self.cox.hazard_ratios, title, labels)

    def _model_rows(self) -> list[tuple[str, Any]]:
        c = self.data.counts
        held_out = float(self.comparison.table.set_index("model").loc[self.comparison.chosen, "holdout_concordance"])
        rows = [(f"{k}", v) for k, v in c.items()]
        return rows + [("Cox concordance", self.cox.concordance), ("chosen model", self.comparison.chosen),
                       ("chosen model's concordance on held-out units", held_out)]

    def _model_repr(self) -> str:
        return (f"units={self.data.n_units:,}, events={int(self.data.frame.event.sum()):,}, "
                f"chosen={self.comparison.chosen}, Cox concordance={self.cox.concordance:.3f}")


DEVICE_POLICY = ("technicians", "max_technicians", "technician_day_cost_usd", "visits_per_technician_day",
                 "visit_hours")


@dataclass(repr=False)
class DeviceAnalysis(_FailureModels):
    """Device failures and the technicians to send, estimator-style: ``fit`` then ``decide``."""

    settings: DeviceSettings = field(default_factory=DeviceSettings)
    fits: int = 0  # how many times the models were fitted (decide never refits)

    def fit(self, store: DataStore) -> DeviceAnalysis:
        """Spells from the status log, the failure models, the held-out check and the plan's inputs."""
        s = self.settings
        data = device_events(store, blip_hours=s.blip_hours, snapshot=s.snapshot or None)
        self._fit_models(data, s.horizons, COX_DESIGNS[s.effects_over_time])
        earlier = as_of(store, data.snapshot - pd.Timedelta(days=s.calibration_days), s.blip_hours)
        # the plan acts on the short horizon's risk, so that is the one checked on held-out days
        self.calibration, self.calibration_summary = holdout_calibration(
            data, earlier, self.comparison.chosen, horizon_days=s.horizon_short_days)
        state = device_state(store, data, s.blip_hours)
        self.stores = store.load("stores")
        devices = store.load("iot_devices")
        self.backlog = offline_backlog(state, devices, self.stores, data.snapshot)
        demand = ls.store_demand(store, data.snapshot, s.assumed_margin_per_cup_usd)
        rates = ls.machine_rates(store, data.snapshot)
        self.plan_inputs = plan_inputs(data, self.chosen, state, self.stores, s.plan_horizon_days, demand, rates)
        # a repair keeps a machine working for weeks: crews are compared on several weeks
        self.long_inputs = plan_inputs(data, self.chosen, state, self.stores, WEEKS * 7, demand, rates)
        self.backlog_devices = devices[["device_id", "store_id", "device_type"]].merge(
            state[["device_id", "down"]], on="device_id", how="left").fillna({"down": False})
        self.backlog_devices["down"] = self.backlog_devices.down.astype(bool)
        self.margin = demand_summary(demand, rates, ls.chain_week(store, data.snapshot), self.plan_inputs)
        self.fits += 1
        return self

    def decide(self, **policy: Any) -> DevicePlan:
        """The crew (0 to ``max_technicians``) with the highest expected profit over several weeks of
        simulated failures and repairs, and its visits for the plan's days (no refit)."""
        self._check_fitted()
        s = decision_settings(self.settings, DeviceSettings, policy, DEVICE_POLICY)
        inp, v = self.plan_inputs, s.visits_per_technician_day
        slots, options = store_slots(inp, s.visit_hours), availability_options(inp)
        crews = range(max(s.max_technicians, s.technicians) + 1)
        orders: dict[int, list[int]] = {k: [] for k in crews}
        plans = {k: week_schedule(inp, k * v, slots, orders[k], options) for k in crews}
        crew = project_crews(self.long_inputs, list(plans), v, s.technician_day_cost_usd, week_plans=plans,
                             plan_days=inp.horizon)
        staffing = staffing_options(inp, plans, crew, s.technician_day_cost_usd)
        best = int(crew.table.loc[crew.table.recommended, "technicians"].iloc[0])
        k = best if best > 0 else s.technicians
        plan = maintenance_plan(inp, self.data.snapshot, k, v, s.visit_hours, week=(plans[k], orders[k]))
        return DevicePlan(self, s, plan=plan, staffing=staffing, crew=crew)

    def calibration_figure(self) -> Figure:
        """Predicted against observed failures on held-out days, by risk group."""
        return plots.calibration_plot(self.calibration, self.settings.horizon_short_days)

    def backlog_figure(self) -> Figure:
        """Devices down at the snapshot by store."""
        return plots.backlog_bars(self.backlog)

    def summary(self) -> pd.DataFrame:
        """The fitted models' headline figures as a frame (one row per figure)."""
        self._check_fitted()
        h = self.settings.horizon_short_days
        rows = self._model_rows() + [
            ("devices down at the snapshot", int(self.backlog.down.sum())),
            (f"running devices expected to fail in {h} days", float(self.risk[f"p_fail_{h}d"].sum())),
            ("drink margin a week", self.margin["drink_margin_per_week_usd"]),
        ]
        return pd.DataFrame(rows, columns=["figure", "value"])

    def __repr__(self) -> str:
        if not self.fits:
            return f"DeviceAnalysis({self.settings!r}, not fitted)"
        return (f"DeviceAnalysis(snapshot={self.data.snapshot.date()}, {self._model_repr()}, "
                f"down now={int(self.backlog.down.sum())})")


FLEET_POLICY = ("service_capacity", "failure_cost_usd", "service_cost_usd")


@dataclass(repr=False)
class FleetAnalysis(_FailureModels):
    """Any fleet's time to event and where a preventive action pays, estimator-style."""

    settings: FleetSettings = field(default_factory=FleetSettings)
    fits: int = 0

    def fit(self, store: DataStore) -> FleetAnalysis:
        """Spells from ``generic_time_to_event`` and the failure models."""
        s = self.settings
        self.words = s.words()
        data = generic_events(store, group_col=s.group_col, covariates=list(s.covariates) or None,
                              covariate_labels=dict(s.covariate_labels), covariate_units=dict(s.covariate_units),
                              nouns=self.words)
        self._fit_models(data, s.horizons, s.cox_design)
        self.fits += 1
        return self

    def decide(self, **policy: Any) -> FleetPlan:
        """The units whose preventive action saves more than it costs, within the capacity (no refit)."""
        self._check_fitted()
        s = decision_settings(self.settings, FleetSettings, policy, FLEET_POLICY)
        service = service_priority(self.data, self.chosen, s.horizon_long, s.service_capacity,
                                   s.failure_cost_usd, s.service_cost_usd)
        return FleetPlan(self, s, service=service)

    def summary(self) -> pd.DataFrame:
        self._check_fitted()
        h = self.settings.horizon_short
        col = next(c for c in self.risk.columns if c.startswith("p_fail_"))
        rows = self._model_rows() + [(f"{self.words.units} at risk", len(self.risk)),
                                     (f"expected {self.words.events} within {h} {self.words.time_units}",
                                      float(self.risk[col].sum()))]
        return pd.DataFrame(rows, columns=["figure", "value"])

    def __repr__(self) -> str:
        if not self.fits:
            return f"FleetAnalysis({self.settings!r}, not fitted)"
        return f"FleetAnalysis({self._model_repr()})"


class SurvivalPlan:
    """A decision on a fitted analysis. The fitted pieces (``data``, ``cox``, ``risk``, ...) are
    read from the analysis, so the report's words and tables take one object."""

    plan: MaintenancePlan | None = None
    staffing: pd.DataFrame | None = None
    crew: CrewProjection | None = None  # several weeks of failures and repairs per crew size
    service: ServicePlan | None = None

    def __getattr__(self, name: str) -> Any:  # only for names the plan itself does not hold
        if name.startswith("__") or name == "analysis":
            raise AttributeError(name)
        return getattr(self.analysis, name)


@dataclass(repr=False)
class DevicePlan(SurvivalPlan):
    """How many technicians and this week's visits, for one decision."""

    analysis: DeviceAnalysis
    settings: DeviceSettings
    plan: MaintenancePlan | None = None
    staffing: pd.DataFrame | None = None
    crew: CrewProjection | None = None

    @property
    def recommended(self) -> int:
        return int(self.crew.table.loc[self.crew.table.recommended, "technicians"].iloc[0])

    def summary(self) -> pd.DataFrame:
        """The decision's figures as a frame (one row per figure)."""
        t = self.crew.table.set_index("technicians")
        k, w = self.recommended, self.crew.weeks
        rows = [("technicians to send", k), (f"expected profit over {w} weeks", float(t.loc[k, "expected_profit_usd"])),
                (f"profit, {INTERVAL:.0%} low", float(t.loc[k, "profit_low_usd"])),
                (f"profit, {INTERVAL:.0%} high", float(t.loc[k, "profit_high_usd"])),
                (f"devices down after {w} weeks", float(t.loc[k, f"down_after_week{w}"])),
                ("visits planned this week", len(self.plan.schedule)),
                ("margin this week's visits keep", float(self.plan.capacity["margin_kept_usd"]))]
        return pd.DataFrame(rows, columns=["figure", "value"])

    def __repr__(self) -> str:
        t = self.crew.table.set_index("technicians")
        k = self.recommended
        return (f"DevicePlan(send {k} technician{'s' if k != 1 else ''}: profit={t.loc[k, 'expected_profit_usd']:,.0f} "
                f"over {self.crew.weeks} weeks [{t.loc[k, 'profit_low_usd']:,.0f}, {t.loc[k, 'profit_high_usd']:,.0f}], "
                f"{len(self.plan.schedule)} visits this week)")


@dataclass(repr=False)
class FleetPlan(SurvivalPlan):
    """Which units get a preventive action, for one capacity and pair of costs."""

    analysis: FleetAnalysis
    settings: FleetSettings
    service: ServicePlan | None = None

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.service.summary.items()), columns=["figure", "value"])

    def __repr__(self) -> str:
        return f"FleetPlan({', '.join(f'{k}={v}' for k, v in list(self.service.summary.items())[:4])})"


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


def headline_metrics(a: SurvivalPlan) -> dict:
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


