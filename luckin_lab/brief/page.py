"""Page one of the brief as one HTML fragment with inline styles.

Inline styles, so the same fragment is the report's page one and the body of the email in
the outbox (mail clients drop style sheets). Every name is escaped.
"""

from __future__ import annotations

import math
import re
from html import escape

import pandas as pd

from luckin_lab.brief.analysis import Brief, blocks_frame
from luckin_lab.brief.kpis import POINTS
from luckin_lab.brief.outbox import CHART  # noqa: F401 - the chart file name run_brief writes
from luckin_lab.reporting import nb

_TABLE = "width:100%;border-collapse:collapse;font-size:8.2pt;margin:2px 0 6px"
_TH = ("text-align:left;background:#e8ecf7;padding:2px 5px;font-weight:bold;"
       "border-bottom:1px solid #c9d1e6")
_TD = "padding:2px 5px;border-bottom:1px solid #e3e6ec;vertical-align:top"
_NUM = _TD + ";text-align:right;white-space:nowrap"
_H = "font-size:10.5pt;color:#1f3a93;margin:7px 0 2px;border-bottom:1px solid #c9d1e6"
_MUTED = "color:#5f6b7a;font-size:8pt"
OLD_DATA_DAYS = 31  # a report's data older than a month is flagged in red


def _cells(values: list[str], styles: list[str], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag} style='{s}'>{v}</{tag}>" for v, s in zip(values, styles,
                                                                                  strict=True)) + "</tr>"


