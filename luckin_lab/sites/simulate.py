"""A small Huff world with known parameters, at analysis grain, for tests and benchmarks.

It reuses the demo synthesizer's geography and Huff formula (``luckin_lab.synth.spatial``)
but skips users, items and promotions, so an estimator can be checked against exact planted
values in a second instead of a full synthesis. With ``state_weights`` a cell's people move
from "not yet ordered" to customer tenure states at a rate that grows with our share of the
cell (customers near a store try us sooner), and each state carries its planted demand weight:
the saturation a head-count demand base gets wrong. With ``opening_discount`` each new store
sells at a discount that fades linearly over two weeks, which raises its own revenue by
(paid/list)^price_elasticity and takes nothing from its neighbours (as the demo store's opening
promotions do); the data then carry the store-week price level as the store's tables would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from luckin_lab.sites.data import (
    DAYS_PER_MONTH,
    TENURE_EDGES,
    SiteData,
    relative_price_level,
    state_names,
)
from luckin_lab.synth.spatial import make_candidates, make_geography
from luckin_lab.synth.truth import SpatialTruth, StoreSpec


@dataclass
class SimWorld:
    data: SiteData
    spatial: SpatialTruth
    potential: np.ndarray  # (C,) monthly revenue potential at the end (all occasions captured)


def random_stores(rng: np.random.Generator, n: int, start: dt.date, weeks_between: int = 2) -> list[StoreSpec]:
    """``n`` stores spread over Manhattan, Brooklyn and Queens, opening every few weeks."""
    lat = rng.uniform(40.64, 40.80, n)
    lon = -74.0 + (lat - 40.70) * 0.5 + rng.uniform(-0.01, 0.07, n)
    return [
        StoreSpec(name=f"Store {i + 1}", borough="Manhattan", lat=float(lat[i]), lon=float(lon[i]),
                  open_date=start + dt.timedelta(days=7 * weeks_between * i),
                  attraction=float(np.exp(rng.normal(0, 0.2))))
        for i in range(n)
    ]


def simulate_world(
    seed: int = 1,
    n_weeks: int = 36,
    users_per_weight: float = 0.01,
    spend_per_user_week: float = 3.0,
    store_week_noise: float = 0.05,
    spatial: SpatialTruth | None = None,
    ticket: float = 6.0,
    state_weights: tuple[float, ...] | None = None,
    trial_rate: float = 0.6,
    opening_discount: float = 0.0,
    price_elasticity: float = -1.0,
) -> SimWorld:
    """Daily Poisson orders by cell x store from the Huff model, aggregated like the store's."""
    rng = np.random.default_rng(seed)
    sp = spatial or SpatialTruth()
    start = pd.Timestamp(min(s.open_date for s in sp.stores))
    geo = make_geography(rng, sp, start)
    cells = geo.cells.copy()
    n_users = rng.poisson(geo.weight * users_per_weight).astype(float)
    cells["n_users"] = n_users
    days = np.arange(n_weeks * 7)
    trend = spend_per_user_week / 7 * (1 + 0.8 * np.exp(-days / 60.0))  # launch deals fading
    J = len(sp.stores)
    shock = np.exp(rng.normal(0, store_week_noise, (J, n_weeks)))
    counts = _state_counts(rng, geo, sp, n_users, n_weeks, state_weights, trial_rate)
    w = np.ones(1) if state_weights is None else np.asarray(state_weights, float)
    base = np.einsum("cst,s->ct", counts, w)
    rev = np.zeros((len(cells), J, n_weeks))
    list_value = np.zeros((J, n_weeks))
    for d in days:
        since = d - geo.open_day
        paid = 1 - opening_discount * np.where(since >= 0, np.clip(1 - since / 14, 0, 1), 0)  # (J,)
        lam = (base[:, d // 7, None] * trend[d] * geo.shares_on(int(d), sp) * shock[None, :, d // 7]
               * paid[None, :] ** price_elasticity / ticket)
        day_rev = rng.poisson(lam) * ticket
        rev[:, :, d // 7] += day_rev
        list_value[:, d // 7] += day_rev.sum(0) / paid
    stores = pd.DataFrame({
        "store_id": 101 + np.arange(J), "store_name": [s.name for s in sp.stores],
        "borough": [s.borough for s in sp.stores], "lat": geo.store_lat, "lon": geo.store_lon,
        "open_date": [pd.Timestamp(s.open_date) for s in sp.stores], "open_day": geo.open_day,
    })
    weekly = rev.sum(0)
    sw = pd.DataFrame([
        dict(store_id=int(sid), week=t, week_start=start + pd.Timedelta(days=7 * t),
             revenue=weekly[j, t], n_orders=int(weekly[j, t] / ticket), n_customers=0)
        for j, sid in enumerate(stores.store_id) for t in range(n_weeks)
    ])
    sm = (sw.assign(month=sw.week_start.dt.to_period("M").dt.to_timestamp())
          .groupby(["store_id", "month"], as_index=False)[["revenue", "n_orders", "n_customers"]].sum())
    sm = sm.merge(stores[["store_id", "open_date"]], on="store_id")
    sm["days"] = 30
    end = start + pd.Timedelta(days=n_weeks * 7)
    sm["full_month"] = (sm.month >= sm.open_date) & (sm.month + pd.offsets.MonthBegin(1) <= end)
    sm = sm.drop(columns="open_date")
    potential = base[:, -1] * trend[-28:].mean() * DAYS_PER_MONTH
    promo = pd.DataFrame({"store_id": np.repeat(stores.store_id.to_numpy(), n_weeks),
                          "week": np.tile(np.arange(n_weeks), J), "list_amount": list_value.ravel(),
                          "promo_discount": (list_value - rev.sum(0)).ravel()})
    price = relative_price_level(promo, pd.Series(np.arange(J), index=stores.store_id), n_weeks)
    data = SiteData(cells=cells, stores=stores, candidates=make_candidates(rng, geo, sp.n_candidates),
                    start=start, revenue=rev, store_week=sw, store_month=sm,
                    snapshot=start + pd.Timedelta(days=n_weeks * 7 - 1),
                    user_states=None if state_weights is None else counts,
                    states=None if state_weights is None else state_names(TENURE_EDGES),
                    price=price if opening_discount else None)
    return SimWorld(data, sp, potential)


def _state_counts(rng: np.random.Generator, geo, sp: SpatialTruth, n_users: np.ndarray, n_weeks: int,
                  state_weights: tuple[float, ...] | None, trial_rate: float) -> np.ndarray:
    """Users by cell x state x week start; one state (everyone) without ``state_weights``."""
    if state_weights is None:
        return np.repeat(n_users[:, None, None], n_weeks + 1, axis=1).reshape(len(n_users), 1, -1)
    if len(state_weights) != len(TENURE_EDGES) + 1:
        raise ValueError(f"state_weights: need {len(TENURE_EDGES) + 1} weights, got {len(state_weights)}")
    C = len(n_users)
    first = np.full((C, n_weeks + 1), 0.0)  # new customers (first order) per week
    left = n_users.copy()
    for t in range(n_weeks):
        inside = geo.shares_on(7 * t + 3, sp).sum(1)
        new = rng.binomial(left.astype(int), 1 - np.exp(-trial_rate * inside))
        first[:, t] = new
        left = left - new
    out = np.zeros((C, len(TENURE_EDGES) + 1, n_weeks + 1))
    edges = np.asarray(TENURE_EDGES)
    for t in range(n_weeks + 1):
        out[:, 0, t] = n_users - first[:, :t].sum(1)
        for f in range(t):  # customers whose first order was in week f
            out[:, np.searchsorted(edges, t - f, side="right"), t] += first[:, f]
    return out
