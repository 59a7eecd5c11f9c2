"""This week's technician visits, against two simple policies, priced in the drinks stores lose.

A visit repairs a device that is down or services one that is online; either way the
device comes back as good as new (as a repair does in the status log). Without a visit a
failed device stays down for the rest of the horizon (the repair backlog is weeks long).
What downtime costs is the store's lost sales (:mod:`luckin_lab.survival.lost_sales`): a
device with a working backup costs little, and no store loses more drinks than it sells.
Policies compared on the same model and the same simulated weeks:

- run to failure: repairs only, oldest failure first;
- fixed calendar: half the visits service online devices with the longest time since
  service, half repair (oldest failure first);
- optimised: visits chosen one at a time, each the one that keeps the most expected drink
  margin given those already chosen (the loss of a store is not a sum over its devices, so a
  second repair where one already restores service is worth little), within technician
  capacity and the visits a store can host per day; capacity left over repairs the oldest
  failures, as run to failure would.

Expected figures of a fixed schedule are exact (:func:`availability_options`, devices
independent); their ranges, and the crew over several weeks, come from the one failure
simulator, :mod:`luckin_lab.survival.futures`, whose mean is these exact figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from luckin_lab.survival.episodes import EventData
from luckin_lab.survival.lost_sales import (
    MAKER,
    StoreDemand,
    StoreLayout,
    expected_loss,
    layouts,
)
from luckin_lab.survival.models import GroupModels

INTERVAL = 0.90  # the profit range 9 simulated futures in 10 fall in


@dataclass
class PlanInputs:
    """Per device: state, daily failure probabilities with and without a visit; per store: demand."""

    devices: pd.DataFrame  # unit_id, store_id, group, kind, rate, down, down_days, spell_age_days, open_hours
    q_now: np.ndarray  # devices x horizon: P(fail on day d) if left alone (0 for down devices)
    q_new: np.ndarray  # devices x horizon: P(fail on day d after renewal), by days since renewal
    horizon: int
    stores: dict[int, StoreLayout] = field(default_factory=dict)
    demand: StoreDemand | None = None


def _daily_fail(models: GroupModels, frame: pd.DataFrame, group_col: str, age: np.ndarray, horizon: int) -> np.ndarray:
    surv = models.survival_after(frame, group_col, age, [float(h) for h in range(1, horizon + 1)])
    s = np.column_stack([np.ones(len(frame)), surv.to_numpy(dtype=float)])
    return np.clip(s[:, :-1] - s[:, 1:], 0.0, 1.0)


def plan_inputs(
    data: EventData,
    models: GroupModels,
    state: pd.DataFrame,
    stores: pd.DataFrame,
    horizon_days: int,
    demand: StoreDemand,
    rates: pd.Series,
) -> PlanInputs:
    """``state``: device_id, down (bool), down_since; ``stores``: store_id, open_hour, close_hour;
    ``rates``: device_type -> cups one cup-making machine makes in a busy hour."""
    f = data.frame.sort_values(["unit_id", "spell_no"])
    last = f.groupby("unit_id").tail(1).set_index("unit_id")
    st = state.set_index("device_id").reindex(last.index)
    down = st["down"].fillna(False).astype(bool).to_numpy()
    snap = data.snapshot
    down_days = np.where(down, (snap - pd.to_datetime(st["down_since"])).dt.total_seconds().to_numpy() / 86400, 0.0)
    hours = stores.set_index("store_id")
    open_h = (hours.close_hour - hours.open_hour).reindex(last.store_id).to_numpy(dtype=float)
    age = np.where(down, 0.0, last.stop.to_numpy())
    frame = last.reset_index()
    q_now = _daily_fail(models, frame, data.group_col, age, horizon_days)
    q_now[down] = 0.0
    q_new = _daily_fail(models, frame, data.group_col, np.full(len(frame), 1e-6), horizon_days)
    group = frame[data.group_col].to_numpy()
    makes = frame["makes_cups"].astype(bool).to_numpy() if "makes_cups" in frame else np.isin(group, rates.index)
    dev = pd.DataFrame(
        {
            "unit_id": frame.unit_id,
            "store_id": frame.store_id.to_numpy(),
            "group": group,
            "kind": np.where(makes, MAKER, group),
            "rate": pd.Series(group).map(rates).fillna(rates.mean() if len(rates) else np.inf).to_numpy(),
            "down": down,
            "down_days": np.nan_to_num(down_days),
            "spell_age_days": np.where(down, np.nan, last.stop.to_numpy()),
            "open_hours": open_h,
        }
    )
    return PlanInputs(dev, q_now, q_new, horizon_days, layouts(dev, demand), demand)


# -- each device's chance of working, by visit day ----------------------------------------


def availability_options(inp: PlanInputs) -> np.ndarray:
    """devices x (horizon + 1) x horizon: expected share of each day a device works if visited on
    day v (rows 0..H-1) or not at all (row H). A failure costs half its day; a visit renews at
    mid-day a device that was down (half of that half is lost if it fails again that day), at
    once one that was running."""
    n, H = inp.q_now.shape
    down = inp.devices.down.to_numpy()
    s_now = 1 - np.cumsum(inp.q_now, axis=1)
    a_now = np.where(down[:, None], 0.0, s_now + 0.5 * inp.q_now)
    a_new = 1 - np.cumsum(inp.q_new, axis=1) + 0.5 * inp.q_new  # k days after renewal
    up_before = np.column_stack([np.where(down, 0.0, 1.0), np.where(down[:, None], 0.0, s_now[:, :-1])])
    out = np.empty((n, H + 1, H))
    out[:, H, :] = a_now
    for v in range(H):
        out[:, v, :v] = a_now[:, :v]
        out[:, v, v] = up_before[:, v] * a_new[:, 0] + (1 - up_before[:, v]) * 0.5 * (1 - 0.5 * inp.q_new[:, 0])
        out[:, v, v + 1:] = a_new[:, 1:H - v]
    return out


def _rows(options: np.ndarray, visit_day: np.ndarray) -> np.ndarray:
    H = options.shape[2]
    return options[np.arange(len(visit_day)), np.where(visit_day < 0, H, visit_day)]


def expected_lost_drinks(inp: PlanInputs, visit_day: np.ndarray, options: np.ndarray | None = None) -> pd.Series:
    """store_id -> expected drinks lost over the horizon (exact for independent devices)."""
    a = _rows(availability_options(inp) if options is None else options, visit_day)
    return pd.Series({s: float(expected_loss(lay, a[lay.rows]).sum()) for s, lay in inp.stores.items()})


def expected_outcome(inp: PlanInputs, visit_day: np.ndarray, options: np.ndarray | None = None) -> dict:
    """A schedule's exact expectations over the horizon: visits, downtime, drinks and margin lost."""
    options = availability_options(inp) if options is None else options
    a = _rows(options, visit_day)
    lost = {s: float(expected_loss(lay, a[lay.rows]).sum()) for s, lay in inp.stores.items()}
    return {"visits": int((visit_day >= 0).sum()),
            "expected_downtime_hours": float(((1 - a).sum(axis=1) * inp.devices.open_hours.to_numpy()).sum()),
            "expected_lost_drinks": sum(lost.values()),
            "expected_lost_margin_usd": sum(v * inp.stores[s].margin for s, v in lost.items())}


