"""A self-contained IoT demo store (stores + IoT tables + truth) for tests and benchmarks.

It uses the real IoT synthesizer with simple stand-in sales (drinks per store-hour), so
the survival work can be tested end to end without building the whole demo store.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from luckin_lab.sources import write_duckdb
from luckin_lab.synth.iot import IoTTruth, synthesize_iot
from luckin_lab.synth.truth import DEFAULT_STORES, CalendarTruth

# share of a day's drinks by hour (07:00-20:00), morning peak
_HOURS = np.arange(7, 20)
_PROFILE = np.array([6, 12, 13, 9, 7, 8, 8, 6, 6, 7, 6, 4, 3], dtype=float)
_PROFILE /= _PROFILE.sum()


def toy_stores() -> pd.DataFrame:
    """The demo stores in the stores contract's columns (store ids 101...)."""
    rows = []
    for i, s in enumerate(DEFAULT_STORES):
        jfk = s.borough == "JFK Airport"
        rows.append(
            {
                "store_id": 101 + i,
                "store_name": s.name,
                "borough": s.borough,
                "lat": s.lat,
                "lon": s.lon,
                "open_date": pd.Timestamp(s.open_date),
                "currency": "USD",
                "is_test_store": False,
                "open_hour": 5 if jfk else 7,
                "close_hour": 22 if jfk else 20,
                "cup_capacity_per_hour": 120.0,
            }
        )
    return pd.DataFrame(rows)


def toy_drink_items(
    rng: np.random.Generator,
    stores: pd.DataFrame,
    start: pd.Timestamp,
    snapshot: pd.Timestamp,
    drinks_per_store_day: float,
) -> pd.DataFrame:
    """Drinks as Poisson counts per store-hour with a morning peak (stand-in for the sales synthesizer)."""
    days = pd.date_range(start, snapshot - pd.Timedelta(days=1), freq="D")
    frames = []
    order_id = 1
    for sid, open_date in zip(stores.store_id, stores.open_date, strict=True):
        d = days[days >= pd.Timestamp(open_date)]
        lam = drinks_per_store_day * rng.lognormal(0, 0.3) * _PROFILE
        counts = rng.poisson(np.tile(lam, len(d)))
        hour_start = (
            np.repeat(d.to_numpy(), len(_HOURS)) + np.tile(_HOURS, len(d)) * np.timedelta64(1, "h")
        )
        t = np.repeat(hour_start, counts) + (rng.random(counts.sum()) * 3600e9).astype(
            "timedelta64[ns]"
        )
        n = len(t)
        frames.append(
            pd.DataFrame(
                {
                    "store_id": np.int64(sid),
                    "order_id": np.arange(order_id, order_id + n, dtype="int64"),
                    "product_id": rng.choice(["P001", "P002", "P003", "P004"], n),
                    "order_time": np.sort(t),
                }
            )
        )
        order_id += n
    return pd.concat(frames, ignore_index=True)


def build_toy_iot(
    seed: int = 7,
    scale: float = 0.3,
    drinks_per_store_day: float = 80.0,
    truth: IoTTruth | None = None,
) -> tuple[dict[str, pd.DataFrame], dict]:
    """IoT tables (plus ``stores``) and the IoT truth dict for a small fleet."""
    rng = np.random.default_rng(seed)
    cal = CalendarTruth()
    start, snapshot = pd.Timestamp(cal.start), pd.Timestamp(cal.snapshot)
    stores = toy_stores()
    items = toy_drink_items(rng, stores, start, snapshot, drinks_per_store_day)
    tables, tdict = synthesize_iot(rng, truth or IoTTruth(), stores, items, start, snapshot, scale)
    tables = {"stores": stores, **tables}
    tdict = {**tdict, "snapshot": str(snapshot), "start": str(start)}
    return tables, tdict


def write_toy_store(out_dir: Path, **kwargs) -> Path:
    """Write ``store.duckdb``, ``truth.json`` (IoT under derived.iot) and ``truth/*.parquet`` like the synthesizer."""
    out_dir = Path(out_dir)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    tables, tdict = build_toy_iot(**kwargs)
    db = write_duckdb(out_dir / "store.duckdb", tables)
    plain = {}
    for k, v in tdict.items():
        if k.endswith("_frame"):
            v.to_parquet(out_dir / "truth" / f"{k[: -len('_frame')]}.parquet", index=False)
        else:
            plain[k] = v
    cal = CalendarTruth()
    doc = {"calendar": {"start": str(cal.start), "snapshot": str(cal.snapshot)}, "derived": {"iot": plain}}
    (out_dir / "truth.json").write_text(json.dumps(doc, indent=2, default=str))
    return db
