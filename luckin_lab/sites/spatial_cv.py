"""Spatial block cross-validation folds and split-conformal intervals.

Stores a few hundred metres apart share customers, so a random fold lets a model "predict" a
store from its neighbour's sales. Blocks of a square grid keep whole neighbourhoods out
together, and a buffer also drops training stores near any held-out store.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from luckin_lab.geo import KM_PER_DEG_LAT, KM_PER_DEG_LON, distance_km


@dataclass
class Fold:
    block: tuple[int, int]
    train: np.ndarray
    test: np.ndarray


def block_ids(lat: np.ndarray, lon: np.ndarray, block_km: float) -> list[tuple[int, int]]:
    """Grid block (row, col) of each point, blocks ``block_km`` on a side."""
    r = np.floor(np.asarray(lat) * KM_PER_DEG_LAT / block_km).astype(int)
    c = np.floor(np.asarray(lon) * KM_PER_DEG_LON / block_km).astype(int)
    return list(zip(r.tolist(), c.tolist(), strict=True))


def spatial_block_folds(lat: np.ndarray, lon: np.ndarray, block_km: float = 1.5,
                        buffer_km: float = 0.0) -> list[Fold]:
    """Leave-one-block-out folds; training points within ``buffer_km`` of a test point dropped."""
    if block_km <= 0 or buffer_km < 0:
        raise ValueError(f"block_km must be > 0 and buffer_km >= 0, got {block_km}, {buffer_km}")
    blocks = block_ids(lat, lon, block_km)
    d = distance_km(np.asarray(lat), np.asarray(lon), np.asarray(lat), np.asarray(lon))
    folds = []
    for b in sorted(set(blocks)):
        test = np.array([i for i, x in enumerate(blocks) if x == b])
        near = (d[:, test] <= buffer_km).any(1) if buffer_km > 0 else np.zeros(len(blocks), bool)
        train = np.array([i for i, x in enumerate(blocks) if x != b and not near[i]], dtype=int)
        folds.append(Fold(b, train, test))
    return folds


def conformal_quantile(abs_residuals: np.ndarray, alpha: float) -> float:
    """Split-conformal quantile: the ceil((n+1)(1-alpha))-th smallest residual (inf if n too small)."""
    r = np.sort(np.asarray(abs_residuals, float))
    n = len(r)
    k = int(np.ceil((n + 1) * (1 - alpha)))
    return float(r[k - 1]) if k <= n else float("inf")


def log_residuals(y: np.ndarray, yhat: np.ndarray) -> np.ndarray:
    """|log(y / yhat)|: revenue errors are multiplicative, so intervals are too."""
    return np.abs(np.log(np.asarray(y, float) / np.asarray(yhat, float)))


def leave_one_out_coverage(y: np.ndarray, yhat_oos: np.ndarray, alpha: float) -> tuple[float, np.ndarray]:
    """Share of points inside the interval calibrated on all the other points' residuals."""
    r = log_residuals(y, yhat_oos)
    covered = np.array([r[i] <= conformal_quantile(np.delete(r, i), alpha) for i in range(len(r))])
    return float(covered.mean()), covered
