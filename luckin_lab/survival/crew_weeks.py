"""How many technicians: each crew size over several weeks of failures and repairs, and over
the plan's days.

A week's plan credits a repair only with the margin it saves inside that week, although a
repaired machine keeps working for weeks; and running devices keep failing, so a crew too
small for the failures lets the backlog grow every week. Each crew size is simulated over
``WEEKS`` weeks in the same futures (:mod:`luckin_lab.survival.futures`, the one failure
simulator): on the plan's days the crew makes its own optimised plan's visits (repairs and
preventive service within the visits a store can host), then each day it repairs the down
devices whose repair saves the most drinks in their store that day, then those down longest.

What the projection leaves out (said on page one): preventive service after the plan's days,
the limit on visits a store can host per day after them, losses after the last week from
devices still down then (they favour larger crews), and any error in the failure model or the
lost-sales rules (the ranges are chance of failures only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from luckin_lab.survival.futures import SIMULATED_FUTURES, Simulated, draw_futures, simulate
from luckin_lab.survival.plan import INTERVAL, PlanInputs, availability_options, expected_outcome

WEEKS = 4


@dataclass
class CrewProjection:
    table: pd.DataFrame  # one row per crew size
    beats: pd.DataFrame  # beats.loc[a, b]: share of simulated futures where crew a earns more than crew b
    weeks: int
    futures: int
    runs: dict[int, Simulated] = field(default_factory=dict)  # each crew size's simulated futures


def project_crews(inp: PlanInputs, crews: list[int], visits_per_technician_day: int, technician_day_cost: float,
                  sims: int = SIMULATED_FUTURES, seed: int = 0, week_plans: dict[int, np.ndarray] | None = None,
                  plan_days: int = 0) -> CrewProjection:
    """Per crew size: devices down at the end of each week, failures, lost margin and profit
    over ``WEEKS`` weeks against sending nobody, with the range 9 futures in 10 fall in.
    ``inp`` must cover ``WEEKS`` * 7 days; ``week_plans`` (crew size -> visit day per device)
    are followed on the first ``plan_days`` days."""
    days = WEEKS * 7
    if inp.horizon != days:
        raise ValueError(f"the crew projection needs plan inputs over {days} days, got {inp.horizon}")
    futures = draw_futures(inp, sims, seed)
    plans = week_plans or {}
    runs = {k: simulate(inp, futures, days, plans.get(k), plan_days if k in plans else 0,
                        k * visits_per_technician_day) for k in sorted(set([0, *crews]))}
    lo_q, hi_q = (1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2
    none = runs[0].lost_margin
    profits, rows = {}, []
    for k, r in runs.items():
        cost = k * days * technician_day_cost
        profit = none - r.lost_margin - cost
        profits[k] = profit
        row = {"technicians": k, "visits_per_week": k * visits_per_technician_day * 7,
               "repairs": float(r.renewals.mean()),
               "new_failures_week1": float(r.failures[:, 0].mean()),
               "new_failures": float(r.failures.sum(axis=1).mean()),
               "lost_margin_usd": float(r.lost_margin.mean()),
               "margin_kept_usd": float((none - r.lost_margin).mean()), "technician_cost_usd": cost,
               "expected_profit_usd": float(profit.mean()),
               "profit_low_usd": float(np.quantile(profit, lo_q)), "profit_high_usd": float(np.quantile(profit, hi_q))}
        for w in range(WEEKS):
            row[f"down_after_week{w + 1}"] = float(r.down_at_week_end[:, w].mean())
        row["down_end_low"] = float(np.quantile(r.down_at_week_end[:, -1], lo_q))
        row["down_end_high"] = float(np.quantile(r.down_at_week_end[:, -1], hi_q))
        rows.append(row)
    t = pd.DataFrame(rows)
    t["recommended"] = t.technicians == int(t.loc[t.expected_profit_usd.idxmax(), "technicians"])
    ks = list(runs)
    beats = pd.DataFrame([[float((profits[a] > profits[b]).mean()) for b in ks] for a in ks], index=ks, columns=ks)
    return CrewProjection(t, beats, WEEKS, sims, runs)


def runner_up(p: CrewProjection) -> int:
    """The crew size with the second-highest expected profit (the option to beat)."""
    t = p.table.sort_values("expected_profit_usd", ascending=False)
    return int(t.technicians.iloc[1]) if len(t) > 1 else int(t.technicians.iloc[0])


def staffing_options(inp: PlanInputs, week_plans: dict[int, np.ndarray], crew: CrewProjection,
                     technician_day_cost: float) -> pd.DataFrame:
    """Each crew size over the plan's days: its optimised plan's exact expected lost margin,
    margin kept against sending nobody, technician cost and profit, with the range 90 % of the
    crew projection's futures fall in over the same days (the same simulation; its mean is the
    exact figure). The crew recommended is the projection's."""
    h = inp.horizon
    options = availability_options(inp)
    none = expected_outcome(inp, np.full(len(inp.devices), -1), options)
    none_f = crew.runs[0].lost_margin_by_day[:, :h].sum(axis=1)
    lo_q, hi_q = (1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2
    rows = []
    for k, visit in sorted(week_plans.items()):
        out = expected_outcome(inp, visit, options)
        lost_f = crew.runs[k].lost_margin_by_day[:, :h].sum(axis=1)
        cost = k * h * technician_day_cost
        kept = none["expected_lost_margin_usd"] - out["expected_lost_margin_usd"]
        profit_f = none_f - lost_f - cost
        rows.append({"technicians": k, "visits": out["visits"], "expected_lost_drinks": out["expected_lost_drinks"],
                     "expected_lost_margin_usd": out["expected_lost_margin_usd"],
                     "lost_margin_low_usd": float(np.quantile(lost_f, lo_q)),
                     "lost_margin_high_usd": float(np.quantile(lost_f, hi_q)),
                     "margin_kept_usd": kept, "technician_cost_usd": cost, "expected_profit_usd": kept - cost,
                     "profit_low_usd": float(np.quantile(profit_f, lo_q)),
                     "profit_high_usd": float(np.quantile(profit_f, hi_q)),
                     "expected_downtime_hours": out["expected_downtime_hours"]})
    t = pd.DataFrame(rows)
    t["added_profit_usd"] = t.expected_profit_usd.diff().fillna(t.expected_profit_usd)
    best = int(crew.table.loc[crew.table.recommended, "technicians"].iloc[0])
    t["recommended"] = t.technicians == best
    return t
