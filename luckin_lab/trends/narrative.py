"""Page-one wording of the store trends report, built from the same frames as its tables.

The headline once said "no store is more than 10 % below its own four-week average" while the
table showed two stores 20 % below it (young stores were skipped without a word). Every
sentence here is read off :func:`luckin_lab.transforms.sales.week_headline`, which reads the
scorecard's ``status`` column, so the sentence and the table cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from luckin_lab.reporting.headline import Headline, fits
from luckin_lab.reporting.nb import money, num, pct
from luckin_lab.transforms import metrics, sales


def _chg(x: float | None, what: str = " vs prior week") -> str:
    return "no prior week" if x is None else f"{pct(x, signed=True)}{what}"


def _day(iso: str) -> str:
    d = dt.date.fromisoformat(iso)
    return f"{d:%b} {d.day}, {d.year}"


def _names(stores: list[str], change: dict[str, float]) -> str:
    parts = [f"**{s}** ({pct(change[s], signed=True)})" for s in stores]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def kpi_items(head: dict) -> dict[str, str]:
    """The tiles: gross profit leads when the source has costs, else revenue (said so in the text)."""
    week = f"week of {_day(head['week_start'])}"
    if head["gross_profit"] is not None:
        return {
            f"Gross profit, {week}": money(head["gross_profit"]),
            "Gross profit vs prior week": _chg(head["gross_profit_wow"], ""),
            "Revenue": money(head["revenue"]),
            "Gross margin (after cost of goods)": pct(head["margin_rate"], 0),
            "Average order value": money(head["aov"], 2),
        }
    return {
        f"Revenue, {week}": money(head["revenue"]),
        "Revenue vs prior week": _chg(head["revenue_wow"], ""),
        "Orders": num(head["orders"]),
        "Average order value": money(head["aov"], 2),
        "Stores trading": str(head["stores"]),
    }


def alert_text(head: dict) -> str:
    """Which stores need action, which are new and settling, which are too new: all from the table."""
    ramp = metrics.OPENING_RAMP_WEEKS
    drop = pct(-sales.ALERT_DROP, 0)
    change = head["below_4wk_avg_change"]
    out = []
    if head["stores_below_4wk_avg"]:
        out.append(f"**Decision needed:** {_names(head['stores_below_4wk_avg'], change)} took more than {drop} less "
                   "than their own average of the previous four weeks; operations should check staffing, "
                   "device downtime and local events there.")
    elif head["new_stores_below_4wk_avg"]:
        out.append(f"**No store open longer than {ramp} weeks is more than {drop} below its own four-week "
                   "average: no action needed.**")
    else:
        out.append(f"**No store is more than {drop} below its own four-week average: no action needed.**")
    if head["new_stores_below_4wk_avg"]:
        out.append(f"**Watch, no action yet:** {_names(head['new_stores_below_4wk_avg'], change)} "
                   f"{'is' if len(head['new_stores_below_4wk_avg']) == 1 else 'are'} more than {drop} below "
                   f"{'its' if len(head['new_stores_below_4wk_avg']) == 1 else 'their'} own four-week average, "
                   f"as new stores are in their first {ramp} weeks while the opening boost fades; "
                   f"a store still below after week {ramp} becomes an alert.")
    if head["stores_too_new_to_compare"]:
        out.append("Too new for a four-week comparison: " + ", ".join(head["stores_too_new_to_compare"]) + ".")
    return " ".join(out)


def summary_text(head: dict, orders_used: int, orders_excluded: int) -> str:
    """The executive summary paragraphs."""
    if head["gross_profit"] is not None:
        lead = (f"**In the week {_day(head['week_start'])} to {_day(head['week_end'])} the {head['stores']} stores "
                f"made {money(head['gross_profit'])} gross profit** ({_chg(head['gross_profit_wow'])}) on "
                f"{money(head['revenue'])} of sales from {num(head['orders'])} orders: "
                f"{pct(head['margin_rate'], 0)} of each dollar is left after the cost of the drinks and food. "
                "Labour, rent and overheads are not in the data, so this is before those costs.")
    else:
        lead = (f"**In the week {_day(head['week_start'])} to {_day(head['week_end'])} the {head['stores']} stores "
                f"took {money(head['revenue'])} from {num(head['orders'])} orders** ({_chg(head['revenue_wow'])}). "
                "These figures are revenue, not profit: this data source has no item costs.")
    lines = [lead + f" An average order was {money(head['aov'], 2)} ({_chg(head['aov_wow'])}; orders "
             f"{_chg(head['orders_wow'])})."]
    if head["best_mover"]:
        lines.append(
            f"Among stores open for the whole prior week, **{head['best_mover']}** grew most "
            f"({pct(head['best_mover_wow'], signed=True)}) and **{head['worst_mover']}** did worst "
            f"({pct(head['worst_mover_wow'], signed=True)}). {head['top_store']} is the largest store "
            f"with {pct(head['top_store_share'])} of revenue."
        )
    lines.append(alert_text(head))
    lines.append(
        f"How sure: these are counts of recorded orders, not estimates. {num(orders_used)} completed US-dollar "
        f"orders are used; {num(orders_excluded)} orders are left out and listed under data quality (the "
        "Cook Islands test store's orders in New Zealand dollars, refunds and cancellations)."
    )
    return "\n\n".join(lines)


def scorecard_view(card: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Table 1 for readers: the same frame the headline reads, with its status column."""
    cols = {"store": "Store", "status": "Status", "gross_profit": "Gross profit", "revenue": "Revenue",
            "margin_rate": "Margin", "orders": "Orders", "aov": "Avg order", "revenue_wow": "vs prior week",
            "vs_4wk_avg": "vs own 4-wk avg", "weeks_open": "Weeks open"}
    view = card[[c for c in cols if c in card.columns]].rename(columns=cols)
    formats = {"Gross profit": "money", "Revenue": "money", "Margin": "pct", "Orders": "int",
               "Avg order": "money2", "vs prior week": "pct", "vs own 4-wk avg": "pct", "Weeks open": "int"}
    return view, {k: v for k, v in formats.items() if k in view.columns}


