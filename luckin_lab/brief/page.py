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
from luckin_lab.brief.kpis import POINTS, day_text
from luckin_lab.brief.outbox import CHART  # noqa: F401 - the chart file name run_brief writes
from luckin_lab.reporting import nb
from luckin_lab.reporting.markdown import Block, typst_string
from luckin_lab.transforms.sales import ALERT_DROP as SALES_ALERT_DROP
from luckin_lab.transforms.sales import MATURE_WEEKS

_TABLE = "width:100%;border-collapse:collapse;font-size:7.8pt;line-height:1.15;margin:2px 0 4px"
_TH = ("text-align:left;background:#e8ecf7;padding:1.5px 4px;font-weight:bold;"
       "border-bottom:1px solid #c9d1e6")
_TD = "padding:1.5px 4px;border-bottom:1px solid #e3e6ec;vertical-align:top"
_NUM = _TD + ";text-align:right;white-space:nowrap"
_H = "font-size:10.5pt;color:#1f3a93;margin:6px 0 2px;border-bottom:1px solid #c9d1e6;break-after:avoid"
_MUTED = "color:#5f6b7a;font-size:7.4pt"
OLD_DATA_DAYS = 8  # a report's data this much older than the brief's are shown in red
MONEY_HEAD = "Profit per month (range)"


def _old(age: object) -> bool:
    return not pd.isna(age) and age > OLD_DATA_DAYS


def _data_when(r: object) -> str:
    """'13 Feb' or '13 Feb (60 days before)': the age is said only when it is not the same day."""
    if r.data_as_of is None or pd.isna(r.data_as_of):
        return "–"
    d = pd.Timestamp(r.data_as_of)
    when = f"{d.day} {d:%b}"
    age = r.data_age_days
    if pd.isna(age) or int(age) <= 0:
        return ""  # same day as the brief's data (the banner says it): nothing to add
    return f"{when} ({int(age)} day{'s' if int(age) != 1 else ''} old)"


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


def _kpi_heads(b: Brief) -> list[str]:
    day = b.period.days == 1
    return ["", b.period.short if day else "Last week", "vs 7-day avg" if day else "vs prior week",
            "vs 28-day avg" if day else "vs 4-week avg", "vs 4 weeks ago"]


def _kpi_halves(b: Brief) -> list[pd.DataFrame]:
    """The company's figures in two side-by-side tables (page one stays one page)."""
    k = b.kpis
    half = (len(k) + 1) // 2
    return [k.iloc[:half], k.iloc[half:]]


def _kpi_changes(r: object) -> list[tuple[str, str]]:
    if r.kpi == "stores_below_baseline":
        return [("–", "")] * 3
    return [(_change(r.kpi, getattr(r, f"{n}_change", float("nan"))),
             _colour(r.kpi, getattr(r, f"{n}_change", float("nan"))))
            for n in ("base_7d", "base_28d", "same_day_last_month")]


def kpi_html(b: Brief) -> str:
    tables = []
    for part in _kpi_halves(b):
        # fixed column widths (as the Typst twin's 1.9fr, 1fr x 3, 1.15fr): headings wrap inside
        # their column instead of pushing the right-hand table past the page edge; they sum to
        # 85 %, the cells' padding takes the rest (a fixed layout adds it to each width)
        widths = [27, 14, 14, 14, 16]
        rows = [_cells(_kpi_heads(b), [_TH + f";width:{widths[0]}%"]
                       + [_TH + f";text-align:right;width:{w}%" for w in widths[1:]], "th")]
        for r in part.itertuples():
            changes = _kpi_changes(r)
            rows.append(_cells([escape(r.label), _kpi_value(r.kpi, r.value)] + [c for c, _ in changes],
                               [_TD, _NUM] + [_NUM + s for _, s in changes]))
        tables.append(f"<table style='{_TABLE};table-layout:fixed'>{''.join(rows)}</table>")
    cells = "".join(f"<td style='width:50%;vertical-align:top;padding:0 {4 if n == 0 else 0}px 0 "
                    f"{0 if n == 0 else 4}px'>{t}</td>" for n, t in enumerate(tables))
    return f"<table style='width:100%;border-collapse:collapse;table-layout:fixed'><tr>{cells}</tr></table>"


def _no_break(text: str) -> str:
    """A negative amount never splits from its sign: '(-' is not a line-break point."""
    return text.replace("-$", "\u2212$")


