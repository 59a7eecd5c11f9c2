"""The site decision in words, as strong as its profit interval (shared certainty rules).

Page one and the brief's headline both say it from this one function, so they cannot differ.
"""

from __future__ import annotations

from luckin_lab.reporting.certainty import Estimate, Strength, decision_strength


def site_decision(names: list[str], profit: Estimate, robust: bool = True) -> tuple[Strength, str]:
    """(strength, one sentence) for the best set of ``names`` with its monthly profit after all costs.

    ``commit`` opens them all; ``pilot`` (the range includes a loss) shortlists them and opens
    the best one first; ``hold`` (a loss at the central estimate) opens none yet. A choice that
    changes with the distance assumption is never a ``commit``.
    """
    n, sites = len(names), ", ".join(names)
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
