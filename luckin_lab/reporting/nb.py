"""What a report notebook imports: house style, number formats, tables, and results files.

Every report notebook has the standard parameters ``source`` (data source URI, "" = the
default demo store) and ``results_dir`` (where machine-readable outputs go), then its own.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

import matplotlib as mpl
import pandas as pd

from luckin_lab.formats import money, num, pct
from luckin_lab.paths import scratch_dir
from luckin_lab.reporting.markdown import Block, Prose, escape_money, typst_string
from luckin_lab.reporting.provenance import source_kind

PALETTE = ["#1f3a93", "#e07b39", "#2a9d8f", "#8e5ea2", "#c0392b", "#7f8c8d", "#f1c40f", "#34495e"]
ACCENT = PALETTE[0]
GOOD, BAD, NEUTRAL = "#2a9d8f", "#c0392b", "#7f8c8d"


def setup() -> None:
    """Apply the house matplotlib style (fonts, sizes, colours, no top/right spines).

    Inside a kernel, figures are always shown inline: an inherited ``MPLBACKEND=Agg`` (test
    runners, cron) would otherwise silently drop every figure from the report.
    """
    _inline_figures()
    mpl.rcParams.update(
        {
            "figure.figsize": (7.5, 3.6),
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "font.family": "DejaVu Sans",
            "font.size": 9.5,
            "axes.titlesize": 11,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelsize": 9.5,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.25,
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "legend.frameon": False,
            "legend.fontsize": 8.5,
        }
    )


def _inline_figures() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return
    shell = get_ipython()
    if shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell":
        shell.run_line_magic("matplotlib", "inline")


KEEP_WHOLE_ROWS = 15


FORMATS = {
    "money": lambda v: money(v, 0),
    "money2": lambda v: money(v, 2),
    "pct": pct,
    "pct0": lambda v: pct(v, 0),
    "int": lambda v: num(v, 0),
    "float1": lambda v: num(v, 1),
    "float2": lambda v: num(v, 2),
    "float3": lambda v: num(v, 3),
    "sig3": lambda v: "–" if _missing(v) else f"{v:.3g}",  # small scores such as Qini areas
}


def show_table(
    df: pd.DataFrame, formats: Mapping[str, str] | None = None, index: bool = False, max_rows: int = 40
) -> Block:
    """A formatted, house-styled table (numbers right-aligned, formats by column).

    Numeric columns get the class ``num`` (right-aligned, never wrapped mid-number); text
    columns wrap, so a wide table stays on the page. The same cells feed the HTML table and
    the Typst table of the house template, so both renderers print the same figures.
    """
    formats = dict(formats or {})
    view = df.head(max_rows).reset_index() if index else df.head(max_rows)
    numeric = set()
    cells: dict[str, list[str]] = {}
    for col in view.columns:
        s = view[col]
        fmt = formats.get(col)
        if fmt is None and pd.api.types.is_float_dtype(s):
            fmt = "float2"
        if fmt is None and pd.api.types.is_integer_dtype(s) and not pd.api.types.is_bool_dtype(s):
            fmt = "int"
        if fmt:
            numeric.add(col)
            cells[col] = [FORMATS[fmt](v) for v in s]
        elif pd.api.types.is_datetime64_any_dtype(s):
            cells[col] = ["–" if _missing(v) else _date(v) for v in s]
        else:
            cells[col] = ["–" if _missing(v) else _keep_together(str(v)) for v in s]

    def cls(col: object) -> str:
        return " class='num'" if col in numeric else ""

    head = "".join(f"<th{cls(c)}>{escape(header(c))}</th>" for c in view.columns)
    body = "".join(
        "<tr>" + "".join(f"<td{cls(c)}>{escape(cells[c][i])}</td>" for c in view.columns) + "</tr>"
        for i in range(len(view))
    )
    wide, keep = len(view.columns) > 8, len(view) <= KEEP_WHOLE_ROWS
    classes = "ll-table" + (" ll-wide" if wide else "") + (" ll-keep" if keep else "")
    # wide: smaller type so it fits the page; keep: a short table moves to the next page whole
    html = (f"<table class='{classes}'><thead><tr>{head}</tr>"
            f"</thead><tbody>{body}</tbody></table>")
    note = (f"First {max_rows} of {len(df):,} rows; all rows are in results/."
            if len(df) > max_rows else "")
    # a leading minus is a break opportunity for the PDF's line breaker: glue it to its number there
    typst = _typst_table([header(c) for c in view.columns], [c in numeric for c in view.columns],
                         [[_no_break_sign(cells[c][i]) if c in numeric else cells[c][i] for c in view.columns]
                          for i in range(len(view))], wide, keep)
    if note:
        html += f"<p class='ll-note'>{escape(note)}</p>"
        typst += f"\n#ll-note({typst_string(note)})"
    lines = [" | ".join(header(c) for c in view.columns)]
    lines += [" | ".join(cells[c][i] for c in view.columns) for i in range(len(view))]
    return Block(html, typst, "\n".join(lines + ([note] if note else [])))


def _typst_table(head: list[str], numeric: list[bool], rows: list[list[str]], wide: bool,
                 keep: bool) -> str:
    """A call of the house template's ``ll-table`` (strings only: nothing is read as markup)."""
    def tup(items: list[str]) -> str:
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"

    # column shares like the browser's automatic table layout: by the longest cell or header word
    # a figure without spaces ("+$331.8K") cannot wrap and its digits are wider than
    # letters: it counts 1.4 times its length, so its column is never narrower than it
    longest = [max([len(w) for w in h.split()]
                   + [round(len(r[i]) * 1.4) if _unbreakable(r[i]) else len(r[i]) for r in rows]
                   + [3]) for i, h in enumerate(head)]
    widths = tup([f"{min(n, 40)}fr" for n in longest])

    def cell(v: str) -> str:  # a word joiner after a sign: "+$11.7K" never breaks after "+"
        return typst_string(re.sub(r"^([+\-])(?=[$\d])", "\\1\u2060", v) if _unbreakable(v) else v)

    body = ",\n  ".join(tup([cell(v) for v in r]) for r in rows)
    return (f"#ll-table(\n  header: {tup([typst_string(h) for h in head])},\n"
            f"  numeric: {tup(['true' if n else 'false' for n in numeric])}, widths: {widths},\n"
            f"  wide: {'true' if wide else 'false'}, keep: {'true' if keep else 'false'},\n"
            f"  rows: {tup([body]) if len(rows) == 1 else '(' + body + ')'},\n)")


