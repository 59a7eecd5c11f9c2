"""How the chosen sites change if customers' distance decay is not what we estimated.

For each decay on a grid the other parameters are refitted with the decay held fixed (a
profile), the candidates are re-scored and the portfolio re-solved. The base choice is also
valued under each alternative model, so the table shows what getting the decay wrong would cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from luckin_lab.sites.data import SiteData
from luckin_lab.sites.huff import HuffFit, fit_huff
from luckin_lab.sites.portfolio import solve_portfolio
from luckin_lab.sites.scoring import build_market, pairwise_overlap, score_candidates


def decay_sensitivity(data: SiteData, fit: HuffFit, base_choice: np.ndarray, k: int | None,
                      budget: float | None = None, offsets: tuple[float, ...] = (-0.5, -0.3, 0.3, 0.5),
                      new_attraction: float = 1.0, margin_rate: float | None = None,
                      staff_cost: float = 0.0) -> pd.DataFrame:
    """One row per decay: chosen sites, their net gain, and the base choice's net gain there.

    With a gross ``margin_rate`` the sites are chosen by monthly profit after rent and staff, as
    in the base run, and the regret is in profit (``profit_of_choice`` - ``profit_of_base_choice``).
    """
    costs = data.candidates.opening_cost.to_numpy(float)
    rent = data.candidates.monthly_rent.to_numpy(float)
    m_rate = 1.0 if margin_rate is None else margin_rate
    fixed_costs = rent + staff_cost if margin_rate is not None else np.zeros_like(rent)
    sid = data.candidates.site_id.to_numpy()
    rows = []
    for off in (0.0, *offsets):
        decay = fit.decay + off
        if decay <= 0.1:
            continue
        f = fit if off == 0 else fit_huff(data, fit.min_distance_km, fixed_decay=decay, with_se=False,
                                                       start=fit)
        m = build_market(f, data)
        s, t = score_candidates(m, new_attraction)
        value = (s - t.sum(1)) * m_rate - fixed_costs
        ch = solve_portfolio(value, pairwise_overlap(m, new_attraction) * m_rate, k=k, costs=costs, budget=budget)
        rows.append({
            "decay": decay, "offset": off, "chosen": ", ".join(sid[ch]),
            "net_gain_of_choice": m.set_net_gain(ch, new_attraction),
            "net_gain_of_base_choice": m.set_net_gain(base_choice, new_attraction),
            "profit_of_choice": m.set_net_gain(ch, new_attraction) * m_rate - fixed_costs[ch].sum(),
            "profit_of_base_choice": m.set_net_gain(base_choice, new_attraction) * m_rate
            - fixed_costs[base_choice].sum(),
            "same_sites_as_base": len(set(ch) & set(base_choice)),
            "loglik": f.loglik,
        })
    df = pd.DataFrame(rows).sort_values("decay").reset_index(drop=True)
    # valued with the exact set gain; the solver optimises the pairwise approximation, so the
    # regret can be slightly negative where the two disagree
    df["regret_of_base_choice"] = df.profit_of_choice - df.profit_of_base_choice
    return df
