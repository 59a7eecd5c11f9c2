"""This week's technician visits, chosen with OR-Tools CP-SAT, against two simple policies.

A visit repairs a device that is down or services one that is online; either way the
device comes back as good as new (as a repair does in the status log). Without a visit a
failed device stays down for the rest of the horizon (the repair backlog is weeks long).
Expected downtime counts store opening hours only; a down device loses the cups it makes
or supports per open hour. Policies compared on the same expected-value model:

- run to failure: repairs only, oldest failure first;
- fixed calendar: half the visits service online devices with the longest time since
  service, half repair (oldest failure first);
- optimised: the visits that avoid the most lost cups, within technician capacity and the
  number of visits a store can host per day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from luckin_lab.optimize import solve
from luckin_lab.survival.episodes import EventData
from luckin_lab.survival.models import GroupModels


@dataclass
class PlanInputs:
    """Per device: state, daily failure probabilities with and without a visit, cost of downtime."""

    devices: pd.DataFrame  # unit_id, store_id, group, down, down_days, spell_age_days, open_hours, cups_per_open_hour
    q_now: np.ndarray  # devices x horizon: P(fail on day d) if left alone (0 for down devices)
    q_new: np.ndarray  # devices x horizon: P(fail on day d after renewal), by days since renewal
    horizon: int


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
) -> PlanInputs:
    """``state``: device_id, down (bool), down_since; ``stores``: store_id, open_hour, close_hour."""
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
    dev = pd.DataFrame(
        {
            "unit_id": frame.unit_id,
            "store_id": frame.store_id.to_numpy(),
            "group": frame[data.group_col].to_numpy(),
            "down": down,
            "down_days": np.nan_to_num(down_days),
            "spell_age_days": np.where(down, np.nan, last.stop.to_numpy()),
            "open_hours": open_h,
            "cups_per_open_hour": frame.cups_per_day.to_numpy() / np.maximum(open_h, 1.0),
        }
    )
    return PlanInputs(dev, q_now, q_new, horizon_days)


def expected_down_days(inp: PlanInputs, visit_day: np.ndarray) -> np.ndarray:
    """Expected days down within the horizon per device given its visit day (-1 = no visit)."""
    H = inp.horizon
    d = np.arange(H)
    rest = H - d - 0.5  # a failure on day d costs the rest of the horizon
    out = np.zeros(len(visit_day))
    down = inp.devices.down.to_numpy()
    for i, v in enumerate(visit_day):
        if down[i]:
            if v < 0:
                out[i] = H
            else:
                out[i] = v + 0.5 + inp.q_new[i, : H - v] @ rest[v:]
        else:
            if v < 0:
                out[i] = inp.q_now[i] @ rest
            else:
                surv_v = 1.0 - inp.q_now[i, :v].sum()
                out[i] = inp.q_now[i, :v] @ rest[:v] + surv_v * (inp.q_new[i, : H - v] @ rest[v:])
    return out


def evaluate(inp: PlanInputs, visit_day: np.ndarray) -> dict:
    days = expected_down_days(inp, visit_day)
    hours = days * inp.devices.open_hours.to_numpy()
    cups = hours * inp.devices.cups_per_open_hour.to_numpy()
    return {
        "visits": int((visit_day >= 0).sum()),
        "expected_downtime_hours": float(hours.sum()),
        "expected_lost_cups": float(cups.sum()),
    }


def _store_slots(inp: PlanInputs, visit_hours: float) -> pd.Series:
    oh = inp.devices.groupby("store_id").open_hours.first()
    return np.floor(oh / visit_hours).astype(int).clip(lower=1)


def _greedy(inp: PlanInputs, order: list[int], per_day: int, slots: pd.Series) -> np.ndarray:
    """Fill each day's capacity in ``order`` (respecting store slots)."""
    visit = np.full(len(inp.devices), -1)
    stores = inp.devices.store_id.to_numpy()
    queue = list(order)
    for day in range(inp.horizon):
        used, per_store = 0, {}
        rest = []
        for i in queue:
            s = stores[i]
            if used < per_day and per_store.get(s, 0) < slots[s]:
                visit[i] = day
                used += 1
                per_store[s] = per_store.get(s, 0) + 1
            else:
                rest.append(i)
        queue = rest
    return visit


def run_to_failure(inp: PlanInputs, per_day: int, slots: pd.Series) -> np.ndarray:
    dev = inp.devices
    order = dev.index[dev.down].to_numpy()[np.argsort(-dev.down_days[dev.down].to_numpy(), kind="stable")]
    return _greedy(inp, list(order), per_day, slots)


def fixed_calendar(inp: PlanInputs, per_day: int, slots: pd.Series) -> np.ndarray:
    dev = inp.devices
    repairs = list(dev.index[dev.down].to_numpy()[np.argsort(-dev.down_days[dev.down].to_numpy(), kind="stable")])
    service = list(dev.index[~dev.down].to_numpy()[np.argsort(-dev.spell_age_days[~dev.down].to_numpy(), kind="stable")])
    order = []
    while repairs or service:  # alternate: half the visits each, the rest to whichever list remains
        if repairs:
            order.append(repairs.pop(0))
        if service:
            order.append(service.pop(0))
    return _greedy(inp, order, per_day, slots)


