"""What every analysis object shares: the decision step's settings.

Each analysis is fitted once (the costly modelling) and decided any number of times. ``decide``
may change only its decision knobs (a budget, guard rails, K sites, a crew); any other setting
changes what was fitted, so it is refused with a message that says to fit again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

S = TypeVar("S", bound=BaseModel)


def decision_settings(settings: BaseModel, base: type[S], knobs: Mapping[str, Any],
                      allowed: Iterable[str]) -> S:
    """``settings`` (as ``base``) with the decision ``knobs`` applied and validated.

    A knob outside ``allowed`` would change the fitted models, so it raises ``ValueError``
    naming it and the settings class to fit again with."""
    allowed = tuple(allowed)
    wrong = sorted(set(knobs) - set(allowed))
    if wrong:
        raise ValueError(f"decide() changes only {', '.join(allowed)}; {', '.join(wrong)} change the "
                         f"fitted models: set them in {base.__name__} and fit again")
    return base.model_validate({**settings.model_dump(include=set(base.model_fields)), **knobs})
