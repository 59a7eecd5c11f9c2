"""The whole brief in one call (the notebook stays thin, the benchmark times it).

Reads the company's figures from the contracts and every leadership report's latest good
run from ``reports/``; fits nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from luckin_lab.brief import kpis as K
from luckin_lab.brief.alerts import Alert, Rules, device_alert, report_alerts, store_alerts
from luckin_lab.brief.followup import follow_up
from luckin_lab.brief.inputs import ReportStatus, money_scale, report_statuses
from luckin_lab.brief.narrative import Narrative, narrative
from luckin_lab.paths import reports_dir
from luckin_lab.reporting import nb
from luckin_lab.reporting.params_models.brief import Params
from luckin_lab.reporting.recommendation_log import read_log
from luckin_lab.sources import DataStore


@dataclass
class Brief:
    period: K.Period
    data_last_day: dt.date  # the last day the company's data covers (ages are counted to it)
    kpis: pd.DataFrame
    stores: pd.DataFrame
    reports: list[ReportStatus]
    alerts: list[Alert]
    standing: list[str]  # chronic conditions said once, not alerted every day
    follow_up: pd.DataFrame
    daily: pd.DataFrame  # date, revenue over the period and its lookback (for the chart)
    facts: list[str]
    narrative: Narrative | None
    seconds: float

    @property
    def word(self) -> str:
        """'on Fri 13 Feb' / 'in the week to 15 Feb': the data's last period, never 'yesterday'
        (the data may end long before the day the brief is read)."""
        return f"on {self.period.short}" if self.period.days == 1 else f"in {self.period.short}"

    def company_profit_month(self) -> float | None:
        """The company's gross profit per month, from the store sales report's level (None if absent)."""
        return company_profit_month(self.reports)

    def implausible(self, s: ReportStatus) -> bool:
        return implausible(s, self.company_profit_month())


def rules_of(p: Params) -> Rules:
    return Rules(p.store_drop, p.store_drop_noise_sd, p.devices_down_max, p.devices_down_jump,
                 p.stale_grace_days)


def build_brief(store: DataStore, p: Params, now: dt.datetime | None = None) -> Brief:
    """Everything page one shows, except the summary (see :func:`add_narrative`)."""
    t0 = time.perf_counter()
    root = Path(p.reports_root) if p.reports_root else reports_dir()
    last_day = p.as_of or K.last_data_day(store)
    period = K.brief_period(store, p.period, last_day)
    data = K.load_kpi_data(store, period, p.blip_hours)
    stores = K.store_vs_baseline(data, period)
    rules = rules_of(p)
    word = f"on {period.short}" if period.days == 1 else f"in {period.short}"
    alerts = store_alerts(stores, rules, word)
    below = sum(a.kind == "store_drop" for a in alerts)
    table = K.kpi_table(data, period, below)
    table.loc[table.kpi == "stores_below_baseline", "label"] = (
        f"Stores alerting ({nb.pct(rules.store_drop, 0)} below)")
    device_alerts, standing = device_alert(table, rules, K.day_series(data, period.end),
                                           period.start)
    alerts += device_alerts
    statuses = report_statuses(root, now)
    alerts += report_alerts(statuses, rules, last_day)
    alerts += implausible_alerts(statuses)
    done = follow_up(read_log(root), store, period.end, p.blip_hours)
    daily = data.orders.groupby("date", as_index=False).pay_amount.sum().rename(
        columns={"pay_amount": "revenue"})
    b = Brief(period, last_day, table, stores, statuses, alerts, standing, done, daily, [], None, 0.0)
    b.facts = facts(b)
    b.seconds = time.perf_counter() - t0
    return b


STORE_LEVEL = "store_trends"  # its figure is the company's gross profit, a level, not an effect


def company_profit_month(reports: list[ReportStatus]) -> float | None:
    """The company's gross profit per month: the store sales report's weekly level x 4.35."""
    for s in reports:
        h = s.headline
        if s.report == STORE_LEVEL and h is not None and h.is_profit and h.monthly() is not None:
            return h.monthly().value
    return None


def implausible(s: ReportStatus, company_month: float | None) -> bool:
    """A report's profit per month above the company's whole monthly gross profit cannot be
    explained on this page: it is flagged, never shown as a prize."""
    h = s.headline
    if company_month is None or h is None or not h.is_profit or s.report == STORE_LEVEL:
        return False
    m = h.monthly()
    return m is not None and m.value is not None and abs(m.value) > company_month


def implausible_alerts(reports: list[ReportStatus]) -> list[Alert]:
    company = company_profit_month(reports)
    out = []
    for s in reports:
        if implausible(s, company):
            m = s.headline.monthly()
            out.append(Alert(
                "implausible_figure", s.title,
                f"its figure, {nb.money(m.value)} profit per month, is more than the company's whole "
                f"gross profit per month ({nb.money(company)}); it is not shown until the report "
                "is checked.",
                "a report's profit per month may not exceed the company's monthly gross profit",
                "figure needs checking"))
    return out


def _lower(text: str) -> str:
    """'Send 4 technicians' -> 'send 4 technicians' (a name or 'JFK' keeps its capital)."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def actions(b: Brief) -> tuple[list[ReportStatus], list[tuple[str, str]]]:
    """The decisions to act on today (profit clearly positive, figure explainable), largest
    first, and the other rows with why each is not among them."""
    do, skip = [], []
    for s in b.reports:
        h = s.headline
        m = h.monthly() if h else None
        if h is None:
            skip.append((s.title, "no successful run yet" if not s.folder else "no headline recorded"))
        elif s.report == STORE_LEVEL and h.decision.startswith("No action"):
            continue  # a level, not a decision; nothing to act on
        elif s.report == STORE_LEVEL:
            skip.append((s.title, _lower(h.action) + ": no profit figure"))
        elif any(a.kind == "stale_report" and a.subject == s.title for a in b.alerts):
            skip.append((s.title, "its data are too old: rerun it first"))
        elif h.action.startswith(("Keep", "No action", "Do not")):
            skip.append((s.title, _lower(re.sub(r"\s*\([^)]*\)", "", h.action))))
        elif b.implausible(s):
            skip.append((s.title, "figure above the company's gross profit: to be checked"))
        elif not h.is_profit or m is None or m.estimate is None:
            skip.append((s.title, "no profit range"))
        elif not m.estimate.low > 0:
            skip.append((s.title, "profit range includes a loss"))
        else:
            do.append(s)
    do.sort(key=lambda s: -s.headline.monthly().value)
    return do, skip


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _repeat_words(unit: str) -> str:
    """' if repeated every 7 days' for a plan over the next N days ('' for a recurring figure)."""
    plan = _PLAN_DAYS.match(unit)
    return f" if repeated every {plan.group(1)} days" if plan else ""