def optimise(inp: PlanInputs, per_day: int, slots: pd.Series, time_limit_s: float = 20.0) -> np.ndarray:
    """CP-SAT: choose (device, day) visits maximising lost cups avoided."""
    dev = inp.devices
    n, H = len(dev), inp.horizon
    base = expected_down_days(inp, np.full(n, -1))
    w = dev.open_hours.to_numpy() * dev.cups_per_open_hour.to_numpy()
    gain = np.zeros((n, H))
    for v in range(H):
        gain[:, v] = (base - expected_down_days(inp, np.full(n, v))) * w
    m = cp_model.CpModel()
    x = {}
    for i in range(n):
        for v in range(H):
            g = int(round(gain[i, v] * 100))
            if g > 0:
                x[i, v] = (m.NewBoolVar(f"x{i}_{v}"), g)
    for i in range(n):
        vs = [x[i, v][0] for v in range(H) if (i, v) in x]
        if len(vs) > 1:
            m.AddAtMostOne(vs)
    stores = dev.store_id.to_numpy()
    for v in range(H):
        day = [x[i, v][0] for i in range(n) if (i, v) in x]
        if day:
            m.Add(sum(day) <= per_day)
        for s in np.unique(stores):
            sv = [x[i, v][0] for i in np.flatnonzero(stores == s) if (i, v) in x]
            if len(sv) > slots[s]:
                m.Add(sum(sv) <= int(slots[s]))
    m.Maximize(sum(var * g for var, g in x.values()))
    solver = solve(m, "maintenance plan", time_limit_s)
    visit = np.full(n, -1)
    for (i, v), (var, _) in x.items():
        if solver.Value(var):
            visit[i] = v
    return visit


@dataclass
class MaintenancePlan:
    schedule: pd.DataFrame
    comparison: pd.DataFrame
    capacity: dict


def maintenance_plan(
    inp: PlanInputs,
    start: pd.Timestamp,
    technicians: int,
    visits_per_technician_day: int,
    visit_hours: float = 2.0,
) -> MaintenancePlan:
    """Optimised schedule plus the comparison with run-to-failure and a fixed calendar."""
    per_day = technicians * visits_per_technician_day
    slots = _store_slots(inp, visit_hours)
    policies = {
        "run to failure": run_to_failure(inp, per_day, slots),
        "fixed calendar": fixed_calendar(inp, per_day, slots),
        "optimised (CP-SAT)": optimise(inp, per_day, slots),
    }
    rows = [{"policy": k, **evaluate(inp, v)} for k, v in policies.items()]
    comp = pd.DataFrame(rows)
    ref = comp.set_index("policy").loc["run to failure"]
    comp["downtime_hours_avoided_vs_run_to_failure"] = ref.expected_downtime_hours - comp.expected_downtime_hours
    comp["lost_cups_avoided_vs_run_to_failure"] = ref.expected_lost_cups - comp.expected_lost_cups
    best = policies["optimised (CP-SAT)"]
    base = expected_down_days(inp, np.full(len(best), -1))
    after = expected_down_days(inp, best)
    dev = inp.devices
    chosen = np.flatnonzero(best >= 0)
    sched = pd.DataFrame(
        {
            "day": best[chosen] + 1,
            "date": [(pd.Timestamp(start) + pd.Timedelta(days=int(v))).date() for v in best[chosen]],
            "store_id": dev.store_id.to_numpy()[chosen],
            "device_id": dev.unit_id.to_numpy()[chosen],
            "device_type": dev.group.to_numpy()[chosen],
            "action": np.where(dev.down.to_numpy()[chosen], "repair", "preventive service"),
            "p_fail_horizon": np.where(dev.down.to_numpy()[chosen], np.nan, inp.q_now[chosen].sum(axis=1)),
            "downtime_hours_avoided": ((base - after) * dev.open_hours.to_numpy())[chosen],
            "lost_cups_avoided": ((base - after) * dev.open_hours.to_numpy() * dev.cups_per_open_hour.to_numpy())[chosen],
        }
    ).sort_values(["day", "store_id", "lost_cups_avoided"], ascending=[True, True, False])
    capacity = {
        "technicians": technicians,
        "visits_per_technician_day": visits_per_technician_day,
        "horizon_days": inp.horizon,
        "visits_available": per_day * inp.horizon,
        "visits_per_store_day": int(slots.min()),
    }
    return MaintenancePlan(sched.reset_index(drop=True), comp, capacity)


def staffing_options(
    inp: PlanInputs,
    max_technicians: int,
    visits_per_technician_day: int,
    visit_hours: float,
    margin_per_cup: float,
    technician_day_cost: float,
    time_limit_s: float = 10.0,
) -> pd.DataFrame:
    """Expected profit of sending 0..``max_technicians`` technicians over the plan horizon.

    Each option gets its own optimised plan; its lost margin is the expected lost cups times
    the margin per cup, its cost the technician days. Profit is against sending nobody (every
    down device stays down, every failure stays down): margin kept minus technician cost.
    """
    if max_technicians < 1:
        raise ValueError("max_technicians must be at least 1")
    slots = _store_slots(inp, visit_hours)
    none = evaluate(inp, np.full(len(inp.devices), -1))
    rows = []
    for k in range(0, max_technicians + 1):
        visit = optimise(inp, k * visits_per_technician_day, slots, time_limit_s) if k else np.full(len(inp.devices), -1)
        ev = evaluate(inp, visit)
        kept = (none["expected_lost_cups"] - ev["expected_lost_cups"]) * margin_per_cup
        cost = k * inp.horizon * technician_day_cost
        rows.append({"technicians": k, "visits": ev["visits"], "expected_lost_cups": ev["expected_lost_cups"],
                     "expected_lost_margin_usd": ev["expected_lost_cups"] * margin_per_cup,
                     "margin_kept_usd": kept, "technician_cost_usd": cost, "expected_profit_usd": kept - cost})
    t = pd.DataFrame(rows)
    t["recommended"] = t.technicians == int(t.loc[t.expected_profit_usd.idxmax(), "technicians"])
    return t
