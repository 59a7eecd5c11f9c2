"""What each candidate would add: standalone revenue, revenue taken from our stores, net gain.

Under the Huff model a cell's revenue to us depends only on the sum of our stores' utilities
(S_c) against the outside option: M_c * S_c / (O_c + S_c). Opening sites adds their utilities
to S_c, so the chain's revenue for any set of sites is exact and cheap, which is what the
portfolio needs; standalone, cannibalization and the pairwise overlap of two candidates all
follow from it. Revenue is monthly revenue at the recent spend level without the opening boost,
for the customer base of the snapshot (each cell's users weighted by their customer state, so
an area whose people have mostly tried us already counts for less than its head count).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from luckin_lab.sites.data import SiteData
from luckin_lab.sites.huff import HuffFit


@dataclass
class Market:
    """Cells' potential and our existing network under one fitted model."""

    potential: np.ndarray  # (C,) monthly revenue at full capture
    outside: np.ndarray  # (C,)
    store_util: np.ndarray  # (C, J) mature utilities of existing stores
    cand_util: np.ndarray  # (C, I) utilities of candidates at attraction 1

    @property
    def inside(self) -> np.ndarray:
        return self.store_util.sum(1)

    def chain_revenue(self, extra_util: np.ndarray | float = 0.0) -> np.ndarray | float:
        """Chain revenue with extra utility per cell (broadcast over trailing axes)."""
        s = self.inside.reshape((-1,) + (1,) * (np.ndim(extra_util) - 1)) + extra_util
        o = self.outside.reshape(s.shape[:1] + (1,) * (s.ndim - 1))
        m = self.potential.reshape(s.shape[:1] + (1,) * (s.ndim - 1))
        return (m * s / (o + s)).sum(0)

    def store_revenue(self) -> np.ndarray:
        denom = self.outside + self.inside
        return self.potential @ (self.store_util / denom[:, None])

    def set_net_gain(self, chosen: np.ndarray, attraction: float | np.ndarray = 1.0) -> float:
        """Exact net gain of opening the candidates with these indices together."""
        chosen = np.asarray(chosen, dtype=int)
        if chosen.size == 0:
            return 0.0
        extra = (self.cand_util[:, chosen] * attraction).sum(1)
        return float(self.chain_revenue(extra) - self.chain_revenue())


def build_market(fit: HuffFit, data: SiteData, recent_weeks: int = 4) -> Market:
    comp = data.cells.competitors.to_numpy()
    return Market(
        potential=fit.monthly_potential(data, recent_weeks),
        outside=fit.outside(comp),
        store_util=fit.utility(data.store_distances(), fit.attraction[None, :]),
        cand_util=fit.utility(data.candidate_distances(), 1.0),
    )


def score_candidates(market: Market, attraction: float | np.ndarray = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Standalone revenue (I,) and revenue taken from each store (I, J), each alone."""
    u = market.cand_util * attraction  # (C, I)
    denom0 = market.outside + market.inside  # (C,)
    denom1 = denom0[:, None] + u  # (C, I)
    standalone = (market.potential[:, None] * u / denom1).sum(0)
    mu = market.potential[:, None] * market.store_util  # (C, J)
    before = (mu / denom0[:, None]).sum(0)
    after = (mu[:, :, None] / denom1[:, None, :]).sum(0)  # (J, I)
    taken = (before[:, None] - after).T
    return standalone, taken


def candidate_table(data: SiteData, market: Market, attraction: float = 1.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Candidate scores and the long cannibalization table (site x store)."""
    standalone, taken = score_candidates(market, attraction)
    base = market.store_revenue()
    cand = data.candidates[["site_id", "site_name", "borough", "lat", "lon", "monthly_rent", "opening_cost"]].copy()
    cand["standalone_revenue"] = standalone
    cand["cannibalized_revenue"] = taken.sum(1)
    cand["net_gain"] = standalone - taken.sum(1)
    cand["cannibalization_rate"] = taken.sum(1) / np.maximum(standalone, 1e-9)
    sid = data.candidates.site_id.to_numpy()
    cann = pd.DataFrame({
        "site_id": np.repeat(sid, len(base)),
        "store_id": np.tile(data.stores.store_id.to_numpy(), len(sid)),
        "store_name": np.tile(data.stores.store_name.to_numpy(), len(sid)),
        "revenue_taken": taken.ravel(),
        "share_of_store_revenue": (taken / np.maximum(base, 1e-9)[None, :]).ravel(),
    })
    return cand, cann


def pairwise_overlap(market: Market, attraction: float = 1.0) -> np.ndarray:
    """Revenue lost when two candidates open together: net_i + net_k - net_{ik} (I x I, >= 0)."""
    u = market.cand_util * attraction
    base = market.chain_revenue()
    single = market.chain_revenue(u) - base  # (I,)
    pair = market.chain_revenue(u[:, :, None] + u[:, None, :]) - base  # (I, I)
    over = single[:, None] + single[None, :] - pair
    np.fill_diagonal(over, 0.0)
    return np.maximum(over, 0.0)


def intervals_by_attraction(market: Market, standalone: np.ndarray, log_q: float,
                            grid: np.ndarray | None = None) -> pd.DataFrame:
    """Interval ends for standalone, cannibalized and net revenue at +-log_q on standalone.

    The conformal interval is on a new store's own revenue; the unknown that moves it is how
    attractive the store turns out, which moves cannibalization too. So each end is mapped
    back to an attraction and the net gain is computed there.
    """
    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121)) if grid is None else grid
    stand_g = np.empty((len(grid), len(standalone)))
    net_g = np.empty_like(stand_g)
    cann_g = np.empty_like(stand_g)
    for i, a in enumerate(grid):
        s, t = score_candidates(market, a)
        stand_g[i], cann_g[i], net_g[i] = s, t.sum(1), s - t.sum(1)
    out = {}
    for end, target in (("low", standalone * np.exp(-log_q)), ("high", standalone * np.exp(log_q))):
        a_end = np.array([np.interp(np.log(target[k]), np.log(stand_g[:, k]), np.log(grid))
                          for k in range(len(standalone))])
        out[f"standalone_{end}"] = target
        out[f"attraction_{end}"] = np.exp(a_end)
        out[f"net_gain_{end}"] = np.array([np.interp(a_end[k], np.log(grid), net_g[:, k])
                                           for k in range(len(standalone))])
        out[f"cannibalized_{end}"] = np.array([np.interp(a_end[k], np.log(grid), cann_g[:, k])
                                               for k in range(len(standalone))])
    return pd.DataFrame(out)
