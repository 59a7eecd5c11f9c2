"""Today's economics per group and segment (volume, discount, cost) and the AOV path.

These are the inputs the recommendation needs beside the elasticities: what sells now, at
what discount off the menu, and which price multipliers were actually tested.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from luckin_lab.pricing.elasticities import CAUSAL, ElasticityResults
from luckin_lab.pricing.panel import is_daily

BENCHMARK_AOV = (6.50, 8.00)  # US specialty coffee, from the use-case catalog


def _recent(panel: pd.DataFrame, window_days: int) -> tuple[pd.DataFrame, float]:
    period = pd.to_datetime(panel["period"])
    end = period.max()
    recent = panel[period > end - pd.Timedelta(days=window_days)]
    span = window_days if is_daily(panel) else 7 * recent["period"].nunique()
    return recent, float(max(span, 1))


def group_economics(panel: pd.DataFrame, results: ElasticityResults, method: str = CAUSAL,
                    window_days: int = 28) -> pd.DataFrame:
    """One row per estimated group: today's menu price, discount, cost, weekly units, elasticity."""
    if "list_price" not in panel.columns or "unit_cost" not in panel.columns:
        raise ValueError("price recommendations need list_price and unit_cost columns in the panel")
    est = results.by_group[results.by_group["method"] == method].dropna(subset=["elasticity"])
    recent, span = _recent(panel, window_days)
    sold = panel[panel["quantity"] > 0]
    rows = []
    for r in est.itertuples(index=False):
        g_recent = recent[recent["group"] == r.group]
        q = g_recent["quantity"].sum()
        paid = (g_recent["price"] * g_recent["quantity"]).sum()
        listed = (g_recent["list_price"] * g_recent["quantity"]).sum()
        discount = 1 - paid / listed if listed > 0 else 0.0
        ratio = (sold.loc[sold["group"] == r.group, "price"]
                 / sold.loc[sold["group"] == r.group, "list_price"])
        r0 = 1 - discount
        rows.append(dict(
            group=r.group,
            today_price=float(g_recent["list_price"].mean()),
            discount=float(discount),
            unit_cost=float(g_recent["unit_cost"].mean()),
            weekly_units=float(q * 7 / span),
            elasticity=float(r.elasticity),
            se=float(r.se),
            tested_low=float(np.quantile(ratio, 0.01) / r0) if len(ratio) else 1.0,
            tested_high=float(np.quantile(ratio, 0.99) / r0) if len(ratio) else 1.0,
        ))
    return pd.DataFrame(rows)


def segment_economics(panel: pd.DataFrame, results: ElasticityResults,
                      window_days: int = 28) -> pd.DataFrame | None:
    """Weekly units and causal (Poisson IV) elasticity per group x segment (None without segments)."""
    if "segment" not in panel.columns or results.by_group_segment.empty:
        return None
    recent, span = _recent(panel, window_days)
    units = recent.groupby(["group", "segment"])["quantity"].sum() * 7 / span
    cells = results.by_group_segment.set_index(["group", "segment"])
    out = cells[["elasticity", "se"]].join(units.rename("weekly_units"), how="inner")
    return out.reset_index()


def aov_path(aov_today: float, recs: pd.DataFrame) -> pd.DataFrame:
    """AOV today, after the recommended prices, and after also ending the remaining promotions.

    Basket size is held: AOV moves with the average price paid per item, weighted by the
    projected units (so volume shifts toward the categories that lose less).
    """
    def per_item(units: pd.Series, price: pd.Series) -> float:
        return float((units * price).sum() / units.sum())

    eff_now = recs["today_price"] * (1 - recs["discount"])
    base = per_item(recs["weekly_units"], eff_now)
    eff_new = recs["recommended_price"] * (1 - recs["discount"])
    after_prices = per_item(recs["projected_units"], eff_new)
    ratio_full = recs["recommended_price"] / eff_now
    units_full = recs["weekly_units"] * ratio_full ** recs["elasticity"]
    after_promos = per_item(units_full, recs["recommended_price"])
    steps = [
        ("Today (last 4 weeks)", aov_today),
        ("With the recommended menu prices", aov_today * after_prices / base),
        ("... and the remaining promotions ended", aov_today * after_promos / base),
        ("US specialty benchmark (low end)", BENCHMARK_AOV[0]),
    ]
    out = pd.DataFrame(steps, columns=["step", "aov"])
    out["gap_to_benchmark"] = BENCHMARK_AOV[0] - out["aov"]
    return out
