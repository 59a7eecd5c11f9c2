"""What the experiment supports: one frame of policies feeds page one and the policy table.

Leadership asks what to change from today's policy and what it is worth. Every option is
therefore measured against TODAY's policy, never only against "no treatment": a policy that
gives everyone one arm is compared with today's arm directly in the randomized experiment
(one robust regression with today's arm as the reference, all units); a targeted policy is
worth what it earned over today's policy on the held-out quarter of units. Model
expectations stay beside them for comparison only. A change is recommended only when its
interval says it beats today: targeting needs enough units per arm, a clear held-out win
over the best single policy and a clear win over today; otherwise the single policy with the
largest measured gain among those clearly better than today; otherwise no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import norm

from luckin_lab.uplift import effects
from luckin_lab.uplift.policy import NONE, TARGETED

if TYPE_CHECKING:  # the plan is built by the analysis, which calls recommend() on it
    from luckin_lab.uplift.analysis import UpliftPlan

Z95 = float(norm.ppf(0.975))  # the same z as certainty.Estimate.from_se: one interval
# Below this many units in the smallest arm, a quarter held out for checking holds too few
# per arm to tell who responds more from noise: the report gives the average effect only.
# (At 500 per arm the held-out difference between two halves' effects has an SE of about
# 0.25 outcome standard deviations, larger than any heterogeneity a real test shows.)
MIN_UNITS_PER_ARM = 500


@dataclass
class TargetingCheck:
    """Can this experiment support a targeted policy? Size first, then held-out evidence."""

    min_arm_units: int
    smallest_arm: str
    best_blanket: str  # policy key: the best single policy for everyone (by the experiment)
    gain_over_best_blanket: float  # held-out, per unit
    gain_over_best_blanket_se: float

    @property
    def large_enough(self) -> bool:
        return self.min_arm_units >= MIN_UNITS_PER_ARM

    @property
    def beats_best_blanket(self) -> bool:
        return self.gain_over_best_blanket - 1.96 * self.gain_over_best_blanket_se > 0

    @property
    def supported(self) -> bool:
        return self.large_enough and self.beats_best_blanket


@dataclass
class Measured:
    """A per-unit estimate with its 95 % interval and where it was measured."""

    value: float
    se: float
    source: str  # "experiment" (all units) or "held-out" (the test quarter)

    @property
    def low(self) -> float:
        return self.value - Z95 * self.se

    @property
    def high(self) -> float:
        return self.value + Z95 * self.se


@dataclass
class Decision:
    frame: pd.DataFrame  # one row per policy, per unit and per period (see policy_frame)
    recommended: str  # policy key
    today: str  # policy key
    gain_vs_today: Measured  # recommended minus today, per unit
    reason: str  # which rule chose it: "targeting", "best arm", "stop", "no change"
    scale: float  # units x periods: per-unit -> per-period totals (units only if no window)
    runner_up: str | None = None  # next-best policy also clearly better than today
    gain_vs_runner_up: Measured | None = None  # recommended minus runner-up, per unit
    compared: int = 1  # single policies compared with today's (for the multiple-test rule)


def _arm_of(key: str) -> str | None:
    return key.removeprefix("everyone ") if key.startswith("everyone ") else None


def _value_effect(a: UpliftPlan, arm: str) -> Measured:
    e = a.arm_effects
    r = e[(e["outcome"] == a.data.value) & (e["arm"] == arm)].iloc[0]
    return Measured(float(r["effect"]), float(r["se"]), "experiment")


def _blanket_gap(a: UpliftPlan, arm: str, ref: str) -> Measured:
    """Everyone ``arm`` minus everyone ``ref`` (either may be control): one robust regression."""
    if arm == ref:
        return Measured(0.0, 0.0, "experiment")
    d = a.data
    r = effects.arm_effects(d.frame, d.value, ref, [arm], cluster_col=d.cluster).iloc[0]
    return Measured(float(r["effect"]), float(r["se"]), "experiment")


def measured(a: UpliftPlan, key: str) -> Measured:
    """Gain of a policy over no treatment, per unit: the experiment for single-arm policies."""
    if key == NONE:
        return Measured(0.0, 0.0, "experiment")
    arm = _arm_of(key)
    if arm is not None:
        return _value_effect(a, arm)
    r = a.policy_table.set_index("policy").loc[key]
    return Measured(float(r["heldout_gain_vs_none"]), float(r["heldout_gain_vs_none_se"]), "held-out")


def against_today(a: UpliftPlan, key: str) -> Measured:
    """Gain of a policy over today's policy, per unit: the arm contrast of the randomized test
    for single-arm policies (all units), the held-out quarter for a targeted one."""
    arm = _arm_of(key)
    if key == NONE or arm is not None:
        return _blanket_gap(a, arm or a.data.control, _arm_of(a.today_policy) or a.data.control)
    r = a.policy_table.set_index("policy").loc[key]
    return Measured(float(r["heldout_gain_vs_today"]), float(r["heldout_gain_vs_today_se"]),
                    "held-out")


def between(a: UpliftPlan, key: str, ref: str) -> Measured:
    """Single-arm policy ``key`` minus single-arm policy ``ref``, per unit (randomized test)."""
    if _arm_of(key) is None and key != NONE or _arm_of(ref) is None and ref != NONE:
        raise ValueError(f"both policies must give everyone one arm: {key!r}, {ref!r}")
    return _blanket_gap(a, _arm_of(key) or a.data.control, _arm_of(ref) or a.data.control)


def scale(a: UpliftPlan) -> float:
    """Per-unit figures times units (times windows per month when the window is known)."""
    n = len(a.data.frame)
    return n * a.months_factor if a.data.window_days else float(n)


def page_factor(a: UpliftPlan) -> float:
    """Per-unit figure -> the report's one unit: a month's total over all units when the
    outcome window is known, else per unit (1)."""
    return scale(a) if a.data.window_days else 1.0


def policy_frame(a: UpliftPlan) -> pd.DataFrame:
    """Every policy with its measured gain over today's policy and over no treatment, and the
    model's expectation of each (shown, never used). Per unit, and ``page_*`` in the report's
    one unit (:func:`page_factor`): the figures page one and the tables print."""
    n, k = len(a.data.frame), page_factor(a)
    t = a.policy_table.set_index("policy")
    model_today = float(t.loc[a.today_policy, "expected_incremental_margin"]) / n
    rows = []
    for key in t.index:
        f = measured(a, key)
        g = against_today(a, key)
        model = float(t.loc[key, "expected_incremental_margin"]) / n
        rows.append({
            "policy": key, "today": bool(t.loc[key, "today"]),
            "units_treated": int(t.loc[key, "users_targeted"]),
            "gain_vs_today": g.value, "gain_vs_today_se": g.se,
            "gain_vs_today_measured_on": g.source,
            "page_gain_vs_today": g.value * k, "page_gain_vs_today_low": g.low * k,
            "page_gain_vs_today_high": g.high * k,
            "model_gain_vs_today": model - model_today,
            "model_page_gain_vs_today": (model - model_today) * k,
            "gain_vs_none": f.value, "gain_vs_none_se": f.se, "measured_on": f.source,
            "model_gain_vs_none": model,
            "cost": float(t.loc[key, "expected_discount_cost"]) / n,
            "page_gain_vs_none": f.value * k, "page_gain_vs_none_low": f.low * k,
            "page_gain_vs_none_high": f.high * k, "model_page_gain_vs_none": model * k,
        })
    return pd.DataFrame(rows)


def clearly_better(m: Measured, compared: int) -> bool:
    """Above zero at 95 % even after allowing for ``compared`` options tried against today
    (Bonferroni): with three options, one would look 'clear' by chance too often."""
    return m.value - float(norm.ppf(1 - 0.05 / (2 * max(compared, 1)))) * m.se > 0


def recommend(a: UpliftPlan) -> Decision:
    """The change from today's policy the evidence supports, and its measured gain."""
    frame = policy_frame(a)
    today = a.today_policy
    singles = [NONE, *(f"everyone {x}" for x in a.data.arms)]
    compared = [k for k in singles if k != today]
    better = {k: m for k in compared if clearly_better(m := against_today(a, k), len(compared))}
    tg = a.targeting
    if tg is not None and tg.supported and against_today(a, TARGETED).low > 0:
        rec, reason = TARGETED, "targeting"
    elif better:
        rec = max(better, key=lambda k: better[k].value)
        reason = "stop" if rec == NONE else "best arm"
    else:
        rec, reason = today, "no change"
    gain = against_today(a, rec)
    others = sorted((k for k in better if k != rec), key=lambda k: -better[k].value)
    runner = others[0] if others and rec != TARGETED else None
    frame["recommended"] = frame["policy"] == rec
    return Decision(frame, rec, today, gain, reason, scale(a), runner,
                    between(a, rec, runner) if runner else None, len(compared))


def why_not_targeted(a: UpliftPlan) -> str | None:
    """Plain reason the report does not target, or None when targeting is supported."""
    tg, nn = a.targeting, a.data.nouns
    if tg is None or tg.supported:
        return None
    if not tg.large_enough:
        name = nn.control if tg.smallest_arm == a.data.control else nn.arm(tg.smallest_arm)
        return (f"The experiment is too small to learn who responds more: its smallest group "
                f"({name}) has {tg.min_arm_units:,} {nn.units}, and telling apart who "
                f"responds more from chance needs at least {MIN_UNITS_PER_ARM:,} per group. "
                f"The report therefore gives the average effect and treats every "
                f"{nn.unit} alike.")
    best = nn.control + " for anyone" if tg.best_blanket == NONE else \
        f"{nn.arm(_arm_of(tg.best_blanket))} for every {nn.unit}"
    return (f"Targeting was tried and did not clearly beat the best single policy ({best}) on "
            f"{nn.units} the models never saw, so the report treats every {nn.unit} alike.")


def users_assignment(a: UpliftPlan, d: Decision) -> np.ndarray:
    """The recommended policy per unit (-1 = nothing, k = arms[k]): the targeting list."""
    return a.policies[d.recommended]
