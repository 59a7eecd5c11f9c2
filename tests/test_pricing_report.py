"""The report notebook's shape and the generic path (the rendered demo and generic runs are in
test_pricing_pages).

The demo store comes from the session fixture ``small_store_uri`` (built in the test run), so
these tests pass from a clean clone without ``data/``.
"""

from __future__ import annotations

import json

from luckin_lab.paths import ROOT
from luckin_lab.pricing.analysis import PricingAnalysis
from luckin_lab.pricing.load import GENERIC_TABLE
from luckin_lab.reporting.params_models.price_elasticity import Params
from luckin_lab.sources import open_store
from luckin_lab.synth.price_panel import EXAMPLE_ARGS, simulate_panel

NOTEBOOK = ROOT / "notebooks" / "price_elasticity.ipynb"
GENERIC_EXAMPLE = ROOT / "params" / "price_elasticity" / "generic_example.yaml"


def test_notebook_is_committed_without_outputs():
    nb = json.loads(NOTEBOOK.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert "parameters" in code[0]["metadata"]["tags"]
    assert nb["cells"][0]["cell_type"] == "raw" and "echo: false" in "".join(nb["cells"][0]["source"])
    headings = [("".join(c["source"])).split("\n")[0] for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert headings[0] == "## Executive summary"  # the decision comes first


def test_demo_store_ships_the_validated_generic_example(small_store_uri):
    df = open_store(small_store_uri).load(GENERIC_TABLE)
    assert len(df) == EXAMPLE_ARGS["n_markets"] * 3 * 3 * EXAMPLE_ARGS["n_days"]  # markets x groups x segments x days


def test_generic_panel_from_a_folder(tmp_path):
    """A pricing analyst's own extract (Parquet in a folder) runs unchanged."""
    sim = simulate_panel(n_markets=5, n_days=90, seed=11)
    folder = tmp_path / "panel"
    folder.mkdir()
    sim.frame.to_parquet(folder / "generic_price_demand.parquet", index=False)
    a = PricingAnalysis(Params(panel="generic", dml_folds=2)).fit(open_store(f"folder:{folder}")) \
        .decide()
    causal = a.results.causal()
    naive = a.results.causal("naive")
    for g, truth in sim.group_elasticity.items():
        assert abs(causal[g] - truth) < 0.3
        assert naive[g] > truth
    assert a.aov is None
