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
from luckin_lab.reporting.headline import Headline, headline_of, title_of
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


def _fmt(h: Headline, x: float) -> str:
    from luckin_lab.reporting import nb

    return nb.money(x) if h.is_money else f"{x:,.0f} {h.unit}".strip()


_DIGITS = re.compile(r"[\d,.]*\d")


def _short(decision: str, limit: int = 32) -> str:
    """The previous decision's first clause, cut to ``limit`` characters (the column is narrow)."""
    first = re.split(r"[:;]| \(", decision.strip().rstrip("."), maxsplit=1)[0]
    return first if len(first) <= limit else first[: limit - 1].rsplit(" ", 1)[0] + "…"


def change_text(now: Headline | None, before: Headline | None, when: dt.date | None) -> str:
    """What changed since the previous good run, in words (short: the column is narrow)."""
    if now is None:
        return "–"
    if before is None:
        return "first run"
    since = f" since the run of {when.day} {when:%b %Y}" if when else ""
    same_words = _DIGITS.sub("#", now.decision) == _DIGITS.sub("#", before.decision)
    if now.decision != before.decision and not same_words:
        return f"changed{since} (was: {_short(before.decision)})"
    from luckin_lab.reporting import nb

    numbers = "" if now.decision == before.decision else " (counts updated)"
    if now.value is None or before.value is None:
        return f"no change{since}{numbers}"
    delta = now.value - before.value
    shown = nb.money(delta, signed=True, like=now.value) if now.is_money else f"{delta:+,.0f}"
    if shown.lstrip("+-−").strip("$") in ("0", "0.0K", "0K", "0.0M") or delta == 0:
        return f"no change{since}{numbers}"
    return f"figure {shown}{since} (was {_fmt(before, before.value)}){numbers}"
