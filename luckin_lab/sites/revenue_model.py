"""Store-revenue models and their honest accuracy.

Two models predict a store's current monthly revenue from its location: gradient boosting on
catchment features (the existing site-selection approach, extended with the external data),
and the Huff model refitted without the held-out stores' own sales. Both are scored by
spatial block cross-validation next to their in-sample fit, because with 11 stores an
in-sample R^2 says little about a new site.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold

from luckin_lab.geo import distance_km
from luckin_lab.sites.data import DAYS_PER_MONTH, SiteData
from luckin_lab.sites.huff import HuffFit, expected_revenue, fit_huff
from luckin_lab.sites.spatial_cv import Fold, spatial_block_folds

FEATURES = ["population", "office_workers", "foot_traffic", "transit_stations", "competitors"]
RADII_KM = (0.5, 1.0, 2.0)


def catchment_features(lat: np.ndarray, lon: np.ndarray, cells: pd.DataFrame,
                       other_lat: np.ndarray, other_lon: np.ndarray) -> pd.DataFrame:
    """Sums of location features within rings around each point, plus distance to our stores."""
    d = distance_km(np.asarray(lat), np.asarray(lon), cells.lat.to_numpy(), cells.lon.to_numpy())
    out = {}
    for r in RADII_KM:
        w = (d <= r).astype(float)
        for f in FEATURES:
            out[f"{f}_{r:g}km"] = w @ cells[f].to_numpy(float)
    pop = cells.population.to_numpy(float)
    w1 = (d <= 1.0) * pop[None, :]
    out["median_income_1km"] = (w1 @ cells.median_income.to_numpy(float)) / np.maximum(w1.sum(1), 1.0)
    dd = distance_km(np.asarray(lat), np.asarray(lon), np.asarray(other_lat), np.asarray(other_lon))
    dd = np.where(dd < 1e-6, np.inf, dd)  # a store is not its own neighbour
    out["km_to_nearest_store"] = dd.min(1) if dd.shape[1] else np.full(len(lat), 10.0)
    out["stores_within_1km"] = (dd <= 1.0).sum(1)
    return pd.DataFrame(out)


def _gbm(seed: int = 0) -> GradientBoostingRegressor:
    return GradientBoostingRegressor(n_estimators=300, max_depth=2, learning_rate=0.05,
                                     min_samples_leaf=2, random_state=seed)


@dataclass
class RevenueCV:
    per_store: pd.DataFrame  # store_id, block, y, gbm_in_sample, gbm_random_cv, gbm_spatial_cv, huff_spatial_cv
    r2: pd.DataFrame  # model, evaluation, r2
    folds: list[Fold]
    fold_fits: list[HuffFit]


def cross_validate(data: SiteData, fit: HuffFit, block_km: float = 1.5, buffer_km: float = 0.5,
                   recent_weeks: int = 4, seed: int = 0) -> RevenueCV:
    """In-sample, random-fold and spatial-block R^2 of both models, side by side."""
    st = data.stores
    y = data.current_monthly_revenue(recent_weeks).to_numpy()
    X = catchment_features(st.lat, st.lon, data.cells, st.lat, st.lon)
    folds = spatial_block_folds(st.lat.to_numpy(), st.lon.to_numpy(), block_km, buffer_km)
    gbm_in = _gbm(seed).fit(X, y).predict(X)
    gbm_rand = np.empty_like(y)
    n_splits = min(5, len(y))
    for tr, te in KFold(n_splits, shuffle=True, random_state=seed).split(X):
        gbm_rand[te] = _gbm(seed).fit(X.iloc[tr], y[tr]).predict(X.iloc[te])
    gbm_sp = np.full_like(y, np.nan)
    huff_sp = np.full_like(y, np.nan)
    huff_in = recent_store_revenue(fit, data, recent_weeks)
    block = np.empty(len(y), dtype=object)
    fold_fits = []
    for fo in folds:
        block[fo.test] = str(fo.block)
        if len(fo.train) >= 3:
            gbm_sp[fo.test] = _gbm(seed).fit(X.iloc[fo.train], y[fo.train]).predict(X.iloc[fo.test])
        if len(fo.train) < 2:
            continue
        holdout = np.setdiff1d(np.arange(len(y)), fo.train)
        f = fit_huff(data, fit.min_distance_km, holdout=holdout, with_se=False, start=fit)
        fold_fits.append(f)
        a_new = float(np.exp(np.median(f.log_attraction[fo.train])))
        fa = f.attraction.copy()
        fa[holdout] = a_new
        f2 = HuffFit(**{**{k: getattr(f, k) for k in f.__dataclass_fields__}, "log_attraction": np.log(fa)})
        huff_sp[fo.test] = recent_store_revenue(f2, data, recent_weeks)[fo.test]
    per = pd.DataFrame({"store_id": st.store_id, "store_name": st.store_name, "block": block, "y": y,
                        "gbm_in_sample": gbm_in, "gbm_random_cv": gbm_rand, "gbm_spatial_cv": gbm_sp,
                        "huff_in_sample": huff_in, "huff_spatial_cv": huff_sp})
    rows = [("Gradient boosting (catchment features)", "in-sample", gbm_in),
            ("Gradient boosting (catchment features)", "random 5-fold CV", gbm_rand),
            ("Gradient boosting (catchment features)", "spatial block CV", gbm_sp),
            ("Huff store choice", "in-sample (own attraction fitted)", huff_in),
            ("Huff store choice", "spatial block CV", huff_sp)]
    r2 = pd.DataFrame([(m, e, _r2(y, p)) for m, e, p in rows], columns=["model", "evaluation", "r2"])
    return RevenueCV(per, r2, folds, fold_fits)


def recent_store_revenue(fit: HuffFit, data: SiteData, weeks: int = 4) -> np.ndarray:
    """Model run rate per month over the last weeks, opening boost included like the target."""
    mu = expected_revenue(fit, data)[:, :, -weeks:]
    return mu.sum((0, 2)) / weeks * DAYS_PER_MONTH / 7


def _r2(y: np.ndarray, p: np.ndarray) -> float:
    ok = ~np.isnan(p)
    return float(r2_score(y[ok], p[ok])) if ok.sum() >= 2 else float("nan")