# -- the report's headline block (what the brief and the front page print for it) -------------
# The report measures a level (last week's gross profit), not the effect of a decision, so the
# figure says so; the decision names the same stores as page one and the scorecard.

MEASURED = "measured directly from the sales data"


def _week_words(head: Mapping[str, Any]) -> str:
    """'the week 9-15 Feb 2026' (the last complete week the report compares)."""
    a = dt.date.fromisoformat(head["week_start"])
    b = dt.date.fromisoformat(head.get("week_end") or (a + dt.timedelta(days=6)).isoformat())
    if a.month == b.month:
        return f"the week {a.day}-{b.day} {b:%b %Y}"
    return f"the week {a.day} {a:%b} to {b.day} {b:%b %Y}"


def store_headline(head: Mapping[str, Any], profit_available: bool) -> Headline:
    """The block from the report's own ``week_headline`` figures (as written to metrics.json).

    The decision names its window (the last complete week against that store's own 4-week
    average), the threshold, which stores it leaves out (open 10 weeks or less) and the largest
    drop among those, so a reader holding a day-level table can tell why the two differ.
    """
    below = list(head.get("stores_below_4wk_avg") or [])
    change = head.get("below_4wk_avg_change") or {}
    drop = pct(-sales.ALERT_DROP, 0)
    ramp = metrics.OPENING_RAMP_WEEKS
    week = _week_words(head)
    their = "its" if len(below) == 1 else "their"
    if below:
        decision = (f"Look into {', '.join(below)}: in {week}, revenue more than {drop} below {their} "
                    "own 4-week average.")
    else:
        decision = (f"No action: in {week} every store open over {ramp} weeks is within "
                    f"{drop} of its own 4-week average.")
    young = [st for st in (head.get("new_stores_below_4wk_avg") or []) if st in change]
    if young:
        worst = min(young, key=lambda st: change[st])
        decision += (f" Newer stores not counted: {worst} "
                     f"({pct(change[worst], signed=True)})"
                     + (f" and {len(young) - 1} more" if len(young) > 1 else "") + ".")
    short = (fits(f"Look into {', '.join(below)}", f"Look into {len(below)} stores below their average")
             if below else f"No action, every store open over {ramp} weeks within {drop}")
    week_start = head["week_start"]
    if profit_available and head.get("gross_profit") is not None:
        return Headline(decision, f"gross profit of all stores, week of {week_start} (a level, not a "
                        "decision's effect)",
                        float(head["gross_profit"]), unit="USD per week", is_profit=True,
                        for_whom="store operations", confidence=MEASURED, short_decision=short,
                        short_note="all stores' gross profit last week: a level, not an effect")
    return Headline(decision, f"revenue of all stores, week of {week_start} (revenue, not profit)",
                    float(head["revenue"]), unit="USD per week", is_profit=False,
                    for_whom="store operations", confidence=MEASURED, short_decision=short,
                    short_note="all stores' revenue last week, not profit: a level")