def facts(b: Brief) -> list[str]:
    """The summary's raw material: sentences holding only figures the page shows, the decision first."""
    do, skip = actions(b)
    out = []
    if do:  # every clear gain, largest first: none is left out (the ranges are in the table)
        todo = "; ".join(f"{s.title.lower()}, {_with_interval(s.headline.monthly()).partition(' (')[0]}"
                         + _repeat_words(s.headline.unit) + f": {_lower(s.headline.action)}"
                         for s in do)
        out.append(f"To do today, each a clear profit gain per month: {todo}")
    else:
        out.append("No report has a profit gain clear enough to act on today")
    if skip:  # one reason once: 'Coupon targeting and Where to open next (profit range includes a loss)'
        by_why: dict[str, list[str]] = {}
        for title, why in skip:
            by_why.setdefault(why, []).append(title)
        out.append("Not acted on: " + "; ".join(f"{_and(titles)} ({why})" for why, titles in by_why.items()))
    if b.alerts:
        said = ", ".join(dict.fromkeys(f"{a.subject} ({a.short})" if a.short else a.subject
                                       for a in b.alerts))
        n = len(b.alerts)
        out.append(f"{n} alert{'s' if n > 1 else ''}: {said}")
    else:
        out.append("No alert fired")
    k = b.kpis.set_index("kpi")
    rev = k.loc["revenue"]
    out.append(f"Revenue {b.word} was {nb.money(rev.value)} "
               f"({nb.pct(rev.base_28d_change, 0, signed=True)} on the 28-day baseline)")
    return out


