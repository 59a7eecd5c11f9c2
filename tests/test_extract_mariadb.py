"""The extract against a real MariaDB server loaded with the small demo store in the
production layout (sharded order tables, varchar order_id in salespayment, source column
names, update_time watermarks, a SELECT-only account).

Skips with a message when no MariaDB can be started; with CI=true it fails instead.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from luckin_lab.extract.connection import ReadOnlySession
from luckin_lab.extract.demo_mirror import insert_rows, mirror_store, source_rows
from luckin_lab.extract.errors import (
    NotSelectError,
    SourceAuthError,
    SourceSchemaError,
    SourceTimeout,
    SourceTypeError,
    SourceUnreachable,
)
from luckin_lab.extract.extract import extract_source
from luckin_lab.extract.mapping import SourceMapping, TableMapping, load_mapping, plan_tables
from luckin_lab.extract.mariadb_server import MariaDBUnavailable, free_port, start_server
from luckin_lab.extract.settings import ConnectionSettings
from luckin_lab.extract.snapshot import STATE
from luckin_lab.sources import open_store

# one server per worker: with `pytest -n 2 --dist loadgroup` all of these share one
pytestmark = [pytest.mark.mariadb, pytest.mark.xdist_group("mariadb")]

READER, PASSWORD = "ds_reader", "r3ad-only-pw"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory):
    try:
        server = start_server(tmp_path_factory.mktemp("mariadb"))
    except MariaDBUnavailable as err:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI must run the MariaDB tests, but no server could be started: {err}")
        pytest.skip(f"no MariaDB server can be started on this machine: {err}")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def company(mariadb, small_store_dir, tmp_path_factory):
    """The small demo store in the company's production layout, and a reader's settings."""
    mapping = load_mapping("company")
    plans = plan_tables(mapping)
    con = mariadb.admin()
    try:
        mirror_store(con, plans, small_store_dir / "store.duckdb", tmp_path_factory.mktemp("tsv"))
    finally:
        con.close()
    mariadb.create_reader(READER, PASSWORD, sorted({p.database for p in plans} | {
        "salesorder_inc", "badtypes", "salespayment_bad"}))
    settings = ConnectionSettings(source="company", host=mariadb.host, port=mariadb.port,
                                  user=READER, password=PASSWORD, query_timeout_s=60)
    return mapping, settings


@pytest.fixture(scope="module")
def demo(small_store_dir):
    return open_store(f"duckdb:{small_store_dir / 'store.duckdb'}")


def _sorted(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    return df.sort_values(key, kind="stable").reset_index(drop=True)


def _variant(mapping: SourceMapping, **tables: dict) -> SourceMapping:
    """The company mapping with some tables replaced (other databases, wrong columns ...)."""
    new = {name: TableMapping(**spec) for name, spec in tables.items()}
    return mapping.model_copy(update={"tables": new, "path": None})


def _copy_tables(mariadb, src_db: str, dst_db: str, tables: list[str]) -> None:
    con = mariadb.admin()
    with con.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{dst_db}`")
        cur.execute(f"CREATE DATABASE `{dst_db}`")
        for t in tables:
            cur.execute(f"CREATE TABLE `{dst_db}`.`{t}` LIKE `{src_db}`.`{t}`")
            cur.execute(f"INSERT INTO `{dst_db}`.`{t}` SELECT * FROM `{src_db}`.`{t}`")
    con.close()


# -- the snapshot equals the store it came from -----------------------------------------------


def test_full_extract_equals_demo_store_table_by_table(company, demo, tmp_path):
    mapping, settings = company
    result = extract_source(mapping, settings, root=tmp_path, snapshot="2026-03-02", pii="keep",
                            progress=False)
    assert result.snapshot == tmp_path / "2026-03-02"
    assert (tmp_path / "latest").resolve() == result.snapshot
    doc = json.loads((result.snapshot / "snapshot.json").read_text())
    assert doc["id"] == "company/2026-03-02" and doc["status"] == "complete" and doc["mode"] == "full"
    assert doc["tables"]["orders"]["sources"] == [f"salesorder.t_sales_order_m_{i}" for i in range(4)]
    assert "ds_reader" not in json.dumps(doc) and PASSWORD not in json.dumps(doc)
    snap = open_store(result.uri)
    for plan in plan_tables(mapping):
        got = _sorted(snap.load(plan.name), plan.primary_key)
        want = _sorted(demo.load(plan.name), plan.primary_key)
        pd.testing.assert_frame_equal(got, want, check_dtype=True, obj=plan.name)
        assert doc["tables"][plan.name]["rows"] == len(want)
    assert not list(result.snapshot.glob("_*")), "no resume state or parts left in a finished snapshot"


def test_pii_columns_are_masked_on_landing_by_default(company, demo, tmp_path):
    mapping, settings = company
    result = extract_source(mapping, settings, root=tmp_path, tables=["users"], progress=False)
    assert result.manifest["pii"] == "mask"
    got = _sorted(open_store(result.uri).load("users"), ["user_id"])
    want = _sorted(demo.load("users"), ["user_id"])
    phones, emails = want["phone"].dropna(), want["email"].dropna()
    assert len(phones) > 100 and len(emails) > 100
    assert not got["phone"].isin(phones).any() and not got["email"].isin(emails).any()
    assert got["phone"].dropna().str.fullmatch(r"[+*\-() ]*\d{2}").all()
    assert (got["email"].dropna().str.split("@").str[1] == emails.str.split("@").str[1]).all()
    assert got["phone"].isna().equals(want["phone"].isna())
    other = [c for c in want.columns if c not in ("phone", "email")]
    pd.testing.assert_frame_equal(got[other], want[other])


# -- incremental pulls ---------------------------------------------------------------------------


def test_incremental_extract_appends_new_and_changed_rows_without_duplicates(company, mariadb, demo, tmp_path):
    mapping, settings = company
    shards = [f"t_sales_order_m_{i}" for i in range(4)]
    _copy_tables(mariadb, "salesorder", "salesorder_inc", shards)
    inc = _variant(mapping, orders=dict(database="salesorder_inc", table="t_sales_order_m", shards=4,
                                        watermark="update_time",
                                        columns={"user_id": "user_no", "store_id": "shop_dept_id"}))
    first = extract_source(inc, settings, root=tmp_path, snapshot="day1", progress=False)
    base = _sorted(demo.load("orders"), ["order_id"])
    assert first.manifest["tables"]["orders"]["rows"] == len(base)

    # overnight: 40 new orders arrive, 25 old ones are refunded (update_time moves on)
    plan = plan_tables(inc, ["orders"])[0]
    now = pd.Timestamp("2026-06-01 09:00:00")  # after the demo data, before the run date
    new = base.tail(40).copy()
    new["order_id"] = new["order_id"] + 10**12
    new["order_time"] = now
    changed = base[base["status"] == "completed"].head(25).copy()
    changed["status"] = "refunded"
    con = mariadb.admin()
    insert_rows(con, plan, source_rows(plan, new, update_time=now))
    insert_rows(con, plan, source_rows(plan, changed, update_time=now), replace=True)
    con.close()

    second = extract_source(inc, settings, root=tmp_path, snapshot="day2", progress=False)
    entry = second.manifest["tables"]["orders"]
    assert second.manifest["mode"] == "incremental" and second.manifest["base"] == "day1"
    assert entry["mode"] == "incremental" and entry["base_rows"] == len(base)
    # only the new and changed rows, plus the look-back window's re-reads, were pulled
    assert 65 <= entry["pulled"] < 65 + 200, entry
    assert entry["superseded"] == entry["pulled"] - 40
    got = _sorted(open_store(second.uri).load("orders"), ["order_id"])
    assert got["order_id"].is_unique and len(got) == len(base) + 40
    want = _sorted(pd.concat([base.set_index("order_id").drop(changed["order_id"]).reset_index(),
                              changed, new]), ["order_id"])
    pd.testing.assert_frame_equal(got, want[got.columns])
    # the first snapshot is untouched: a report re-run on day1 reads day1's data
    day1 = _sorted(open_store(first.uri).load("orders"), ["order_id"])
    pd.testing.assert_frame_equal(day1, base)

    # nothing changed since: the next pull reads only the look-back window and adds nothing
    third = extract_source(inc, settings, root=tmp_path, snapshot="day3", progress=False)
    assert third.manifest["tables"]["orders"]["rows"] == len(base) + 40
    assert third.manifest["tables"]["orders"]["superseded"] == third.manifest["tables"]["orders"]["pulled"]


# -- resume after a killed extract -------------------------------------------------------------

_KILLED_EXTRACT = """
import sys
from pathlib import Path
from luckin_lab.extract.extract import extract_source
from luckin_lab.extract.mapping import load_mapping
from luckin_lab.extract.settings import load_settings
extract_source(load_mapping("company"), load_settings("company"), root=Path(sys.argv[1]),
               snapshot="2026-03-03", tables=["orders", "order_items", "payments"], pii="keep",
               chunk_rows=400, progress=False)
