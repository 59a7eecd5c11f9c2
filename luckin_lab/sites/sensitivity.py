"""How the chosen sites change if customers' distance decay is not what we estimated.

For each decay on a grid the other parameters are refitted with the decay held fixed (a
profile) and the candidates re-scored: :func:`decay_markets`, the costly part, done once when
the analysis is fitted. :func:`decay_sensitivity` then re-solves the portfolio under each
decay for a given decision (number of sites, budget, staff cost) and values the base choice
under each alternative model, so the table shows what getting the decay wrong would cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from luckin_lab.sites.data import SiteData
from luckin_lab.sites.huff import HuffFit, fit_huff
from luckin_lab.sites.portfolio import solve_portfolio
from luckin_lab.sites.scoring import Market, build_market, pairwise_overlap, score_candidates


@dataclass(frozen=True)
class DecayMarket:
    """The market under one distance decay: candidates' net revenue alone and in pairs."""

    decay: float
    offset: float
    market: Market
    net_revenue: np.ndarray  # (I,) standalone less what each candidate takes from our stores
    overlap: np.ndarray  # (I, I) revenue two candidates take from each other
    loglik: float


def decay_markets(data: SiteData, fit: HuffFit, offsets: tuple[float, ...] = (-0.5, -0.3, 0.3, 0.5),
                  new_attraction: float = 1.0, recent_weeks: int = 4) -> list[DecayMarket]:
    """The fitted model (offset 0) and a profile refit per decay offset (decays <= 0.1 skipped)."""
    out = []
    for off in (0.0, *offsets):
        decay = fit.decay + off
        if decay <= 0.1:
            continue
        f = fit if off == 0 else fit_huff(data, fit.min_distance_km, fixed_decay=decay, with_se=False, start=fit)
        m = build_market(f, data, recent_weeks)
        s, t = score_candidates(m, new_attraction)
        out.append(DecayMarket(decay, off, m, s - t.sum(1), pairwise_overlap(m, new_attraction), f.loglik))
    return out


def decay_sensitivity(markets: list[DecayMarket], candidates: pd.DataFrame, base_choice: np.ndarray,
                      k: int | None, budget: float | None = None, new_attraction: float = 1.0,
                      margin_rate: float | None = None, staff_cost: float = 0.0) -> pd.DataFrame:
    """One row per decay: chosen sites, their net gain, and the base choice's net gain there.

    With a gross ``margin_rate`` the sites are chosen by monthly profit after rent and staff, as
    in the base run, and the regret is in profit (``profit_of_choice`` - ``profit_of_base_choice``).
    """
    costs = candidates.opening_cost.to_numpy(float)
    rent = candidates.monthly_rent.to_numpy(float)
    m_rate = 1.0 if margin_rate is None else margin_rate
    fixed_costs = rent + staff_cost if margin_rate is not None else np.zeros_like(rent)
    sid = candidates.site_id.to_numpy()
    rows = []
    for d in markets:
        m = d.market
        value = d.net_revenue * m_rate - fixed_costs
        ch = solve_portfolio(value, d.overlap * m_rate, k=k, costs=costs, budget=budget)
        rows.append({
            "decay": d.decay, "offset": d.offset, "chosen": ", ".join(sid[ch]),
            "net_gain_of_choice": m.set_net_gain(ch, new_attraction),
            "net_gain_of_base_choice": m.set_net_gain(base_choice, new_attraction),
            "profit_of_choice": m.set_net_gain(ch, new_attraction) * m_rate - fixed_costs[ch].sum(),
            "profit_of_base_choice": m.set_net_gain(base_choice, new_attraction) * m_rate
            - fixed_costs[base_choice].sum(),
            "same_sites_as_base": len(set(ch) & set(base_choice)),
            "loglik": d.loglik,
        })
    df = pd.DataFrame(rows).sort_values("decay").reset_index(drop=True)
    # valued with the exact set gain; the solver optimises the pairwise approximation, so the
    # regret can be slightly negative where the two disagree
    df["regret_of_base_choice"] = df.profit_of_choice - df.profit_of_base_choice
    return df
