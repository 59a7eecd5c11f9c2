"""Shared fixtures: one small demo store per test session (built in seconds)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Runs in tests render pip-only; the Quarto tests (test_reports_both_renderers) ask for Quarto.
os.environ.setdefault("LUCKIN_LAB_RENDERER", "pip-only")


@pytest.fixture(scope="session")
def small_store_dir(tmp_path_factory) -> Path:
    """A small-scale demo store with the default truth (tables + truth files)."""
    from luckin_lab.synth.build import build_store

    out = tmp_path_factory.mktemp("demo_small")
    build_store(out, scale="small", parquet=True)
    return out


@pytest.fixture(scope="session")
def small_store_uri(small_store_dir) -> str:
    return f"duckdb:{small_store_dir / 'store.duckdb'}"


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession (one core) for the whole test session; stopped at the end.

    Without pyspark or Java the Spark tests skip with the reason (CI=true: they fail).
    """
    from luckin_lab.spark_source import spark_available, spark_session

    reason = spark_available()
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI must run the Spark tests: {reason}")
        pytest.skip(f"Spark tests skipped: {reason}")
    os.environ.setdefault("LUCKIN_LAB_SPARK_MASTER", "local[1]")
    session = spark_session()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
