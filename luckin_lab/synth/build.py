"""Assemble the demo store: every raw table per its contract, written to DuckDB, with the
planted truth written beside it (``truth.json`` and ``truth/*.parquet``)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from luckin_lab.contracts import all_contracts, validate
from luckin_lab.sources import write_duckdb, write_parquet_us
from luckin_lab.synth.examples import example_tables
from luckin_lab.synth.iot import synthesize_iot
from luckin_lab.synth.sales import USD_PER_NZD, simulate_sales
from luckin_lab.synth.spatial import make_candidates, make_geography, site_truth
from luckin_lab.synth.truth import SEGMENTS, Truth, load_truth

SCALES = {"small": 0.05, "seed": 1.0, "large": 4.0}
TEST_STORE_ID = 999


def scale_factor(scale: str | float) -> float:
    if isinstance(scale, int | float):
        return float(scale)
    if scale in SCALES:
        return SCALES[scale]
    try:
        return float(scale)
    except ValueError:
        raise ValueError(f"unknown scale '{scale}'; use one of {sorted(SCALES)} or a number") from None


def _stores_table(truth: Truth) -> pd.DataFrame:
    rows = []
    for i, s in enumerate(truth.spatial.stores):
        jfk = s.borough == "JFK Airport"
        rows.append(
            dict(store_id=101 + i, store_name=s.name, borough=s.borough, lat=s.lat, lon=s.lon,
                 open_date=pd.Timestamp(s.open_date), currency="USD", is_test_store=False,
                 open_hour=5 if jfk else 7, close_hour=22 if jfk else 20,
                 cup_capacity_per_hour=90.0 if i == 0 else 60.0)
        )
    rows.append(
        dict(store_id=TEST_STORE_ID, store_name="Rarotonga test store", borough="Cook Islands",
             lat=-21.2075, lon=-159.7750, open_date=pd.Timestamp(truth.calendar.start),
             currency="NZD", is_test_store=True, open_hour=0, close_hour=24, cup_capacity_per_hour=10.0)
    )
    return pd.DataFrame(rows)


def _nzd_test_orders(rng, truth: Truth, scale: float, products: pd.DataFrame, first_id: int):
    """The catalog's Cook Islands test orders: real rows in the order tables, never revenue."""
    n = int(round(truth.population.nzd_test_orders * scale))
    start = pd.Timestamp(truth.calendar.start)
    n_days = (pd.Timestamp(truth.calendar.snapshot) - start).days
    test_users = [f"TEST{i:04d}" for i in range(1, 21)]
    t = start + pd.to_timedelta(rng.integers(0, n_days * 86400, n), "s")
    t = t.sort_values()
    prod = rng.integers(0, len(products), n)
    price = np.round(products.list_price.to_numpy()[prod] / USD_PER_NZD, 2)
    ids = first_id + np.arange(n, dtype=np.int64)
    orders = pd.DataFrame(
        dict(order_id=ids, user_id=rng.choice(test_users, n), store_id=TEST_STORE_ID, order_time=t,
             currency="NZD", status="completed", list_amount=price, discount_amount=0.0,
             pay_amount=price, coupon_id=None, n_items=1)
    )
    items = pd.DataFrame(
        dict(order_id=ids, product_id=products.product_id.to_numpy()[prod], quantity=1,
             list_price=price, promo_discount=0.0, coupon_discount=0.0, paid_price=price, promo_id=None)
    )
    users = pd.DataFrame(
        dict(user_id=test_users, register_time=start - pd.Timedelta(days=7), home_cell_id=0,
             segment="occasional", acquisition_channel="other", phone=None,
             email=[f"{u.lower()}@qa.luckin.test" for u in test_users])
    )
    return orders, items, users


