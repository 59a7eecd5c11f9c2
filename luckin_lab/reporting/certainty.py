"""How sure we are, said the same way in every report.

Leadership reads a figure's size before its interval. These rules keep the words and the
emphasis as strong as the evidence and no stronger, so every report states certainty alike:

- a figure whose interval includes zero is never the lead (largest) figure on a page;
- a probability names the assumption it rests on and never reads "100 %";
- a calibration claim carries the model's skill over a constant-rate baseline;
- when a model-based figure and a randomized experiment disagree, the report says so and
  trusts the experiment;
- a decision is as strong as its interval (:func:`decision_strength`): commit only when the
  whole range is a gain, pilot when the range includes a loss, hold when the centre is a loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

Formatter = Callable[[float], str]


def _plain(x: float) -> str:
    return f"{x:,.3g}"


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its interval (``level`` is the interval's coverage, e.g. 0.95)."""

    value: float
    low: float
    high: float
    level: float = 0.95

    def __post_init__(self) -> None:
        if not (math.isnan(self.low) or math.isnan(self.high)) and self.low > self.high:
            raise ValueError(f"interval low {self.low} is above high {self.high}")
        if not 0 < self.level < 1:
            raise ValueError(f"interval level must be in (0, 1), got {self.level}")

    @classmethod
    def from_se(cls, value: float, se: float, level: float = 0.95) -> Estimate:
        """A normal-approximation interval ``value ± z·se``."""
        from scipy.stats import norm

        z = float(norm.ppf(0.5 + level / 2))
        return cls(value, value - z * se, value + z * se, level)

    @property
    def known(self) -> bool:
        """False when the interval could not be computed (NaN bounds)."""
        return not (math.isnan(self.low) or math.isnan(self.high))

    @property
    def significant(self) -> bool:
        """The interval excludes zero (at its own level)."""
        return self.known and (self.low > 0 or self.high < 0)

    def excludes(self, x: float) -> bool:
        """The interval excludes ``x``."""
        return self.known and (x < self.low or x > self.high)

    def scaled(self, factor: float) -> Estimate:
        """The same estimate in another unit (e.g. per window -> per month); keeps the order."""
        lo, hi = sorted((self.low * factor, self.high * factor))
        return Estimate(self.value * factor, lo, hi, self.level)


def interval_text(est: Estimate, fmt: Formatter = _plain) -> str:
    """'$5.1K (-$9.9K to $20.0K)': the figure and its interval in one phrase."""
    if not est.known:
        return f"{fmt(est.value)} (interval not available)"
    return f"{fmt(est.value)} ({fmt(est.low)} to {fmt(est.high)})"


def confidence_words(est: Estimate, positive: str = "positive", negative: str = "negative") -> str:
    """Plain words for the sign certainty of an estimate.

    ``positive`` / ``negative`` name what each sign means for the reader ("a gain", "a loss").
    """
    level = f"{est.level:.0%}".replace("%", " %")
    if not est.known:
        return "not measurable from these data"
    if est.significant:
        side = positive if est.value > 0 else negative
        return f"clearly {side} (the {level} interval excludes zero)"
    if est.value == 0:
        return "indistinguishable from zero"
    # within one standard error of zero (p > 0.32): no lean worth naming
    half = (est.high - est.low) / 2
    if half > 0 and abs(est.value) < half / _z(est.level):
        return f"no detectable effect (the {level} interval includes zero)"
    side = positive if est.value > 0 else negative
    return f"probably {side}, but the {level} interval includes zero"


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2))


def lead_figure(candidates: Mapping[str, Estimate]) -> str | None:
    """The key of the figure a page may lead with: the largest significant one.

    A non-significant estimate is never the largest figure on page one; when nothing is
    significant there is no lead figure (``None``) and the page should say so.
    """
    significant = {k: e for k, e in candidates.items() if e.significant}
    if not significant:
        return None
    return max(significant, key=lambda k: abs(significant[k].value))


Strength = Literal["commit", "pilot", "hold"]


