"""City-scale geometry and the Huff store-choice formula, shared by the site analysis and the
demo synthesizer.

The synthesizer plants store choice with :func:`huff_shares` and the site analysis fits the
same formula, so both import it from here: an analysis never imports the synthesizer.
"""

from __future__ import annotations

import numpy as np

KM_PER_DEG_LAT = 111.0
KM_PER_DEG_LON = 84.3  # at 40.7 N (New York)


def distance_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Equirectangular distance: exact enough at city scale and fully vectorised."""
    dlat = (np.asarray(lat1)[..., None] - np.asarray(lat2)[None, ...]) * KM_PER_DEG_LAT
    dlon = (np.asarray(lon1)[..., None] - np.asarray(lon2)[None, ...]) * KM_PER_DEG_LON
    return np.sqrt(dlat**2 + dlon**2)


def huff_shares(
    dist_km: np.ndarray, attraction: np.ndarray, outside: np.ndarray, decay: float, min_km: float
) -> np.ndarray:
    """Share of each cell's occasions going to each store (rows: cells, cols: stores).

    Stores with attraction 0 (not open) get nothing; the rest of the row is the outside option.
    """
    util = attraction[None, :] * np.maximum(dist_km, min_km) ** (-decay)
    return util / (outside[:, None] + util.sum(axis=1, keepdims=True))