REPORT_HEADS = ["Report and decision", MONEY_HEAD, "How sure", "Since its last run"]


def reports_html(b: Brief) -> str:
    f = blocks_frame(b)
    if f.empty:
        return "<p><em>No leadership report has run yet.</em></p>"
    rows = [_cells(REPORT_HEADS, [_TH] * 4, "th")]
    for r in f.itertuples():
        tone = "color:#c0392b;font-size:8pt;font-weight:bold" if _old(r.data_age_days) else _MUTED
        note = (f"<br><span style='{_MUTED}'>{escape(r.impact_note)}</span>"
                if r.impact_note else "")
        rows.append(_cells(
            [f"<b>{escape(r.report)}</b>: {escape(r.decision)}",
             f"<b>{_no_break(escape(r.impact))}</b>{note}", escape(r.how_sure),
             escape(r.change) + ("" if _data_when(r) in ("–", "") else
                                 f"<br><span style='{tone}'>data up to {escape(_data_when(r))}</span>")],
            [_TD + ";width:34%", _TD + ";width:30%", _TD + ";width:17%", _TD + ";width:19%"]))
    return f"<table style='{_TABLE}'>{''.join(rows)}</table>"


STANDING = "Not new"


def alerts_html(b: Brief) -> str:
    standing = "".join(f"<p style='margin:1px 0 6px;font-size:8.4pt'><b>{STANDING}:</b> {escape(t)}</p>"
                       for t in b.standing)
    if not b.alerts:
        return "<p style='margin:2px 0 8px'>No alert fired.</p>" + standing
    items = "".join(
        f"<li style='margin:1px 0'><b style='color:#c0392b'>{escape(a.subject)}</b>: "
        f"{escape(a.message)} <span style='{_MUTED}'>Rule: {escape(a.rule)}.</span></li>"
        for a in b.alerts)
    return (f"<ul style='margin:2px 0 4px;padding-left:16px;font-size:8.2pt;line-height:1.2'>{items}</ul>"
            + standing)


def summary_html(b: Brief) -> str:
    text = escape(b.narrative.text if b.narrative else " ".join(b.facts))
    return (f"<div style='border-left:4px solid #1f3a93;background:#f4f6fb;padding:6px 10px;"
            f"margin:2px 0 5px;font-size:9.2pt;line-height:1.3'><b>In short.</b> {text}</div>")


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


# -- the same page one for the PDF (Typst): every text is a string literal, never markup ---------

_T = typst_string
_TY_TABLE = ("set text(size: 7.8pt); set par(justify: false, leading: 0.5em); "
             "table(columns: {cols}, inset: (x: 3.5pt, y: 2.1pt), align: {align}, "
             "stroke: (x, y) => if y == 0 {{ (bottom: 1.2pt + ll-accent) }} else "
             "{{ (bottom: 0.5pt + ll-rule) }}, fill: (x, y) => if y == 0 {{ ll-accent-soft }}, "
             "table.header(..{head}.map(h => text(weight: \"bold\", h))), {cells})")


def _ty_cell(*parts: str) -> str:
    """A table cell of Typst code parts (already literals or calls), one per line."""
    parts = tuple(p for p in parts if p)
    return "{" + "; linebreak(); ".join(parts) + "}" if len(parts) > 1 else parts[0]


def _ty_muted(text: str, bold: bool = False, red: bool = False) -> str:
    fill = "ll-bad" if red else "ll-muted"
    weight = ', weight: "bold"' if bold else ""
    return f"text(size: 7pt, fill: {fill}{weight}, {_T(text)})"


def _ty_bad(text: str) -> str:
    return f'text(fill: ll-bad, weight: "bold", {_T(text)})'


def _ty_table(cols: str, align: str, head: list[str], cells: list[str]) -> str:
    head_t = "(" + ", ".join(_T(h) for h in head) + ")"
    return "#{" + _TY_TABLE.format(cols=cols, align=align, head=head_t, cells=", ".join(cells)) + "}"


