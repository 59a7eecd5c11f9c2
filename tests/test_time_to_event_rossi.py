"""The whole generic report on real data (Rossi recidivism: 432 people, weeks), run and rendered
as a user would: a folder source plus a params file. Page one must match results/ and speak of
people, re-arrests and weeks, never of devices or coffee."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import yaml

from luckin_lab.reporting import nb
from luckin_lab.reporting.runner import run_report
from luckin_lab.survival import datasets as D

PARAMS = {
    "unit_noun": "person", "event_noun": "re-arrest", "time_unit": "week", "horizon_short": 4,
    "horizon_long": 13, "cox_design": "plain", "service_capacity": 0,
    "covariate_labels": {"fin": "financial aid", "wexp": "work experience", "mar": "being married",
                         "paro": "parole", "prio": "prior convictions"},
    "covariate_units": {"age": "years"},
}
DEMO_WORDS = ("iot", "technician", "device", "coffee", "espresso", "cups", "store")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rossi")
    src = D.write_extract(D.rossi_frame(), tmp / "src")
    (tmp / "time_to_event").mkdir()
    path = tmp / "time_to_event" / "rossi.yaml"
    path.write_text(yaml.safe_dump({"notebook": "time_to_event.ipynb", "group": "monthly",
                                    "source": f"folder:{src}", "parameters": PARAMS}))
    res = run_report(path, reports_root=tmp / "reports")
    assert res.ok, res.error_text()
    return res.folder


def _page_one(folder) -> str:
    text = (folder / "report.html").read_text()
    first = text.split("The evidence")[0]
    return html.unescape(re.sub(r"<[^>]+>", " ", first))


def test_page_one_figures_match_results(run):
    res = run / "results"
    m = json.loads((res / "metrics.json").read_text())
    page = re.sub(r"\s+", " ", _page_one(run))
    risk = pd.read_csv(res / "device_risk.csv")
    assert len(risk) == 432 - 114 == m["devices_online"]
    assert "318 People still at risk" in page
    assert f"{nb.num(m['expected_failures_4d'], 1)} Expected re-arrests, next 4 weeks" in page
    assert f"{nb.num(m['expected_failures_13d'], 1)} Expected re-arrests, next 13 weeks" in page
    assert "432 people, 114 re-arrests observed" in page
    hr = pd.read_csv(res / "hazard_ratios.csv").set_index("covariate")
    # the published effects (Fox & Weisberg): age lowers, prior convictions raise the rate
    for col, verb in (("age_per_5", "lowers"), ("prio_per_2", "raises")):
        pct = abs(hr.loc[col, "hr"] - 1) * 100
        assert f"{verb} the re-arrest rate by {pct:.0f} %" in page
    assert np.isclose(hr.loc["age_per_5", "coef"] / 5, D.ROSSI_PUBLISHED["age"][0], atol=D.ROSSI_PUBLISHED["age"][1])
    assert "Each extra 5 years of age" in page
    c = pd.read_csv(res / "model_comparison.csv").set_index("model")
    assert f"first {nb.pct(c.loc[m['chosen_model'], 'holdout_concordance'], 0)} of the time" in page


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_no_demo_words_in_html_or_pdf(run):
    raw = re.sub(r"<style.*?</style>", " ", (run / "report.html").read_text(), flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", raw))
    body = text.split("Time to event", 1)[-1]
    pdf = subprocess.run(["pdftotext", str(run / "report.pdf"), "-"], capture_output=True, text=True,
                         check=True).stdout
    for where, t in (("html", body), ("pdf", pdf)):
        low = t.lower()
        assert "luckin" not in low, where  # a generic run names no company, header and footer too
        found = [w for w in DEMO_WORDS if re.search(rf"\b{w}", low)]
        assert not found, (where, found)
        assert "weeks" in low and "re-arrest" in low and "next 7 days" not in low
        assert "inf" not in re.findall(r"\binf\b", low)