# -- policies -----------------------------------------------------------------------------


def store_slots(inp: PlanInputs, visit_hours: float) -> pd.Series:
    """Visits each store can host a day: its open hours over the store time one visit takes."""
    oh = inp.devices.groupby("store_id").open_hours.first()
    return np.floor(oh / visit_hours).astype(int).clip(lower=1)


def _greedy(inp: PlanInputs, order: list[int], per_day: int, slots: pd.Series,
            visit: np.ndarray | None = None) -> np.ndarray:
    """Give each device in ``order`` the earliest day with room (technicians and store slots)."""
    visit = np.full(len(inp.devices), -1) if visit is None else visit.copy()
    stores = inp.devices.store_id.to_numpy()
    used = np.bincount(visit[visit >= 0], minlength=inp.horizon)
    per_store = pd.Series(list(zip(stores[visit >= 0], visit[visit >= 0], strict=True))).value_counts().to_dict()
    for i in order:
        if visit[i] >= 0:
            continue
        for day in range(inp.horizon):
            s = stores[i]
            if used[day] < per_day and per_store.get((s, day), 0) < slots[s]:
                visit[i] = day
                used[day] += 1
                per_store[(s, day)] = per_store.get((s, day), 0) + 1
                break
    return visit


def _oldest_failures(inp: PlanInputs) -> list[int]:
    dev = inp.devices
    return list(dev.index[dev.down].to_numpy()[np.argsort(-dev.down_days[dev.down].to_numpy(), kind="stable")])


def run_to_failure(inp: PlanInputs, per_day: int, slots: pd.Series) -> np.ndarray:
    return _greedy(inp, _oldest_failures(inp), per_day, slots)


