"""The site decision in words, as strong as its profit interval (shared certainty rules).

Page one, the map and the brief's headline all say it from these functions, so they cannot differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from luckin_lab.reporting.certainty import Estimate, Strength, decision_strength


def site_decision(names: list[str], profit: Estimate | None, robust: bool = True) -> tuple[Strength, str]:
    """(strength, one sentence) for the best set of ``names`` with its monthly profit after all costs.

    ``commit`` opens them all; ``pilot`` (the range includes a loss, or no profit can be computed)
    shortlists them and opens the best one first; ``hold`` (a loss at the central estimate) opens none
    yet. A choice that changes with the distance assumption is never a ``commit``.
    """
    n, sites = len(names), ", ".join(names)
    if profit is None:
        return "pilot", (f"Shortlist the {n} best-placed sites ({sites}) for due diligence: without item "
                         "costs their profit is unknown.")
    strength = decision_strength(profit)
    if strength == "commit" and not robust:
        strength = "pilot"
    if strength == "commit":
        return strength, f"Open the {n} recommended sites ({sites})."
    if strength == "pilot":
        why = "their profit range includes a loss" + ("" if robust else " and the choice depends on how far "
                                                      "customers are assumed to travel")
        return strength, (f"Shortlist the {n} sites ({sites}) and open the first as a pilot before committing "
                          f"to the rest: {why}.")
    return strength, (f"Do not open any of these sites yet: the best {n} ({sites}) lose money at the central "
                      "estimate once rent and staff are paid.")


def short_decision(strength: Strength, n: int, has_profit: bool = True) -> str:
    """The decision in a few words for the brief's row (the same strength as :func:`site_decision`)."""
    if not has_profit:
        return f"Shortlist {n} sites for due diligence (profit unknown)"
    return {"commit": f"Open the {n} recommended sites",
            "pilot": f"Shortlist {n} sites; open the first as a pilot",
            "hold": f"Do not open any of the {n} best sites yet"}[strength]


def short_note(n: int, staffed: bool) -> str:
    """What the brief's figure is: the set's profit, and which costs it is after."""
    return (f"profit of the {n} sites together, after goods, rent and staff" if staffed
            else f"profit of the {n} sites together, after goods and rent only")


def set_profit(metrics: Mapping[str, Any]) -> Estimate | None:
    """The chosen set's monthly profit with its range, from metrics (None without item costs)."""
    if metrics.get("portfolio_profit_monthly") is None:
        return None
    nan = float("nan")
    low, high = metrics.get("portfolio_profit_low"), metrics.get("portfolio_profit_high")
    return Estimate(float(metrics["portfolio_profit_monthly"]), nan if low is None else float(low),
                    nan if high is None else float(high), float(metrics.get("interval_level") or 0.9))


def decision(sel: Any) -> tuple[Strength, str]:
    """The decision of a site selection: its chosen sites (best first) and their profit range."""
    names = [str(x) for x in sel.chosen_table().label]
    profit = set_profit(sel.metrics) if sel.has_profit else None
    return site_decision(names, profit, bool(sel.metrics.get("decision_robust_to_decay", True)))


def chosen_word(sel: Any) -> str:
    """'recommended' unless the decision is to open none ('best-placed')."""
    return "best-placed" if decision(sel)[0] == "hold" else "recommended"