def reports_typst(b: Brief) -> str:
    f = blocks_frame(b)
    if f.empty:
        return f"#emph({_T('No leadership report has run yet.')})"
    cells = []
    for r in f.itertuples():
        old = _old(r.data_age_days)
        cells += [
            "{" + f"strong({_T(r.report + ':')}); {_T(' ' + r.decision)}" + "}",
            _ty_cell(f"strong({_T(_no_break(r.impact))})",
                     _ty_muted(r.impact_note) if r.impact_note else ""),
            _T(r.how_sure),
            _ty_cell(_T(r.change), "" if _data_when(r) in ("–", "") else
                     _ty_muted("data up to " + _data_when(r), bold=old, red=old)),
        ]
    return _ty_table("(34%, 30%, 17%, 19%)", "left + top", REPORT_HEADS, cells)


def kpis_typst(b: Brief) -> str:
    align = "(x, y) => if x == 0 { left } else { right }"
    tables = []
    for part in _kpi_halves(b):
        cells = []
        for r in part.itertuples():
            cells += [_T(r.label), _T(_kpi_value(r.kpi, r.value))]
            for text, tone in _kpi_changes(r):
                fill = "ll-bad" if "c0392b" in tone else "ll-good" if tone else ""
                cells.append(f'text(fill: {fill}, weight: "bold", {_T(text)})' if fill else _T(text))
        tables.append(_ty_table("(1.7fr, 1fr, 1fr, 1fr, 1.15fr)", align, _kpi_heads(b), cells)[1:])
    return f"#grid(columns: (1fr, 1fr), column-gutter: 8pt, {tables[0]}, {tables[1]})"


def alerts_typst(b: Brief) -> str:
    standing = "".join(
        f"\n#{{set text(size: 8.1pt); par({{strong({_T(STANDING + ':')}); {_T(' ' + t)}}})}}"
        for t in b.standing)
    if not b.alerts:
        return f"#par({_T('No alert fired.')})" + standing
    items = ", ".join(
        "{" + _ty_bad(a.subject) + f"; {_T(': ' + a.message + ' ')}; " + _ty_muted(f"Rule: {a.rule}.")
        + "}" for a in b.alerts)
    return f"#{{set text(size: 8.3pt); set par(leading: 0.5em); list(tight: true, {items})}}" + standing


def _ty_heading(text: str) -> str:
    return f"#heading(level: 3, {_T(text)})"


def page_one(b: Brief) -> Block:
    """Page one in both renderers: the inline-styled HTML (also the email) and the Typst twin."""
    summary = b.narrative.text if b.narrative else " ".join(b.facts)
    typst = "\n".join([
        f"#{{set text(size: 9.2pt); ll-callout(\"note\", \"In short.\", {_T(summary)})}}",
        _ty_heading("Decisions from the reports"), reports_typst(b),
        _ty_heading(f"Alerts ({len(b.alerts)})"), alerts_typst(b),
        _ty_heading(f"The company, {b.period.label}"), kpis_typst(b),
    ])
    return Block(page_html(b), typst, page_text(page_html(b)))


def new_page(title: str) -> Block:
    """A section that starts on a new page in both renderers (page one stays one page)."""
    return Block(f"<h2 style='break-before:page'>{escape(title)}</h2>",
                 f"#pagebreak(weak: true)\n#heading(level: 2, {_T(title)})", title)


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
    f = f.assign(**{c: f[c].map(lambda d: day_text(pd.Timestamp(d).date()) if pd.notna(d) else "–")
                    for c in ("recommended", "due") if c in f})
    view = f.rename(columns={"report": "Report", "recommended": "Data as of", "what": "Recommendation",
                             "due": "Window ended", "result": "What happened"})
    return nb.show_table(view[["Report", "Data as of", "Recommendation", "Window ended", "What happened"]])


def stores_table(b: Brief) -> object:
    s = b.stores.assign(
        change=lambda d: d["change"],
        mature=lambda d: d["mature"].map({True: "yes", False: f"no (open {MATURE_WEEKS} weeks or less)"}),
    )[["store", "weeks_open", "revenue", "baseline", "baseline_sd", "change", "mature"]]
    s = s.rename(columns={"store": "Store", "weeks_open": "Weeks open", "revenue": "Revenue",
                          "baseline": "Baseline", "baseline_sd": "Usual spread", "change": "Change",
                          "mature": "Alerts apply"})
    s["Change"] = s["Change"].map(lambda x: nb.pct(x, 1, signed=True))
    return nb.show_table(s, formats={"Revenue": "money", "Baseline": "money",
                                     "Usual spread": "money"})


