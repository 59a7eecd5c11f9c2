"""Geography of the demo store: geo cells with location features, stores, candidate sites and
the Huff store-choice model that turns them into demand shares.

Everything that evaluates site decisions against the truth uses :func:`site_truth` and the
Huff formula of :mod:`luckin_lab.geo`, so the generator, the analysis and the evaluation share
one formula.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from luckin_lab.geo import distance_km, huff_shares
from luckin_lab.synth.truth import SpatialTruth

# (borough, lat_min, lat_max, lon_min, lon_max): coarse boxes; Manhattan is clipped to its
# diagonal shape below.
_BOXES = [
    ("Manhattan", 40.700, 40.835, -74.020, -73.930),
    ("Brooklyn", 40.620, 40.700, -74.010, -73.900),
    ("Queens", 40.700, 40.765, -73.930, -73.800),
    ("Bronx", 40.800, 40.870, -73.925, -73.850),
    ("JFK Airport", 40.635, 40.655, -73.800, -73.770),
]
_DLAT, _DLON = 0.0050, 0.0066  # about 0.55 km x 0.55 km

MIDTOWN = (40.754, -73.984)
FIDI = (40.707, -74.009)


def _in_manhattan(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    # the island runs from the Battery (40.700,-74.015) to Inwood (40.870,-73.920), ~2-3 km wide
    t = (lat - 40.700) / (40.870 - 40.700)
    centre = -74.008 + t * (0.088)
    half_width = 0.012 + 0.006 * np.sin(np.pi * np.clip(t, 0, 1))
    return (t >= 0) & (t <= 0.8) & (np.abs(lon - centre) <= half_width)


def make_cells(rng: np.random.Generator) -> pd.DataFrame:
    """Geo cells with synthetic location features (population, office workers, traffic...)."""
    rows = []
    for borough, la0, la1, lo0, lo1 in _BOXES:
        lats = np.arange(la0 + _DLAT / 2, la1, _DLAT)
        lons = np.arange(lo0 + _DLON / 2, lo1, _DLON)
        glat, glon = np.meshgrid(lats, lons, indexing="ij")
        glat, glon = glat.ravel(), glon.ravel()
        keep = _in_manhattan(glat, glon) if borough == "Manhattan" else ~_in_manhattan(glat, glon)
        for a, o in zip(glat[keep], glon[keep], strict=True):
            rows.append((borough, a, o))
    cells = pd.DataFrame(rows, columns=["borough", "lat", "lon"])
    n = len(cells)
    d_mid = distance_km(cells.lat, cells.lon, np.array([MIDTOWN[0]]), np.array([MIDTOWN[1]]))[:, 0]
    d_fidi = distance_km(cells.lat, cells.lon, np.array([FIDI[0]]), np.array([FIDI[1]]))[:, 0]
    manhattan = (cells.borough == "Manhattan").to_numpy()
    jfk = (cells.borough == "JFK Airport").to_numpy()
    # thousands of people per ~0.3 km2 cell
    pop = np.where(manhattan, 9.0, 6.0) * rng.lognormal(0, 0.35, n)
    office = (60 * np.exp(-d_mid / 1.1) + 35 * np.exp(-d_fidi / 0.8) + 1.0) * rng.lognormal(0, 0.3, n)
    office = np.where(manhattan, office, 0.8 * rng.lognormal(0, 0.5, n))
    foot = 0.4 * pop + 0.5 * office + rng.gamma(2.0, 1.0, n)
    pop = np.where(jfk, 0.0, pop)
    office = np.where(jfk, 6.0, office)
    foot = np.where(jfk, 45.0 * rng.lognormal(0, 0.2, n), foot)
    transit = rng.poisson(np.where(manhattan, 1.2, 0.5) + foot / 40)
    competitors = rng.poisson(0.3 + foot / 12)
    income = np.where(manhattan, 105_000, 72_000) * rng.lognormal(0, 0.25, n)
    cells = cells.assign(
        cell_id=np.arange(n, dtype="int64"),
        population=np.round(pop * 1000),
        office_workers=np.round(office * 1000),
        foot_traffic=np.round(foot * 1000),
        transit_stations=transit.astype("int64"),
        competitors=competitors.astype("int64"),
        median_income=np.round(income, -2),
        feature_source="synthetic demo (luckin-lab synth)",
    )
    return cells[
        ["cell_id", "borough", "lat", "lon", "population", "office_workers", "foot_traffic",
         "transit_stations", "competitors", "median_income", "feature_source"]
    ]


def cell_weight(cells: pd.DataFrame, sp: SpatialTruth) -> np.ndarray:
    """Planted demand weight of each cell (potential customers)."""
    return (
        sp.weight_population * cells.population.to_numpy()
        + sp.weight_office * cells.office_workers.to_numpy()
        + sp.weight_foot_traffic * cells.foot_traffic.to_numpy()
    )


def outside_option(cells: pd.DataFrame, sp: SpatialTruth) -> np.ndarray:
    return sp.outside_base + sp.outside_per_competitor * cells.competitors.to_numpy()


def opening_boost(weeks_open: np.ndarray, sp: SpatialTruth) -> np.ndarray:
    """Grand-opening effect g(t) on attraction; 0 before opening."""
    w = np.asarray(weeks_open, dtype=float)
    return np.where(w >= 0, 1 + sp.grand_opening_boost * np.exp(-np.maximum(w, 0) / sp.grand_opening_weeks), 0.0)


@dataclass
class Geography:
    cells: pd.DataFrame
    weight: np.ndarray
    outside: np.ndarray
    store_lat: np.ndarray
    store_lon: np.ndarray
    attraction: np.ndarray
    open_day: np.ndarray  # day index of opening
    dist: np.ndarray  # cells x stores, km

    def shares_on(self, day: int, sp: SpatialTruth) -> np.ndarray:
        weeks = (day - self.open_day) / 7.0
        attr = self.attraction * opening_boost(weeks, sp)
        return huff_shares(self.dist, attr, self.outside, sp.distance_decay, sp.min_distance_km)


def make_geography(rng: np.random.Generator, sp: SpatialTruth, start: pd.Timestamp) -> Geography:
    cells = make_cells(rng)
    lat = np.array([s.lat for s in sp.stores])
    lon = np.array([s.lon for s in sp.stores])
    return Geography(
        cells=cells,
        weight=cell_weight(cells, sp),
        outside=outside_option(cells, sp),
        store_lat=lat,
        store_lon=lon,
        attraction=np.array([s.attraction for s in sp.stores]),
        open_day=np.array([(pd.Timestamp(s.open_date) - start).days for s in sp.stores]),
        dist=distance_km(cells.lat.to_numpy(), cells.lon.to_numpy(), lat, lon),
    )


def make_candidates(rng: np.random.Generator, geo: Geography, n: int) -> pd.DataFrame:
    """Candidate sites in busy cells at least ~0.8 km from every existing store."""
    cells = geo.cells
    nearest = geo.dist.min(axis=1)
    ok = (nearest > 0.8) & (cells.borough != "Bronx").to_numpy()
    score = np.where(ok, geo.weight, 0.0)
    p = score / score.sum()
    pick = rng.choice(len(cells), size=min(n, int(ok.sum())), replace=False, p=p)
    c = cells.iloc[np.sort(pick)].reset_index(drop=True)
    jitter = rng.uniform(-0.0015, 0.0015, (len(c), 2))
    rent = 9_000 + 0.12 * geo.weight[c.cell_id.to_numpy()] * rng.lognormal(0, 0.2, len(c))
    return pd.DataFrame(
        {
            "site_id": [f"S{i + 1:03d}" for i in range(len(c))],
            "site_name": [f"{b} site {i + 1}" for i, b in enumerate(c.borough)],
            "borough": c.borough.to_numpy(),
            "lat": (c.lat + jitter[:, 0]).round(5),
            "lon": (c.lon + jitter[:, 1]).round(5),
            "cell_id": c.cell_id.to_numpy().astype("int64"),
            "monthly_rent": rent.round(-2),
            "opening_cost": (250_000 + 2 * rent * 12).round(-3),
        }
    )


def site_truth(
    cells: pd.DataFrame,
    cell_revenue: np.ndarray,
    stores: pd.DataFrame,
    sites: pd.DataFrame,
    sp: SpatialTruth,
    site_attraction: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mature monthly revenue each candidate would add alone, and what it takes from each store.

    ``cell_revenue`` is each cell's monthly revenue potential (all occasions captured);
    ``stores`` has lat, lon, attraction of the stores open at the snapshot.
    """
    outside = outside_option(cells, sp)
    clat, clon = cells.lat.to_numpy(), cells.lon.to_numpy()
    d_st = distance_km(clat, clon, stores.lat.to_numpy(), stores.lon.to_numpy())
    base = huff_shares(d_st, stores.attraction.to_numpy(), outside, sp.distance_decay, sp.min_distance_km)
    base_rev = cell_revenue @ base
    rows, cann = [], []
    for _, s in sites.iterrows():
        d_new = distance_km(clat, clon, np.array([s.lat]), np.array([s.lon]))
        d_all = np.concatenate([d_st, d_new], axis=1)
        attr = np.concatenate([stores.attraction.to_numpy(), [site_attraction]])
        sh = huff_shares(d_all, attr, outside, sp.distance_decay, sp.min_distance_km)
        rev = cell_revenue @ sh
        taken = base_rev - rev[:-1]
        rows.append((s.site_id, rev[-1], taken.sum(), rev[-1] - taken.sum()))
        for j, store_id in enumerate(stores.store_id):
            cann.append((s.site_id, store_id, taken[j], taken[j] / base_rev[j] if base_rev[j] else 0.0))
    cand = pd.DataFrame(rows, columns=["site_id", "standalone_revenue", "cannibalized_revenue", "net_gain"])
    cann_df = pd.DataFrame(cann, columns=["site_id", "store_id", "revenue_taken", "share_of_store_revenue"])
    return cand, cann_df
