"""Who a run is for: leadership runs feed the brief, the front page and the recommendation log;
analyst runs (worked examples, other fleets) are listed apart."""

from __future__ import annotations

from luckin_lab.paths import params_dir
from luckin_lab.reporting.params import ParamsError, read_params_file
from luckin_lab.reporting.runs import RunHistory

LEADERSHIP, ANALYST = "leadership", "analyst"


def audience_of(h: RunHistory) -> str:
    """Recorded in run.json; for older runs, the params file's top-level key; else leadership."""
    rec = h.last or {}
    if rec.get("audience"):
        return str(rec["audience"])
    return params_audience(h.report, h.run)


def params_audience(report: str, run: str) -> str:
    """The ``audience`` key of ``params/<report>/<run>.yaml`` (leadership when absent, and for a
    broken file: run-all reports that one itself)."""
    path = params_dir() / report / f"{run}.yaml"
    try:
        raw = read_params_file(path) if path.is_file() else {}
    except (OSError, ParamsError):
        raw = {}
    return str(raw.get("audience", LEADERSHIP))
