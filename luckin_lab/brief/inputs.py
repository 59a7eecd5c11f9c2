"""What the brief reads of the other reports: run records, metrics.json and results/ only.

For every leadership report/run found under ``reports/``: its latest good run, the one before
it, their headlines, the age of the run and of its data, and how its last attempt ended.
Notebooks are never opened and no model is refitted.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from luckin_lab.atomic import read_json
from luckin_lab.reporting.audience import audience_of
from luckin_lab.reporting.headline import SHORT_CHARS, Headline, first_clause, headline_of, title_of
from luckin_lab.reporting.recommendation_log import data_as_of
from luckin_lab.reporting.runs import RunHistory, histories

SELF = "brief"


@dataclass
class ReportStatus:
    report: str
    run: str
    title: str
    group: str
    last_status: str  # of the newest attempt
    folder: Path | None  # latest good run
    headline: Headline | None
    previous: Headline | None  # of the good run before it
    previous_when: dt.date | None
    data_as_of: dt.date | None
    run_started: dt.datetime | None
    run_age_days: float | None  # now - start of the latest good run

    @property
    def change(self) -> str:
        return change_text(self.headline, self.previous, self.previous_when)


def _good(h: RunHistory) -> list[tuple[Path, dict[str, Any]]]:
    """Published runs, newest first (the ``latest`` link's target is the first)."""
    return [(f, r) for f, r in h.records if r.get("status") == "succeeded" and r.get("published")]


def _headline(folder: Path, rec: dict[str, Any]) -> Headline | None:
    metrics = read_json(folder / "results" / "metrics.json")
    return headline_of(str(rec.get("report")), metrics, rec.get("parameters") or {})


def _started(rec: dict[str, Any]) -> dt.datetime | None:
    try:
        t = dt.datetime.fromisoformat(str(rec.get("started")))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def report_statuses(reports_root: Path, now: dt.datetime | None = None,
                    audience: str = "leadership") -> list[ReportStatus]:
    """One entry per report/run of that audience that has run at least once (the brief excluded)."""
    now = now or dt.datetime.now(dt.UTC)
    out = []
    for h in histories(Path(reports_root)):
        if h.report == SELF or audience_of(h) != audience:
            continue
        good = _good(h)
        folder, rec = good[0] if good else (None, {})
        prev_folder, prev_rec = good[1] if len(good) > 1 else (None, {})
        started = _started(rec) if rec else None
        data = rec.get("data") or (read_json(folder / "results" / "provenance.json") if folder else None)
        out.append(ReportStatus(
            report=h.report, run=h.run, title=title_of(h.report),
            group=str((h.last or {}).get("group", "")),
            last_status=str((h.last or {}).get("status", "unknown")),
            folder=folder,
            headline=_headline(folder, rec) if folder else None,
            previous=_headline(prev_folder, prev_rec) if prev_folder else None,
            previous_when=(_started(prev_rec) or now).date() if prev_folder else None,
            data_as_of=data_as_of(data, rec.get("started")) if folder else None,
            run_started=started,
            run_age_days=(now - started).total_seconds() / 86400 if started else None,
        ))
    return out


def _monthly_or_own(h: Headline) -> Headline:
    """The headline in the unit page one prints (USD per month when it can be put so)."""
    return h.monthly() or h


def money_scale(*xs: float | None) -> float:
    """The ``like`` that puts figures on one scale as page one prints money: thousands from
    $1,000 ('$3.5K', not '$3,479')."""
    like = max([abs(x) for x in xs if x is not None] or [0.0])
    return max(like, 1e4) if like >= 1e3 else like


def _fmt(h: Headline, x: float, like: float | None = None) -> str:
    from luckin_lab.reporting import nb

    return (nb.money(x, like=money_scale(x) if like is None else like) if h.is_money
            else f"{x:,.0f} {h.unit}".strip())


_DIGITS = re.compile(r"[\d,.]*\d")


def same_decision(now: Headline, before: Headline) -> bool:
    """Same action: the short decisions agree once their counts are set aside (one customer
    more on a list, or a new week's dates, is not a new decision). A run written before the
    short fields is compared by both decisions' first clauses."""
    if now.short_decision and before.short_decision:
        a, b = now.short_decision, before.short_decision
    else:
        a, b = first_clause(now.decision), first_clause(before.decision)
    return _plain_words(a) == _plain_words(b)


def _plain_words(text: str) -> str:
    """'No action: every store within 10%' -> 'no action every store within #': counts and
    punctuation set aside, so a reworded comma is not a new decision."""
    return " ".join(re.sub(r"[^a-z#]+", " ", _DIGITS.sub("#", text.lower())).split())


def within_range(now: Headline, before: Headline) -> bool:
    """Either run's figure lies inside the other run's interval: the move is within what the
    reports themselves call uncertain, so it is not news."""
    def inside(x: float | None, h: Headline) -> bool:
        return x is not None and h.low is not None and h.high is not None and h.low <= x <= h.high
    return inside(now.value, before) or inside(before.value, now)


def change_text(now: Headline | None, before: Headline | None, when: dt.date | None) -> str:
    """What changed since the previous good run, honestly: a new action, or a figure that moved
    beyond its interval. The same action with a figure inside its range (or a move that rounds
    to nothing) is "no change"; a reversal says what it was and how the figure moved, per month
    as the row prints it, and whether the figure is now measured differently."""
    if now is None:
        return "–"
    if before is None:
        return "no earlier run to compare"
    since = f" since the run of {when.day} {when:%b %Y}" if when else ""
    a, b = _monthly_or_own(now), _monthly_or_own(before)
    comparable = (a.value is not None and b.value is not None and a.unit == b.unit
                  and a.is_profit == b.is_profit)
    if not same_decision(now, before):
        was = (f"was: {before.action}" if len(before.action) <= SHORT_CHARS
               else "a different decision before; its report says which")
        text = f"changed{since} ({was})"
        like = money_scale(a.value, b.value) if comparable else None
        then, now_ = (_fmt(a, b.value, like), _fmt(a, a.value, like)) if comparable else ("", "")
        if then != now_:
            text += f"; figure {then} then, {now_} now"
            if now.what != before.what:
                text += f" (now: {now.what})"
        return text
    if not comparable:
        return f"no change{since}"
    from luckin_lab.reporting import nb

    delta = a.value - b.value
    # at the scale the row prints the figure ($206.1K): a move that rounds to nothing is none
    shown = (nb.money(delta, signed=True, like=money_scale(a.value, b.value)) if a.is_money
             else f"{delta:+,.0f}")
    if shown.lstrip("+-").strip("$") in ("0", "0.0") or delta == 0:
        return f"no change{since}"
    if within_range(a, b):
        return f"no change{since} (figure within its range)"
    beyond = "" if a.low is None and b.low is None else " beyond its range"
    return f"same decision{since}; figure {shown}{beyond} (was {_fmt(a, b.value)})"
