"""The coupon uplift report runs top to bottom under papermill at small scale."""

from __future__ import annotations

import json

import nbformat
import pandas as pd

from luckin_lab.paths import notebooks_dir, params_dir
from luckin_lab.reporting.params import RUN_LEVEL_KEYS
from luckin_lab.reporting.params_models.coupon_uplift import Params
from luckin_lab.reporting.testing import execute_notebook_small

HEADLINE = ["monthly_gain_vs_today", "monthly_gain_vs_today_ci_low", "monthly_gain_vs_today_ci_high",
            "monthly_deadweight_today", "monthly_deadweight_recommended", "users_targeted",
            "chosen_model", "eligible_users"]


def test_params_files_validate_and_notebook_is_clean():
    import yaml

    files = sorted((params_dir() / "coupon_uplift").glob("*.yaml"))
    assert len(files) >= 2
    for f in files:
        Params(**yaml.safe_load(f.read_text())["parameters"])
    nb = nbformat.read(notebooks_dir() / "coupon_uplift.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for field in set(Params.model_fields) - set(RUN_LEVEL_KEYS):  # audience: run-level, not the notebook's
        assert f"{field} =" in tagged[0].source, field


def test_campaign_report_small(tmp_path, small_store_uri):
    results = execute_notebook_small("coupon_uplift", tmp_path, small_store_uri, learners=["SP", "T"])
    m = json.loads((results / "metrics.json").read_text())
    for k in HEADLINE:
        assert k in m, k
    assert m["monthly_gain_vs_today_ci_low"] <= m["monthly_gain_vs_today"] <= m["monthly_gain_vs_today_ci_high"]
    assert m["chosen_model"] in {"SP", "T"}
    # the report never reads the planted truth: that comparison lives in benchmarks/bench_uplift.py
    assert not any(k.startswith("truth") for k in m)
    assert "truth" not in (notebooks_dir() / "coupon_uplift.ipynb").read_text()
    targets = pd.read_csv(results / "targeting_list.csv")
    assert len(targets) == m["eligible_users"]
    assert set(targets["offer"]) <= {"none", "off10", "off20", "off30"}
    assert (targets["offer"] != "none").sum() == m["users_targeted"]
    assert targets["expected_discount_cost"].sum() <= m["monthly_budget"] / m["campaigns_per_month"] + 1e-6
    for name in ("arm_effects", "model_qini_auuc", "policy_comparison", "budget_frontier"):
        assert len(pd.read_csv(results / f"{name}.csv")) > 0


def test_generic_report_small(tmp_path, small_store_uri):
    # the demo store ships a cluster-randomized example table under the generic contract
    results = execute_notebook_small(
        "coupon_uplift", tmp_path / "run", small_store_uri, experiment_table="generic_experiment",
        value_column="margin", cost_column="discount", current_arm="off30", learners=["SP", "T"])
    m = json.loads((results / "metrics.json").read_text())
    for k in HEADLINE:
        assert k in m, k
    assert "truth_policy_value" not in m
    effects = pd.read_csv(results / "arm_effects.csv")
    assert (effects["se_type"] == "cluster-robust").all()
