"""How many devices are down, and what the stores lose, over several weeks for each crew size.

A week's plan credits a repair only with the margin it saves inside that week, although a
repaired machine keeps working for weeks; and running devices keep failing, so a crew too
small for the failures lets the backlog grow every week. This projects ``WEEKS`` weeks day
by day in simulated futures, the same futures for every crew size (common random numbers):

- a running device fails on each day with the model's chance given its time since repair;
  a failure costs half of its day;
- a down device stays down until a technician repairs it (as good as new, from mid-day);
- each day the crew's visits go to the down devices whose repair saves the most drinks in
  their store that day (given the store's other machines), then to those down longest.

What the projection leaves out (said on page one): preventive service of running devices
(this week's plan does some), the limit on visits a store can host per day, losses after the
last week from devices still down then (they favour larger crews), and any error in the
failure model or the lost-sales rules (the ranges are chance of failures only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from luckin_lab.survival.lost_sales import expected_loss
from luckin_lab.survival.plan import INTERVAL, PlanInputs

WEEKS = 4
SIMULATED_FUTURES = 400
MAX_REPAIRS = 4  # renewals per device drawn in advance; a fifth reuses the last draw


@dataclass
class CrewProjection:
    table: pd.DataFrame  # one row per crew size
    beats: pd.DataFrame  # beats.loc[a, b]: share of simulated futures where crew a earns more than crew b
    weeks: int
    futures: int


def _repair_value(inp: PlanInputs, up: np.ndarray) -> np.ndarray:
    """sims x devices: drink margin a repair of each device saves today, alone (0 if running)."""
    gain = np.zeros(up.shape)
    for lay in inp.stores.values():
        if not lay.demand.any() or lay.margin <= 0:
            continue
        avail = up[:, lay.rows].astype(float)[..., None]
        base = expected_loss(lay, avail)[..., 0]
        for k, i in enumerate(lay.rows):
            if up[:, i].all():
                continue
            trial = avail.copy()
            trial[:, k, 0] = 1.0
            gain[:, i] = (base - expected_loss(lay, trial)[..., 0]) * lay.margin
    return np.where(up, 0.0, gain)


def _day_loss(inp: PlanInputs, frac: np.ndarray) -> np.ndarray:
    out = np.zeros(frac.shape[0])
    for lay in inp.stores.values():
        out += expected_loss(lay, frac[:, lay.rows, None])[..., 0] * lay.margin
    return out


def _run(inp: PlanInputs, visits_per_day: int, first_fail: np.ndarray, u_renew: np.ndarray,
         c_new: np.ndarray) -> dict:
    sims, n = first_fail.shape
    days = WEEKS * 7
    up = np.broadcast_to(~inp.devices.down.to_numpy(), (sims, n)).copy()
    fail_day = np.where(up, first_fail, days + 1)
    down_since = np.broadcast_to(-inp.devices.down_days.to_numpy(), (sims, n)).copy()
    repairs_done = np.zeros((sims, n), dtype=int)
    lost = np.zeros((sims, days))
    failures = np.zeros((sims, WEEKS))
    down_end = np.zeros((sims, WEEKS))
    for d in range(days):
        frac = up.astype(float)
        if visits_per_day > 0 and (~up).any():
            score = np.where(up, -np.inf, _repair_value(inp, up) + 1e-6 * (d - down_since))
            m = min(visits_per_day, n)
            pick = np.argpartition(-score, m - 1, axis=1)[:, :m]
            ok = np.isfinite(np.take_along_axis(score, pick, axis=1)).ravel()
            rows = np.repeat(np.arange(sims), m)[ok]
            cols = pick.ravel()[ok]
            u = u_renew[rows, cols, np.minimum(repairs_done[rows, cols], MAX_REPAIRS - 1)]
            fail_day[rows, cols] = d + (u[:, None] > c_new[cols]).sum(axis=1)
            up[rows, cols] = True
            frac[rows, cols] = 0.5
            repairs_done[rows, cols] += 1
        failing = up & (fail_day == d)
        frac = np.where(failing, frac * 0.5, frac)
        failures[:, d // 7] += failing.sum(axis=1)
        up &= ~failing
        down_since[failing] = d
        lost[:, d] = _day_loss(inp, frac)
        if (d + 1) % 7 == 0:
            down_end[:, d // 7] = (~up).sum(axis=1)
    return {"lost": lost.sum(axis=1), "failures": failures, "down": down_end, "repairs": repairs_done.sum(axis=1)}


def project_crews(inp: PlanInputs, crews: list[int], visits_per_technician_day: int, technician_day_cost: float,
                  sims: int = SIMULATED_FUTURES, seed: int = 0) -> CrewProjection:
    """Per crew size: devices down at the end of each week, failures, lost margin and profit
    over ``WEEKS`` weeks against sending nobody, with the range 9 futures in 10 fall in.
    ``inp`` must cover ``WEEKS`` * 7 days."""
    days = WEEKS * 7
    if inp.horizon != days:
        raise ValueError(f"the crew projection needs plan inputs over {days} days, got {inp.horizon}")
    rng = np.random.default_rng(seed)
    n = len(inp.devices)
    first_fail = (rng.random((sims, n))[:, :, None] > np.cumsum(inp.q_now, axis=1)[None]).sum(axis=2)
    u_renew = rng.random((sims, n, MAX_REPAIRS))
    c_new = np.cumsum(inp.q_new, axis=1)
    runs = {k: _run(inp, k * visits_per_technician_day, first_fail, u_renew, c_new) for k in sorted(set([0, *crews]))}
    lo_q, hi_q = (1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2
    none = runs[0]["lost"]
    profits, rows = {}, []
    for k, r in runs.items():
        cost = k * days * technician_day_cost
        profit = none - r["lost"] - cost
        profits[k] = profit
        row = {"technicians": k, "visits_per_week": k * visits_per_technician_day * 7,
               "repairs": float(r["repairs"].mean()),
               "new_failures_week1": float(r["failures"][:, 0].mean()),
               "new_failures": float(r["failures"].sum(axis=1).mean()),
               "lost_margin_usd": float(r["lost"].mean()),
               "margin_kept_usd": float((none - r["lost"]).mean()), "technician_cost_usd": cost,
               "expected_profit_usd": float(profit.mean()),
               "profit_low_usd": float(np.quantile(profit, lo_q)), "profit_high_usd": float(np.quantile(profit, hi_q))}
        for w in range(WEEKS):
            row[f"down_after_week{w + 1}"] = float(r["down"][:, w].mean())
        row["down_end_low"] = float(np.quantile(r["down"][:, -1], lo_q))
        row["down_end_high"] = float(np.quantile(r["down"][:, -1], hi_q))
        rows.append(row)
    t = pd.DataFrame(rows)
    t["recommended"] = t.technicians == int(t.loc[t.expected_profit_usd.idxmax(), "technicians"])
    ks = list(runs)
    beats = pd.DataFrame([[float((profits[a] > profits[b]).mean()) for b in ks] for a in ks], index=ks, columns=ks)
    return CrewProjection(t, beats, WEEKS, sims)


def runner_up(p: CrewProjection) -> int:
    """The crew size with the second-highest expected profit (the option to beat)."""
    t = p.table.sort_values("expected_profit_usd", ascending=False)
    return int(t.technicians.iloc[1]) if len(t) > 1 else int(t.technicians.iloc[0])
