"""Validation inside the engine (issue 19): counts and examples without collecting a table.

A store with planted bad rows (known counts per check) is validated through DuckDB, and in
the slow tests through Spark too: both must find the same failures, set the same rows aside
and keep tables with the same fingerprint. The engine may only send back aggregates and a
few example rows; the kept rows stay an expression on the engine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest

from luckin_lab.contracts import ContractViolation
from luckin_lab.sources import open_store, write_parquet_us

sys.path.insert(0, str(Path(__file__).parent))

AS_OF = "2026-03-01"  # the small demo store's data end on 2026-02-13
TABLES = ("stores", "products", "orders", "order_items", "coupons", "promotions", "experiments")

# planted in orders (row positions of the clean table): check -> rows it breaks
PLANTED = {
    ("pay_amount", "greater_than_or_equal_to(0)"): 3,
    ("status", "isin"): 2,
    ("pay_amount", "finite (no inf)"): 1,
    ("order_time", "not_after_run_date(2026-03-01)"): 2,
    ("order_id", "field_uniqueness"): 2,  # one order twice: both copies
    ("store_id", "references stores.store_id"): 4,
}


@pytest.fixture(scope="module")
def planted(small_store_dir, tmp_path_factory) -> tuple[Path, dict]:
    """A Parquet folder of the small store with bad orders planted at known rows."""
    src = small_store_dir / "parquet"
    folder = tmp_path_factory.mktemp("planted")
    for name in TABLES:
        frame = pd.read_parquet(src / f"{name}.parquet")
        if name == "orders":
            frame = frame.sort_values("order_id").reset_index(drop=True)
            frame.loc[[10, 20, 30], "pay_amount"] = -1.0
            frame.loc[[40, 50], "status"] = "lost"
            frame.loc[60, "pay_amount"] = np.inf
            frame.loc[[70, 80], "order_time"] = pd.Timestamp("2099-01-05 09:00")
            frame.loc[[90, 100, 110, 120], "store_id"] = 555  # no such store (999 is the test store)
            frame = pd.concat([frame, frame.iloc[[130]]], ignore_index=True)
            bad_keys = frame.loc[[10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130], "order_id"]
            meta = {"rows": len(frame), "bad_keys": set(bad_keys.astype(int)),
                    "negative": sorted(frame.loc[[10, 20, 30], "order_id"].astype(int))}
        write_parquet_us(frame, folder / f"{name}.parquet")
    return folder, meta


def _failures(err: ContractViolation) -> dict:
    return {(f.column, f.check.split("([")[0]): f.n_rows for f in err.value.failures}


def test_planted_failures_are_counted_and_named_by_key(planted):
    folder, meta = planted
    with pytest.raises(ContractViolation) as err:
        open_store(f"folder:{folder}", as_of=AS_OF).table("orders")
    assert _failures(err) == PLANTED
    text = str(err.value)
    first_negative = meta["negative"][0]  # examples come in key order, named by key
    assert f"order_id={first_negative} pay_amount=-1.0" in text
    assert "row " not in text  # an engine has no row positions


def test_quarantine_keeps_the_rest_as_an_engine_filter_and_writes_the_keys(planted, tmp_path):
    folder, meta = planted
    store = open_store(f"folder:{folder}", as_of=AS_OF, on_error="quarantine",
                       quarantine_dir=tmp_path / "q")
    orders = store.table("orders")
    n_bad = len(meta["bad_keys"]) + 1  # the repeated order counts twice
    assert store.execute(orders.count()) == meta["rows"] - n_bad
    assert not any(isinstance(node, ibis.expr.operations.InMemoryTable)
                   for node in orders.op().find(ibis.expr.operations.Relation))
    q = pd.read_parquet(store.quarantine_run() / "orders.parquet")
    assert len(q) == n_bad and set(q.order_id) == meta["bad_keys"]
    reasons = q.set_index("order_id")["_reason"]
    assert reasons[meta["negative"][0]] == "pay_amount: greater_than_or_equal_to(0)"
    ex = store.exclusions_frame().set_index("reason")["rows"]
    assert ex["key not found in the referenced table (quarantined)"] == 4
    assert ex["failed its contract (quarantined)"] == n_bad - 4


class _Collected:
    """Every result the engine sends back to Python, by number of rows."""

    def __init__(self, monkeypatch):
        self.rows: list[int] = []
        backend = type(ibis.duckdb.connect())
        for method in ("execute", "to_pyarrow", "to_pyarrow_batches"):
            original = getattr(backend, method)

            def wrapped(con, expr, *a, _original=original, _method=method, **k):
                out = _original(con, expr, *a, **k)
                if _method == "to_pyarrow_batches":
                    self.rows.append(-1)  # a stream: the quarantine writer, checked apart
                else:
                    self.rows.append(len(out) if hasattr(out, "__len__") else 1)
                return out

            monkeypatch.setattr(backend, method, wrapped)


def test_validation_sends_back_only_aggregates_and_examples(planted, monkeypatch, tmp_path):
    folder, meta = planted
    seen = _Collected(monkeypatch)
    store = open_store(f"folder:{folder}", as_of=AS_OF, on_error="quarantine",
                       quarantine_dir=tmp_path / "q")
    for name in TABLES:
        store.table(name)
    store.fingerprint()
    assert seen.rows and max(seen.rows) <= 3, seen.rows  # one-row aggregates, 3 examples
    assert seen.rows.count(-1) == 1  # the quarantined rows of orders, streamed to a file
    assert sum(r for r in seen.rows if r > 0) < 0.01 * meta["rows"]
    with pytest.raises(ContractViolation):  # and without quarantine the same checks fail
        open_store(f"folder:{folder}", as_of=AS_OF).table("orders")
    assert max(seen.rows) <= 3


def test_fingerprint_is_the_content_not_the_order_or_the_physical_types(small_store_dir, tmp_path):
    stores = pd.read_parquet(small_store_dir / "parquet" / "stores.parquet")

    def fp(frame: pd.DataFrame, name: str) -> str:
        folder = tmp_path / name
        folder.mkdir()
        frame.to_parquet(folder / "stores.parquet")
        store = open_store(f"folder:{folder}")
        store.table("stores")
        return store.fingerprint()["tables"]["stores"]["sha256_16"]

    base = fp(stores, "base")
    shuffled = stores.sample(frac=1.0, random_state=1).reset_index(drop=True)
    assert fp(shuffled, "shuffled") == base
    narrow = stores.astype({"open_hour": "int32", "close_hour": "uint8"})  # same numbers
    assert fp(narrow, "narrow") == base
    changed = stores.copy()
    changed.loc[3, "store_name"] = changed.loc[3, "store_name"] + " "
    assert fp(changed, "text") != base
    swapped = stores.copy()  # two stores' capacities swapped: same column totals
    swapped.loc[[0, 1], "cup_capacity_per_hour"] = stores.loc[[1, 0], "cup_capacity_per_hour"].to_numpy()
    assert stores.cup_capacity_per_hour[0] != stores.cup_capacity_per_hour[1]
    assert fp(swapped, "swapped") != base


# -- Spark: the same failures, the same rows kept (slow: a JVM) -----------------------------------
@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_planted_failures_equal_on_spark_and_duckdb(spark, planted, tmp_path):
    folder, meta = planted
    duck = open_store(f"folder:{folder}", as_of=AS_OF)
    sparks = open_store(f"spark:folder/{folder}", as_of=AS_OF, session=spark)
    found = []
    for store in (duck, sparks):
        with pytest.raises(ContractViolation) as err:
            store.table("orders")
        found.append((_failures(err), str(err.value).splitlines()[1:]))
    assert found[0][0] == found[1][0] == PLANTED
    assert found[0][1] == found[1][1]  # the same examples, by key
    kept = []
    for uri, kw in ((f"folder:{folder}", {}), (f"spark:folder/{folder}", {"session": spark})):
        store = open_store(uri, as_of=AS_OF, on_error="quarantine", quarantine_dir=tmp_path, **kw)
        for name in TABLES:
            store.table(name)
        kept.append((store.exclusions_frame(), store.fingerprint()["tables"]))
    pd.testing.assert_frame_equal(kept[0][0], kept[1][0])
    assert kept[0][1] == kept[1][1]
    assert kept[0][1]["orders"]["rows"] == meta["rows"] - len(meta["bad_keys"]) - 1


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_timezone_rule_on_spark_as_on_duckdb(spark, small_store_dir, tmp_path):
    """An aware column (Spark: TIMESTAMP, an instant) becomes New York wall-clock time."""
    orders = pd.read_parquet(small_store_dir / "parquet" / "orders.parquet").head(50)
    local = pd.Timestamp("2026-02-08 22:30")  # Sunday evening in Manhattan = Monday 03:30 UTC
    orders.loc[0, "order_time"] = local
    aware = orders.assign(order_time=orders.order_time.dt.tz_localize("America/New_York")
                          .dt.tz_convert("UTC"))
    write_parquet_us(aware, tmp_path / "orders.parquet")
    got = []
    for uri, kw in ((f"folder:{tmp_path}", {}), (f"spark:folder/{tmp_path}", {"session": spark})):
        store = open_store(uri, **kw)
        got.append(store.execute(store.table("orders").order_by("order_id")))
    assert got[0].loc[got[0].order_id == orders.order_id[0], "order_time"].item() == local
    pd.testing.assert_frame_equal(got[0], got[1])


def test_pandas_frames_keep_their_wall_clock_and_nullable_ids(small_store_uri):
    """Generic contracts keep the wall clock an aware value carries (timezone: local); a
    company contract converts it to New York time; NULL integer ids stay integers."""
    from luckin_lab.contracts import validate

    tx = pd.DataFrame({"customer_id": ["a", "b"], "amount": [3.0, 4.5],
                       "timestamp": pd.to_datetime(["2025-03-01 09:15", "2025-03-02 18:00"])})
    aware = tx.assign(timestamp=tx.timestamp.dt.tz_localize("Asia/Shanghai"))
    got = validate(aware, "generic_transactions").frame.timestamp
    pd.testing.assert_series_equal(got, tx.timestamp)  # 09:15 in Shanghai stays 09:15
    coupons = open_store(small_store_uri).load("coupons").head(20)
    coupons["redeemed_order_id"] = coupons.redeemed_order_id.astype("Int64")
    coupons.loc[[0, 1], "redeemed_order_id"] = pd.NA
    coupons.loc[2, "redeemed_order_id"] = 1000000072
    coupons["issue_time"] = coupons.issue_time.dt.tz_localize("UTC")  # 05:00 UTC = 00:00 NYC
    res = validate(coupons, "coupons", as_of=pd.Timestamp(AS_OF)).frame
    assert str(res.redeemed_order_id.dtype) == "Int64" and res.redeemed_order_id[2] == 1000000072
    want = coupons.issue_time.dt.tz_convert("America/New_York").dt.tz_localize(None)
    pd.testing.assert_series_equal(res.issue_time, want)