def decision_strength(est: Estimate) -> Strength:
    """How strong the action a money estimate (gain > 0) can carry.

    ``commit``: the whole interval is a gain, so act in full. ``pilot``: the central figure is
    a gain but the interval includes a loss, so test small before committing (shortlist, pilot,
    smaller move). ``hold``: the central figure is no gain, or the interval is unknown.
    """
    if not est.known or est.value <= 0:
        return "hold"
    return "commit" if est.low > 0 else "pilot"


def probability_text(p: float) -> str:
    """'87 %', never '100 %' or '0 %': beyond 99 % or below 1 % the text says so."""
    if math.isnan(p):
        return "an unknown"
    if p > 0.99:
        return "more than 99 %"
    if p < 0.01:
        return "less than 1 %"
    return f"{p:.0%}".replace("%", " %")


def probability_sentence(p: float, event: str, assumption: str) -> str:
    """'If <assumption>, there is an 87 % chance that <event>.'

    A model's probability is conditional on the model: the sentence always names the
    assumption it rests on.
    """
    if not assumption.strip():
        raise ValueError("a probability sentence must name the assumption it rests on")
    return f"If {assumption.strip()}, there is {_article(p)} chance that {event.strip()}."


def _article(p: float) -> str:
    text = probability_text(p)
    vowel_sound = text.startswith("8") or text.startswith(("11 ", "18 "))
    return ("an " if vowel_sound else "a ") + text


def calibration_sentence(expected: float, observed: float, skill: float, what: str) -> str:
    """A calibration claim with the model's skill, e.g. Brier skill over a constant rate.

    ``skill`` is 1 - score(model) / score(constant rate): 0 means no better than assuming the
    same rate for everyone. Agreement of totals alone proves little when skill is low.
    """
    totals = f"The model expected {expected:,.1f} {what} and {observed:,.0f} happened"
    skill_pct = f"{skill:.1%}".replace("%", " %")
    if skill <= 0:
        return (f"{totals}, but it ranks them no better than assuming the same rate for everyone "
                f"(skill {skill_pct}), so it tells how many, not which ones.")
    if skill < 0.05:
        return (
            f"{totals}, but it ranks them only {skill_pct} better than assuming the same rate "
            "for everyone, so it tells how many, not which ones."
        )
    if skill < 0.2:
        return (f"{totals}; its chances for each unit are {skill_pct} better than a constant rate: a modest edge "
                f"at telling where the {what} fall.")
    return f"{totals}; it is {skill_pct} better than a constant rate at telling which."


def calibration_spread_sentence(predicted: list[float], observed: list[float], sizes: list[int],
                                units: str = "units") -> str:
    """The widest gap between predicted and observed shares across the check's risk groups:
    agreement of the totals can hide groups the model gets wrong in both directions."""
    gaps = [o - p for p, o in zip(predicted, observed, strict=True)]
    if not gaps:
        return ""
    i = max(range(len(gaps)), key=lambda k: abs(gaps[k]))
    n_lo, n_hi = min(sizes), max(sizes)
    n = f"{n_lo}" if n_lo == n_hi else f"{n_lo} to {n_hi}"
    text = (f"Group by group it is rougher: in {len(gaps)} risk groups of {n} {units}, predicted and observed shares "
            f"differ by up to {abs(gaps[i]) * 100:.0f} points ({predicted[i]:.0%} predicted, {observed[i]:.0%} "
            "happened)")
    over, under = any(g < -0.1 for g in gaps), any(g > 0.1 for g in gaps)
    if over and under:
        text += ", too high for some groups and too low for others"
    return text.replace("%", " %") + "."


def disagreement_sentence(
    model: Estimate, experiment: Estimate, what: str, fmt: Formatter = _plain
) -> str | None:
    """None when the model's figure lies inside the experiment's interval; else the warning.

    The randomized experiment is the stronger evidence, so the report trusts it.
    """
    if not experiment.known or not experiment.excludes(model.value):
        return None
    direction = "above" if model.value > experiment.high else "below"
    return (
        f"The model puts {what} at {fmt(model.value)}, {direction} the randomized experiment's "
        f"{interval_text(experiment, fmt)}; we trust the experiment, and the model's figure "
        "should not be used for this decision."
    )
