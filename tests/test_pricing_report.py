"""The report notebook under papermill at small scale: demo store and the generic example.

The demo store comes from the session fixture ``small_store_uri`` (built in the test run), so
these tests pass from a clean clone without ``data/``.
"""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm

from luckin_lab.paths import ROOT
from luckin_lab.pricing.analysis import run_pricing
from luckin_lab.pricing.load import GENERIC_TABLE
from luckin_lab.pricing.simulate import EXAMPLE_ARGS, simulate_panel
from luckin_lab.reporting.params import load_run_spec
from luckin_lab.reporting.params_models.price_elasticity import Params
from luckin_lab.sources import open_store

NOTEBOOK = ROOT / "notebooks" / "price_elasticity.ipynb"
GENERIC_EXAMPLE = ROOT / "params" / "price_elasticity" / "generic_example.yaml"


def _run(tmp_path: Path, **parameters) -> dict:
    results = tmp_path / "results"
    pm.execute_notebook(
        str(NOTEBOOK), str(tmp_path / "out.ipynb"),
        parameters={**parameters, "results_dir": str(results)},
        kernel_name="python3", progress_bar=False,
    )
    for name in ("elasticities.csv", "recommendations.csv", "exclusions.csv", "provenance.json"):
        assert (results / name).stat().st_size > 0, name
    return json.loads((results / "metrics.json").read_text())


def test_notebook_is_committed_without_outputs():
    nb = json.loads(NOTEBOOK.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert "parameters" in code[0]["metadata"]["tags"]
    assert nb["cells"][0]["cell_type"] == "raw" and "echo: false" in "".join(nb["cells"][0]["source"])
    headings = [("".join(c["source"])).split("\n")[0] for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert headings[0] == "## Executive summary"  # the decision comes first


def test_demo_report_runs_at_small_scale(tmp_path, small_store_uri):
    m = _run(tmp_path, source=small_store_uri, dml_folds=2)
    assert m["panel"] == "demo"
    assert m["causal_method"] == "poisson"
    assert m["elasticity_causal"]["Fresh Coffee"] < -0.5
    assert m["elasticity_dml"]["Fresh Coffee"] < -0.5
    assert m["first_stage_f_min"] > 10
    assert set(m["recommended_price"]) == {g for g, e in m["elasticity_causal"].items() if e == e}
    assert m["aov_today"] > 0
    lo, mid, hi = (m[f"weekly_margin_change{s}"] for s in ("_low", "", "_high"))
    assert lo <= mid <= hi
    window = json.loads((tmp_path / "results" / "provenance.json").read_text())["data_window"]
    assert window.startswith("2025-09-01")  # the estimation window starts with the price test


def test_generic_example_report_runs_from_its_params_file(tmp_path, small_store_uri):
    """`make reports` runs params/price_elasticity/generic_example.yaml on the demo store's example table."""
    spec = load_run_spec(GENERIC_EXAMPLE)
    assert spec.params.source == ""
    m = _run(tmp_path, **{**spec.parameters, "source": small_store_uri, "dml_folds": 2})
    sim = simulate_panel(**EXAMPLE_ARGS)
    assert m["panel"] == "generic"
    for g, truth in sim.group_elasticity.items():
        assert abs(m["elasticity_causal"][g] - truth) < 0.25
        assert m["elasticity_naive"][g] > truth  # confounded toward zero
    assert "aov_today" not in m  # the store's orders are not the generic panel's sales
    assert set(m["elasticity_by_segment"]) == {"loyal", "regular", "price_sensitive"}


def test_demo_store_ships_the_validated_generic_example(small_store_uri):
    df = open_store(small_store_uri).load(GENERIC_TABLE)
    assert len(df) == EXAMPLE_ARGS["n_markets"] * 3 * 3 * EXAMPLE_ARGS["n_days"]  # markets x groups x segments x days


def test_generic_panel_from_a_folder(tmp_path):
    """A pricing analyst's own extract (Parquet in a folder) runs unchanged."""
    sim = simulate_panel(n_markets=5, n_days=90, seed=11)
    folder = tmp_path / "panel"
    folder.mkdir()
    sim.frame.to_parquet(folder / "generic_price_demand.parquet", index=False)
    a = run_pricing(Params(source=f"folder:{folder}", panel="generic", dml_folds=2))
    causal = a.results.causal()
    naive = a.results.causal("naive")
    for g, truth in sim.group_elasticity.items():
        assert abs(causal[g] - truth) < 0.3
        assert naive[g] > truth
    assert a.aov is None
