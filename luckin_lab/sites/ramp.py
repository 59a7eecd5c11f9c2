"""New-store ramp-up and the flagship's decline, read through the fitted Huff model.

A new store's first weeks carry a grand-opening boost; the model estimates it jointly with
the spatial shares, so the boost fading is not mistaken for neighbours taking sales. The same
model splits the flagship's fall between its first and latest full month into: its own
opening boost fading, later stores taking its customers (cannibalization), its catchment's
customer base (new sign-ups, against people who tried us once and stopped), chain-wide spend
per customer (launch deals ending, season) and what the model does not explain.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from luckin_lab.sites.data import SiteData
from luckin_lab.sites.huff import HuffFit, boost_curve, expected_revenue


def ramp_curves(fit: HuffFit, data: SiteData) -> pd.DataFrame:
    """Weekly revenue of each store against weeks since opening, as an index of its mature level."""
    mu = expected_revenue(fit, data).sum(0)
    mature = expected_revenue(fit, data, boost=False).sum(0)
    actual = data.revenue.sum(0)
    rows = []
    for j, s in data.stores.iterrows():
        for t in range(data.n_weeks):
            wk = (7 * t - s.open_day) / 7
            if wk < 0 or mature[j, t] <= 0:
                continue
            rows.append((s.store_id, s.store_name, t, wk, actual[j, t], mu[j, t], mature[j, t]))
    df = pd.DataFrame(rows, columns=["store_id", "store_name", "week", "weeks_open", "actual",
                                     "expected", "expected_mature"])
    df["actual_index"] = df.actual / df.expected_mature
    df["model_index"] = df.expected / df.expected_mature
    return df


def _month_weeks(data: SiteData, month: pd.Timestamp) -> np.ndarray:
    starts = data.start + pd.to_timedelta(np.arange(data.n_weeks) * 7 + 3, "D")  # mid-week
    return np.nonzero(starts.to_period("M") == month.to_period("M"))[0]


def flagship_decomposition(fit: HuffFit, data: SiteData, store_id: int | None = None,
                           months: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> dict:
    """Split the change in a store's monthly revenue into model-based parts that add up."""
    st = data.stores
    j = int(np.argmin(st.open_day)) if store_id is None else int(np.nonzero(st.store_id == store_id)[0][0])
    sid = int(st.store_id.iloc[j])
    sm = data.store_month[(data.store_month.store_id == sid) & data.store_month.full_month]
    if len(sm) < 2:
        raise ValueError(f"store_month: store {sid} has fewer than two full months to compare")
    m0, m1 = (sm.month.iloc[0], sm.month.iloc[-1]) if months is None else months
    r0 = float(sm.loc[sm.month == m0, "revenue"].iloc[0])
    r1 = float(sm.loc[sm.month == m1, "revenue"].iloc[0])
    w0, w1 = _month_weeks(data, m0), _month_weeks(data, m1)
    g, _, _ = boost_curve(data.open_day.astype(float), data.n_weeks, fit.boost, fit.boost_weeks)
    d = np.maximum(data.store_distances(), fit.min_distance_km)
    af = fit.attraction[None, :] * d ** (-fit.decay)
    outside = fit.outside(data.cells.competitors.to_numpy())
    base = fit.demand_base(data.state_counts()[:, :, : data.n_weeks])  # (C, T)

    def x_share(n: np.ndarray, g_own: float, g_all: np.ndarray) -> float:
        gg = g_all.copy()
        gg[j] = g_own
        u = af * gg[None, :]
        return float(n @ (u[:, j] / (outside + u.sum(1))))

    state = {i: dict(market=fit.kappa[w].mean(), opening=g[j, w].mean(), others=g[:, w].mean(1),
                     customers=base[:, w].mean(1)) for i, w in ((0, w0), (1, w1))}

    def value(sel: dict[str, int]) -> float:
        x = x_share(state[sel["customers"]]["customers"], state[sel["opening"]]["opening"],
                    state[sel["others"]]["others"])
        return math.log(state[sel["market"]]["market"]) + math.log(x)

    factors = ["opening", "others", "customers", "market"]
    shap = dict.fromkeys(factors, 0.0)
    perms = list(itertools.permutations(factors))
    for perm in perms:  # Shapley values: each factor's average contribution over switch orders
        sel = dict.fromkeys(factors, 0)
        prev = value(sel)
        for f in perm:
            sel[f] = 1
            cur = value(sel)
            shap[f] += (cur - prev) / len(perms)
            prev = cur
    model_log = sum(shap.values())
    total_log = math.log(r1 / r0)
    parts = [
        ("Own grand-opening boost fading", shap["opening"]),
        ("Later stores taking its customers (cannibalization)", shap["others"]),
        ("Customer base in its area (sign-ups, less one-time triers and lapsed customers)", shap["customers"]),
        ("Chain-wide spend per customer (launch deals ending, season)", shap["market"]),
        ("Not explained by the model", total_log - model_log),
    ]
    delta = r1 - r0
    table = pd.DataFrame(parts, columns=["component", "log_change"])
    table["short"] = ["Opening boost fading", "Taken by later stores", "Customer base", "Chain-wide spend",
                      "Unexplained"]
    table["revenue_change"] = delta * table.log_change / total_log if total_log else 0.0
    table["share_of_change"] = table.revenue_change / delta if delta else 0.0
    return {"store_id": sid, "store_name": st.store_name.iloc[j], "month_from": m0, "month_to": m1,
            "revenue_from": r0, "revenue_to": r1, "table": table}
