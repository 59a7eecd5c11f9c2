"""What the experiment supports: one frame of policies feeds page one and the policy table.

Every figure a decision rests on is measured, never a model's expectation: a policy that
gives everyone one arm is worth that arm's randomized effect (all units); a targeted policy
is worth what it earned on the held-out quarter of units. Model expectations stay beside
them for comparison only. A policy is recommended only when its interval says it pays:
targeting needs enough units per arm and a clear held-out win over the best single policy;
otherwise the best arm whose effect is clearly positive, otherwise stopping today's arm
when it clearly loses, otherwise no change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from luckin_lab.uplift import effects
from luckin_lab.uplift.analysis import MIN_UNITS_PER_ARM, NONE, TARGETED, UpliftAnalysis


@dataclass
class Measured:
    """A per-unit estimate with its 95 % interval and where it was measured."""

    value: float
    se: float
    source: str  # "experiment" (all units) or "held-out" (the test quarter)

    @property
    def low(self) -> float:
        return self.value - 1.96 * self.se

    @property
    def high(self) -> float:
        return self.value + 1.96 * self.se


@dataclass
class Decision:
    frame: pd.DataFrame  # one row per policy, per unit and per period (see policy_frame)
    recommended: str  # policy key
    today: str  # policy key
    gain_vs_today: Measured  # recommended minus today, per unit
    reason: str  # which rule chose it: "targeting", "best arm", "stop", "no change"
    scale: float  # units x periods: per-unit -> per-period totals (units only if no window)


def _arm_of(key: str) -> str | None:
    return key.removeprefix("everyone ") if key.startswith("everyone ") else None


def _value_effect(a: UpliftAnalysis, arm: str) -> Measured:
    e = a.arm_effects
    r = e[(e["outcome"] == a.data.value) & (e["arm"] == arm)].iloc[0]
    return Measured(float(r["effect"]), float(r["se"]), "experiment")


def _blanket_gap(a: UpliftAnalysis, arm: str, ref: str) -> Measured:
    """Everyone ``arm`` minus everyone ``ref`` (either may be control): one robust regression."""
    if arm == ref:
        return Measured(0.0, 0.0, "experiment")
    d = a.data
    r = effects.arm_effects(d.frame, d.value, ref, [arm], cluster_col=d.cluster).iloc[0]
    return Measured(float(r["effect"]), float(r["se"]), "experiment")


def measured(a: UpliftAnalysis, key: str) -> Measured:
    """Gain of a policy over no treatment, per unit: the experiment for single-arm policies."""
    if key == NONE:
        return Measured(0.0, 0.0, "experiment")
    arm = _arm_of(key)
    if arm is not None:
        return _value_effect(a, arm)
    r = a.policy_table.set_index("policy").loc[key]
    return Measured(float(r["heldout_gain_vs_none"]), float(r["heldout_gain_vs_none_se"]), "held-out")


def scale(a: UpliftAnalysis) -> float:
    """Per-unit figures times units (times windows per month when the window is known)."""
    n = len(a.data.frame)
    return n * a.months_factor if a.data.window_days else float(n)


def policy_frame(a: UpliftAnalysis) -> pd.DataFrame:
    """Every policy with its measured gain over no treatment and the model's expectation."""
    n, k = len(a.data.frame), scale(a)
    t = a.policy_table.set_index("policy")
    rows = []
    for key in t.index:
        f = measured(a, key)
        rows.append({
            "policy": key, "today": bool(t.loc[key, "today"]),
            "units_treated": int(t.loc[key, "users_targeted"]),
            "gain_vs_none": f.value, "gain_vs_none_se": f.se, "measured_on": f.source,
            "model_gain_vs_none": float(t.loc[key, "expected_incremental_margin"]) / n,
            "cost": float(t.loc[key, "expected_discount_cost"]) / n,
            "total_gain_vs_none": f.value * k, "total_low": f.low * k, "total_high": f.high * k,
            "model_total_gain_vs_none": float(t.loc[key, "expected_incremental_margin"]) / n * k,
        })
    return pd.DataFrame(rows)


def decide(a: UpliftAnalysis) -> Decision:
    """The policy the evidence supports, and its measured gain over today's policy."""
    frame = policy_frame(a)
    today = a.today_policy
    arms = a.data.arms
    clear = [x for x in arms if _value_effect(a, x).low > 0]
    tg = a.targeting
    targeted = measured(a, TARGETED)
    if tg is not None and tg.supported and targeted.low > 0:
        rec, reason = TARGETED, "targeting"
    elif clear:
        rec = f"everyone {max(clear, key=lambda x: _value_effect(a, x).value)}"
        reason = "best arm"
    elif today != NONE and _value_effect(a, _arm_of(today)).high < 0:
        rec, reason = NONE, "stop"
    else:
        rec, reason = today, "no change"
    if rec == TARGETED:
        r = a.policy_table.set_index("policy").loc[TARGETED]
        gain = Measured(float(r["heldout_gain_vs_today"]), float(r["heldout_gain_vs_today_se"]),
                      "held-out")
    else:
        gain = _blanket_gap(a, _arm_of(rec) or a.data.control, _arm_of(today) or a.data.control)
    frame["recommended"] = frame["policy"] == rec
    return Decision(frame, rec, today, gain, reason, scale(a))


def why_not_targeted(a: UpliftAnalysis) -> str | None:
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


def users_assignment(a: UpliftAnalysis, d: Decision) -> np.ndarray:
    """The recommended policy per unit (-1 = nothing, k = arms[k]): the targeting list."""
    return a.policies[d.recommended]