def add_narrative(b: Brief, page_text: str, timeout_s: float) -> Brief:
    b.narrative = narrative(b.facts, page_text, timeout_s)
    return b


def _money(x: float, like: float) -> str:
    return nb.money(x, like=like)


def _with_interval(h) -> str:
    """One scale for the figure and its range, in thousands from $1,000 ('$2.7K ($1.8K to $3.6K)')."""
    like = money_scale(h.low, h.high, h.value)
    text = _money(h.value, like)
    if h.low is not None and h.high is not None:
        text += f" ({_money(h.low, like)} to {_money(h.high, like)})"
    return text


def money_per_month(h) -> tuple[str, str]:
    """The block's money in ONE unit, USD per month, and a note on what the figure is.

    ('$3.5K (-$1K to $8K)', 'margin change at the recommended prices; report: $812 per week').
    A figure that is not money, or not profit, says so in the note; a one-off total
    (no period) is shown as it is and named so.
    """
    if h.value is None:
        return "no figure", h.what
    if not h.is_money:
        return "not money", f"{nb.num(h.value)} {h.unit}: {h.what}"
    if h.value == h.low == h.high == 0:
        return "$0", "nothing to change"
    m = h.monthly()
    if m is None:
        notes = [h.what, "a one-off total, not per month"]
        main = _with_interval(h)
    else:
        # what the figure is (profit kept against no action, a level...): the report's short note,
        # else its figure's name without the period (the row puts it per month)
        notes = [h.short_note or _PERIOD_WORDS.sub("", h.what).strip(" ,")]
        main = _with_interval(m)
        if h.unit != "USD per month":
            notes.append(f"report: {_money(h.value, h.value)} {h.unit.removeprefix('USD').strip()}")
        plan = _PLAN_DAYS.match(h.unit)
        if plan:
            notes[-1] += f" (× {h.per_month:.2f} only if repeated)"
    if not h.is_profit and "not profit" not in h.what:
        notes.insert(0, "revenue, not profit")
    return main, "; ".join(n for n in notes if n)


# a plan over the next N days (not a recurring weekly figure): put per month only if repeated
_PLAN_DAYS = re.compile(r"^USD per (\d+) days$")

# the period a figure's name carries, dropped once the figure is put per month
_PERIOD_WORDS = re.compile(r"\b\d+-month |,? ?\b(?:per (?:day|week|month|year)|over \d+ days"
                           r"|week of \d{4}-\d{2}-\d{2})\b")


def profit_text(h) -> str:
    """'$5.1K per month (-$9.9K to $20.0K)' / 'not money: 173 cups...': one phrase for prose."""
    main, note = money_per_month(h)
    if main in ("no figure", "not money"):
        return f"{main}: {note}" if note else main
    if main == "$0":
        return "$0: nothing to change"
    m = h.monthly() or h
    head, sep, rest = _with_interval(m).partition(" (")
    text = head + (" per month" if m is not h else "") + (sep + rest if sep else "")
    return text + ("" if h.is_profit else ", revenue not profit")