def _payments(rng, orders: pd.DataFrame) -> pd.DataFrame:
    """Trades: a success per paid order, some failed first attempts, refunds as extra trades."""
    paid = orders[orders.status != "cancelled"]
    n = len(paid)
    channel = rng.choice(["card", "apple_pay", "google_pay", "wallet", "gift_card"], n,
                         p=[0.42, 0.33, 0.12, 0.1, 0.03])
    fee_rate = pd.Series(channel).map({"card": 0.029, "apple_pay": 0.029, "google_pay": 0.029,
                                      "wallet": 0.01, "gift_card": 0.0}).to_numpy()
    amount = paid.pay_amount.to_numpy()
    base = pd.DataFrame(
        dict(order_id=paid.order_id.to_numpy(), pay_time=paid.order_time.to_numpy() + np.timedelta64(5, "s"),
             amount=amount, currency=paid.currency.to_numpy(), channel=channel,
             fee=np.round(amount * fee_rate + np.where(fee_rate > 0.02, 0.30, 0.0), 2), status="success")
    )
    fail = base.sample(frac=0.085, random_state=int(rng.integers(1 << 31))).assign(
        status="failed", fee=0.0, pay_time=lambda d: d.pay_time - pd.Timedelta(seconds=3))
    cancelled = orders[orders.status == "cancelled"]
    fail_c = pd.DataFrame(
        dict(order_id=cancelled.order_id.to_numpy(), pay_time=cancelled.order_time.to_numpy(),
             amount=cancelled.pay_amount.to_numpy(), currency=cancelled.currency.to_numpy(),
             channel="card", fee=0.0, status="failed")
    )
    refunded = orders[orders.status == "refunded"]
    refunds = base[base.order_id.isin(refunded.order_id)].assign(
        status="refund", fee=0.0, pay_time=lambda d: d.pay_time + pd.Timedelta(hours=2))
    trades = pd.concat([base, fail, fail_c, refunds], ignore_index=True).sort_values("pay_time", kind="stable")
    trades.insert(0, "trade_id", [f"TR{i:010d}" for i in range(1, len(trades) + 1)])
    # salespayment stores order_id as varchar
    trades["order_id"] = trades.order_id.astype(str)
    return trades.reset_index(drop=True)


def _production(rng, orders: pd.DataFrame, items: pd.DataFrame, products: pd.DataFrame,
                start: pd.Timestamp, n_days: int) -> pd.DataFrame:
    """Barista production records: ~204 s on average, 36% faster at the end than at launch."""
    drinks = products.set_index("product_id").is_drink
    done = orders[(orders.status == "completed") & (orders.currency == "USD")][["order_id", "store_id", "order_time"]]
    it = items[items.product_id.map(drinks).to_numpy()].merge(done, on="order_id")
    it = it.sample(frac=0.93, random_state=int(rng.integers(1 << 31))).sort_values("order_time")
    progress = ((it.order_time - start).dt.total_seconds() / (n_days * 86400)).clip(0, 1).to_numpy()
    complexity = it.product_id.map(products.set_index("product_id").category.map(
        {"Matcha": 1.2, "Seasonal": 1.25, "Fresh Coffee": 1.05, "Cold Brew": 0.7, "Classic": 0.85})
    ).fillna(1.0).to_numpy()
    raw = (1 - 0.36 * progress) * complexity * rng.lognormal(-0.08, 0.4, len(it))
    secs = np.clip(raw * 204.0 / raw.mean(), 20, 3000)
    return pd.DataFrame(
        dict(record_id=np.arange(1, len(it) + 1, dtype=np.int64), order_id=it.order_id.to_numpy(),
             store_id=it.store_id.to_numpy(), product_id=it.product_id.to_numpy(),
             start_time=it.order_time.to_numpy() + np.timedelta64(40, "s"), production_seconds=secs.round(1))
    )


