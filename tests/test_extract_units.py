"""Extract pieces that need no server: SELECT guard, mapping, settings, PII, casts, state."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from luckin_lab.contracts import get_contract
from luckin_lab.extract.errors import (
    MappingError,
    NotSelectError,
    SettingsError,
    SnapshotError,
    SourceTypeError,
)
from luckin_lab.extract.guard import check_select_only
from luckin_lab.extract.landing import WATERMARK, land_rows
from luckin_lab.extract.mapping import SourceMapping, TableMapping, load_mapping, plan_tables
from luckin_lab.extract.pii import hash_value, mask_value, protect
from luckin_lab.extract.pull import (
    ShardState,
    chunk_query,
    decode,
    encode,
    merge_table,
    remove_orphan_parts,
)
from luckin_lab.extract.settings import load_settings
from luckin_lab.extract.snapshot import ExtractLock, choose_workdir, write_parquet_atomic

# -- SELECT-only guard --------------------------------------------------------------------


@pytest.mark.parametrize("sql", [
    "SELECT `a` FROM `db`.`t` WHERE (`u`, `k`) > (:a0, :a1) ORDER BY `u`, `k` LIMIT 10",
    "select count(*) from information_schema.COLUMNS where TABLE_SCHEMA in (:d0, :d1)",
    "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
    "(SELECT 1) UNION (SELECT 2)",
    "SELECT VERSION()",
])
def test_guard_lets_plain_selects_through(sql):
    assert check_select_only(sql) is not None


@pytest.mark.parametrize("sql, why", [
    ("DELETE FROM salesorder.t_sales_order_m_0", "DELETE"),
    ("UPDATE t SET a = 1", "UPDATE"),
    ("INSERT INTO t SELECT * FROM u", "INSERT"),
    ("REPLACE INTO t VALUES (1)", "COMMAND"),
    ("DROP TABLE t", "DROP"),
    ("TRUNCATE TABLE t", "TRUNCATE"),
    ("CREATE TABLE t (a INT)", "CREATE"),
    ("ALTER TABLE t ADD COLUMN b INT", "ALTER"),
    ("GRANT ALL ON *.* TO x", "COMMAND"),
    ("CALL purge_orders()", "COMMAND"),
    ("SET GLOBAL read_only = 0", "SET"),
    ("SELECT 1; DROP TABLE t", "2 statements"),
    ("SELECT * FROM t FOR UPDATE", "locking read"),
    ("SELECT * FROM t LOCK IN SHARE MODE", "locking read"),
    ("SELECT a INTO @x FROM t", "INTO"),
    ("SELECT * INTO OUTFILE '/tmp/x' FROM t", "INTO OUTFILE"),
    ("SELECT LOAD_FILE('/etc/passwd')", "LOAD_FILE"),
    ("SELECT SLEEP(100)", "SLEEP"),
    ("LOAD DATA INFILE 'x' INTO TABLE t", "could not be parsed"),
    ("", "0 statements"),
])
def test_guard_refuses_everything_else(sql, why):
    with pytest.raises(NotSelectError, match=why):
        check_select_only(sql)


# Each of these was accepted before (issue 16 item 5); on MariaDB the SLEEP and the locking
# read inside the executable comments ran.
@pytest.mark.parametrize("sql, why", [
    ("SELECT 1 /*!50000 , SLEEP(2) */", "executable comment"),
    ("SELECT 1 /*!50000 INTO OUTFILE 'x.csv' */", "executable comment"),
    ("SELECT * FROM t /*!40000 FOR UPDATE */", "executable comment"),
    ("SELECT * FROM t /*!40000 LOCK IN SHARE MODE */", "executable comment"),
    ("SELECT 1 /*M!100100 , SLEEP(2) */", "executable comment"),
    ("SELECT 1 /*! , SLEEP(2) */", "executable comment"),
    ("SELECT 1 /*+ SET_VAR(sql_mode='') */", "executable comment"),
    ("SELECT 1 --1, SLEEP(1)", "comment"),  # MySQL reads `--1` as minus minus one
    ("SELECT 1 # trailing", "comment"),
    ("SELECT 1 /* plain */", "comment"),
    ("SELECT SOURCE_POS_WAIT('binlog.000001', 4)", "SOURCE_POS_WAIT"),
    ("SELECT MASTER_POS_WAIT('binlog.000001', 4)", "MASTER_POS_WAIT"),
    ("SELECT MASTER_GTID_WAIT('0-1-1')", "MASTER_GTID_WAIT"),
    ("SELECT WAIT_FOR_EXECUTED_GTID_SET('x:1')", "WAIT_FOR_EXECUTED_GTID_SET"),
    ("SELECT WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS('x:1')", "WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS"),
    ("SELECT GET_LOCK('a', 10)", "GET_LOCK"),
    ("SELECT IS_USED_LOCK('a')", "IS_USED_LOCK"),
    ("SELECT RELEASE_ALL_LOCKS()", "RELEASE_ALL_LOCKS"),
    ("SELECT BENCHMARK(1000000, MD5('x'))", "BENCHMARK"),
    ("SELECT a FROM t WHERE b IN (SELECT SLEEP(1))", "SLEEP"),
    ("SELECT @a := 1", "assignment"),
    ("SELECT a, @n := @n + 1 FROM t", "assignment"),
    ("SELECT * FROM t INTO DUMPFILE '/tmp/x'", "INTO DUMPFILE"),
    ("SELECT * FROM t FOR SHARE", "locking read"),
    ("SELECT purge_orders(1)", "does not know"),
    ("SELECT salesorder.purge(1)", "stored function"),
    ("SELECT " + "(" * 33 + "1" + ")" * 33, "nested deeper than 32"),
    ("SELECT " + "(" * 5000 + "1" + ")" * 5000, "nested deeper than 32"),
])
def test_guard_refuses_executable_comments_waits_locks_variables_and_deep_nesting(sql, why):
    with pytest.raises(NotSelectError, match=why):
        check_select_only(sql)


@pytest.mark.parametrize("sql", [
    "SELECT 'a -- b /* c */ # d' AS x",  # comment-like text inside a string is data
    "SELECT " + "(" * 32 + "1" + ")" * 32,
    "SELECT COALESCE(a, 1), MAX(b), COUNT(*) FROM t WHERE c IN (:p0, :p1)",
])
def test_guard_still_passes_plain_selects_near_its_limits(sql):
    assert check_select_only(sql) is not None


# -- mapping ------------------------------------------------------------------------------


def test_company_mapping_joins_contracts_renames_shards_and_casts():
    plans = {p.name: p for p in plan_tables(load_mapping("company"))}
    orders = plans["orders"]
    assert orders.shards == tuple(f"t_sales_order_m_{i}" for i in range(4))
    assert orders.watermark == "update_time"
    assert orders.column("user_id").source == "user_no"  # mapping rename
    assert orders.column("store_id").source == "shop_dept_id"
    assert plans["users"].column("user_id").source == "user_no"  # contract source_column
    assert plans["payments"].column("trade_id").source == "trade_no"
    assert plans["payments"].column("order_id").declared == "varchar"  # contract source_type
    assert plans["payments"].source_key == ["trade_no"]
    assert [c.name for c in plans["users"].columns if c.pii] == ["phone", "email"]
    assert plans["stores"].watermark is None and plans["stores"].shards == ("t_shop_info",)
    assert "generic_time_to_event" not in plans


def _mapping(**table) -> SourceMapping:
    return SourceMapping(source="t", tables={"orders": TableMapping(database="salesorder",
                                                                   table="t_sales_order_m", **table)})


def test_mapping_errors_name_the_problem(tmp_path):
    with pytest.raises(MappingError, match=r"column\(s\) \['no_such'\] are not in the contract"):
        plan_tables(_mapping(columns={"no_such": "x"}))
    with pytest.raises(MappingError, match="not in source mapping 't'"):
        plan_tables(_mapping(), tables=["payments"])
    with pytest.raises(ValueError, match="not a plain MySQL identifier"):
        TableMapping(database="salesorder; DROP TABLE x", table="t")
    bad = tmp_path / "leaky.yaml"
    bad.write_text("source: leaky\npassword: hunter2\ntables: {}\n")
    with pytest.raises(MappingError, match="password"):  # extra=forbid: no secrets in mappings
        load_mapping(bad)
    with pytest.raises(MappingError, match="known sources: .*company"):
        load_mapping("nope")


def test_chunk_query_is_keyset_with_bind_parameters():
    plan = plan_tables(load_mapping("company"), ["payments"])[0]
    first, params = chunk_query(plan, "t_sales_trade_m_1", ShardState(), 500)
    assert first.startswith("SELECT `trade_no`, `order_id`")
    assert "FROM `salespayment`.`t_sales_trade_m_1`" in first
    assert "WHERE" not in first and params == {}
    assert first.endswith("ORDER BY `update_time`, `trade_no` LIMIT 500")
    state = ShardState(after=[encode(dt.datetime(2026, 1, 2, 3, 4, 5)), "TR0000000042"],
                       lower=encode(dt.datetime(2026, 1, 1)))
    nxt, params = chunk_query(plan, "t_sales_trade_m_1", state, 500)
    assert "`update_time` >= :lo AND (`update_time`, `trade_no`) > (:a0, :a1)" in nxt
    assert params == {"lo": dt.datetime(2026, 1, 1), "a0": dt.datetime(2026, 1, 2, 3, 4, 5),
                      "a1": "TR0000000042"}
    check_select_only(nxt)


def test_keyset_values_round_trip_through_json():
    values = [dt.datetime(2026, 1, 2, 3, 4, 5, 678901), dt.date(2026, 1, 2), Decimal("12.30"), 7, "U1"]
    assert [decode(v) for v in json.loads(json.dumps([encode(v) for v in values]))] == values


# -- settings -----------------------------------------------------------------------------


def test_settings_from_env_override_local_file_and_never_print_password(tmp_path):
    local = tmp_path / "local.yaml"
    local.write_text("sources:\n  company: {host: replica.internal, user: ds_reader, "
                     "password: from-file, query_timeout_s: 120}\n")
    s = load_settings("company", env={}, config_path=local)
    assert (s.host, s.port, s.user, s.query_timeout_s) == ("replica.internal", 3306, "ds_reader", 120)
    assert s.password.get_secret_value() == "from-file"
    env = {"LUCKIN_LAB_COMPANY_HOST": "10.0.0.5", "LUCKIN_LAB_COMPANY_PORT": "3307",
           "LUCKIN_LAB_COMPANY_PASSWORD": "from-env"}
    s = load_settings("company", env=env, config_path=local)
    assert (s.host, s.port, s.user) == ("10.0.0.5", 3307, "ds_reader")
    assert s.password.get_secret_value() == "from-env"
    assert "from-env" not in repr(s) and "from-env" not in str(s.model_dump())


def test_settings_missing_say_which_variables_to_set(tmp_path):
    with pytest.raises(SettingsError, match="LUCKIN_LAB_COMPANY_HOST, LUCKIN_LAB_COMPANY_USER"):
        load_settings("company", env={}, config_path=tmp_path / "none.yaml")


def test_local_config_is_git_ignored():
    ignored = (Path(__file__).resolve().parents[1] / ".gitignore").read_text().split()
    assert ".luckin_lab.local.yaml" in ignored


# -- PII ----------------------------------------------------------------------------------


def test_pii_mask_hash_keep():
    assert mask_value("+1-212-555-8816") == "+*-***-***-**16"
    assert mask_value("jane.doe@example.com") == "j***@example.com"
    s = pd.Series(["+1-212-555-8816", None, "+1-212-555-8816"], dtype=object)
    assert protect(s, "mask").tolist() == ["+*-***-***-**16", None, "+*-***-***-**16"]
    hashed = protect(s, "hash", b"k3y")
    want = "h:" + hmac.new(b"k3y", b"+1-212-555-8816", hashlib.sha256).hexdigest()[:32]
    assert hashed.tolist() == [want, None, want]  # same person, same token: joins still work
    assert hash_value("+1-212-555-8816", b"other") != want
    assert protect(s, "keep") is s
    with pytest.raises(SettingsError, match="LUCKIN_LAB_PII_KEY"):
        protect(s, "hash", None)


# -- landing: casts and their errors --------------------------------------------------------


def _payments_plan():
    return plan_tables(load_mapping("company"), ["payments"])[0]


def _trade(trade_no: str, order_id, amount=3.5):
    return (trade_no, order_id, dt.datetime(2026, 1, 1, 8), Decimal(str(amount)), "USD", "card",
            0.4, "success", dt.datetime(2026, 1, 1, 8, 0, 5))


def test_land_rows_casts_varchar_order_id_and_keeps_watermark():
    plan = _payments_plan()
    frame = land_rows(plan, "t_sales_trade_m_0", [_trade("TR1", "123"), _trade("TR2", " 9000000001 ")],
                      "mask", None)
    assert frame["order_id"].tolist() == [123, 9000000001]
    assert frame["order_id"].dtype == "int64" and frame["amount"].dtype == "float64"
    assert frame[WATERMARK].iloc[0] == pd.Timestamp("2026-01-01 08:00:05")


def test_land_rows_bad_value_names_source_column_and_rows():
    plan = _payments_plan()
    rows = [_trade("TR1", "123"), _trade("TR2", "ORD-17"), _trade("TR3", "12.5")]
    with pytest.raises(SourceTypeError) as err:
        land_rows(plan, "t_sales_trade_m_1", rows, "mask", None)
    msg = str(err.value)
    assert "salespayment.t_sales_trade_m_1.order_id" in msg
    assert "2 value(s)" in msg and "trade_no='TR2'" in msg and "'ORD-17'" in msg and "'12.5'" in msg


def test_land_rows_null_in_required_column_is_an_error():
    with pytest.raises(SourceTypeError, match=r"t_sales_trade_m_0.order_id .*1 NULL value"):
        land_rows(_payments_plan(), "t_sales_trade_m_0", [_trade("TR1", None)], "mask", None)


# -- merge and resume bookkeeping -----------------------------------------------------------


def _orders_plan():
    return plan_tables(load_mapping("company"), ["orders"])[0]


def _order(order_id: int, status: str, wm: str) -> dict:
    return dict(order_id=order_id, user_id="U1", store_id=101, order_time=pd.Timestamp("2026-01-01 08:00"),
                currency="USD", status=status, list_amount=5.0, discount_amount=0.0, pay_amount=5.0,
                coupon_id=None, n_items=1, **{WATERMARK: pd.Timestamp(wm)})


def test_merge_keeps_newest_version_per_key_and_counts_superseded(tmp_path):
    plan = _orders_plan()
    contract = get_contract("orders")
    base = pd.DataFrame([_order(1, "completed", "2026-01-01"), _order(2, "completed", "2026-01-01")])
    write_parquet_atomic(base.drop(columns=[WATERMARK]), tmp_path / "base.parquet", contract)
    # order 2 refunded, then seen again in a later chunk (updated during the pull); order 3 new
    p1 = pd.DataFrame([_order(2, "refunded", "2026-01-02 10:00"), _order(3, "completed", "2026-01-02 11:00")])
    p2 = pd.DataFrame([_order(2, "cancelled", "2026-01-02 12:00")])
    for i, p in enumerate((p1, p2)):
        write_parquet_atomic(p, tmp_path / f"000-{i:06d}.parquet", contract)
    frame, stats = merge_table(plan, tmp_path / "base.parquet",
                               [tmp_path / "000-000000.parquet", tmp_path / "000-000001.parquet"],
                               tmp_path / "orders.parquet")
    assert frame["order_id"].tolist() == [1, 2, 3]
    assert frame["status"].tolist() == ["completed", "cancelled", "completed"]
    assert (stats.rows, stats.pulled, stats.superseded, stats.base_rows) == (3, 3, 2, 2)
    back = pd.read_parquet(tmp_path / "orders.parquet")
    assert back["coupon_id"].isna().all() and list(back.columns) == list(contract.columns)


def test_orphan_parts_after_the_last_commit_are_removed(tmp_path):
    for seq in range(4):
        (tmp_path / f"001-{seq:06d}.parquet").write_text("x")
    (tmp_path / "001-000004.parquet.tmp").write_text("x")
    (tmp_path / "000-000009.parquet").write_text("x")  # another shard: untouched
    assert remove_orphan_parts(tmp_path, 1, ShardState(seq=2)) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "000-000009.parquet", "001-000000.parquet", "001-000001.parquet"]


def test_snapshot_names_resume_and_never_overwrite(tmp_path):
    day = dt.date(2026, 3, 2)
    work, resumed = choose_workdir(tmp_path, None, day)
    assert work.name == "2026-03-02.partial" and not resumed
    again, resumed = choose_workdir(tmp_path, None, day)  # interrupted: the same folder again
    assert again == work and resumed
    with pytest.raises(SnapshotError, match="interrupted extract"):
        choose_workdir(tmp_path, "other", day)
    work.rename(tmp_path / "2026-03-02")
    nxt, _ = choose_workdir(tmp_path, None, day)
    assert nxt.name == "2026-03-02.2.partial"
    nxt.rename(tmp_path / "2026-03-02.2")
    with pytest.raises(SnapshotError, match="never overwritten"):
        choose_workdir(tmp_path, "2026-03-02", day)
    with pytest.raises(SnapshotError, match="must be letters"):
        choose_workdir(tmp_path, "../../etc", day)


def test_lock_refuses_a_second_extract_and_takes_over_a_dead_one(tmp_path):
    with ExtractLock(tmp_path):
        with pytest.raises(SnapshotError, match="another extract of this source is running"):
            ExtractLock(tmp_path).__enter__()
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    import socket

    (tmp_path / ".extract.lock").write_text(f"pid={dead} host={socket.gethostname()}\n")
    with ExtractLock(tmp_path) as lock:
        assert lock.held
    assert not (tmp_path / ".extract.lock").exists()
