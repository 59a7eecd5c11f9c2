"""Every transform and report loader, run on two stores of the same data, compared.

Used by ``tests/test_spark.py``: DuckDB and Spark must give equal results. Each call returns
frames (a loader's dataclass is reduced to its frames and scalars), compared after sorting
rows by every column, with a relative tolerance of 1e-9 for floats.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from luckin_lab.sources import DataStore

CAMPAIGN = "CMP-2025-12-WINBACK"
BLIP_HOURS = 4.0


def _snapshot(store: DataStore) -> dt.datetime:
    last = store.execute(store.table("iot_device_status").event_time.max())
    return (pd.Timestamp(last).normalize() + pd.Timedelta(days=1)).to_pydatetime()


def _log_start(store: DataStore) -> dt.datetime:
    return pd.Timestamp(store.execute(store.table("iot_device_status").event_time.min())).to_pydatetime()


def _as_of(store: DataStore) -> dt.date:
    return pd.Timestamp(store.execute(store.table("orders").order_time.max())).date()


def _site_start(store: DataStore) -> dt.date:
    return pd.Timestamp(store.execute(store.table("stores").open_date.min())).date()


def transform_calls() -> dict[str, Callable[[DataStore], object]]:
    """The transforms as the reports call them (Ibis expressions, executed by the store)."""
    from luckin_lab.transforms import customers as tc
    from luckin_lab.transforms import iot, pricing, sales, sites, uplift

    def run(f):
        return lambda s: s.execute(f(s))

    def tx(s):
        return tc.transactions(s)

    calls = {
        "sales.revenue_orders": run(sales.revenue_orders),
        "sales.store_daily": run(sales.store_daily),
        "sales.store_weekly": run(sales.store_weekly),
        "sales.order_cost_of_goods": run(sales.order_cost_of_goods),
        "customers.transactions": run(tx),
        "customers.occasions": run(lambda s: tc.occasions(tx(s))),
        "customers.profile": run(lambda s: tc.profile(tx(s), _as_of(s) - dt.timedelta(days=60))),
        "customers.next_occasions": run(
            lambda s: tc.next_occasions(tx(s), _as_of(s) - dt.timedelta(days=60), 60)),
        "customers.data_days": lambda s: tc.data_days(s, tx(s)),
        "customers.customer_attributes": tc.customer_attributes,
        "customers.product_diversity": run(
            lambda s: tc.product_diversity(tc.product_lines(s), _as_of(s))),
        "iot.status_changes": run(lambda s: iot.status_changes(
            s.table("iot_device_status"), _snapshot(s))),
        "iot.spells": run(lambda s: iot.spells(
            s.table("iot_device_status"), s.table("iot_devices"), _snapshot(s), BLIP_HOURS)),
        "iot.offline_counts": run(lambda s: iot.offline_counts(
            s.table("iot_device_status"), _snapshot(s), BLIP_HOURS)),
        "iot.current_state": run(lambda s: iot.current_state(
            s.table("iot_device_status"), _snapshot(s), BLIP_HOURS)),
        "iot.device_usage": run(lambda s: iot.device_usage(
            s.table("iot_cup_orders"), s.table("iot_devices"), s.table("stores"),
            iot.spells(s.table("iot_device_status"), s.table("iot_devices"), _snapshot(s), BLIP_HOURS),
            _log_start(s), _snapshot(s))),
        "pricing.demand_panel(category, day)": run(lambda s: pricing.demand_panel(s)),
        "pricing.demand_panel(product, week)": run(
            lambda s: pricing.demand_panel(s, "product", "week")),
        "pricing.weekly_order_value": run(pricing.weekly_order_value),
        "uplift.campaign_units": run(lambda s: uplift.campaign_units(s, CAMPAIGN)),
        "uplift.order_lines": run(uplift.order_lines),
        "uplift.campaign_frame": run(lambda s: uplift.campaign_frame(s, CAMPAIGN)),
        "uplift.campaign_features": run(lambda s: uplift.campaign_features(
            s, s.execute(s.table("users").select("user_id").order_by("user_id").limit(500)).user_id,
            _as_of(s) - dt.timedelta(days=60))),
        "sites.cell_store_week": run(lambda s: sites.cell_store_week(
            sales.revenue_orders(s), s.table("users"), _site_start(s))),
        "sites.store_week": run(lambda s: sites.store_week(sales.revenue_orders(s), _site_start(s))),
        "sites.store_month": run(lambda s: sites.store_month(sales.revenue_orders(s))),
        "sites.users_per_cell": run(lambda s: sites.users_per_cell(s.table("users"))),
        "sites.user_cohorts": run(lambda s: sites.user_cohorts(
            sales.revenue_orders(s), s.table("users"), _site_start(s))),
        "sites.store_week_promo": run(lambda s: sites.store_week_promo(
            sales.revenue_orders(s), s.table("order_items"), _site_start(s))),
    }
    return calls


def loader_calls() -> dict[str, Callable[[DataStore], object]]:
    """Each report's loader: what its notebook reads before any model runs."""
    from luckin_lab.brief.kpis import brief_period, load_kpi_data
    from luckin_lab.pricing.load import load_demo_panel
    from luckin_lab.sites.data import load_site_data
    from luckin_lab.survival.episodes import device_events
    from luckin_lab.uplift.data import from_campaign

    return {
        "site_selection: sites.data.load_site_data": load_site_data,
        "price_elasticity: pricing.load.load_demo_panel": lambda s: load_demo_panel(s)[0],
        "coupon_uplift: uplift.data.from_campaign": lambda s: from_campaign(s, CAMPAIGN),
        "iot_survival: survival.episodes.device_events": lambda s: device_events(s, record=False),
        "brief: brief.kpis.load_kpi_data": lambda s: load_kpi_data(s, brief_period(s, "week")),
    }