def _unbreakable(text: str) -> bool:
    """A short cell without spaces (a figure such as '+$11.7K', a code): it cannot wrap."""
    return " " not in text and len(text) <= 24


def header(col: object) -> str:
    """Readers see 'p fail 7d', not 'p_fail_7d': snake_case headers become words."""
    text = str(col)
    return text.replace("_", " ") if text.islower() or "_" in text else text


def _date(v: Any) -> str:
    ts = pd.Timestamp(v)
    return _keep_together(ts.strftime("%Y-%m-%d" if ts == ts.normalize() else "%Y-%m-%d %H:%M"))


def _no_break_sign(text: str) -> str:
    """'-$6,423' with a non-breaking hyphen, so a narrow column never prints '-' above '$6,423'."""
    return "\u2011" + text[1:] if text.startswith("-") else text


def _keep_together(text: str) -> str:
    """Short codes and dates (DEV-00012, 2026-02-14) must not wrap at their hyphens."""
    if " " not in text and len(text) <= 24:
        return text.replace("-", "\u2011")
    return text


def _missing(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


KPIS_PER_ROW = 6


def kpis(items: Mapping[str, str]) -> Block:
    """A row of headline figures for the executive summary: {label: formatted value}.

    Cards share a row equally, at most ``KPIS_PER_ROW`` to a row, in HTML and in Typst alike,
    so both renderers break the same figures onto the same lines.
    """
    pairs = [(str(k), str(v)) for k, v in items.items()]
    rows = [pairs[i:i + KPIS_PER_ROW] for i in range(0, len(pairs), KPIS_PER_ROW)]
    html = "".join(
        "<div class='ll-kpis'>" + "".join(
            f"<div class='ll-kpi'><div class='ll-kpi-value'>{escape(v)}</div>"
            f"<div class='ll-kpi-label'>{escape(k)}</div></div>" for k, v in row) + "</div>"
        for row in rows)
    typst = "\n".join(
        "#ll-kpis(" + ", ".join(f"({typst_string(v)}, {typst_string(k)})" for k, v in row) + ")"
        for row in rows)
    return Block(html, typst, "\n".join(f"{k}: {v}" for k, v in pairs))


CALLOUT_KINDS = ("note", "warning")


def callout(text: str, kind: str = "note", title: str = "") -> Block:
    """A boxed note or warning (plain text) that both renderers draw in the house style."""
    if kind not in CALLOUT_KINDS:
        raise ValueError(f"callout kind must be one of {CALLOUT_KINDS}, got {kind!r}")
    head = f"<strong>{escape(title)}</strong> " if title else ""
    html = f"<div class='ll-callout ll-callout-{kind}'>{head}{escape(text)}</div>"
    typst = f"#ll-callout({typst_string(kind)}, {typst_string(title)}, {typst_string(text)})"
    return Block(html, typst, f"{title} {text}".strip())


def md(text: str) -> Prose:
    """Computed prose for the report (dollar amounts are safe in it)."""
    return Prose(escape_money(text))


def results_path(results_dir: str | Path) -> Path:
    """Where a notebook's results go: an absolute ``results_dir`` (scheduled runs, tests) as is;
    a relative one (the notebook's default, run in JupyterLab) under the scratch folder, per
    notebook (``scratch/<notebook>/results``), never inside ``notebooks/``."""
    path = Path(results_dir)
    if path.is_absolute():
        return path
    session = os.environ.get("JPY_SESSION_NAME", "")  # the notebook's path, set by Jupyter
    notebook = Path(session).stem if session.endswith(".ipynb") else "interactive"
    return scratch_dir() / notebook / path


class Results:
    """Writes a run's machine-readable outputs: tables as CSV, headline figures in metrics.json."""

    def __init__(self, results_dir: str | Path):
        self.dir = results_path(results_dir)
        self.dir.mkdir(parents=True, exist_ok=True)

    def table(self, name: str, df: pd.DataFrame) -> Path:
        path = self.dir / f"{name}.csv"
        df.to_csv(path, index=False)
        return path

    def provenance(self, store: Any, data_window: tuple[Any, Any] | str | None = None) -> Path:
        """What data the report read (for run.json and the cover): fingerprint, window, exclusions.

        Call once at the end of a notebook with the DataStore it used; the runner copies this
        into the run record and prints the data window in the title block.
        """
        window = end = None
        if isinstance(data_window, str):  # e.g. "day 0 to day 348 after renewal"
            window = data_window
        elif data_window is not None:
            start, end = (pd.Timestamp(x).date().isoformat() for x in data_window)
            window = f"{start} to {end}"
        record = {
            "fingerprint": store.fingerprint(),
            "data_window": window,
            "data_end": end,  # "data as of" on page one, and the staleness check
            "source_kind": source_kind(store.uri),  # "demo" watermarks every page
            "exclusions": store.exclusions_frame().to_dict(orient="records"),
            "flagged": store.flags_frame().to_dict(orient="records") if hasattr(store, "flags_frame") else [],
        }
        path = self.dir / "provenance.json"
        path.write_text(json.dumps(_jsonable(record), indent=2, default=str))
        return path

    def metrics(self, values: Mapping[str, Any]) -> Path:
        path = self.dir / "metrics.json"
        current = json.loads(path.read_text()) if path.exists() else {}
        current.update({k: _jsonable(v) for k, v in values.items()})
        path.write_text(json.dumps(current, indent=2, sort_keys=True))
        return path


def _jsonable(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return v
