"""The experiment report runs top to bottom and renders; page one agrees with results/.

Three runs, each rendered to HTML and PDF at small scale: the demo coupon campaign, the
demo store's generic example and a real public experiment (NSW job training, 445 men)
through a folder source and a params file. Each test reads the rendered page one and checks
its figures against ``metrics.json`` and the result tables.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from luckin_lab.paths import notebooks_dir, params_dir
from luckin_lab.reporting.params import RENDER_KEYS, RUN_LEVEL_KEYS
from luckin_lab.reporting.params_models.coupon_uplift import Params
from luckin_lab.reporting.runner import run_report
from luckin_lab.uplift import words

INTERNAL = ["off10", "off20", "off30", "Pooled S-learner", "S-learner", "T-learner", "Qini",
            "deadweight", "UC-MK-03", "CMP-2025", "budget-optimal"]
DEMO_WORDS = re.compile(r"coupon|coffee|menu|luckin", re.I)


def test_params_files_validate_and_notebook_is_clean():
    files = sorted((params_dir() / "coupon_uplift").glob("*.yaml"))
    assert len(files) >= 2
    for f in files:
        Params(**yaml.safe_load(f.read_text())["parameters"])
    nb = nbformat.read(notebooks_dir() / "coupon_uplift.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for field in set(Params.model_fields) - set(RENDER_KEYS + RUN_LEVEL_KEYS):  # not the kernel's
        assert f"{field} =" in tagged[0].source, field


def _run(params_file: Path, tmp_path: Path, **overrides) -> tuple[Path, dict, str, str]:
    r = run_report(params_file, overrides={"learners": ["SP", "T"], **overrides},
                   reports_root=tmp_path / "reports")
    assert r.status == "succeeded", r.error
    m = json.loads((r.folder / "results" / "metrics.json").read_text())
    page = (r.folder / "report.html").read_text()
    start, end = page.index('id="Executive-summary"'), page.index('id="The-evidence"')
    page_one = html.unescape(re.sub(r"<[^>]+>", " ", page[start:end]))
    return r.folder, m, re.sub(r"\s+", " ", page_one), page


def _pdf_text(folder: Path) -> str:
    from pypdf import PdfReader

    return " ".join(p.extract_text() for p in PdfReader(folder / "report.pdf").pages)


def _check_page_one(folder: Path, m: dict, p1: str, page: str) -> None:
    """Page one's options against today, its instruction and lead tile match results/; the
    effect lines (evidence) match the arm effects."""
    effects = pd.read_csv(folder / "results" / "arm_effects.csv")
    policies = pd.read_csv(folder / "results" / "policy_comparison.csv")
    assert m["recommended_label"].capitalize() in p1
    assert policies.loc[policies["recommended"], "policy"].item() == m["recommended_policy"]
    # every single-arm option on page one carries the result table's gain against today
    fmt = lambda x, like: words.diff(x, m["outcome_units"][m["value_column"]], like=like)  # noqa: E731
    for r in policies.itertuples():
        if r.today or not (r.policy.startswith("everyone ") or r.policy == "no treatment"):
            continue
        lo, hi = r.page_gain_vs_today_low, r.page_gain_vs_today_high
        ref = max(abs(r.page_gain_vs_today), abs(lo), abs(hi))
        assert f"{fmt(lo, ref)} to {fmt(hi, ref)}" in p1, r.policy
    # the instruction's figure is the recommended row's
    g, lo, hi = m["gain_vs_today"], m["gain_vs_today_ci_low"], m["gain_vs_today_ci_high"]
    if m["recommended_policy"] != m["today_policy"]:
        ref = max(abs(g), abs(lo), abs(hi))
        assert f"{fmt(g, ref)} ({fmt(lo, ref)} to {fmt(hi, ref)})" in p1
        rec = policies.set_index("policy").loc[m["recommended_policy"]]
        assert rec["page_gain_vs_today"] == pytest.approx(g)
        assert "against today's policy" in p1
    text = _plain(page)
    for r in effects.itertuples():
        u = m["outcome_units"].get(r.outcome)
        if u is None:  # a cost column: the effects table only
            continue
        k = m[f"effect_{r.outcome}_{r.arm}"]["page_one_factor"]  # per month for money
        eff, lo, hi = r.effect * k, r.ci_low * k, r.ci_high * k
        assert f" by {words.diff(abs(eff), u, like=hi)} " in text, (r.outcome, r.arm)
        assert f"{words.diff(lo, u, like=hi)} to {words.diff(hi, u, like=lo)}" in text
    if m["lead_figure"]:
        assert m["lead_figure"] in p1
        assert significant(m["gain_vs_today_ci_low"], m["gain_vs_today_ci_high"])
    for word in INTERNAL:
        assert word not in p1, word


def _plain(page: str) -> str:
    """The rendered page's visible text (no head, styles or scripts), one space between words."""
    page = re.sub(r"<(head|style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def significant(lo: float, hi: float) -> bool:
    return lo > 0 or hi < 0


def test_demo_campaign_report(tmp_path, small_store_uri):
    folder, m, p1, page = _run(params_dir() / "coupon_uplift" / "demo.yaml", tmp_path,
                            source=small_store_uri)
    _check_page_one(folder, m, p1, page)
    assert m["figures_per"] == "per month"
    assert "30 % off" in p1 and "coupon" in p1  # the demo keeps its coffee wording
    targets = pd.read_csv(folder / "results" / "targeting_list.csv")
    assert len(targets) == m["units"]
    assert (targets["offer"] != "none").sum() == m["units_treated"]
    # the instruction and the policy table come from one frame: the recommended policy's
    # measured gain over today is what page one prints
    g = m["gain_vs_today"], m["gain_vs_today_ci_low"], m["gain_vs_today_ci_high"]
    assert g[1] <= g[0] <= g[2]
    assert not any(k.startswith("truth") for k in m)


def test_generic_example_report(tmp_path, small_store_uri):
    folder, m, p1, page = _run(params_dir() / "coupon_uplift" / "generic_example.yaml",
                               tmp_path, source=small_store_uri)
    _check_page_one(folder, m, p1, page)
    effects = pd.read_csv(folder / "results" / "arm_effects.csv")
    assert (effects["se_type"] == "cluster-robust").all()
    # the 0/1 outcome is a share: its effect reads in points, never as dollars
    buy = effects[effects["outcome"] == "outcome"].iloc[0]
    text = _plain(page)
    assert f"{buy.effect * 100:.1f} points" in text and f"${buy.effect:.2f}" not in text
    # today's blanket 30 % off: page one's instruction follows the experiment's sign
    today = effects[(effects["outcome"] == "margin") & (effects["arm"] == "off30")].iloc[0]
    if m["decision_rule"] == "stop":
        assert "Stop giving" in p1 and today.ci_high < 0
    assert "offer" in p1 and not DEMO_WORDS.search(_plain(page))


def test_nsw_real_data_report(tmp_path):
    pytest.importorskip("causaldata")
    from luckin_lab.uplift import public

    data = tmp_path / "extract"
    public.write_folder(public.nsw(), data)
    pfile = tmp_path / "params" / "coupon_uplift" / "job_training.yaml"
    pfile.parent.mkdir(parents=True)
    pfile.write_text(yaml.safe_dump({
        "notebook": "coupon_uplift.ipynb", "group": "monthly", "source": f"folder:{data}",
        "parameters": {"experiment_table": "generic_experiment", "unit_noun": "man",
                       "unit_plural": "men", "treatment_noun": "job training",
                       "control_label": "no training", "arm_labels": {"training": "job training"},
                       "outcome_label": "1978 earnings", "outcome_unit": "usd"}}))
    folder, m, p1, page = _run(pfile, tmp_path)
    _check_page_one(folder, m, p1, page)
    # page one leads with the published experimental effect (Dehejia-Wahba: $1,794)
    assert "raised 1978 earnings by $1,794 per man (95 % interval $480 to $3,109" in _plain(page)
    assert "$1,794 ($480 to $3,109) per man in 1978 earnings against today's policy" in p1
    assert "p = 0.007" in _plain(page)
    assert m["effect_outcome_training"]["effect"] == pytest.approx(1794.3, abs=0.1)
    assert not m["targeting_supported"] and m["decision_rule"] == "best arm"
    assert "too small to learn who responds more" in p1
    for text in (_plain(page), _pdf_text(folder)):
        assert not DEMO_WORDS.search(text), DEMO_WORDS.search(text)
