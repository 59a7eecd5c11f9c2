"""Each candidate as a monthly P&L: net revenue, gross profit, rent, staff, profit, opening cost, payback.

Net revenue is the chain's extra revenue (own sales less what the site takes from our stores).
Gross profit applies the chain's gross margin rate, read from the item costs in the contracts
(recipe cost of goods, :func:`luckin_lab.transforms.metrics.gross_margin_rate`), so sales taken
from our stores lose their margin too. Profit subtracts the site's monthly rent and its staff
cost (:mod:`luckin_lab.sites.staffing`: a stated assumption, since the data hold no payroll);
head-office overheads are not included. Payback is opening cost / monthly profit (never when
that is not positive).
Intervals carry through from the net-revenue interval (conformal on a new store's own sales);
payback's range comes from the profit range's ends.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def payback_months(opening_cost: np.ndarray | float, monthly_profit: np.ndarray | float) -> np.ndarray:
    """Months to earn back the opening cost; inf when the monthly profit is not positive."""
    cost = np.asarray(opening_cost, float)
    prof = np.asarray(monthly_profit, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(prof > 0, cost / np.where(prof > 0, prof, 1.0), np.inf)


def site_value(net_revenue: np.ndarray, rent: np.ndarray, margin_rate: float,
               staff_cost: float = 0.0) -> np.ndarray:
    """Monthly profit: net revenue x gross margin - rent - staff (the optimiser's objective)."""
    return np.asarray(net_revenue, float) * margin_rate - np.asarray(rent, float) - staff_cost


def candidate_pnl(cand: pd.DataFrame, margin_rate: float, staff_cost: float = 0.0) -> pd.DataFrame:
    """The P&L columns for every candidate (added to a copy of the candidate table)."""
    out = cand.copy()
    out["gross_profit"] = out.net_gain * margin_rate
    out["staff_cost"] = float(staff_cost)
    for end in ("low", "high"):
        out[f"gross_profit_{end}"] = out[f"net_gain_{end}"] * margin_rate
        out[f"profit_{end}"] = out[f"gross_profit_{end}"] - out.monthly_rent - out.staff_cost
    out["profit"] = out.gross_profit - out.monthly_rent - out.staff_cost
    out["payback_months"] = payback_months(out.opening_cost, out.profit)
    out["payback_months_low"] = payback_months(out.opening_cost, out.profit_high)
    out["payback_months_high"] = payback_months(out.opening_cost, out.profit_low)
    return out


def portfolio_pnl(chosen: pd.DataFrame, shared_revenue: float, margin_rate: float,
                  label: str = "label") -> pd.DataFrame:
    """Table 1: one row per recommended site, the customers they share, and the total.

    Each site is scored alone; ``shared_revenue`` is what the new sites take from each other
    when opened together, so the rows add up to the set's figures on page one. The total's
    range assumes the sites land at the low (or high) end together, the cautious reading when
    the main unknown (how well a new store does) is common to them.
    """
    cols = ["standalone_revenue", "cannibalized_revenue", "net_gain", "gross_profit", "monthly_rent",
            "staff_cost", "profit", "profit_low", "profit_high", "opening_cost"]
    rows = chosen[[label, *cols]].rename(columns={label: "site"}).copy()
    shared = pd.DataFrame([{
        "site": "customers the new sites share", "standalone_revenue": 0.0, "cannibalized_revenue": 0.0,
        "net_gain": -shared_revenue, "gross_profit": -shared_revenue * margin_rate, "monthly_rent": 0.0,
        "staff_cost": 0.0,
        "profit": -shared_revenue * margin_rate, "profit_low": -shared_revenue * margin_rate,
        "profit_high": -shared_revenue * margin_rate, "opening_cost": 0.0}])
    body = pd.concat([rows, shared], ignore_index=True)
    total = body[cols].sum().to_frame().T.assign(site=f"all {len(rows)} together")
    table = pd.concat([body, total], ignore_index=True)
    table["payback_months"] = payback_months(table.opening_cost, table.profit)
    table["payback_months_low"] = payback_months(table.opening_cost, table.profit_high)
    table["payback_months_high"] = payback_months(table.opening_cost, table.profit_low)
    table.loc[table.site == "customers the new sites share",
              ["payback_months", "payback_months_low", "payback_months_high"]] = np.nan
    return table[["site", *cols, "payback_months", "payback_months_low", "payback_months_high"]]
