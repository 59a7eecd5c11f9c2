"""Bad input, one row per contract check and per defect class of issue 16 (items 2, 4, 6, 8)
and issue 12's contract items: each gets a clear error naming table, column and check, or is
quarantined with a count on opt-in; nothing passes silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from luckin_lab.contracts import ContractViolation, get_contract, load_rules, validate
from luckin_lab.sources import SourceError, open_store

AS_OF = pd.Timestamp("2026-03-01")  # the demo store's data end on 2026-02-13


@pytest.fixture(scope="module")
def good(small_store_uri) -> dict[str, pd.DataFrame]:
    store = open_store(small_store_uri)
    names = ("orders", "order_items", "products", "payments", "stores", "iot_devices", "users",
             "experiment_assignments", "generic_time_to_event", "generic_price_demand")
    return {name: store.load(name) for name in names}


def _set(table: str, rows: list[int], column: str, value) -> Callable:
    def mutate(frames):
        df = frames[table].copy()
        if isinstance(value, float) and np.isnan(value) and df[column].dtype == "int64":
            df[column] = df[column].astype("float64")
        df.loc[rows, column] = value
        return df
    return mutate


# (id, table, mutation, check named in the error, column named, quarantinable)
MATRIX = [
    ("missing column", "orders", lambda f: f["orders"].drop(columns=["pay_amount"]),
     "column_in_dataframe", "pay_amount", False),
    ("extra column", "orders", lambda f: f["orders"].assign(promo_note="x"),
     "column_in_schema", "promo_note", False),
    ("wrong type", "orders", lambda f: f["orders"].assign(store_id=f["orders"].store_id.astype(str)),
     "dtype('int64')", "store_id", False),
    ("null in non-null text", "orders", _set("orders", [4, 9], "status", None),
     "not_nullable", "status", True),
    ("null in non-null integer", "orders", _set("orders", [4, 9], "n_items", np.nan),
     "not_nullable", "n_items", True),
    ("below min", "orders", _set("orders", [3, 7], "pay_amount", -1.5),
     "greater_than_or_equal_to(0", "pay_amount", True),
    ("above max", "products", _set("products", [0, 1], "list_price", 75.0),
     "less_than_or_equal_to(50", "list_price", True),
    ("not allowed", "products", _set("products", [0, 2], "category", "Bubble Tea"),
     "isin", "category", True),
    ("pattern", "iot_devices", _set("iot_devices", [0, 5], "device_id", "espresso 1"),
     "str_matches", "device_id", True),
    ("duplicate key", "orders", lambda f: pd.concat([f["orders"], f["orders"].iloc[[5, 8]]],
                                                    ignore_index=True),
     "field_uniqueness", "order_id", True),
    ("duplicate composite key", "experiment_assignments",
     lambda f: pd.concat([f["experiment_assignments"], f["experiment_assignments"].iloc[[2, 3]]],
                         ignore_index=True),
     "multiple_fields_uniqueness", None, True),
    ("non-integer id text", "payments",
     lambda f: f["payments"].assign(order_id=f["payments"].order_id.astype(str)).pipe(
         lambda d: d.assign(order_id=d.order_id.where(~d.index.isin([2, 5]), "ORD-17"))),
     "dtype('int64')", "order_id", True),
    ("+inf amount", "orders", _set("orders", [6, 10], "pay_amount", np.inf),
     "finite", "pay_amount", True),
    ("-inf amount", "order_items", _set("order_items", [1, 2], "paid_price", -np.inf),
     "finite", "paid_price", True),
    ("timestamp after the run date", "orders", _set("orders", [1, 2], "order_time",
                                                    pd.Timestamp("2099-01-05 09:00")),
     "not_after_run_date(2026-03-01)", "order_time", True),
    ("timestamp before the company", "users", _set("users", [0, 3], "register_time",
                                                   pd.Timestamp("1999-12-31")),
     "not_before(2024-01-01)", "register_time", True),
    ("negative duration (generic)", "generic_time_to_event",
     _set("generic_time_to_event", [0, 1], "stop", -3.0),
     "greater_than_or_equal_to(0", "stop", True),
]


@pytest.mark.parametrize("case, table, mutate, check, column, quarantinable", MATRIX,
                         ids=[m[0] for m in MATRIX])
def test_bad_input_matrix(good, case, table, mutate, check, column, quarantinable):
    bad = mutate(good)
    with pytest.raises(ContractViolation) as err:
        validate(bad, table, as_of=AS_OF)
    msg = str(err.value)
    assert f"Table '{table}'" in msg and check in msg, msg
    if column:
        assert f"'{column}'" in msg, msg
    assert f"column '{table}'" not in msg  # pandera's table-as-column naming never leaks out
    if not quarantinable:
        with pytest.raises(ContractViolation):
            validate(bad, table, on_error="quarantine", as_of=AS_OF)
        return
    res = validate(bad, table, on_error="quarantine", as_of=AS_OF)
    assert res.n_quarantined == 2 or case.startswith("duplicate") and res.n_quarantined == 4
    assert len(res.frame) == len(bad) - res.n_quarantined
    assert res.quarantined["_reason"].str.contains(check.split("(")[0]).all()
    validate(res.frame, table, as_of=AS_OF)  # what is kept is clean


def test_extra_column_message_names_the_column_and_the_fix(good):
    with pytest.raises(ContractViolation) as err:
        validate(good["orders"].assign(promo_note="x"), "orders")
    msg = str(err.value)
    assert "column(s) ['promo_note'] are not in the contract" in msg
    assert "data_contracts/orders.yaml" in msg and "failing rows" not in msg


def test_null_in_non_null_integer_column_is_quarantined_not_a_crash(good):
    bad = _set("orders", [4, 9, 11], "n_items", np.nan)(good)
    res = validate(bad, "orders", on_error="quarantine")
    assert res.n_quarantined == 3 and res.frame.n_items.dtype == "int64"
    assert set(res.quarantined.index) == {4, 9, 11}


# -- numbers and times that are possible ----------------------------------------------------


def test_run_date_is_the_limit_and_future_columns_are_exempt(good):
    orders = _set("orders", [1], "order_time", pd.Timestamp("2026-03-02 10:00"))(good)
    validate(orders, "orders", as_of=AS_OF)  # within the one-day tolerance
    with pytest.raises(ContractViolation, match="not_after_run_date"):
        validate(orders, "orders", as_of=pd.Timestamp("2026-02-20"))
    assert get_contract("coupons").columns["expire_time"].future  # a coupon may expire next month
    rules = load_rules()
    assert rules.timezone == "America/New_York" and str(rules.earliest) == "2024-01-01"


def test_outlier_beyond_plausible_bound_is_kept_but_flagged_in_the_store(good, tmp_path):
    bad = good["orders"].copy()
    bad.loc[[5], "pay_amount"] = 1e12
    bad.loc[[5], "list_amount"] = 1e12
    res = validate(bad, "orders")
    assert len(res.frame) == len(bad)  # kept: it may be real
    [flag] = [f for f in res.flags if f.column == "pay_amount"]
    assert flag.n_rows == 1 and "above 1,000" in flag.reason
    assert f"order_id={int(bad.loc[5, 'order_id'])}" in flag.examples[0]
    folder = tmp_path / "x"
    folder.mkdir()
    bad.to_parquet(folder / "orders.parquet")
    store = open_store(f"folder:{folder}")
    assert store.execute(store.table("orders").count()) == len(bad)
    assert store.exclusions_frame().empty  # kept rows are not exclusions ...
    fl = store.flags_frame()  # ... but are counted apart, for the data-quality section
    flagged = fl[fl.reason.str.startswith("kept but flagged: pay_amount above 1,000")]
    assert flagged.rows.tolist() == [1]


def test_timezone_rule_converts_aware_timestamps_to_store_local_time(good, tmp_path):
    orders = good["orders"].head(50).copy()
    local = pd.Timestamp("2026-02-08 22:30")  # Sunday evening in Manhattan ...
    orders.loc[0, "order_time"] = local
    aware = orders.assign(order_time=orders.order_time.dt.tz_localize("America/New_York")
                          .dt.tz_convert("UTC"))  # ... is Monday 03:30 UTC: the next week
    assert aware.order_time[0].day_name() == "Monday"
    res = validate(aware, "orders")
    assert res.frame.order_time[0] == local and res.frame.order_time.dt.tz is None
    pd.testing.assert_series_equal(res.frame.order_time, orders.order_time)
    # the same through a folder source: the engine-side table is the local one too
    folder = tmp_path / "tz"
    folder.mkdir()
    aware.to_parquet(folder / "orders.parquet")
    store = open_store(f"folder:{folder}")
    got = store.execute(store.table("orders").order_by("order_id"))
    want = orders.sort_values("order_id").reset_index(drop=True)
    pd.testing.assert_series_equal(got.order_time.astype("datetime64[ns]"), want.order_time)


def test_mysql_types_are_coerced_to_the_contract():
    """TINYINT(1) booleans, DECIMAL and UNSIGNED as a MySQL driver returns them."""
    raw = pd.DataFrame({
        "store_id": pd.array([3, 1], dtype="uint32"),
        "store_name": ["A", "B"], "borough": ["Manhattan", "JFK Airport"],
        "lat": [Decimal("40.712800"), Decimal("40.641300")],
        "lon": [Decimal("-74.006000"), Decimal("-73.778100")],
        "open_date": pd.to_datetime(["2025-06-01", "2025-07-01"]), "currency": ["USD", "USD"],
        "is_test_store": pd.array([0, 1], dtype="int8"),
        "open_hour": pd.array([7, 6], dtype="uint8"), "close_hour": pd.array([20, 22], dtype="uint8"),
        "cup_capacity_per_hour": [Decimal("60.00"), Decimal("45.50")],
    })
    out = validate(raw, "stores").frame
    assert out.is_test_store.tolist() == [False, True] and out.is_test_store.dtype == bool
    assert out.store_id.dtype == "int64" and out.open_hour.dtype == "int64"
    assert out.lat.tolist() == [40.7128, 40.6413] and out.cup_capacity_per_hour.dtype == "float64"
    with pytest.raises(ContractViolation, match="is_test_store"):  # 2 is not a boolean
        validate(raw.assign(is_test_store=pd.array([0, 2], dtype="int8")), "stores")


# -- generic contracts (issue 12) ----------------------------------------------------------


def test_generic_contracts_coerce_integer_ids(good):
    tte = good["generic_time_to_event"].copy()
    ints = pd.Series(range(100, 100 + len(tte)), index=tte.index)
    res = validate(tte.assign(unit_id=ints), "generic_time_to_event")
    assert res.frame.unit_id.tolist()[:2] == ["100", "101"]
    floats = ints.astype("float64")  # a CSV with a null elsewhere reads ids as floats
    assert validate(tte.assign(unit_id=floats), "generic_time_to_event").frame.unit_id[0] == "100"
    exp = pd.DataFrame({"unit_id": [1, 2, 3], "arm": ["control", "a", "a"], "outcome": [0, 1, 1],
                        "cluster_id": [7, 7, 8]})
    out = validate(exp, "generic_experiment").frame
    assert out.unit_id.tolist() == ["1", "2", "3"] and out.cluster_id.tolist() == ["7", "7", "8"]


def test_generic_optional_columns_are_optional_but_checked_when_present(good):
    panel = good["generic_price_demand"].drop(columns=["list_price", "unit_cost"], errors="ignore")
    assert len(validate(panel, "generic_price_demand").frame) == len(panel)
    with pytest.raises(ContractViolation, match="column 'unit_cost'"):
        validate(panel.assign(unit_cost="cheap"), "generic_price_demand")
    with pytest.raises(ContractViolation, match="column 'list_price'"):
        validate(panel.assign(list_price=-1.0), "generic_price_demand")


# -- folder sources: one file per table, clear file errors -------------------------------


@pytest.mark.parametrize("names", [
    ("orders.parquet", "orders.v2.parquet"),
    ("orders.parquet", "orders.csv"),
    ("orders.parquet", "orders"),
])
def test_folder_with_two_candidates_for_a_table_is_an_error_naming_both(good, tmp_path, names):
    orders = good["orders"]
    for i, name in enumerate(names):
        half = orders if i == 0 else orders.iloc[: len(orders) // 2]
        path = tmp_path / name
        if name.endswith(".csv"):
            half.to_csv(path, index=False)
        elif "." not in name:
            path.mkdir()
            half.to_parquet(path / "part-0.parquet")
        else:
            half.to_parquet(path)
    with pytest.raises(SourceError) as err:
        open_store(f"folder:{tmp_path}")
    msg = str(err.value)
    assert "table 'orders'" in msg and all(n in msg for n in names), msg


def test_latin1_csv_is_a_clear_error_naming_file_and_encoding(tmp_path):
    (tmp_path / "stores.csv").write_bytes("store_id,store_name\n1,Café Musée\n".encode("latin-1"))
    with pytest.raises(SourceError) as err:
        open_store(f"folder:{tmp_path}")
    msg = str(err.value)
    assert "stores.csv" in msg and "not UTF-8" in msg and "latin-1" in msg


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_empty_table_is_a_clear_error(good, tmp_path, kind):
    empty = good["orders"].iloc[:0]
    if kind == "csv":
        empty.to_csv(tmp_path / "orders.csv", index=False)
    else:
        empty.to_parquet(tmp_path / "orders.parquet")
    store = open_store(f"folder:{tmp_path}")
    with pytest.raises(SourceError, match="Table 'orders' in folder:.* has no rows"):
        store.table("orders")


# -- foreign keys ----------------------------------------------------------------------------


def _folder(tmp_path, frames: dict[str, pd.DataFrame]):
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name, df in frames.items():
        df.to_parquet(tmp_path / f"{name}.parquet")
    return f"folder:{tmp_path}"


def test_orphan_keys_fail_with_count_and_examples_or_are_quarantined(good, tmp_path):
    items = good["order_items"].copy()
    orders = good["orders"]
    gone = orders.order_id.iloc[:3].tolist()  # the orders of some items are missing
    kept = orders[~orders.order_id.isin(gone)]
    n_orphans = int(items.order_id.isin(gone).sum())
    assert n_orphans > 0
    uri = _folder(tmp_path / "src", {"orders": kept, "order_items": items,
                                     "products": good["products"]})
    with pytest.raises(ContractViolation) as err:
        open_store(uri).table("order_items")
    msg = str(err.value)
    assert "column 'order_id' · check references orders.order_id" in msg
    assert f"{n_orphans} failing row" in msg and f"order_id={gone[0]}" in msg
    store = open_store(uri, on_error="quarantine", quarantine_dir=tmp_path / "q")
    assert store.execute(store.table("order_items").count()) == len(items) - n_orphans
    ex = store.exclusions_frame()
    assert ex.loc[ex.reason.str.contains("referenced table"), "rows"].tolist() == [n_orphans]
    q = pd.read_parquet(store.quarantine_run() / "order_items.parquet")
    assert len(q) == n_orphans and q._reason.str.contains("references orders.order_id").all()


def test_references_to_an_absent_table_are_not_checked(good, tmp_path):
    uri = _folder(tmp_path, {"order_items": good["order_items"]})  # no orders table here
    assert open_store(uri).execute(open_store(uri).table("order_items").count()) == len(good["order_items"])


# -- quarantine files ---------------------------------------------------------------------


def test_quarantine_files_are_kept_per_check_and_a_clean_check_is_recorded(good, tmp_path):
    from luckin_lab.cli import app

    bad = good["orders"].copy()
    bad.loc[[1, 2], "status"] = "lost"
    src = tmp_path / "src"
    uri = _folder(src, {"orders": bad})
    qroot = tmp_path / "q"
    first = open_store(uri, on_error="quarantine", quarantine_dir=qroot)
    first.table("orders")
    first.record_quarantine()
    bad.loc[[3], "status"] = "lost"
    bad.to_parquet(src / "orders.parquet")
    second = open_store(uri, on_error="quarantine", quarantine_dir=qroot)
    second.table("orders")
    second.record_quarantine()
    assert first.quarantine_run() != second.quarantine_run()
    assert len(pd.read_parquet(first.quarantine_run() / "orders.parquet")) == 2  # not overwritten
    assert len(pd.read_parquet(second.quarantine_run() / "orders.parquet")) == 3
    latest = json.loads((qroot / "latest.json").read_text())
    assert latest["folder"] == str(second.quarantine_run())
    assert latest["tables"]["orders"]["quarantined"] == 3
    # a clean check through the CLI replaces the record: nothing looks current any more
    good["orders"].to_parquet(src / "orders.parquet")
    res = CliRunner().invoke(app, ["validate", "--source", uri, "--quarantine", "--tables", "orders"],
                             env={"LUCKIN_LAB_DATA": str(tmp_path / "data")})
    assert res.exit_code == 0, res.output
    latest = json.loads((tmp_path / "data" / "quarantine" / "latest.json").read_text())
    assert latest["folder"] is None and latest["tables"]["orders"]["quarantined"] == 0


# -- `luckin-lab validate` ------------------------------------------------------------------


def _validate(*args: str):
    from luckin_lab.cli import app

    res = CliRunner().invoke(app, ["validate", *args])
    res.flat = " ".join(res.output.split())  # rich wraps long lines
    return res


def test_validate_fails_on_a_source_holding_no_contract_table(tmp_path):
    (tmp_path / "empty").mkdir()
    res = _validate("--source", f"folder:{tmp_path / 'empty'}")
    assert res.exit_code == 1 and "no contract table" in res.flat
    (tmp_path / "wrong").mkdir()
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "wrong" / "ordres.parquet")
    res = _validate("--source", f"folder:{tmp_path / 'wrong'}")
    assert res.exit_code == 1 and "ordres" in res.flat and "no contract table" in res.flat
    res = _validate("--source", f"folder:{tmp_path / 'nowhere'}")
    assert res.exit_code == 1 and "does not exist" in res.flat


def test_validate_fails_when_a_required_table_is_missing(good, tmp_path):
    uri = _folder(tmp_path, {"orders": good["orders"], "stores": good["stores"]})
    res = _validate("--source", uri)
    assert res.exit_code == 1
    assert "order_items" in res.flat and "missing" in res.flat
    res = _validate("--source", uri, "--tables", "orders,stores")
    assert res.exit_code == 0, res.output
    res = _validate("--source", uri, "--tables", "orders,payments")
    assert res.exit_code == 1 and "payments" in res.flat


def test_validate_checks_generic_tables_too(good, tmp_path):
    tte = good["generic_time_to_event"]
    uri = _folder(tmp_path / "ok", {"generic_time_to_event": tte})
    res = _validate("--source", uri)
    assert res.exit_code == 0, res.output
    assert "generic_time_to_event" in res.flat and f"{len(tte):,}" in res.flat
    bad = tte.assign(event=tte.event.where(tte.index != 0, 7))
    res = _validate("--source", _folder(tmp_path / "bad", {"generic_time_to_event": bad}))
    assert res.exit_code == 1 and "column 'event'" in res.flat and "isin" in res.flat


def test_validate_on_the_demo_store_is_clean(small_store_uri):
    res = _validate("--source", small_store_uri)
    assert res.exit_code == 0, res.output
    assert "missing" not in res.flat and "failed" not in res.flat