def frames_of(result: object, name: str = "result") -> dict[str, object]:
    """A result as named frames and plain values (dataclasses and tuples taken apart)."""
    if isinstance(result, pd.DataFrame):
        return {name: result}
    if isinstance(result, pd.Series):
        return {name: result.to_frame()}
    if dataclasses.is_dataclass(result):
        out: dict[str, object] = {}
        for f in dataclasses.fields(result):
            out.update(frames_of(getattr(result, f.name), f"{name}.{f.name}"))
        return out
    if isinstance(result, tuple | list) and any(
            isinstance(v, pd.DataFrame | pd.Series | np.ndarray) for v in result):
        out = {}
        for i, v in enumerate(result):
            out.update(frames_of(v, f"{name}[{i}]"))
        return out
    if isinstance(result, np.ndarray):
        return {name: pd.DataFrame(result.reshape(len(result), -1) if result.ndim else [result])}
    if isinstance(result, dict) and all(isinstance(k, str) for k in result):
        out = {}
        for k, v in result.items():
            out.update(frames_of(v, f"{name}.{k}"))
        return out
    return {name: result}


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    cols = list(frame.columns)
    keyed = frame.reset_index(drop=True)
    try:
        return keyed.sort_values(cols, kind="mergesort", na_position="last").reset_index(drop=True)
    except TypeError:  # unorderable mixed objects: sort by their text
        order = keyed.astype(str).sort_values(cols, kind="mergesort").index
        return keyed.loc[order].reset_index(drop=True)


def differences(a: object, b: object, rtol: float = 1e-9) -> list[str]:
    """What differs between two results (empty when equal); row order is ignored."""
    fa, fb = frames_of(a), frames_of(b)
    out = []
    if sorted(fa) != sorted(fb):
        return [f"parts differ: {sorted(fa)} vs {sorted(fb)}"]
    for key in fa:
        x, y = fa[key], fb[key]
        if isinstance(x, pd.DataFrame) and isinstance(y, pd.DataFrame):
            try:
                pd.testing.assert_frame_equal(_sorted(x), _sorted(y), rtol=rtol, check_dtype=True)
            except AssertionError as err:
                out.append(f"{key}: {str(err)[:600]}")
        elif isinstance(x, float) and isinstance(y, float):
            if not np.isclose(x, y, rtol=rtol, atol=0, equal_nan=True):
                out.append(f"{key}: {x!r} != {y!r}")
        elif x != y and not (pd.isna(x) and pd.isna(y) if np.isscalar(x) else False):
            out.append(f"{key}: {x!r} != {y!r}")
    return out
