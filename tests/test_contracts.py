"""Bad input gets a clear error naming table, column, check and offending rows."""

from __future__ import annotations

import pandas as pd
import pytest

from luckin_lab.contracts import ContractViolation, all_contracts, get_contract, validate
from luckin_lab.sources import open_store


@pytest.fixture(scope="module")
def good(small_store_uri) -> dict[str, pd.DataFrame]:
    store = open_store(small_store_uri)
    return {name: store.load(name) for name in ("orders", "products", "payments", "stores")}


def test_every_contract_loads_and_names_its_source():
    contracts = all_contracts()
    assert {"orders", "order_items", "payments", "users", "stores", "products", "coupons",
            "promotions", "experiments", "experiment_assignments", "production_records",
            "location_features", "candidate_sites"} <= set(contracts)
    for c in contracts.values():
        assert c.source.system and c.source.table
        assert c.columns
        for key in c.primary_key:
            assert key in c.columns, f"{c.table}: primary key {key} is not a column"


def test_every_demo_table_validates(small_store_uri):
    store = open_store(small_store_uri)
    checked = 0
    for name in all_contracts():
        if store.has(name):
            frame = store.load(name)
            assert len(frame) > 0, name
            checked += 1
    assert checked >= 13


def test_missing_column_is_named(good):
    bad = good["orders"].drop(columns=["pay_amount"])
    with pytest.raises(ContractViolation) as err:
        validate(bad, "orders")
    msg = str(err.value)
    assert "Table 'orders'" in msg and "pay_amount" in msg and "missing" in msg
    assert "salesorder.t_sales_order_m" in msg


def test_wrong_type_is_named(good):
    bad = good["orders"].assign(store_id=good["orders"].store_id.astype(str))
    with pytest.raises(ContractViolation) as err:
        validate(bad, "orders")
    msg = str(err.value)
    assert "column 'store_id'" in msg and "expected int64" in msg


def test_negative_amount_names_rows_and_count(good):
    bad = good["orders"].copy()
    bad.loc[[3, 7, 11], "pay_amount"] = -1.5
    with pytest.raises(ContractViolation) as err:
        validate(bad, "orders")
    e = err.value
    [f] = [f for f in e.failures if f.column == "pay_amount"]
    assert f.n_rows == 3
    assert "greater_than_or_equal_to" in f.check
    msg = str(e)
    assert "3 failing rows" in msg
    assert f"order_id={int(bad.loc[3, 'order_id'])}" in msg  # the key of an offending row


def test_duplicate_key_is_reported(good):
    bad = pd.concat([good["orders"], good["orders"].iloc[[5]]], ignore_index=True)
    with pytest.raises(ContractViolation) as err:
        validate(bad, "orders")
    [f] = [f for f in err.value.failures if f.column == "order_id"]
    assert f.check == "field_uniqueness" and f.n_rows == 2


def test_unknown_category_is_reported(good):
    bad = good["products"].copy()
    bad.loc[0, "category"] = "Bubble Tea"
    with pytest.raises(ContractViolation) as err:
        validate(bad, "products")
    msg = str(err.value)
    assert "column 'category'" in msg and "isin" in msg and "'Bubble Tea'" in msg


def test_varchar_order_id_is_normalised_and_garbage_fails(good):
    pay = good["payments"].copy()
    pay["order_id"] = pay.order_id.astype(str).str.zfill(12)  # as salespayment sends it
    res = validate(pay, "payments")
    assert res.frame.order_id.dtype == "int64"
    assert res.frame.order_id.isin(good["orders"].order_id).all()
    pay.loc[2, "order_id"] = "ORD-17"
    with pytest.raises(ContractViolation) as err:
        validate(pay, "payments")
    assert "column 'order_id'" in str(err.value) and "ORD-17" in str(err.value)


