"""The catalog's published figures, measured on a set of raw tables.

Used by the tests (the demo store must reproduce the catalog) and by the README's
description of the demo store. Works on any store, so it also profiles real extracts.
"""

from __future__ import annotations

import pandas as pd

# (figure, catalog value at seed scale, tolerance, scales with the store size). Tolerances
# are relative for counts and amounts, and absolute (fractions) for shares ("share"/"recency").
CATALOG = {
    "stores": (11, 0.0, False),
    "registered_users": (277_000, 0.03, True),
    "ordering_users": (150_392, 0.06, True),
    "single_order_users": (84_341, 0.08, True),
    "orders": (466_000, 0.03, True),
    "nzd_test_orders": (21_245, 0.01, True),
    "order_items": (602_000, 0.04, True),
    "revenue_usd": (2_190_000, 0.06, True),
    "aov_launch": (1.77, 0.10, False),
    "aov_latest": (5.03, 0.06, False),
    "recency_0_7": (0.082, 0.03, False),
    "recency_8_30": (0.142, 0.05, False),
    "recency_31_60": (0.132, 0.05, False),
    "recency_61_90": (0.137, 0.05, False),
    "recency_90_plus": (0.506, 0.06, False),
    "share_fresh_coffee": (0.40, 0.03, False),
    "share_classic": (0.18, 0.02, False),
    "share_matcha": (0.10, 0.02, False),
    "share_food": (0.09, 0.02, False),
    "share_cold_brew": (0.07, 0.02, False),
    "share_iced_coconut_latte": (0.15, 0.02, False),
    "mean_production_seconds": (204.0, 0.03, False),
    "flagship_peak_month": (106_000, 0.12, False),
    "flagship_latest_month": (52_000, 0.12, False),
    "iot_devices": (216, 0.02, True),
    "iot_offline_share": (0.57, 0.05, False),
    "iot_cup_orders": (587_600, 0.05, True),
}


def catalog_figures(t: dict[str, pd.DataFrame], snapshot: pd.Timestamp) -> dict[str, float]:
    """Measure the catalog's figures on raw tables (USD revenue excludes NZD test orders)."""
    orders, items, products = t["orders"], t["order_items"], t["products"]
    usd = orders[orders.currency == "USD"]
    done = usd[usd.status == "completed"]
    out: dict[str, float] = {}
    out["stores"] = int((~t["stores"].is_test_store).sum())
    out["registered_users"] = len(t["users"])
    per_user = usd.groupby("user_id").order_time.agg(["count", "max"])
    out["ordering_users"] = len(per_user)
    out["single_order_users"] = int((per_user["count"] == 1).sum())
    out["orders"] = len(orders)
    out["nzd_test_orders"] = int((orders.currency == "NZD").sum())
    out["order_items"] = len(items)
    out["revenue_usd"] = float(done.pay_amount.sum())
    start = usd.order_time.min().normalize()
    out["aov_launch"] = float(done[done.order_time < start + pd.Timedelta(days=14)].pay_amount.mean())
    out["aov_latest"] = float(done[done.order_time >= snapshot - pd.Timedelta(days=28)].pay_amount.mean())
    days = (snapshot - per_user["max"]).dt.total_seconds() / 86400
    bins = [("recency_0_7", 0, 7), ("recency_8_30", 7, 30), ("recency_31_60", 30, 60),
            ("recency_61_90", 60, 90), ("recency_90_plus", 90, 1e9)]
    for name, lo, hi in bins:
        out[name] = float(((days > lo) & (days <= hi)).mean() if lo else (days <= hi).mean())
    it = items.merge(products[["product_id", "category", "product_name"]], on="product_id")
    it = it[it.order_id.isin(usd.order_id)]
    mix = it.category.value_counts(normalize=True)
    for cat in ["Fresh Coffee", "Classic", "Matcha", "Food", "Cold Brew"]:
        out["share_" + cat.lower().replace(" ", "_")] = float(mix.get(cat, 0.0))
    out["share_iced_coconut_latte"] = float((it.product_name == "Iced Coconut Latte").mean())
    if "production_records" in t:
        out["mean_production_seconds"] = float(t["production_records"].production_seconds.mean())
    monthly = done.assign(month=done.order_time.dt.to_period("M")).groupby(["store_id", "month"]).pay_amount.sum()
    flagship = int(t["stores"].sort_values("open_date").query("~is_test_store").store_id.iloc[0])
    fm = monthly.loc[flagship]
    full = fm[fm.index < snapshot.to_period("M")]
    out["flagship_peak_month"] = float(full.max())
    out["flagship_latest_month"] = float(full.iloc[-1])
    last_full = snapshot.to_period("M") - 1
    mature = monthly.xs(last_full, level="month")
    opened = t["stores"].set_index("store_id").open_date
    mature = mature[opened.reindex(mature.index) < last_full.start_time - pd.Timedelta(days=60)]
    out["mature_store_month_min"] = float(mature.min()) if len(mature) else float("nan")
    out["mature_store_month_max"] = float(mature.max()) if len(mature) else float("nan")
    if "iot_devices" in t and len(t["iot_devices"]):
        out["iot_devices"] = len(t["iot_devices"])
        st = t["iot_device_status"].sort_values("event_time").groupby("device_id").status.last()
        out["iot_offline_share"] = float((st == "offline").mean())
        out["iot_cup_orders"] = len(t["iot_cup_orders"])
    return out


def compare(measured: dict[str, float], scale: float) -> pd.DataFrame:
    """Measured against the catalog (scaled where the figure scales with store size)."""
    rows = []
    for name, (target, tol, scales) in CATALOG.items():
        if name not in measured:
            continue
        want = target * scale if scales else target
        got = measured[name]
        absolute = name.startswith(("share", "recency", "iot_offline"))
        err = abs(got - want) if absolute else abs(got - want) / abs(want)
        rows.append((name, want, got, err, tol, "abs" if absolute else "rel", err <= tol))
    return pd.DataFrame(
        rows, columns=["figure", "catalog", "measured", "error", "tolerance", "kind", "ok"]
    )
