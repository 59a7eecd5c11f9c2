"""Spark sources: the same contracts, transforms and report loaders as DuckDB, equal results.

The Spark tests need pyspark (``make env-spark``) and Java (Debian: openjdk-17-jre-headless);
without them they skip and say why, and with CI=true they fail instead. One JVM serves the
whole test session (starting one takes ~20 s): see the ``spark`` fixture in conftest.py.
The fast test opens the small demo store's Parquet through Spark; the slow ones compare every
transform and every report loader with DuckDB.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from luckin_lab.contracts import ContractViolation
from luckin_lab.sources import open_store, write_parquet_us
from luckin_lab.spark_source import _env_settings, open_spark, spark_defaults

sys.path.insert(0, str(Path(__file__).parent))
import engine_parity as parity  # noqa: E402

AS_OF = "2026-12-07"
needs_spark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


# -- without Java: the parts of a Spark source that need no JVM ---------------------------
def test_spark_defaults_and_env_settings(tmp_path, monkeypatch):
    (tmp_path / "spark-defaults.conf").write_text(
        "# cluster\nspark.master  spark://head:7077\nspark.executor.memory=8g\n")
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))
    assert spark_defaults() == {"spark.master": "spark://head:7077", "spark.executor.memory": "8g"}
    monkeypatch.setenv("LUCKIN_LAB_SPARK_CONF", "spark.sql.shuffle.partitions=200, a.b=c")
    assert _env_settings() == {"spark.sql.shuffle.partitions": "200", "a.b": "c"}
    monkeypatch.setenv("LUCKIN_LAB_SPARK_CONF", "spark.sql.shuffle.partitions")
    with pytest.raises(ValueError, match="not key=value"):
        _env_settings()


def test_unknown_spark_location_names_the_forms():
    with pytest.raises(ValueError, match=r"spark:folder/<dir>.*spark:catalog/<database>"):
        open_spark("warehouse/x")
    with pytest.raises(ValueError, match="non-Spark source"):
        open_store("duckdb:x.duckdb", session=object())


def test_synth_parquet_has_microsecond_timestamps(small_store_dir):
    """Spark refuses nanosecond Parquet (TIMESTAMP(NANOS)); synth writes microseconds."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(small_store_dir / "parquet" / "orders.parquet")
    units = {f.name: f.type.unit for f in schema if str(f.type).startswith("timestamp")}
    assert units and set(units.values()) == {"us"}, units


# -- with Spark -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stores(spark, small_store_dir):
    spark_store = open_store(f"spark:folder/{small_store_dir / 'parquet'}", as_of=AS_OF, session=spark)
    duck_store = open_store(f"duckdb:{small_store_dir / 'store.duckdb'}", as_of=AS_OF)
    return spark_store, duck_store


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_folder_smoke(stores):
    """Validate through Spark, fingerprints and two transforms equal to DuckDB."""
    spark_store, duck_store = stores
    assert spark_store.con.name == "pyspark"
    for name in ("stores", "orders"):
        spark_store.table(name)
        duck_store.table(name)
    assert spark_store.fingerprint()["tables"] == duck_store.fingerprint()["tables"]
    calls = parity.transform_calls()
    for name in ("sales.store_weekly", "iot.spells"):  # money by week; days between events
        assert parity.differences(calls[name](duck_store), calls[name](spark_store)) == [], name


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_contract_failure_names_column_and_key(spark, small_store_dir, tmp_path):
    """A planted negative payment fails on Spark as on DuckDB: table, column, check, key."""
    stores = pd.read_parquet(small_store_dir / "parquet" / "stores.parquet")
    orders = pd.read_parquet(small_store_dir / "parquet" / "orders.parquet")
    bad_id = int(orders.order_id.iloc[5])
    orders.loc[5, "pay_amount"] = -2.5
    write_parquet_us(stores, tmp_path / "stores.parquet")
    write_parquet_us(orders, tmp_path / "orders.parquet")
    store = open_store(f"spark:folder/{tmp_path}", as_of=AS_OF, session=spark)
    with pytest.raises(ContractViolation) as err:
        store.table("orders")
    text = str(err.value)
    assert "pay_amount" in text and "greater_than_or_equal_to(0" in text and "1 failing row" in text
    assert f"order_id={bad_id}" in text


# -- slow: every transform and every report loader ---------------------------------------------
def _params(calls):
    return [pytest.param(name, marks=[*needs_spark, pytest.mark.slow]) for name in calls]


@pytest.mark.parametrize("name", _params(parity.transform_calls()))
def test_transform_equal_on_spark_and_duckdb(stores, name):
    spark_store, duck_store = stores
    call = parity.transform_calls()[name]
    assert parity.differences(call(duck_store), call(spark_store)) == []


@pytest.mark.parametrize("name", _params(parity.loader_calls()))
def test_report_loader_equal_on_spark_and_duckdb(stores, name):
    spark_store, duck_store = stores
    call = parity.loader_calls()[name]
    assert parity.differences(call(duck_store), call(spark_store)) == []
