"""Which units of a generic fleet to service first, and what it is worth.

A generic time-to-event extract has no stores, opening hours or cup volumes, so the
technician plan of ``plan.py`` does not apply. What it does support: a service renews a unit
(as good as new), so over the next ``horizon_days`` it cuts the unit's failure chance from
P(fail | current age) to P(fail | age 0). With a cost per failure and a cost per service,
servicing pays where the failures it avoids are worth more than the visit; the decision
services the most valuable units that pay, up to the service capacity, and compares the
expected cost with run-to-failure (no preventive service).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from luckin_lab.survival.episodes import EventData
from luckin_lab.survival.models import GroupModels
from luckin_lab.survival.prediction import online_at_snapshot


@dataclass
class ServicePlan:
    units: pd.DataFrame
    comparison: pd.DataFrame
    summary: dict


def service_priority(
    data: EventData,
    models: GroupModels,
    horizon_days: int,
    capacity: int,
    failure_cost: float,
    service_cost: float,
) -> ServicePlan:
    """Rank running units by the net value of servicing them now; pick up to ``capacity``."""
    if capacity < 0 or failure_cost < 0 or service_cost < 0:
        raise ValueError("capacity, failure_cost and service_cost must be >= 0")
    cur = online_at_snapshot(data)
    age = cur.stop.to_numpy()
    h = float(horizon_days)
    p_now = 1.0 - models.survival_after(cur, data.group_col, age, [h])[f"S{h:g}"].to_numpy()
    p_new = 1.0 - models.survival_after(cur, data.group_col, np.zeros(len(cur)), [h])[f"S{h:g}"].to_numpy()
    avoided = p_now - p_new
    value = avoided * failure_cost - service_cost
    t = pd.DataFrame(
        {
            "unit_id": cur.unit_id.to_numpy(),
            data.group_col: cur[data.group_col].to_numpy(),
            "spell_age_days": age,
            "p_fail_now": p_now,
            "p_fail_if_serviced": p_new,
            "failures_avoided": avoided,
            "net_value_usd": value,
        }
    ).sort_values("net_value_usd", ascending=False, ignore_index=True)
    pick = (t.index < capacity) & (t.net_value_usd > 0)
    chosen = t[pick].reset_index(drop=True)
    rtf_cost = float(t.p_fail_now.sum() * failure_cost)
    plan_fail = float(t.p_fail_now.sum() - chosen.failures_avoided.sum())
    plan_cost = plan_fail * failure_cost + len(chosen) * service_cost
    comparison = pd.DataFrame(
        [
            {"policy": "run to failure", "services": 0, "expected_failures": float(t.p_fail_now.sum()),
             "expected_cost_usd": rtf_cost},
            {"policy": "service the top units", "services": len(chosen), "expected_failures": plan_fail,
             "expected_cost_usd": plan_cost},
        ]
    )
    comparison["saving_vs_run_to_failure_usd"] = rtf_cost - comparison.expected_cost_usd
    summary = {
        "horizon_days": int(horizon_days),
        "capacity": int(capacity),
        "services": len(chosen),
        "units_worth_servicing": int((t.net_value_usd > 0).sum()),
        "failures_avoided": float(chosen.failures_avoided.sum()),
        "saving_usd": rtf_cost - plan_cost,
        "failure_cost_usd": float(failure_cost),
        "service_cost_usd": float(service_cost),
    }
    return ServicePlan(chosen, comparison, summary)