def build_tables(truth: Truth, scale: str | float = "seed", seed: int | None = None, progress=None):
    """Generate every table in memory. Returns (tables, derived truth, truth frames)."""
    f = scale_factor(scale)
    step = progress or (lambda _: None)
    rng = np.random.default_rng(truth.seed if seed is None else seed)
    start = pd.Timestamp(truth.calendar.start)
    snapshot = pd.Timestamp(truth.calendar.snapshot)
    n_days = (snapshot - start).days
    step("geography")
    geo = make_geography(rng, truth.spatial, start)
    sales = simulate_sales(rng, truth, geo, f, progress=step)
    t = sales.tables
    internal, items_full = t.pop("_internal"), t.pop("_items_full")
    stores = _stores_table(truth)
    step("test orders, payments, production")
    nzd_o, nzd_i, nzd_u = _nzd_test_orders(rng, truth, f, t["products"], 9_000_000_000)
    orders = pd.concat([t["orders"], nzd_o], ignore_index=True)
    items = pd.concat([t["order_items"], nzd_i], ignore_index=True)
    items.insert(0, "item_id", np.arange(1, len(items) + 1, dtype=np.int64))
    users = pd.concat([t["users"], nzd_u], ignore_index=True)
    tables = {
        "stores": stores,
        "products": t["products"],
        "users": users,
        "orders": orders,
        "order_items": items,
        "payments": _payments(rng, orders),
        "promotions": t["promotions"],
        "coupons": t["coupons"],
        "experiments": t["experiments"],
        "experiment_assignments": t["experiment_assignments"],
        "production_records": _production(rng, orders, items, t["products"], start, n_days),
        "location_features": geo.cells,
    }
    step("candidate sites")
    sites = make_candidates(rng, geo, truth.spatial.n_candidates)
    tables["candidate_sites"] = sites
    derived = dict(sales.truth)
    frames = dict(sales.truth_frames)
    # site truth: each cell's monthly revenue potential at the snapshot
    recent = orders[(orders.currency == "USD") & (orders.order_time >= snapshot - pd.Timedelta(days=28))]
    aov_recent = float(recent.pay_amount.mean())
    occ_per_day = np.bincount(internal.cell, weights=internal.lam_snapshot, minlength=len(geo.cells))
    n_recent_model = float((occ_per_day * geo.shares_on(n_days - 1, truth.spatial).sum(axis=1)).sum())
    capture = len(recent) / 28 / max(n_recent_model, 1e-9)  # price/shock multiplier realised lately
    cell_rev = occ_per_day * capture * aov_recent * 30.4
    open_stores = stores[~stores.is_test_store].assign(attraction=[s.attraction for s in truth.spatial.stores])
    cand_truth, cann_truth = site_truth(geo.cells, cell_rev, open_stores, sites, truth.spatial)
    frames["site_candidates"] = cand_truth
    frames["site_cannibalization"] = cann_truth
    frames["cell_demand"] = pd.DataFrame({"cell_id": geo.cells.cell_id, "monthly_revenue_potential": cell_rev})
    derived["sites"] = {
        "distance_decay": truth.spatial.distance_decay,
        "min_distance_km": truth.spatial.min_distance_km,
        "outside_base": truth.spatial.outside_base,
        "outside_per_competitor": truth.spatial.outside_per_competitor,
        "attraction": {int(r.store_id): float(r.attraction) for r in open_stores.itertuples()},
        "candidate_attraction": 1.0,
        "aov_recent": aov_recent,
        "capture_multiplier": capture,
    }
    step("iot")
    drinks = items_full[items_full.category != "Food"]
    drink_items = pd.DataFrame(
        dict(store_id=101 + drinks.store_idx.to_numpy(), order_id=drinks.order_id.to_numpy(),
             product_id=drinks.product_id.to_numpy(),
             order_time=orders.set_index("order_id").order_time.reindex(drinks.order_id).to_numpy())
    )
    iot_tables, iot_truth = synthesize_iot(
        np.random.default_rng(rng.integers(1 << 63)), truth.iot, stores[~stores.is_test_store],
        drink_items, start, snapshot, f)
    tables.update(iot_tables)
    derived["iot"] = {k: v for k, v in iot_truth.items() if not k.endswith("_frame")}
    frames.update({k[: -len("_frame")]: v for k, v in iot_truth.items() if k.endswith("_frame")})
    tables.update(example_tables())
    derived["segments"] = SEGMENTS
    return tables, derived, frames


def build_store(out: Path, scale: str | float = "seed", truth_path: Path | None = None,
                seed: int | None = None, parquet: bool = False) -> dict:
    """Write ``out/store.duckdb``, ``out/truth.json`` and ``out/truth/*.parquet``.

    Every table is validated against its contract before it is written, so a change in the
    synthesizer that breaks a contract fails here, not in a report.
    """
    t0 = time.perf_counter()
    truth = load_truth(truth_path)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("synthesizing", total=None)
        tables, derived, frames = build_tables(
            truth, scale, seed, progress=lambda s: bar.update(task, description=f"synthesizing: {s}"))
        bar.update(task, description="validating against contracts")
        contracts = all_contracts()
        for name, df in tables.items():
            if name in contracts:
                validate(df, contracts[name])  # raw layout is kept (e.g. varchar order_id)
        bar.update(task, description="writing DuckDB")
        tmp = write_duckdb(out / "store.duckdb.tmp", tables)
        shutil.move(tmp, out / "store.duckdb")
        if parquet:
            pq = out / "parquet"
            pq.mkdir(exist_ok=True)
            for name, df in tables.items():
                write_parquet_us(df, pq / f"{name}.parquet")
    write_truth(out, truth, scale, truth.seed if seed is None else seed, derived, frames)
    seconds = time.perf_counter() - t0
    rows = {name: len(df) for name, df in tables.items()}
    (out / "manifest.json").write_text(json.dumps({"rows": rows, "seconds": seconds}, indent=2))
    return {"rows": rows, "seconds": seconds}


def write_truth(out: Path, truth: Truth, scale: str | float, seed: int, derived: dict,
                frames: dict[str, pd.DataFrame]) -> None:
    """``out/truth.json`` (the truth file, what it implies) and ``out/truth/*.parquet``."""
    tdir = Path(out) / "truth"
    tdir.mkdir(parents=True, exist_ok=True)
    for name, df in frames.items():
        df.to_parquet(tdir / f"{name}.parquet", index=False)
    doc = {
        "scale": scale,
        "scale_factor": scale_factor(scale),
        "seed": seed,
        "truth": truth.model_dump(mode="json"),
        "derived": derived,
        "truth_frames": sorted(frames),
        "note": "Evaluation code only: analyses must never read this file.",
    }
    (Path(out) / "truth.json").write_text(json.dumps(doc, indent=2, default=_json_default))


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, pd.Timestamp):
        return o.isoformat()
    raise TypeError(type(o))