"""


def _committed_chunks(state_file: Path) -> int:
    try:
        state = json.loads(state_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return 0
    return sum(s["seq"] for t in state["tables"].values() for s in t["shards"].values())


def test_killed_extract_resumes_without_loss_or_duplication(company, demo, tmp_path):
    mapping, settings = company
    env = {**os.environ, "LUCKIN_LAB_COMPANY_HOST": settings.host,
           "LUCKIN_LAB_COMPANY_PORT": str(settings.port), "LUCKIN_LAB_COMPANY_USER": READER,
           "LUCKIN_LAB_COMPANY_PASSWORD": PASSWORD}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_EXTRACT, str(tmp_path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    state_file = tmp_path / "2026-03-03.partial" / STATE
    deadline = time.monotonic() + 120
    while _committed_chunks(state_file) < 60 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, f"the extract ended before it could be killed: {proc.communicate()}"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    committed = _committed_chunks(state_file)
    assert committed >= 60
    assert not (tmp_path / "2026-03-03").exists(), "a killed extract must not publish a snapshot"
    assert (tmp_path / ".extract.lock").exists()  # left behind by the dead process

    result = extract_source(mapping, settings, root=tmp_path, snapshot="2026-03-03",
                            tables=["orders", "order_items", "payments"], pii="keep",
                            chunk_rows=400, progress=False)
    assert result.resumed
    snap = open_store(result.uri)
    for name in ("orders", "order_items", "payments"):
        key = plan_tables(mapping, [name])[0].primary_key
        got, want = _sorted(snap.load(name), key), _sorted(demo.load(name), key)
        assert got[key[0]].is_unique
        pd.testing.assert_frame_equal(got, want, obj=name)
        entry = result.manifest["tables"][name]
        assert entry["pulled"] == len(want) and entry["superseded"] == 0, entry


# -- safety: only SELECT reaches the server ----------------------------------------------------


BYPASS = "DELETE FROM salesorder.t_sales_order_m_0 WHERE order_id < 0"


def test_non_select_is_refused_before_it_reaches_the_server(company, mariadb):
    _, settings = company
    refused = ["DELETE FROM salesorder.t_sales_order_m_0",
               "UPDATE salesorder.t_sales_order_m_1 SET status = 'x'",
               "DROP TABLE salesorder.t_sales_order_m_2",
               "SELECT 1; DELETE FROM salesorder.t_sales_order_m_3",
               "SELECT * FROM salesorder.t_sales_order_m_0 FOR UPDATE"]
    with ReadOnlySession(settings) as session:
        for sql in refused:
            with pytest.raises(NotSelectError):
                session.select(sql)
        n = session.select("SELECT COUNT(*) FROM salesorder.t_sales_order_m_0")[1][0][0]
        assert n > 0
        # defence in depth: even bypassing the guard, the session is read only
        with pytest.raises(Exception, match="READ ONLY|read only|denied"):
            session._conn.exec_driver_sql(BYPASS)
    seen = mariadb.statements_of(READER)
    assert seen, "the general log records the reader's statements"
    assert not any(s in seen for s in refused)
    writes = [s for s in seen if s.split(None, 1)[0].upper() in
              {"INSERT", "UPDATE", "DELETE", "REPLACE", "DROP", "CREATE", "ALTER", "TRUNCATE",
               "GRANT", "CALL", "LOAD"}]
    assert writes == [BYPASS]  # only the deliberate bypass, which the server refused
    allowed = ("SELECT", "SET NAMES", "SET AUTOCOMMIT", "SET SESSION", "ROLLBACK", "COMMIT", "SHOW")
    others = [s for s in seen if not s.upper().startswith(allowed) and s not in writes]
    assert others == [], others


# -- clear errors --------------------------------------------------------------------------------


def test_wrong_type_column_fails_preflight_naming_source_table_and_column(company, mariadb, tmp_path):
    mapping, settings = company
    _copy_tables(mariadb, "opshop", "badtypes", ["t_shop_info"])
    con = mariadb.admin()
    with con.cursor() as cur:
        cur.execute("ALTER TABLE badtypes.t_shop_info MODIFY cup_capacity_per_hour VARCHAR(16)")
    con.close()
    bad = _variant(mapping, stores=dict(database="badtypes", table="t_shop_info"))
    with pytest.raises(SourceTypeError) as err:
        extract_source(bad, settings, root=tmp_path, progress=False)
    msg = str(err.value)
    assert "badtypes.t_shop_info.cup_capacity_per_hour is varchar(16)" in msg
    assert "contract type float64 of stores.cup_capacity_per_hour" in msg
    assert not (tmp_path / "latest").exists()


def test_bad_value_in_varchar_order_id_names_shard_column_and_row(company, mariadb, tmp_path):
    mapping, settings = company
    shards = ["t_sales_trade_m_0", "t_sales_trade_m_1"]
    _copy_tables(mariadb, "salespayment", "salespayment_bad", shards)
    con = mariadb.admin()
    with con.cursor() as cur:
        cur.execute("SELECT trade_no FROM salespayment_bad.t_sales_trade_m_1 ORDER BY trade_no LIMIT 1")
        trade = cur.fetchone()[0]
        cur.execute("UPDATE salespayment_bad.t_sales_trade_m_1 SET order_id = 'ORD-17' WHERE trade_no = %s",
                    (trade,))
    con.close()
    bad = _variant(mapping, payments=dict(database="salespayment_bad", table="t_sales_trade_m", shards=2,
                                          watermark="update_time"))
    with pytest.raises(SourceTypeError) as err:
        extract_source(bad, settings, root=tmp_path, progress=False)
    msg = str(err.value)
    assert "salespayment_bad.t_sales_trade_m_1.order_id" in msg
    assert f"trade_no={trade!r}" in msg and "'ORD-17'" in msg and "int64" in msg


def test_missing_shard_and_missing_column_are_named(company, tmp_path):
    mapping, settings = company
    five = _variant(mapping, orders=dict(database="salesorder", table="t_sales_order_m", shards=5,
                                         columns={"user_id": "user_no", "store_id": "shop_dept_id"}))
    with pytest.raises(SourceSchemaError, match=r"salesorder\.t_sales_order_m_4 \(contract table 'orders'\) "
                                                r"does not exist"):
        extract_source(five, settings, root=tmp_path, progress=False)
    renamed = _variant(mapping, orders=dict(database="salesorder", table="t_sales_order_m", shards=4,
                                            columns={"user_id": "member_no", "store_id": "shop_dept_id"}))
    with pytest.raises(SourceSchemaError, match=r"column salesorder\.t_sales_order_m_0\.member_no "
                                                r"\(contract table 'orders', column 'user_id'\)"):
        extract_source(renamed, settings, root=tmp_path / "b", progress=False)


def test_unreachable_server_and_bad_credentials(company):
    _, settings = company
    nowhere = settings.model_copy(update={"port": free_port(), "connect_timeout_s": 2})
    with pytest.raises(SourceUnreachable, match=r"cannot reach .* at 127\.0\.0\.1:\d+.*LUCKIN_LAB_COMPANY_HOST"):
        ReadOnlySession(nowhere).__enter__()
    wrong = settings.model_copy(update={"password": SecretStr("not-the-password")})
    with pytest.raises(SourceAuthError) as err:
        ReadOnlySession(wrong).__enter__()
    assert "refused user 'ds_reader'" in str(err.value) and "not-the-password" not in str(err.value)


def test_per_query_timeout_is_enforced_by_the_server(company):
    _, settings = company
    quick = settings.model_copy(update={"query_timeout_s": 0.5})
    slow = ("SELECT COUNT(*) FROM salesorder.t_sales_order_m_0 a, salesorder.t_sales_order_m_1 b, "
            "salesorder.t_sales_order_m_2 c WHERE a.list_amount + b.list_amount > c.pay_amount")
    with ReadOnlySession(quick) as session:
        t0 = time.monotonic()
        with pytest.raises(SourceTimeout, match="per-query timeout of 0.5 s"):
            session.select(slow, context="a deliberately slow query")
        assert time.monotonic() - t0 < 20


# -- the command line and the report on a snapshot ----------------------------------------------


def _flat(text: str) -> str:
    return " ".join(text.split())  # rich wraps long lines


def test_cli_extract_and_check(company, tmp_path):
    from luckin_lab.cli import app

    _, settings = company
    env = {"LUCKIN_LAB_COMPANY_HOST": settings.host, "LUCKIN_LAB_COMPANY_PORT": str(settings.port),
           "LUCKIN_LAB_COMPANY_USER": READER, "LUCKIN_LAB_COMPANY_PASSWORD": PASSWORD}
    runner = CliRunner()
    res = runner.invoke(app, ["extract", "--source", "company", "--check"], env=env)
    assert res.exit_code == 0, res.output
    assert "ok: 16 tables" in _flat(res.output) and "fit their contracts" in _flat(res.output)
    res = runner.invoke(app, ["extract", "--source", "company", "--tables", "stores,products",
                              "--out", str(tmp_path), "--snapshot", "cli"], env=env)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cli" / "stores.parquet").exists() and (tmp_path / "cli" / "products.parquet").exists()
    res = runner.invoke(app, ["extract", "--source", "company", "--out", str(tmp_path)],
                        env={**env, "LUCKIN_LAB_COMPANY_PASSWORD": "wrong"})
    assert res.exit_code == 2 and "refused user 'ds_reader'" in _flat(res.output)


def test_report_on_snapshot_gives_the_same_metrics_as_on_the_demo_store(company, small_store_dir, tmp_path):
    from luckin_lab.reporting.runner import run_report

    mapping, settings = company
    snap = extract_source(mapping, settings, root=tmp_path / "snapshots", snapshot="2026-03-04",
                          tables=["stores", "orders", "order_items", "products"], progress=False)  # PII masked: not used here
    params = ROOT / "params" / "store_trends" / "weekly.yaml"
    runs = {}
    for name, uri in {"demo": f"duckdb:{small_store_dir / 'store.duckdb'}", "snapshot": snap.uri}.items():
        result = run_report(params, overrides={"source": uri}, reports_root=tmp_path / name, render=False)
        assert result.ok, result.error_text()
        runs[name] = result
    metrics = {n: json.loads((r.folder / "results" / "metrics.json").read_text()) for n, r in runs.items()}
    # identical, except floats may differ in the last bits: sums run over rows in another order
    assert metrics["snapshot"].keys() == metrics["demo"].keys()
    for key, want in metrics["demo"].items():
        got = metrics["snapshot"][key]
        if isinstance(want, float) and isinstance(got, float):
            assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), key
        else:
            assert got == want, key
    assert metrics["demo"]["orders_used"] > 1000
    record = json.loads((runs["snapshot"].folder / "run.json").read_text())
    assert record["source"] == snap.uri and "2026-03-04" in record["source"]
    fp = record["data"]["fingerprint"]
    demo_fp = json.loads((runs["demo"].folder / "run.json").read_text())["data"]["fingerprint"]
    assert fp["snapshot"]["id"] == "company/2026-03-04" and demo_fp["snapshot"] is None
    assert {t: v["rows"] for t, v in fp["tables"].items()} == {t: v["rows"] for t, v in demo_fp["tables"].items()}


# -- issue 16: executable comments, and the `sql:` source on a real server ---------------------

HOSTILE = [
    "SELECT 1 /*!50000 , SLEEP(2) */",
    "SELECT 1 /*M!100100 , SLEEP(2) */",
    "SELECT COUNT(*) FROM salesorder.t_sales_order_m_0 /*!40000 LOCK IN SHARE MODE */",
    "SELECT COUNT(*) FROM salesorder.t_sales_order_m_0 /*!50000 INTO OUTFILE '/tmp/luckin_x.csv' */",
    "SELECT MASTER_GTID_WAIT('0-1-999999', 2)",
    "SELECT @a := 1",
    "SELECT " + "(" * 200 + "1" + ")" * 200,
]


def test_mariadb_executes_executable_comments_and_the_guard_refuses_them(company, mariadb):
    con = mariadb.admin()
    try:
        with con.cursor() as cur:  # why the guard must refuse them: the server runs their text
            cur.execute("SELECT 1 /*!50000 , 2 */")
            assert cur.fetchone() == (1, 2)
            cur.execute("SELECT 1 /*M!100100 , 3 */")
            assert cur.fetchone() == (1, 3)
    finally:
        con.close()
    _, settings = company
    with ReadOnlySession(settings) as session:
        t0 = time.monotonic()
        for sql in HOSTILE:
            with pytest.raises(NotSelectError):
                session.select(sql)
        assert time.monotonic() - t0 < 1.5  # nothing slept or waited
    seen = mariadb.statements_of(READER)
    assert not any(h in s for h in HOSTILE for s in seen)


SQL_DB = "contract_tables"
STORES_DDL = f"""CREATE TABLE {SQL_DB}.stores (
    shop_dept_id INT UNSIGNED NOT NULL PRIMARY KEY, store_name VARCHAR(64) NOT NULL,
    borough VARCHAR(32) NOT NULL, lat DECIMAL(9,6) NOT NULL, lon DECIMAL(10,6) NOT NULL,
    open_date DATE NOT NULL, currency CHAR(3) NOT NULL, is_test_store BOOLEAN NOT NULL,
    open_hour TINYINT UNSIGNED NOT NULL, close_hour TINYINT UNSIGNED NOT NULL,
    cup_capacity_per_hour DECIMAL(8,2) NOT NULL)"""


@pytest.fixture(scope="module")
def sql_tables(company, mariadb, demo):
    """Contract tables under their own names, in MySQL's types (BOOLEAN, DECIMAL, UNSIGNED)."""
    stores = demo.load("stores")
    con = mariadb.admin()
    try:
        with con.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {SQL_DB}")
            cur.execute(f"CREATE DATABASE {SQL_DB}")
            cur.execute(STORES_DDL)
            rows = [(int(r.store_id), r.store_name, r.borough, round(r.lat, 6), round(r.lon, 6),
                     r.open_date.date(), r.currency, bool(r.is_test_store), int(r.open_hour),
                     int(r.close_hour), round(r.cup_capacity_per_hour, 2)) for r in stores.itertuples()]
            cur.executemany(f"INSERT INTO {SQL_DB}.stores VALUES ({', '.join(['%s'] * 11)})", rows)
    finally:
        con.close()
    mariadb.create_reader(READER, PASSWORD, [SQL_DB])
    return stores