def stores_intro(b: Brief, p: object) -> str:
    """Which window the table compares, and why its threshold is not the store sales report's."""
    span = (f"on {b.period.short} with its average day over the 28 days before"
            if b.period.days == 1 else f"in {b.period.short} with its average week over the 4 before")
    young = b.stores[~b.stores.mature].sort_values("change")
    worst = (f" The largest drop among them: {young.store.iloc[0]}, "
             f"{nb.pct(young.change.iloc[0], 1, signed=True)}." if len(young)
             and young.change.iloc[0] < 0 else "")
    return (  # 'the table below', not a cross-reference: the pip-only renderer prints those as typed
        f"The table below compares each store's revenue {span}. A store alerts when it is more than "
        f"{nb.pct(p.store_drop, 0)} under that and beyond {p.store_drop_noise_sd:g} times its usual "
        "spread. The *Store sales* row uses the last complete week against each store's own 4-week "
        f"average and a {nb.pct(-SALES_ALERT_DROP, 0)} threshold: one day swings more than a week, "
        "so the day's threshold is higher and the two can disagree. A store open "
        f"{MATURE_WEEKS} weeks or less in that week is still settling and never alerts, as in the "
        f"store sales report (weeks open counted the same way).{worst}\n")


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
        "- **Each report's row** repeats its last good run's headline: the decision and what its "
        "figure is, in the report's own short words (its own page, and results/report_blocks.csv, "
        "give the whole sentence), its money with the interval, and how sure the report is. The "
        "brief fits no model of its own and never reruns a report.\n"
        "- **Since its last run**: *no change* when the decision is the same and the figure is "
        "inside the previous run's range (or moved less than the page rounds to); a figure beyond "
        "it is given with the old value; a new decision says what it was before and how the figure "
        "moved.\n"
        "- **Profit per month**: every report's money is put in one unit. A weekly figure is "
        "multiplied by 4.35 (weeks in a month); a plan for the next N days is put per month only "
        "as if it were repeated every N days, and its row says so; a 12-month value is divided "
        "by 12; the report's own figure is printed beside it. A report's profit per month larger "
        "than the company's whole gross profit per month (the Store sales row) is not shown but "
        "flagged for checking. Each figure is the profit the decision keeps or adds against doing "
        "nothing, except Store sales, which is the company's level. Revenue, "
        "and a figure that is not money (such as cups), are marked as such. The range is the "
        "report's own interval (95 %, or 90 % where the report uses 90 %): *clearly a gain* means "
        "it excludes zero, *no detectable effect* that the figure is within one standard error of "
        "zero, *probably a gain* that it leans positive but includes zero.\n"
        "- **Alerts**: a mature store more than "
        f"{nb.pct(p.store_drop, 0)} under its 28-day baseline and beyond {p.store_drop_noise_sd:g} "
        f"times its usual spread; more than {nb.pct(p.devices_down_max, 0)} of devices down, or "
        f"the share down up {p.devices_down_jump * 100:.0f} points on its 7-day baseline; a report "
        f"whose last good run, or whose data, is older than its schedule plus "
        f"{p.stale_grace_days:g} day (data counted against the brief's last day of data); a run "
        "that failed.\n"
        f"- **Summary**: {llm}."
    )


def data_text(store: object, b: Brief) -> str:
    excl = store.exclusions_frame()
    parts = "; ".join(f"{nb.num(r.rows)} {r.reason}" if r.rows else f"no {r.reason.split(':')[0]}"
                      for r in excl.itertuples()) or "none"
    when = (day_text(b.period.end) if b.period.days == 1 else
            f"{day_text(b.period.start)} to {day_text(b.period.end)}")
    return (f"Period: {when}, with a 28-day lookback. Rows excluded "
            f"from revenue: {parts}. The reports' figures are as their own runs recorded them; "
            "each block gives the age of its data.")





def revenue_figure(b: Brief):
    """Daily revenue over the period and its 28-day lookback, the period shaded."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    from luckin_lab.reporting.charts import axis_formatter

    d = b.daily.assign(date=lambda x: pd.to_datetime(x["date"])).sort_values("date")
    fig, ax = plt.subplots(figsize=(7.5, 2.1))
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
    # one tick a week, on the period's own weekday, so the ticks are evenly spaced
    ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=b.period.end.weekday()))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b"))
    return fig