def _kpi_value(key: str, v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if key == "revenue":
        return nb.money(v)
    if key == "aov":
        return nb.money(v, 2)
    if key == "share_devices_down":
        return nb.pct(v, 0)
    return nb.num(v)


def _change(key: str, d: float) -> str:
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return "–"
    if key in POINTS:
        pts = round(d * 100)
        return "0 pts" if pts == 0 else f"{pts:+d} pts"
    return nb.pct(d, 0, signed=True)


def _colour(key: str, d: float) -> str:
    """Red when a figure moved the bad way by more than 10 % (or 10 points), green the good way."""
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return ""
    bad_up = key in ("share_devices_down", "production_seconds", "stores_below_baseline")
    size = d if key in POINTS else d
    if abs(size) < 0.10:
        return ""
    worse = (size > 0) == bad_up
    return ";color:#c0392b;font-weight:bold" if worse else ";color:#1e7d6f"


def kpi_html(b: Brief) -> str:
    day = b.period.days == 1
    heads = ["", "Yesterday" if day else "Last week", "vs 7 days before" if day else "vs week before",
             "vs 28 days before" if day else "vs 4 weeks before",
             f"vs same {'weekday' if day else 'week'} last month"]
    rows = [_cells(heads, [_TH] + [_TH + ";text-align:right"] * 4, "th")]
    for r in b.kpis.itertuples():
        changes = [(_change(r.kpi, getattr(r, f"{n}_change", float("nan"))),
                    _colour(r.kpi, getattr(r, f"{n}_change", float("nan"))))
                   for n in ("base_7d", "base_28d", "same_day_last_month")]
        if r.kpi == "stores_below_baseline":
            changes = [("–", "")] * 3
        rows.append(_cells([escape(r.label), _kpi_value(r.kpi, r.value)] + [c for c, _ in changes],
                           [_TD, _NUM] + [_NUM + s for _, s in changes]))
    return f"<table style='{_TABLE}'>{''.join(rows)}</table>"


def _no_break(text: str) -> str:
    """A negative amount never splits from its sign: '(-' is not a line-break point."""
    return text.replace("-$", "\u2212$")


def reports_html(b: Brief) -> str:
    f = blocks_frame(b)
    if f.empty:
        return "<p><em>No leadership report has run yet.</em></p>"
    heads = ["Report", "Decision", "Money / effect", "How sure", "Since last run", "Data as of"]
    rows = [_cells(heads, [_TH] * 6, "th")]
    for r in f.itertuples():
        old = not pd.isna(r.data_age_days) and r.data_age_days > OLD_DATA_DAYS
        tone = "color:#c0392b;font-size:8pt;font-weight:bold" if old else _MUTED
        age = "" if pd.isna(r.data_age_days) else f"<br><span style='{tone}'>{int(r.data_age_days)} d old</span>"
        when = "–" if r.data_as_of is None else pd.Timestamp(r.data_as_of).strftime("%d %b")
        rows.append(_cells(
            [f"<b>{escape(r.report)}</b>", escape(r.decision), _no_break(escape(r.impact)),
             escape(r.confidence), escape(r.change), when + age],
            [_TD + ";width:12%", _TD + ";width:33%", _TD + ";width:18%", _TD + ";width:17%",
             _TD + ";width:12%", _TD + ";white-space:nowrap"]))
    return f"<table style='{_TABLE}'>{''.join(rows)}</table>"


def alerts_html(b: Brief) -> str:
    if not b.alerts:
        return "<p style='margin:2px 0 8px'>No alert fired.</p>"
    items = "".join(
        f"<li style='margin:1px 0'><b style='color:#c0392b'>{escape(a.subject)}</b>: "
        f"{escape(a.message)} <span style='{_MUTED}'>Rule: {escape(a.rule)}.</span></li>"
        for a in b.alerts)
    return f"<ul style='margin:2px 0 8px;padding-left:18px;font-size:9pt'>{items}</ul>"


def summary_html(b: Brief) -> str:
    text = escape(b.narrative.text if b.narrative else " ".join(b.facts))
    return (f"<div style='border-left:4px solid #1f3a93;background:#f4f6fb;padding:6px 10px;"
            f"margin:2px 0 6px;font-size:9.8pt'><b>In short.</b> {text}</div>")


def body_html(b: Brief) -> str:
    """Page one without the summary (the summary is checked against this text)."""
    n = len(b.alerts)
    return (
        f"<div style='font-size:9.5pt'>"
        f"<h3 style='{_H}'>Decisions from the reports</h3>{reports_html(b)}"
        f"<h3 style='{_H}'>Alerts ({n})</h3>{alerts_html(b)}"
        f"<h3 style='{_H}'>The company, {escape(b.period.label)}</h3>{kpi_html(b)}</div>"
    )


def page_html(b: Brief) -> str:
    return summary_html(b) + body_html(b)


def page_text(html: str) -> str:
    """The visible text of a fragment (what the summary's numbers are checked against)."""
    return re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").replace("&amp;", "&")


def follow_up_intro(b: Brief) -> str:
    n = len(b.follow_up)
    if not n:
        return ("No recommendation's follow-up window has passed yet: the log starts with the "
                "first leadership runs, and each recommendation is checked once its window "
                "(a week for maintenance, four weeks for prices, a month for coupons) is over.")
    return (f"{n} recommendation{'s' if n > 1 else ''} reached the end of {'their' if n > 1 else 'its'} "
            "follow-up window. Where the tables can count the outcome (device failures after a "
            "maintenance plan), the observed figure stands next to the expected one; a profit "
            "effect needs a comparison group and is not guessed from a before/after difference.")


def follow_up_table(b: Brief) -> object:
    f = b.follow_up
    if f.empty:
        return nb.md("*Nothing to follow up yet.*")
    view = f.rename(columns={"report": "Report", "recommended": "Data as of", "what": "Recommendation",
                             "due": "Window ended", "result": "What happened"})
    return nb.show_table(view[["Report", "Data as of", "Recommendation", "Window ended", "What happened"]])


def stores_table(b: Brief) -> object:
    s = b.stores.assign(
        change=lambda d: d["change"],
        mature=lambda d: d["mature"].map({True: "yes", False: "no (young store)"}),
    )[["store", "revenue", "baseline", "baseline_sd", "change", "mature"]]
    s = s.rename(columns={"store": "Store", "revenue": "Revenue", "baseline": "Baseline",
                          "baseline_sd": "Usual spread", "change": "Change", "mature": "Alerts apply"})
    return nb.show_table(s, formats={"Revenue": "money", "Baseline": "money",
                                     "Usual spread": "money", "Change": "pct"})


def method_text(b: Brief, p: object) -> str:
    word = "day" if b.period.days == 1 else "week"
    llm = ("an AI summary service wrote the summary from the page's own figures; it was checked "
           "so that every number it states is on the page"
           if b.narrative and b.narrative.source == "llm" else
           "the summary is written by a fixed template from the page's own figures"
           + (f" ({b.narrative.note})" if b.narrative and b.narrative.note else ""))
    return (
        f"- **The company's figures** come straight from the sales, customer, production and "
        f"equipment tables for the last {word} the data covers, against the average {word} of the "
        "7 and 28 days before it and the same period four weeks earlier. Revenue is what customers "
        "paid on completed US-dollar orders.\n"
        "- **A device is down** when it has been offline for at least "
        f"{p.blip_hours:g} hours (shorter gaps are connectivity blips).\n"
        "- **Each report's block** repeats its last good run's headline: the decision, its money "
        "with the interval, and how sure the report is, in its own words. The brief fits no "
        "model of its own and never reruns a report.\n"
        "- **Alerts**: a mature store more than "
        f"{nb.pct(p.store_drop, 0)} under its 28-day baseline and beyond {p.store_drop_noise_sd:g} "
        f"times its usual spread; more than {nb.pct(p.devices_down_max, 0)} of devices down, or "
        f"the share down up {p.devices_down_jump * 100:.0f} points on its 7-day baseline; a report "
        f"older than its schedule plus {p.stale_grace_days:g} day; a run that failed.\n"
        f"- **Summary**: {llm}."
    )


def data_text(store: object, b: Brief) -> str:
    excl = store.exclusions_frame()
    parts = "; ".join(f"{nb.num(r.rows)} {r.reason}" for r in excl.itertuples()) or "none"
    return (f"Period: {b.period.start} to {b.period.end}, with a 28-day lookback. Rows excluded "
            f"from revenue: {parts}. The reports' figures are as their own runs recorded them; "
            "each block gives the age of its data.")





def revenue_figure(b: Brief):
    """Daily revenue over the period and its 28-day lookback, the period shaded."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    from luckin_lab.reporting.charts import axis_formatter

    d = b.daily.assign(date=lambda x: pd.to_datetime(x["date"])).sort_values("date")
    fig, ax = plt.subplots(figsize=(7.5, 2.4))
    ax.plot(d["date"], d["revenue"], color=nb.ACCENT, lw=1.6, label="revenue per day")
    ax.plot(d["date"], d["revenue"].rolling(7, min_periods=7).mean(), color=nb.NEUTRAL, lw=1.2,
            ls="--", label="7-day average")
    ax.axvspan(pd.Timestamp(b.period.start) - pd.Timedelta(hours=12),
               pd.Timestamp(b.period.end) + pd.Timedelta(hours=12), color=nb.PALETTE[1], alpha=0.15,
               label="this brief's period")
    ax.yaxis.set_major_formatter(axis_formatter("money"))
    ax.set_ylim(bottom=0)
    ax.set_title("Revenue per day, all stores (USD)")
    ax.legend(loc="lower left", ncol=3)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=7))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
    return fig


def show(fragment: str) -> object:
    """Display an HTML fragment in the notebook (page one is one fragment, inline-styled)."""
    from IPython.display import HTML

    return HTML(fragment)
