"""The store trends report's headline block (what the brief and the front page print for it).

The report measures a level (last week's gross profit), not the effect of a decision, so the
figure says so; the decision names the mature stores more than 10 % under their own 4-week
average, the same list page one and the scorecard show.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from luckin_lab.reporting.headline import Headline

MEASURED = "measured directly from the sales data"


def store_headline(head: Mapping[str, Any], profit_available: bool) -> Headline:
    """The block from the report's own ``week_headline`` figures (as written to metrics.json)."""
    below = list(head.get("stores_below_4wk_avg") or [])
    their = "its" if len(below) == 1 else "their"
    decision = (f"Look into {', '.join(below)}: revenue more than 10 % below {their} 4-week average."
                if below else "No action: every mature store is within 10 % of its 4-week average.")
    week = head["week_start"]
    if profit_available and head.get("gross_profit") is not None:
        return Headline(decision, f"gross profit of all stores, week of {week} (a level, not a "
                        "decision's effect)",
                        float(head["gross_profit"]), unit="USD per week", is_profit=True,
                        for_whom="store operations", confidence=MEASURED)
    return Headline(decision, f"revenue of all stores, week of {week} (revenue, not profit)",
                    float(head["revenue"]), unit="USD per week", is_profit=False,
                    for_whom="store operations", confidence=MEASURED)
