"""Every leadership report run on Spark gives the numbers it gives on DuckDB (small scale).

Each report's notebook runs twice on the small demo store: on its DuckDB file and on its
Parquet folder read through Spark (``-p source=spark:folder/<dir>``). The results must agree:
every value of metrics.json (timings aside) and the data fingerprint of the tables read.
Decisions, counts and text must be identical; numbers within 1e-6 (relative, or absolute for
numbers near zero such as an R²): the engines add
a column's floats in different orders, so a sum may differ in its last bit (1e-16), and a
fitted model carries that to ~1e-8 (site_selection's distance decay: 1.77251446696 vs
1.77251446946), far below a cent of any figure a reader sees.
Slow (a JVM per notebook, minutes per report) and Spark-marked: skipped with the reason
without pyspark or Java.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from report_helpers import execute_notebook_small
from test_reports_both_renderers import REPORTS

from luckin_lab.paths import params_dir
from luckin_lab.reporting.params import load_run_spec
from luckin_lab.spark_source import spark_available

TIMING_KEYS = ("timings_s", "seconds", "elapsed_s")  # how long a step took: differs run to run


def differences(a: object, b: object, path: str = "metrics", rel: float = 1e-6) -> list[str]:
    """Where two metrics documents differ (floats beyond ``rel`` relative), timings ignored."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only in one run" for k in set(a) ^ set(b)]
        for k in sorted(set(a) & set(b)):
            if k not in TIMING_KEYS and not k.endswith("_seconds"):
                out += differences(a[k], b[k], f"{path}.{k}", rel)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]", rel)]
    if isinstance(a, float) and isinstance(b, float):
        same = math.isclose(a, b, rel_tol=rel, abs_tol=rel) or (math.isnan(a) and math.isnan(b))
        return [] if same else [f"{path}: {a!r} vs {b!r}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def test_differences_sees_a_changed_number_and_ignores_timings():
    a = {"profit": 1234.5, "arms": [{"p": 0.1}], "timings_s": {"fit": 1.0}, "rule": "SP"}
    assert differences(a, json.loads(json.dumps(a)) | {"timings_s": {"fit": 9.0}}) == []
    assert differences(a, {**a, "profit": 1234.6}) == ["metrics.profit: 1234.5 vs 1234.6"]
    assert differences(a, {**a, "arms": [{"p": 0.1 + 1e-6}]}) != []
    assert differences(a, {**a, "rule": "T"}) == ["metrics.rule: 'SP' vs 'T'"]
    assert differences(a, {**a, "profit": 1234.5 * (1 + 1e-9)}) == []


def _run(report: str, uri: str, folder: Path) -> tuple[dict, dict]:
    run, overrides = REPORTS[report]
    spec = load_run_spec(params_dir() / report / f"{run}.yaml", {"source": uri})
    params = {k: v for k, v in spec.parameters.items() if k not in ("source", "results_dir", "stale_after_days")}
    results = execute_notebook_small(report, folder, uri, **{**params, **overrides})
    return (json.loads((results / "metrics.json").read_text()),
            json.loads((results / "provenance.json").read_text()))


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.parametrize("report", [pytest.param(r, marks=pytest.mark.xdist_group(f"spark_{r}"))
                                    for r in sorted(REPORTS)])
def test_report_on_spark_equals_duckdb(report, small_store_dir, tmp_path, monkeypatch):
    reason = spark_available()
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI must run the Spark tests: {reason}")
        pytest.skip(f"Spark tests skipped: {reason}")
    monkeypatch.setenv("LUCKIN_LAB_SPARK_MASTER", "local[1]")  # the notebook kernel's own JVM
    duck, duck_prov = _run(report, f"duckdb:{small_store_dir / 'store.duckdb'}", tmp_path / "duckdb")
    spark, spark_prov = _run(report, f"spark:folder/{small_store_dir / 'parquet'}", tmp_path / "spark")
    assert differences(duck, spark) == []
    assert spark_prov["fingerprint"]["tables"] == duck_prov["fingerprint"]["tables"]
    assert spark_prov["source_kind"] == duck_prov["source_kind"] == "demo"  # watermarked on Spark too
    assert spark_prov["exclusions"] == duck_prov["exclusions"]
