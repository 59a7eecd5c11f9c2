"""The report's nouns and number formats, taken from the data's own parameters.

A coupon campaign reads "users", "30 % off", "profit"; a job-training experiment reads
"men", "the training programme", "1978 earnings". Everything a reader sees is built from a
:class:`Nouns`, so no demo word reaches a generic run and a 0/1 outcome is a share
("80.0 %"), never "$0.80".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from luckin_lab import formats

Unit = Literal["share", "count", "usd"]


@dataclass
class Nouns:
    unit: str = "unit"  # what one randomized row is
    units: str = "units"
    treatment: str = "treatment"  # what an arm gives, e.g. "coupon", "incentive"
    control: str = "no treatment"
    arm_labels: dict[str, str] = field(default_factory=dict)
    outcome: str = "outcome"
    outcome_unit: Unit = "count"
    value: str = "outcome"  # what the decision maximises (after the treatment's cost)
    value_unit: Unit = "count"
    cost: str = "cost"

    def arm(self, arm: str) -> str:
        """Plain name of an arm: '30 % off', never 'off30' when a label is known."""
        return self.arm_labels.get(arm, arm.replace("_", " "))

    @property
    def outcome_phrase(self) -> str:
        """'the share who bought in the window' for a share, else the outcome's name."""
        return f"the share {self.outcome}" if self.outcome_unit == "share" else self.outcome

    def label(self, column: str, response: str, value: str) -> str:
        """Reader's name of an outcome column (response, decision value or cost)."""
        if column == response:
            return self.outcome
        return self.value if column == value else self.cost

    def unit_of(self, column: str, response: str, value: str) -> Unit:
        if column == response:
            return self.outcome_unit
        return self.value_unit if column == value else "usd"


def detect_unit(values: np.ndarray) -> Unit:
    """0/1 columns are shares; anything else a count until the parameters say USD."""
    return "share" if set(np.unique(values)) <= {0.0, 1.0} else "count"


def level(x: float, unit: Unit) -> str:
    """A level in its unit: '80.0 %', '$6,349', '3.21'."""
    if unit == "share":
        return formats.pct(x)
    if unit == "usd":
        return formats.money(x, 2 if abs(x) < 100 else 0)
    return formats.num(x, 2)


def diff(x: float, unit: Unit, like: float | None = None, signed: bool = False) -> str:
    """A difference in its unit: '+43.1 points' (of a share), '$1,794', '-0.12'."""
    if unit == "share":
        shown = f"{abs(x) * 100:.1f}"
        sign = "-" if x < 0 and float(shown) else "+" if signed and float(shown) else ""
        return f"{sign}{shown} points"
    if unit == "usd":
        ref = abs(like) if like is not None else abs(x)
        return formats.money(x, 2 if max(abs(x), ref) < 100 else 0, like=like, signed=signed)
    return f"{'+' if signed and x > 0 else ''}{x:,.2f}"


def campaign_nouns(depths: dict[str, float], control: str) -> Nouns:
    """The demo's coffee wording: users, coupons named by their discount, profit."""
    labels = {a: f"{round(d * 100)} % off" for a, d in depths.items() if a != control}
    return Nouns(unit="user", units="users", treatment="coupon", control="no coupon",
                 arm_labels=labels, outcome="who bought in the window", outcome_unit="share",
                 value="profit", value_unit="usd",
                 cost="discount paid")