def test_quarantine_is_explicit_and_counted(good, tmp_path, small_store_dir):
    bad = good["orders"].copy()
    bad.loc[[1, 2], "status"] = "lost"
    res = validate(bad, "orders", on_error="quarantine")
    assert res.n_quarantined == 2 and len(res.frame) == len(bad) - 2
    assert set(res.quarantined["_reason"].str.contains("status"))  == {True}
    # a folder source with a broken table: quarantine file written, exclusion recorded
    folder = tmp_path / "extract"
    folder.mkdir()
    bad.to_parquet(folder / "orders.parquet")
    store = open_store(f"folder:{folder}", on_error="quarantine", quarantine_dir=tmp_path / "q")
    assert store.execute(store.table("orders").count()) == len(bad) - 2
    assert (store.quarantine_run() / "orders.parquet").exists()
    assert store.quarantine_run().parent == tmp_path / "q"
    ex = store.exclusions_frame()
    assert ex.loc[ex.table == "orders", "rows"].sum() == 2
    # without the opt-in the same table fails
    with pytest.raises(ContractViolation):
        open_store(f"folder:{folder}").table("orders")


def test_table_level_problems_are_never_quarantined(good):
    with pytest.raises(ContractViolation):
        validate(good["orders"].drop(columns=["status"]), "orders", on_error="quarantine")


def test_contract_reference_columns_exist():
    contracts = all_contracts()
    for c in contracts.values():
        for name, col in c.columns.items():
            if col.references:
                table, column = col.references.split(".")
                if table in contracts:
                    assert column in contracts[table].columns, f"{c.table}.{name} -> {col.references}"


def test_unknown_contract_is_a_clear_error():
    with pytest.raises(KeyError, match="no contract for table 'ordres'"):
        get_contract("ordres")


def test_optional_column_may_be_absent_but_is_checked_when_present():
    from luckin_lab.contracts import Contract

    c = Contract(
        table="t", description="d", source={"system": "any", "table": "x"}, strict=False,
        columns={"unit_id": {"type": "string"},
                 "cluster_id": {"type": "string", "required": False, "allowed": ["A", "B"]}},
    )
    df = pd.DataFrame({"unit_id": ["u1", "u2"], "extra": [1, 2]})
    assert len(validate(df, c).frame) == 2
    with pytest.raises(ContractViolation, match="cluster_id"):
        validate(df.assign(cluster_id=["A", "Z"]), c)


def test_an_all_null_text_column_keeps_the_contract_type_whatever_the_engine_typed_it(tmp_path):
    """DuckDB may store an empty column as INTEGER (NaN floats in pandas); MySQL as text (None)."""
    from luckin_lab.sources import write_duckdb

    base = pd.DataFrame({"experiment_id": ["E1", "E1"], "unit_id": ["u1", "u2"], "arm": ["a", "b"],
                         "assigned_time": pd.to_datetime(["2025-06-01", "2025-06-02"])})
    for empty in (pd.Series([float("nan")] * 2), pd.Series([None, None], dtype="Int64")):
        got = validate(base.assign(cluster_id=empty), "experiment_assignments").frame["cluster_id"]
        assert got.dtype == object and got.isna().all()
    kept = validate(base.assign(cluster_id=["s1", None]), "experiment_assignments").frame["cluster_id"]
    assert kept.tolist() == ["s1", None]
    # in the engine: an INTEGER column with no values is read as the contract's text
    db = write_duckdb(tmp_path / "s.duckdb", {"experiment_assignments": base.assign(
        cluster_id=pd.Series([None, None], dtype="Int64"))})
    store = open_store(f"duckdb:{db}")
    assert store.table("experiment_assignments").cluster_id.type().is_string()
    assert store.load("experiment_assignments").cluster_id.isna().all()
    # ... but an INTEGER column with values is a wrong type for the whole table
    db = write_duckdb(tmp_path / "t.duckdb", {"experiment_assignments": base.assign(cluster_id=[1, 2])})
    with pytest.raises(ContractViolation, match=r"column 'cluster_id' · check dtype\('str'\)"):
        open_store(f"duckdb:{db}").table("experiment_assignments")