def write_results(b: Brief, results: nb.Results) -> None:
    """Tables, metrics.json and brief.json (what the outbox renders) for the run."""
    results.table("kpis", b.kpis)
    results.table("store_vs_baseline", b.stores)
    results.table("alerts", pd.DataFrame([a.to_dict() for a in b.alerts],
                                         columns=["kind", "subject", "message", "rule", "short"]))
    results.table("report_blocks", blocks_frame(b))
    results.table("follow_up", b.follow_up)
    results.metrics({
        "period_start": b.period.start.isoformat(), "period_end": b.period.end.isoformat(),
        "n_alerts": len(b.alerts),
        "alerts_by_kind": pd.Series([a.kind for a in b.alerts], dtype=object).value_counts().to_dict(),
        "reports": len(b.reports), "narrative_source": b.narrative.source if b.narrative else None,
        "build_seconds": b.seconds,
    })


def how_sure(text: str) -> str:
    """'no detectable effect (the 90 % interval includes zero)' -> 'no detectable effect': the
    range beside it shows the interval; the method section says what the words mean. Whole
    clauses only: the text is split at a clause, never cut inside one."""
    words = re.sub(r"\s*\([^)]*\)", "", str(text))
    # '..., but the 95 % interval includes zero': the range column beside it shows that
    return re.split(r",? but |,? though |; ", words, maxsplit=1)[0] or str(text)


def blocks_frame(b: Brief) -> pd.DataFrame:
    """One row per report: what page one prints in its block (``decision``, ``impact``,
    ``impact_note``, ``how_sure``, ``change``), with the report's whole decision and certainty
    words beside them (``decision_in_full``, ``confidence``)."""
    rows = []
    company = b.company_profit_month()
    for s in b.reports:
        h = s.headline
        age = (b.data_last_day - s.data_as_of).days if s.data_as_of else None
        impact, note = money_per_month(h) if h else ("–", "")
        if implausible(s, company):
            impact = "not shown: needs checking"
            note = (f"report: {_money(h.value, h.value)} {h.unit.removeprefix('USD').strip()}, "
                    f"{profit_text(h)}, more than the company's whole gross profit "
                    f"per month ({nb.money(company)})")
        missing = ("no headline recorded" if s.folder
                   else f"no successful run yet (last attempt: {s.last_status})")
        rows.append({
            "report": s.title, "run": s.run,
            "decision": h.action if h else missing,
            "impact": impact,
            "impact_note": note,
            "how_sure": how_sure(h.confidence) if h else "–",
            "change": s.change,
            "data_as_of": s.data_as_of.isoformat() if s.data_as_of else None,
            "data_age_days": age,
            "last_status": s.last_status,
            "decision_in_full": h.decision if h else missing,
            "confidence": h.confidence if h else "–",
        })
    return pd.DataFrame(rows, columns=["report", "run", "decision", "impact", "impact_note", "how_sure",
                                       "change", "data_as_of", "data_age_days", "last_status",
                                       "decision_in_full", "confidence"])


def brief_json(b: Brief, page_html: str) -> str:
    """The page as data for the outbox (no secrets: only what the page shows)."""
    return json.dumps({
        "period": b.period.label, "narrative": b.narrative.text if b.narrative else "",
        "alerts": [a.to_dict() for a in b.alerts],
        "reports": blocks_frame(b).to_dict(orient="records"),
        "page_html": page_html,
    }, indent=2, default=str)


def run_brief(p: Params, results: nb.Results, now: dt.datetime | None = None
              ) -> tuple[Brief, DataStore]:
    """Build the brief, write its summary and every result file; the notebook shows it."""
    from luckin_lab.brief import page
    from luckin_lab.sources import open_store

    store = open_store(p.source or None)
    b = build_brief(store, p, now)
    add_narrative(b, page.page_text(page.body_html(b)) + " " + " ".join(b.facts), p.llm_timeout_s)
    write_results(b, results)
    (results.dir / "brief.json").write_text(brief_json(b, page.page_html(b)))
    fig = page.revenue_figure(b)
    fig.savefig(results.dir / page.CHART)
    import matplotlib.pyplot as plt

    plt.close(fig)
    results.provenance(store, data_window=(b.period.start, b.period.end))
    return b, store
