"""``reports/index.html``: the front page. Every report in plain words, its latest headline,
how old its data is, whether its last run worked, links and history; analyst runs apart.

Regenerated after every run from the run records on disk, so it can never disagree with them.
Every name is HTML-escaped (and URL-quoted in links) and the file is replaced atomically, so
a run name cannot inject markup and a reader never sees half a page.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from urllib.parse import quote

from luckin_lab.atomic import read_json, write_text_atomic
from luckin_lab.paths import params_dir
from luckin_lab.reporting.audience import ANALYST, LEADERSHIP, audience_of, params_audience
from luckin_lab.reporting.headline import Headline, headline_of, title_of
from luckin_lab.reporting.params import discover
from luckin_lab.reporting.recommendation_log import data_as_of
from luckin_lab.reporting.render_pip import CSS_PATH
from luckin_lab.reporting.runs import RunHistory, histories

_STATUS_COLOUR = {"succeeded": "#2a9d8f", "failed": "#c0392b", "running": "#e07b39"}

_INDEX_CSS = """
.ll-status { display: inline-block; padding: 1px 7px; border-radius: 8px; color: #fff;
             font-size: 8pt; font-weight: bold; }
main.ll-report { max-width: 1100px; }
details { margin: 2px 0; } summary { cursor: pointer; color: #1f3a93; }
table.ll-index td { text-align: left !important; vertical-align: top; }
table.ll-index td.ll-nowrap { white-space: nowrap; }
.ll-headline { font-size: 9pt; } .ll-figure { color: #5f6b7a; font-size: 8.5pt; }
table.ll-history { width: 100%; font-size: 8pt; border-collapse: collapse; }
table.ll-history td { padding: 1px 4px; border-bottom: 1px solid #eef0f3; white-space: nowrap; }
"""

_e = html.escape


def _href(*parts: str) -> str:
    """A relative link from path parts: each URL-quoted, then attribute-escaped."""
    return _e("/".join(quote(p, safe="") for p in parts))


def _badge(status: str) -> str:
    colour = _STATUS_COLOUR.get(status, "#7f8c8d")
    return f"<span class='ll-status' style='background:{colour}'>{_e(status)}</span>"


def _when(rec: dict) -> str:
    started = rec.get("started") or ""
    try:
        return dt.datetime.fromisoformat(started).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return _e(str(started))


def _seconds(value: object) -> str:
    return f"{value:.1f} s" if isinstance(value, int | float) else "–"


def _links(root: Path, folder: Path) -> str:
    rel = folder.relative_to(root).parts
    parts = [
        f"<a href='{_href(*rel, name)}'>{label}</a>"
        for name, label in (("report.html", "HTML"), ("report.pdf", "PDF"), ("run.json", "record"))
        if (folder / name).exists()
    ]
    return " · ".join(parts)


def _headline_cell(h: Headline | None) -> str:
    if h is None:
        return "<em>no headline recorded</em>"
    figure = ""
    if h.value is not None:
        from luckin_lab.reporting import nb

        value = nb.money(h.value) if h.is_money else f"{h.value:,.0f}"
        unit = h.unit.replace("USD", "").strip()
        kind = "" if h.is_profit or not h.is_money else " (revenue)"
        figure = (f"<div class='ll-figure'>{_e(h.figure)}: {_e(value)} {_e(unit)}{kind}"
                  f" · {_e(h.confidence)}</div>")
    return f"<div class='ll-headline'>{_e(h.decision)}</div>{figure}"


def _row(root: Path, h: RunHistory) -> str:
    last = h.last or {}
    run_parts = h.folder.relative_to(root).parts
    headline, as_of = None, "–"
    if h.latest is not None:
        good = (f"<a href='{_href(*run_parts, 'latest', 'report.html')}'>HTML</a> · "
                f"<a href='{_href(*run_parts, 'latest', 'report.pdf')}'>PDF</a>"
                f"<br><small>{_e(h.latest.name)}</small>")
        rec = next((r for f, r in h.records if f.resolve() == h.latest.resolve()), {})
        metrics = read_json(h.latest / "results" / "metrics.json")
        headline = headline_of(h.report, metrics, rec.get("parameters") or {})
        data = rec.get("data") or read_json(h.latest / "results" / "provenance.json")
        if rec:
            as_of = data_as_of(data, rec.get("started")).isoformat()
    else:
        good = "<em>no successful run yet</em>"
    history = "".join(
        f"<tr><td>{_e(folder.name)}</td><td>{_badge(str(rec.get('status', '?')))}</td>"
        f"<td>{_seconds(rec.get('duration_s'))}</td><td>{_links(root, folder)}</td>"
        f"<td>{_e(str((rec.get('error') or {}).get('ename', '')))}</td></tr>"
        for folder, rec in h.records
    )
    return (
        f"<tr><td><b>{_e(title_of(h.report))}</b><br><small>{_e(h.run)} · "
        f"{_e(str(last.get('group', '')))}</small></td>"
        f"<td>{_headline_cell(headline)}</td><td class='ll-nowrap'>{_e(as_of)}</td>"
        f"<td class='ll-nowrap'>{_badge(str(last.get('status', '?')))}<br><small>{_when(last)}</small></td>"
        f"<td class='ll-nowrap'>{good}</td>"
        f"<td><details><summary>{len(h.records)} run(s)</summary>"
        f"<table class='ll-history'>{history}</table></details></td></tr>"
    )


def _never_run(report: str, run: str) -> str:
    return (f"<tr><td><b>{_e(title_of(report))}</b><br><small>{_e(run)}</small></td>"
            "<td></td><td></td><td><em>never run</em></td><td></td><td></td></tr>")


def _table(rows: str, empty: str) -> str:
    body = rows or f"<tr><td colspan='6'><em>{empty}</em></td></tr>"
    return ("<table class='ll-table ll-index'><thead><tr><th>Report</th><th>Latest headline</th>"
            "<th>Data as of</th><th>Last attempt</th><th>Latest good report</th><th>History</th>"
            f"</tr></thead><tbody>{body}</tbody></table>")


def _sort_key(h: RunHistory) -> tuple:
    return (h.report != "brief", title_of(h.report), h.run)  # the brief first


def write_index(root: Path) -> Path:
    """Write ``<root>/index.html`` (atomically) from the run records under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    found = sorted(histories(root), key=_sort_key)
    rows = {LEADERSHIP: "", ANALYST: ""}
    for h in found:
        rows[ANALYST if audience_of(h) == ANALYST else LEADERSHIP] += _row(root, h)
    seen = {(h.report, h.run) for h in found}
    for p in discover(params_dir()):
        if (p.parent.name, p.stem) not in seen:
            aud = params_audience(p.parent.name, p.stem)
            rows[ANALYST if aud == ANALYST else LEADERSHIP] += _never_run(p.parent.name, p.stem)
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Luckin Lab reports</title>"
        f"<style>{CSS_PATH.read_text()}{_INDEX_CSS}</style></head><body><main class='ll-report'>"
        "<header class='ll-cover'><div class='ll-brand'>Luckin Coffee USA · Data Science</div>"
        "<h1 class='ll-title'>Reports</h1>"
        f"<div class='ll-subtitle'>The latest successful run of every scheduled report · updated {now}</div>"
        "</header><h2>For leadership</h2>"
        f"{_table(rows[LEADERSHIP], 'No runs yet: make reports.')}"
        "<h2>Analyst runs</h2><p class='ll-note'>Worked examples and other data sets; not in the brief.</p>"
        f"{_table(rows[ANALYST], 'No analyst runs.')}"
        "</main></body></html>\n"
    )
    return write_text_atomic(root / "index.html", page)