def fixed_calendar(inp: PlanInputs, per_day: int, slots: pd.Series) -> np.ndarray:
    dev = inp.devices
    repairs = _oldest_failures(inp)
    service = list(dev.index[~dev.down].to_numpy()[np.argsort(-dev.spell_age_days[~dev.down].to_numpy(), kind="stable")])
    order = []
    while repairs or service:  # alternate: half the visits each, the rest to whichever list remains
        if repairs:
            order.append(repairs.pop(0))
        if service:
            order.append(service.pop(0))
    return _greedy(inp, order, per_day, slots)


def optimise(inp: PlanInputs, per_day: int, slots: pd.Series, order: list[int] | None = None) -> np.ndarray:
    """Visits one at a time, each the (device, day) keeping the most expected margin given the
    visits already chosen; then spare capacity repairs the oldest failures. ``order`` (optional)
    receives the devices in the order the plan chose them."""
    n, H = len(inp.devices), inp.horizon
    visit = np.full(n, -1)
    if per_day <= 0:
        return visit
    options = availability_options(inp)
    stores = inp.devices.store_id.to_numpy()
    used = np.zeros(H, dtype=int)
    per_store: dict[tuple[int, int], int] = {}
    gain = np.full((n, H), -np.inf)

    def refresh(s: int) -> None:
        lay = inp.stores.get(int(s))
        rows = np.flatnonzero(stores == s)
        if lay is None:
            gain[rows] = 0.0
            return
        a = _rows(options, visit)[lay.rows]
        base = expected_loss(lay, a).sum()
        for k, i in enumerate(lay.rows):
            if visit[i] >= 0:
                gain[i] = -np.inf
                continue
            for v in range(H):
                trial = a.copy()
                trial[k] = options[i, v]
                gain[i, v] = (base - expected_loss(lay, trial).sum()) * lay.margin

    for s in np.unique(stores):
        refresh(s)
    while True:
        feasible = gain.copy()
        feasible[:, used >= per_day] = -np.inf
        for (s, v), k in per_store.items():
            if k >= slots[s]:
                feasible[(stores == s), v] = -np.inf
        i, v = np.unravel_index(np.argmax(feasible), feasible.shape)
        if not np.isfinite(feasible[i, v]) or feasible[i, v] <= 1e-6:
            break
        visit[i] = v
        if order is not None:
            order.append(int(i))
        used[v] += 1
        per_store[(stores[i], v)] = per_store.get((stores[i], v), 0) + 1
        refresh(stores[i])
    full = _greedy(inp, _oldest_failures(inp), per_day, slots, visit)
    if order is not None:
        spare = [int(i) for i in np.flatnonzero((full >= 0) & (visit < 0))]
        order.extend(sorted(spare, key=lambda i: full[i]))
    return full


def _store_loss(inp: PlanInputs, options: np.ndarray, visit: np.ndarray, s: int) -> float:
    lay = inp.stores.get(int(s))
    if lay is None:
        return 0.0
    return float(expected_loss(lay, _rows(options, visit)[lay.rows]).sum()) * lay.margin


def most_urgent_first(inp: PlanInputs, visit: np.ndarray, slots: pd.Series,
                      options: np.ndarray | None = None) -> np.ndarray:
    """Swap the days of two visits wherever that keeps more expected margin (same visits, same
    capacity), until no swap helps: a device about to fail moves ahead of a repair that can wait."""
    options = availability_options(inp) if options is None else options
    visit = visit.copy()
    stores = inp.devices.store_id.to_numpy()
    chosen = list(np.flatnonzero(visit >= 0))
    improved = True
    while improved:
        improved = False
        for x in range(len(chosen)):
            for y in range(x + 1, len(chosen)):
                i, j = chosen[x], chosen[y]
                if visit[i] == visit[j]:
                    continue
                trial = visit.copy()
                trial[i], trial[j] = visit[j], visit[i]
                if stores[i] != stores[j] and any(
                        np.count_nonzero((stores == s) & (trial == trial[k])) > slots[s]
                        for k, s in ((i, stores[i]), (j, stores[j]))):
                    continue  # a store would host more visits that day than it can
                touched = {stores[i], stores[j]}
                before = sum(_store_loss(inp, options, visit, s) for s in touched)
                after = sum(_store_loss(inp, options, trial, s) for s in touched)
                if after < before - 1e-6:
                    visit = trial
                    improved = True
    return visit


