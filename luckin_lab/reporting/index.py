"""``reports/index.html``: every report, its latest good run, status, links and history.

Regenerated after every run from the run records on disk, so it can never disagree with them.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from luckin_lab.paths import params_dir
from luckin_lab.reporting.params import discover
from luckin_lab.reporting.render_pip import CSS_PATH
from luckin_lab.reporting.runs import RunHistory, histories

_STATUS_COLOUR = {"succeeded": "#2a9d8f", "failed": "#c0392b", "running": "#e07b39"}

_INDEX_CSS = """
.ll-status { display: inline-block; padding: 1px 7px; border-radius: 8px; color: #fff;
             font-size: 8pt; font-weight: bold; }
main.ll-report { max-width: 1100px; }
details { margin: 2px 0; } summary { cursor: pointer; color: #1f3a93; }
table.ll-index td { text-align: left !important; overflow-wrap: normal; white-space: nowrap; }
table.ll-history { width: 100%; font-size: 8pt; border-collapse: collapse; }
table.ll-history td { padding: 1px 4px; border-bottom: 1px solid #eef0f3; white-space: nowrap; }
"""


def _badge(status: str) -> str:
    colour = _STATUS_COLOUR.get(status, "#7f8c8d")
    return f"<span class='ll-status' style='background:{colour}'>{html.escape(status)}</span>"


def _when(rec: dict) -> str:
    started = rec.get("started") or ""
    try:
        return dt.datetime.fromisoformat(started).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return started


def _seconds(value: object) -> str:
    return f"{value:.1f} s" if isinstance(value, int | float) else "–"


def _links(root: Path, folder: Path) -> str:
    rel = folder.relative_to(root).as_posix()
    parts = [
        f"<a href='{rel}/{name}'>{label}</a>"
        for name, label in (("report.html", "HTML"), ("report.pdf", "PDF"), ("run.json", "record"))
        if (folder / name).exists()
    ]
    return " · ".join(parts)


def _row(root: Path, h: RunHistory) -> str:
    last = h.last or {}
    if h.latest is not None:
        rel = f"{h.folder.relative_to(root).as_posix()}/latest"
        good = (f"<a href='{rel}/report.html'>HTML</a> · <a href='{rel}/report.pdf'>PDF</a>"
                f"<br><small>{html.escape(h.latest.name)}</small>")
    else:
        good = "<em>no successful run yet</em>"
    history = "".join(
        f"<tr><td>{html.escape(folder.name)}</td><td>{_badge(rec.get('status', '?'))}</td>"
        f"<td>{_seconds(rec.get('duration_s'))}</td><td>{_links(root, folder)}</td>"
        f"<td>{html.escape(str((rec.get('error') or {}).get('ename', '')))}</td></tr>"
        for folder, rec in h.records
    )
    return (
        f"<tr><td><b>{html.escape(h.report)}</b></td><td>{html.escape(h.run)}</td>"
        f"<td>{html.escape(str(last.get('group', '')))}</td>"
        f"<td>{_badge(last.get('status', '?'))}<br><small>{_when(last)}</small></td>"
        f"<td>{good}</td>"
        f"<td><details><summary>{len(h.records)} run(s)</summary>"
        f"<table class='ll-history'>{history}</table></details></td></tr>"
    )


def write_index(root: Path) -> Path:
    """Write ``<root>/index.html`` from the run records under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    found = histories(root)
    rows = "".join(_row(root, h) for h in found)
    seen = {(h.report, h.run) for h in found}
    rows += "".join(
        f"<tr><td><b>{html.escape(p.parent.name)}</b></td><td>{html.escape(p.stem)}</td>"
        "<td></td><td><em>never run</em></td><td></td><td></td></tr>"
        for p in discover(params_dir()) if (p.parent.name, p.stem) not in seen
    )
    if not rows:
        rows = "<tr><td colspan='6'><em>No runs yet: `make reports`.</em></td></tr>"
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Luckin Lab reports</title>"
        f"<style>{CSS_PATH.read_text()}{_INDEX_CSS}</style></head><body><main class='ll-report'>"
        "<header class='ll-cover'><div class='ll-brand'>Luckin Coffee USA · Data Science</div>"
        "<h1 class='ll-title'>Reports</h1>"
        f"<div class='ll-subtitle'>Latest successful run of every scheduled report · updated {now}</div>"
        "</header><table class='ll-table ll-index'><thead><tr><th>Report</th><th>Run</th>"
        "<th>Group</th><th>Last attempt</th><th>Latest good report</th><th>History</th></tr>"
        f"</thead><tbody>{rows}</tbody></table></main></body></html>\n"
    )
    path = root / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
