"""What a renderer needs to know about a run to print the cover, provenance and run details."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from luckin_lab.reporting.provenance import (
    DEMO,
    GENERIC_PREFIX,
    PUBLIC_DEMO_TABLES,
    SOURCE_WORDS,
    stale_days,
)
from luckin_lab.secrets import redact

# Parameters a reader does not need in the run details: set by the runner, or purely technical.
# All parameters stay in run.json.
_HIDDEN = {"source", "results_dir", "seed", "n_jobs", "dml_folds"}
DEFAULT_STALE_AFTER_DAYS = 14
COMPANY_BRAND = "Luckin Coffee USA · Data Science"
GENERIC_BRAND = "Data Science"  # a run on anyone's data names no company


@dataclass
class RenderContext:
    report: str
    run: str
    parameters: dict[str, Any] = field(default_factory=dict)
    data_window: str = ""
    generated_at: str = ""
    data_end: str = ""  # ISO date the data end on ("data as of")
    source_kind: str = ""  # provenance.source_kind of the store the notebook read
    snapshot: str = ""  # extract snapshot id, when the source is one
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS
    run_date: dt.date = field(default_factory=dt.date.today)
    flagged: list[dict[str, Any]] = field(default_factory=list)  # rows kept beyond a plausible bound
    tables: list[str] = field(default_factory=list)  # contract tables the notebook read

    @classmethod
    def for_run(cls, report: str, run: str, parameters: dict[str, Any],
                provenance: dict[str, Any], stale_after_days: int | None = None) -> RenderContext:
        """The context of a finished notebook run, from its provenance.json."""
        now = dt.datetime.now().astimezone()
        snapshot = ((provenance.get("fingerprint") or {}).get("snapshot") or {}).get("id") or ""
        return cls(report, run, parameters,
                   data_window=str(provenance.get("data_window") or ""),
                   generated_at=now.strftime("%Y-%m-%d %H:%M %Z"),
                   data_end=str(provenance.get("data_end") or ""),
                   source_kind=str(provenance.get("source_kind") or ""),
                   snapshot=str(snapshot),
                   stale_after_days=stale_after_days or DEFAULT_STALE_AFTER_DAYS,
                   run_date=now.date(),
                   flagged=list(provenance.get("flagged") or []),
                   tables=sorted((provenance.get("fingerprint") or {}).get("tables") or {}))

    @property
    def is_generic(self) -> bool:
        """The run read only generic contract tables: anyone's data, in the data's own words."""
        return bool(self.tables) and all(t.startswith(GENERIC_PREFIX) for t in self.tables)

    @property
    def brand(self) -> str:
        """The cover's and footer's publisher line: the company only on the company's reports."""
        return GENERIC_BRAND if self.is_generic else COMPANY_BRAND

    @property
    def public_example(self) -> str:
        """What the demo store's real public example is, when that is all the run read."""
        if self.source_kind != DEMO or not self.tables:
            return ""
        words = {PUBLIC_DEMO_TABLES.get(t, "") for t in self.tables}
        return words.pop() if len(words) == 1 else ""

    @property
    def is_demo(self) -> bool:
        """Simulated demo data (watermarked); the demo store's public example is not."""
        return self.source_kind == DEMO and not self.public_example

    @property
    def mark(self) -> str:
        """The watermark on every page: simulated or public data are never company results."""
        return "Demo data" if self.is_demo else "Public data" if self.public_example else ""

    @property
    def source_label(self) -> str:
        """The exact source, for run details (passwords redacted)."""
        source = str(self.parameters.get("source") or "")
        return redact(source) if source else "default demo store"

    @property
    def source_words(self) -> str:
        """The source in plain words, for page one."""
        words = self.public_example or SOURCE_WORDS.get(self.source_kind or "unknown", SOURCE_WORDS["unknown"])
        return f"{words} ({self.snapshot})" if self.snapshot else words

    @property
    def data_as_of(self) -> str:
        """'7 Feb 2026 (window 2025-06-01 to 2026-02-07)', or the window when it has no date."""
        if self.data_end:
            end = dt.date.fromisoformat(self.data_end[:10])
            day = f"{end.day} {end:%b %Y}"
            window = _window_words(self.data_window)
            if not self.data_window or window == day:
                return day  # a one-day window says its day once
            return f"{day} (data from {window})"
        return self.data_window or "not reported by the notebook"

    @property
    def days_stale(self) -> int | None:
        return stale_days(self.data_end, self.run_date)

    @property
    def staleness_warning(self) -> str:
        """A page-one warning when the data end more than ``stale_after_days`` before the run."""
        days = self.days_stale
        if days is None or days <= self.stale_after_days:
            return ""
        return (f"The data end on {self.data_as_of.split(' (')[0]}, {days:,} days before this "
                f"report was generated: every figure describes that period, not this week.")

    @property
    def parameters_label(self) -> str:
        shown = {k: v for k, v in self.parameters.items()
                 if k not in _HIDDEN and v not in (None, "") and v != [] and v != {}}
        return " · ".join(f"{k.replace('_', ' ')}: {_value(v)}" for k, v in shown.items())


_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _window_words(window: str) -> str:
    """'2025-06-01 to 2026-02-07' -> '1 Jun 2025 to 7 Feb 2026' (the pages' one date style);
    a window of one day is that day."""
    def day(m: re.Match) -> str:
        d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return f"{d.day} {d:%b %Y}"
    words = _ISO_DAY.sub(day, window or "")
    a, sep, b = words.partition(" to ")
    return a if sep and a == b else words


def _value(v: Any) -> str:
    """Lists, mappings and switches as a reader writes them, not as Python prints them."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k} {x}" for k, x in v.items())
    return str(v)