def visit_credits(inp: PlanInputs, visit: np.ndarray, order: list[int], options: np.ndarray | None = None) -> np.ndarray:
    """Per device: the expected drink margin its visit adds to those before it in ``order``;
    they add up exactly to the plan's expected margin kept against no visit at all."""
    options = availability_options(inp) if options is None else options
    stores = inp.devices.store_id.to_numpy()
    done = np.full(len(visit), -1)
    credit = np.zeros(len(visit))
    for i in order:
        before = _store_loss(inp, options, done, stores[i])
        done[i] = visit[i]
        credit[i] = before - _store_loss(inp, options, done, stores[i])
    return credit


# -- the plan and the number of technicians ------------------------------------------------


@dataclass
class MaintenancePlan:
    schedule: pd.DataFrame
    comparison: pd.DataFrame
    capacity: dict


OPTIMISED = "optimised plan"


def week_schedule(inp: PlanInputs, per_day: int, slots: pd.Series, order: list[int] | None = None,
                  options: np.ndarray | None = None) -> np.ndarray:
    """The optimised plan's visit day per device (-1 = none): visits chosen by the margin they
    keep, then the most urgent moved first. ``order`` receives the order the visits were chosen in."""
    options = availability_options(inp) if options is None else options
    return most_urgent_first(inp, optimise(inp, per_day, slots, order), slots, options)


def maintenance_plan(
    inp: PlanInputs,
    start: pd.Timestamp,
    technicians: int,
    visits_per_technician_day: int,
    visit_hours: float = 2.0,
    week: tuple[np.ndarray, list[int]] | None = None,
) -> MaintenancePlan:
    """Optimised schedule plus the comparison with run-to-failure and a fixed calendar (exact
    expectations over the plan's days). ``week``: the schedule and its choice order from
    :func:`week_schedule` for this crew, when already made (it is not made again)."""
    per_day = technicians * visits_per_technician_day
    slots = store_slots(inp, visit_hours)
    options = availability_options(inp)
    if week is None:
        order: list[int] = []
        best = week_schedule(inp, per_day, slots, order, options)
    else:
        best, order = week
    policies = {
        "run to failure": run_to_failure(inp, per_day, slots),
        "fixed calendar": fixed_calendar(inp, per_day, slots),
        OPTIMISED: best,
    }
    rows = [{"policy": k, **expected_outcome(inp, v, options)} for k, v in policies.items()]
    comp = pd.DataFrame(rows)
    ref = comp.set_index("policy").loc["run to failure"]
    comp["downtime_hours_avoided_vs_run_to_failure"] = ref.expected_downtime_hours - comp.expected_downtime_hours
    comp["lost_drinks_avoided_vs_run_to_failure"] = ref.expected_lost_drinks - comp.expected_lost_drinks
    comp["margin_kept_vs_run_to_failure_usd"] = ref.expected_lost_margin_usd - comp.expected_lost_margin_usd
    dev = inp.devices
    chosen = np.flatnonzero(best >= 0)
    margin = dev.store_id.map({s: lay.margin for s, lay in inp.stores.items()}).fillna(0.0).to_numpy()
    worth = visit_credits(inp, best, order, options)  # each visit's margin in the order the plan chose it
    kept_margin = worth
    kept_drinks = np.divide(worth, margin, out=np.zeros_like(worth), where=margin > 0)
    a_plan, a_none = _rows(options, best), options[:, inp.horizon, :]
    sched = pd.DataFrame(
        {
            "day": best[chosen] + 1,
            "date": [(pd.Timestamp(start) + pd.Timedelta(days=int(v))).date() for v in best[chosen]],
            "store_id": dev.store_id.to_numpy()[chosen],
            "device_id": dev.unit_id.to_numpy()[chosen],
            "device_type": dev.group.to_numpy()[chosen],
            "action": np.where(dev.down.to_numpy()[chosen], "repair", "preventive service"),
            "p_fail_horizon": np.where(dev.down.to_numpy()[chosen], np.nan, inp.q_now[chosen].sum(axis=1)),
            "downtime_hours_avoided": ((a_plan - a_none).sum(axis=1) * dev.open_hours.to_numpy())[chosen],
            "lost_drinks_avoided": kept_drinks[chosen],
            "margin_kept_usd": kept_margin[chosen],
        }
    ).sort_values(["day", "store_id", "margin_kept_usd"], ascending=[True, True, False])
    capacity = {
        "technicians": technicians,
        "visits_per_technician_day": visits_per_technician_day,
        "horizon_days": inp.horizon,
        "visits_available": per_day * inp.horizon,
        "visits_per_store_day": int(slots.min()),
        "margin_kept_usd": float(worth.sum()),  # exact expectation: the schedule's credits add up to it
    }
    return MaintenancePlan(sched.reset_index(drop=True), comp, capacity)