@pytest.mark.parametrize("scheme", ["mysql", "mysql+pymysql", "mariadb"])
def test_sql_source_reads_mysql_types_into_the_contract(sql_tables, mariadb, scheme, monkeypatch):
    monkeypatch.setenv("LUCKIN_DB_PASSWORD", PASSWORD)
    uri = f"sql:{scheme}://{READER}:${{LUCKIN_DB_PASSWORD}}@127.0.0.1:{mariadb.port}/{SQL_DB}"
    store = open_store(uri)
    got = store.load("stores")
    want = sql_tables
    assert got.is_test_store.dtype == bool and got.store_id.dtype == "int64"
    assert got.lat.dtype == "float64" and got.open_hour.dtype == "int64"
    pd.testing.assert_frame_equal(got[want.columns], want, check_exact=False, atol=1e-6)
    # the engine-side expression carries the contract types too (TINYINT -> boolean etc.)
    t = store.table("stores")
    assert store.execute(t.filter(~t.is_test_store).count()) == int((~want.is_test_store).sum())
    engine = store.execute(t.order_by("store_id"))
    assert engine.is_test_store.dtype == bool
    assert engine.cup_capacity_per_hour.sum() == pytest.approx(want.cup_capacity_per_hour.sum())
    assert PASSWORD not in json.dumps(store.fingerprint())


def test_sql_source_errors_never_show_the_password(sql_tables, mariadb, monkeypatch):
    import traceback

    from luckin_lab.sources import SourceError

    secret = "s3cr3t/Pw@x"  # URL-special characters are quoted on expansion
    monkeypatch.setenv("LUCKIN_DB_PASSWORD", secret)
    cases = {
        "wrong password": f"sql:mysql+pymysql://{READER}:${{LUCKIN_DB_PASSWORD}}@127.0.0.1:{mariadb.port}/{SQL_DB}",
        "no server": f"sql:mysql://{READER}:${{LUCKIN_DB_PASSWORD}}@127.0.0.1:{free_port()}/{SQL_DB}",
        "unknown scheme": f"sql:postgres+psycopg9://{READER}:${{LUCKIN_DB_PASSWORD}}@127.0.0.1/x",
    }
    for what, uri in cases.items():
        with pytest.raises((SourceError, ValueError)) as err:
            open_store(uri)
        shown = "".join(traceback.format_exception(err.value))
        for leak in (secret, "s3cr3t", "s3cr3t%2FPw%40x"):
            assert leak not in shown, what
        assert f"{READER}:***@127.0.0.1" in str(err.value), what  # which URL, password masked
