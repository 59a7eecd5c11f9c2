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
from luckin_lab.brief.inputs import ReportStatus, report_statuses
from luckin_lab.brief.narrative import Narrative, narrative
from luckin_lab.paths import reports_dir
from luckin_lab.reporting import nb
from luckin_lab.reporting.certainty import lead_figure
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
    follow_up: pd.DataFrame
    daily: pd.DataFrame  # date, revenue over the period and its lookback (for the chart)
    facts: list[str]
    narrative: Narrative | None
    seconds: float

    @property
    def word(self) -> str:
        """'yesterday' / 'last week', as the page says it."""
        return "yesterday" if self.period.days == 1 else "last week"


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
    word = "yesterday" if period.days == 1 else "last week"
    alerts = store_alerts(stores, rules, word)
    below = sum(a.kind == "store_drop" for a in alerts)
    table = K.kpi_table(data, period, below)
    alerts += device_alert(table, rules)
    statuses = report_statuses(root, now)
    alerts += report_alerts(statuses, rules, last_day)
    done = follow_up(read_log(root), store, period.end, p.blip_hours)
    daily = data.orders.groupby("date", as_index=False).pay_amount.sum().rename(
        columns={"pay_amount": "revenue"})
    b = Brief(period, last_day, table, stores, statuses, alerts, done, daily, [], None, 0.0)
    b.facts = facts(b)
    b.seconds = time.perf_counter() - t0
    return b


def facts(b: Brief) -> list[str]:
    """The summary's raw material: sentences holding only figures the page shows."""
    k = b.kpis.set_index("kpi")
    rev = k.loc["revenue"]
    out = [f"Revenue {b.word} was {nb.money(rev.value)} from {nb.num(k.loc['orders'].value)} "
           f"orders, {nb.pct(rev.base_28d_change, 0, signed=True)} against the 28-day baseline"]
    if b.alerts:
        subjects = ", ".join(dict.fromkeys(a.subject for a in b.alerts))
        n = len(b.alerts)
        out.append(f"{n} alert{'s need' if n > 1 else ' needs'} attention: {subjects}")
    else:
        out.append("No alert fired")
    monthly = {s.title: s.headline.monthly() for s in b.reports if s.headline and s.headline.is_profit}
    profit = {t: m.estimate for t, m in monthly.items() if m is not None and m.estimate}
    lead = lead_figure(profit)
    if lead:
        s = next(r for r in b.reports if r.title == lead)
        out.append(f"The largest clear profit figure: {lead}, {profit_text(s.headline)}")
    else:
        out.append("No report shows a profit effect that is statistically clear")
    return out


def add_narrative(b: Brief, page_text: str, timeout_s: float) -> Brief:
    b.narrative = narrative(b.facts, page_text, timeout_s)
    return b


def _money(x: float, like: float) -> str:
    return nb.money(x, like=like)


def _with_interval(h) -> str:
    """One scale for the figure and its range, in thousands from $1,000 ('$2.7K ($1.8K to $3.6K)')."""
    like = max(abs(h.low or 0), abs(h.high or 0), abs(h.value or 0))
    like = max(like, 1e4) if like >= 1e3 else like
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
        return "no figure", h.figure
    if not h.is_money:
        return "not money", f"{nb.num(h.value)} {h.unit}: {h.figure}"
    if h.value == h.low == h.high == 0:
        return "$0", "nothing to change"
    m = h.monthly()
    if m is None:
        notes = [h.figure, "a one-off total, not per month"]
        main = _with_interval(h)
    else:
        # what the figure is, when the decision alone does not say it: a caveat in brackets
        what = _PERIOD_WORDS.sub("", h.figure).strip(" ,")
        notes = [what] if "(" in what or not h.is_profit else []
        main = _with_interval(m)
        if h.unit != "USD per month":
            notes.append(f"report: {_money(h.value, h.value)} {h.unit.removeprefix('USD').strip()}")
    if not h.is_profit and "not profit" not in h.figure:
        notes.insert(0, "revenue, not profit")
    return main, "; ".join(n for n in notes if n)


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
                                         columns=["kind", "subject", "message", "rule"]))
    results.table("report_blocks", blocks_frame(b))
    results.table("follow_up", b.follow_up)
    results.metrics({
        "period_start": b.period.start.isoformat(), "period_end": b.period.end.isoformat(),
        "n_alerts": len(b.alerts),
        "alerts_by_kind": pd.Series([a.kind for a in b.alerts], dtype=object).value_counts().to_dict(),
        "reports": len(b.reports), "narrative_source": b.narrative.source if b.narrative else None,
        "build_seconds": b.seconds,
    })


def blocks_frame(b: Brief) -> pd.DataFrame:
    """One row per report: what page one prints in its block."""
    rows = []
    for s in b.reports:
        h = s.headline
        age = (b.data_last_day - s.data_as_of).days if s.data_as_of else None
        rows.append({
            "report": s.title, "run": s.run,
            "decision": (h.decision if h else "no headline recorded" if s.folder
                         else f"no successful run yet (last attempt: {s.last_status})"),
            "impact": money_per_month(h)[0] if h else "–",
            "impact_note": money_per_month(h)[1] if h else "",
            "confidence": h.confidence if h else "–",
            "change": s.change,
            "data_as_of": s.data_as_of.isoformat() if s.data_as_of else None,
            "data_age_days": age,
            "last_status": s.last_status,
        })
    return pd.DataFrame(rows, columns=["report", "run", "decision", "impact", "impact_note", "confidence",
                                       "change", "data_as_of", "data_age_days", "last_status"])


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
