"""Simulated futures of the fleet: failures, repairs and the drinks stores lose, day by day.

The one failure simulator of the maintenance report, for any number of days. Every policy is
scored on the same futures (common random numbers: the same failure draws), so differences
between policies or crew sizes are not noise of the simulation. On each day:

- visits first: a device visited that day (a fixed ``schedule``, e.g. this week's plan, or
  the crew's repairs) comes back as good as new; a down device is repaired from mid-day, a
  running one is serviced at once;
- the crew (``repairs_per_day`` > 0, on days without a schedule) repairs the down devices whose
  repair saves the most drink margin in their store that day (given the store's other
  machines), then those down longest;
- a running device fails on the day its drawn failure day comes (its chance given the time since
  its last renewal); a failure costs half of the day; a down device stays down until a visit;
- each store loses the drinks no working machine can make (:mod:`luckin_lab.survival.lost_sales`).

The mean over futures of a fixed schedule's availability is exactly
:func:`luckin_lab.survival.plan.availability_options` (tested), so the plan's exact expected
figures and the simulated ranges describe the same futures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from luckin_lab.survival.lost_sales import expected_loss
from luckin_lab.survival.plan import PlanInputs

SIMULATED_FUTURES = 400
MAX_RENEWALS = 4  # failure days after a renewal drawn in advance per device; a fifth reuses the last draw


@dataclass(frozen=True)
class Futures:
    """The random draws of ``sims`` futures, shared by every policy scored on them."""

    first_fail: np.ndarray  # sims x devices: day a running device fails if left alone (horizon = not within it)
    u_renew: np.ndarray  # sims x devices x MAX_RENEWALS: uniforms giving the failure day after each renewal
    c_new: np.ndarray  # devices x horizon: chance of having failed by day k after a renewal

    @property
    def sims(self) -> int:
        return self.first_fail.shape[0]


def draw_futures(inp: PlanInputs, sims: int = SIMULATED_FUTURES, seed: int = 0) -> Futures:
    """Failure draws over ``inp``'s horizon (the longest simulation that will use them)."""
    rng = np.random.default_rng(seed)
    n = len(inp.devices)
    first_fail = (rng.random((sims, n))[:, :, None] > np.cumsum(inp.q_now, axis=1)[None]).sum(axis=2)
    return Futures(first_fail, rng.random((sims, n, MAX_RENEWALS)), np.cumsum(inp.q_new, axis=1))


@dataclass
class Simulated:
    """One policy over ``days`` in each future: what the stores lose and what the fleet does."""

    lost_drinks: np.ndarray  # per future
    lost_margin: np.ndarray  # per future (USD)
    lost_margin_by_day: np.ndarray  # futures x days (USD)
    failures: np.ndarray  # futures x weeks: failures of running devices
    down_at_week_end: np.ndarray  # futures x weeks: devices down at the end of each week
    renewals: np.ndarray  # per future: visits made (repairs and services)
    availability: np.ndarray  # devices x days: mean share of each day each device worked
    downtime_hours: float  # expected open hours devices are down, summed over devices


def _repair_value(inp: PlanInputs, up: np.ndarray) -> np.ndarray:
    """futures x devices: drink margin a repair of each device saves today, alone (0 if running)."""
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


def _day_loss(inp: PlanInputs, frac: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drinks and drink margin lost on one day in each future, given each device's share worked."""
    drinks, margin = np.zeros(frac.shape[0]), np.zeros(frac.shape[0])
    for lay in inp.stores.values():
        lost = expected_loss(lay, frac[:, lay.rows, None])[..., 0]
        drinks += lost
        margin += lost * lay.margin
    return drinks, margin


def simulate(inp: PlanInputs, futures: Futures, days: int, schedule: np.ndarray | None = None,
             schedule_days: int = 0, repairs_per_day: int = 0) -> Simulated:
    """``days`` of each future: on the first ``schedule_days`` days the visits of ``schedule``
    (visit day per device, -1 = none), on the days after them a crew repairing
    ``repairs_per_day`` down devices a day (0 = nobody)."""
    sims, n = futures.first_fail.shape
    if days > futures.c_new.shape[1]:
        raise ValueError(f"the futures were drawn over {futures.c_new.shape[1]} days, not {days}")
    weeks = -(-days // 7)
    sched_days = schedule_days if schedule is not None else 0
    up = np.broadcast_to(~inp.devices.down.to_numpy(), (sims, n)).copy()
    fail_day = np.where(up, futures.first_fail, days + 1)
    down_since = np.broadcast_to(-inp.devices.down_days.to_numpy(), (sims, n)).copy()
    renewals = np.zeros((sims, n), dtype=int)
    drinks, margin = np.zeros(sims), np.zeros((sims, days))
    failures, down_end = np.zeros((sims, weeks)), np.zeros((sims, weeks))
    availability = np.zeros((n, days))

    def renew(rows: np.ndarray, cols: np.ndarray, d: int, frac: np.ndarray) -> None:
        u = futures.u_renew[rows, cols, np.minimum(renewals[rows, cols], MAX_RENEWALS - 1)]
        frac[rows, cols] = np.where(up[rows, cols], 1.0, 0.5)  # a repair works from mid-day
        fail_day[rows, cols] = d + (u[:, None] > futures.c_new[cols]).sum(axis=1)
        up[rows, cols] = True
        renewals[rows, cols] += 1

    for d in range(days):
        frac = up.astype(float)
        if d < sched_days:
            cols = np.flatnonzero(schedule == d)
            if len(cols):
                renew(np.repeat(np.arange(sims), len(cols)), np.tile(cols, sims), d, frac)
        elif repairs_per_day > 0 and (~up).any():
            score = np.where(up, -np.inf, _repair_value(inp, up) + 1e-6 * (d - down_since))
            m = min(repairs_per_day, n)
            pick = np.argpartition(-score, m - 1, axis=1)[:, :m]
            ok = np.isfinite(np.take_along_axis(score, pick, axis=1)).ravel()
            renew(np.repeat(np.arange(sims), m)[ok], pick.ravel()[ok], d, frac)
        failing = up & (fail_day == d)
        frac = np.where(failing, frac * 0.5, frac)
        failures[:, d // 7] += failing.sum(axis=1)
        up &= ~failing
        down_since[failing] = d
        day_drinks, day_margin = _day_loss(inp, frac)
        drinks += day_drinks
        margin[:, d] = day_margin
        availability[:, d] = frac.mean(axis=0)
        if (d + 1) % 7 == 0 or d == days - 1:
            down_end[:, d // 7] = (~up).sum(axis=1)
    hours = float(((1 - availability).sum(axis=1) * inp.devices.open_hours.to_numpy()).sum())
    return Simulated(drinks, margin.sum(axis=1), margin, failures, down_end, renewals.sum(axis=1), availability,
                     hours)
