"""The nouns a time-to-event report speaks in, taken from the run's parameters.

The device report talks about devices, failures and days; a generic run on people followed
in weeks must say "people", "re-arrests" and "next 7 weeks". Every sentence, axis label and
table header that names the unit, the event or the time unit takes it from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Nouns:
    unit: str = "device"
    units: str = "devices"
    event: str = "failure"
    events: str = "failures"
    time_unit: str = "day"
    time_units: str = "days"
    group: str = "device type"
    renewal: str = "installation or repair"

    def span(self, n: float) -> str:
        """'7 days', '1 week', '2.5 weeks'."""
        return f"{n:g} {self.time_unit if n == 1 else self.time_units}"

    def duration(self, x: float, digits: int = 1) -> str:
        """A median or remaining time; 'not reached' when the curve never gets there."""
        if x is None or not math.isfinite(float(x)):
            return "not reached"
        return f"{float(x):.{digits}f} {self.time_units}"


DEVICES = Nouns()


def plural(word: str) -> str:
    """A plain English plural for a user-given noun ('person' -> 'people', 'unit' -> 'units')."""
    irregular = {"person": "people", "child": "children", "man": "men", "woman": "women"}
    if word in irregular:
        return irregular[word]
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def nouns(unit: str = "unit", event: str = "event", time_unit: str = "day", group: str = "group",
          units: str = "", events: str = "", renewal: str = "the start of observation") -> Nouns:
    """Nouns from a run's parameters; plurals are derived unless given."""
    return Nouns(unit, units or plural(unit), event, events or plural(event), time_unit,
                 plural(time_unit), group, renewal)
