"""Delivery hooks: an email-ready HTML page and a Slack-style text block, written to the
run's ``outbox/`` for a scheduler to send. Nothing here sends anything.

Both are made from the run's ``results/brief.json`` (only what the page shows, so no secret
can be in them); the email carries inline styles and its chart as an embedded image.
"""

from __future__ import annotations

import base64
import json
from html import escape
from pathlib import Path

from luckin_lab.atomic import write_text_atomic

OUTBOX = "outbox"
CHART = "revenue_trend.png"  # written by the brief run, embedded by the email


def email_html(doc: dict, chart_png: bytes | None) -> str:
    img = ""
    if chart_png:
        data = base64.b64encode(chart_png).decode()
        img = (f"<img alt='Revenue per day, all stores' style='max-width:100%;display:block;"
               f"margin:8px 0' src='data:image/png;base64,{data}'>")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Leadership brief, {escape(doc['period'])}</title></head>"
        "<body style='margin:0;background:#f4f6f9;font-family:Arial,Helvetica,sans-serif;"
        "color:#1c2430'><div style='max-width:820px;margin:0 auto;background:#fff;padding:16px 22px'>"
        "<div style='background:#1f3a93;color:#fff;padding:12px 16px;margin:-16px -22px 10px'>"
        "<div style='font-size:8pt;letter-spacing:.08em;text-transform:uppercase'>Luckin Coffee USA"
        " · Data Science</div><div style='font-size:17pt;font-weight:bold'>Leadership brief</div>"
        f"<div style='font-size:10pt'>{escape(doc['period'])}</div></div>"
        f"{doc['page_html']}{img}</div></body></html>\n"
    )


def slack_text(doc: dict) -> str:
    lines = [f"*Leadership brief: {doc['period']}*", f"> {doc['narrative']}", ""]
    lines.append(f"*Alerts ({len(doc['alerts'])})*")
    lines += [f"• *{a['subject']}*: {a['message']} _(rule: {a['rule']})_" for a in doc["alerts"]]
    if not doc["alerts"]:
        lines.append("• none fired")
    lines += ["", "*Decisions*"]
    lines += [f"• *{r['report']}*: {r['decision']} ({r['impact']}; {r['how_sure']}; {r['change']})"
              for r in doc["reports"]]
    return "\n".join(lines) + "\n"


def write_outbox(run_folder: Path) -> list[Path]:
    """Write ``outbox/brief_email.html`` and ``outbox/brief_slack.txt`` for a brief run."""
    results = Path(run_folder) / "results"
    doc = json.loads((results / "brief.json").read_text())
    chart = results / CHART
    out = Path(run_folder) / OUTBOX
    out.mkdir(exist_ok=True)
    return [
        write_text_atomic(out / "brief_email.html",
                          email_html(doc, chart.read_bytes() if chart.exists() else None)),
        write_text_atomic(out / "brief_slack.txt", slack_text(doc)),
    ]
