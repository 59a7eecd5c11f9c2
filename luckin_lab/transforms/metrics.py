"""Metric definitions every report shares, written once so the same figure reads the same everywhere.

Before this module the average order value was $5.12 in one report and $5.14 in another (one
counted the partial last week), and a new store's opening ramp was "10 weeks" in code, "about
11 weeks" on a chart and 3.5 weeks in a sentence. Reports call these functions instead of
re-deriving them:

- **Complete weeks**: weeks run Monday to Sunday; a week counts only when the data cover all
  seven days (:func:`last_complete_week`, :func:`is_complete_week`, :func:`complete_weeks`). A
  partial week is shown hollow/dashed, never in a total, average or change.
- **Average order value**: revenue / orders over complete weeks only (:func:`aov`,
  :func:`recent_aov`, the last ``RECENT_WEEKS`` complete weeks).
- **Change vs own average**: a store's week against the mean of its previous four complete
  weeks (:func:`vs_own_average`), only when the store traded all of them.
- **Opening ramp**: a store is still settling after its opening for ``OPENING_RAMP_WEEKS``
  weeks; a fitted opening boost settles when it is within ``RAMP_SETTLED_WITHIN`` of the mature
  level (:func:`ramp_weeks`). On the demo store the fitted boost (+53 %, e-folding 3.5 weeks)
  settles after 9.5 weeks, which is where the 10 weeks come from.
- **Gross margin**: revenue less the cost of goods sold (recipe cost of the items), as a share
  of revenue (:func:`gross_margin_rate`); labour, rent and overheads are not in it.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

RECENT_WEEKS = 4  # "recent" = the last four complete weeks, in every report
OPENING_RAMP_WEEKS = 10  # a store open this many weeks or fewer is still settling after opening
RAMP_SETTLED_WITHIN = 0.10  # the opening boost has settled when within 10 % of the mature level


def last_complete_week(last_day: dt.date) -> dt.date:
    """Monday of the last Monday-Sunday week fully covered by data ending on ``last_day``."""
    monday = last_day - dt.timedelta(days=last_day.weekday())
    return monday if last_day.weekday() == 6 else monday - dt.timedelta(days=7)


def is_complete_week(week_start: pd.Series | pd.Timestamp, last_day: dt.date) -> pd.Series | bool:
    """True where the Monday ``week_start`` lies on or before the last complete week."""
    cut = pd.Timestamp(last_complete_week(last_day))
    return pd.to_datetime(week_start) <= cut


def complete_weeks(frame: pd.DataFrame, last_day: dt.date, week: str = "week") -> pd.DataFrame:
    """Rows of ``frame`` whose Monday ``week`` is a complete week (the partial week dropped)."""
    return frame[is_complete_week(frame[week], last_day)]


def aov(revenue: float | pd.Series, orders: float | pd.Series) -> float | pd.Series:
    """Average order value: revenue divided by orders (NaN where there are no orders)."""
    if isinstance(orders, pd.Series):
        return revenue / orders.where(orders > 0)
    return float(revenue) / orders if orders else float("nan")


def recent_aov(weekly: pd.DataFrame, last_day: dt.date, weeks: int = RECENT_WEEKS,
               week: str = "week") -> float:
    """AOV over the last ``weeks`` complete weeks of a frame with revenue and orders columns.

    Summed before dividing (an order-weighted average), so it is the same whether the frame is
    by store x week or chain x week.
    """
    full = complete_weeks(weekly.assign(**{week: pd.to_datetime(weekly[week])}), last_day, week)
    recent = full[full[week] > full[week].max() - pd.Timedelta(weeks=weeks)]
    return aov(float(recent["revenue"].sum()), int(recent["orders"].sum()))


def vs_own_average(values: pd.Series, week: dt.date, weeks: int = RECENT_WEEKS) -> float:
    """``values[week]`` against the mean of the ``weeks`` weeks before it, as a change (-0.2 = 20 % below).

    ``values`` is one store's weekly figure indexed by Monday; NaN when any of those weeks is
    missing (the store was not trading yet), so a young store is never compared with a stub.
    """
    v = values.copy()
    v.index = pd.to_datetime(v.index)
    this = pd.Timestamp(week)
    prior = [this - pd.Timedelta(weeks=i) for i in range(1, weeks + 1)]
    if this not in v.index or any(p not in v.index for p in prior):
        return float("nan")
    base = float(v.loc[prior].mean())
    return float(v.loc[this] / base - 1) if base else float("nan")


def ramp_weeks(boost: float, boost_weeks: float, within: float = RAMP_SETTLED_WITHIN) -> float:
    """Weeks until an opening boost ``1 + boost * exp(-t / boost_weeks)`` is within ``within`` of 1."""
    if boost <= within:
        return 0.0
    return float(boost_weeks * math.log(boost / within))


def is_ramping(weeks_open: pd.Series | float) -> pd.Series | bool:
    """True while a store is still settling after its opening (open OPENING_RAMP_WEEKS weeks or fewer)."""
    return weeks_open <= OPENING_RAMP_WEEKS


def gross_margin_rate(revenue: float | np.ndarray, cost_of_goods: float | np.ndarray) -> float | np.ndarray:
    """(revenue - cost of goods) / revenue: the share of each dollar left after the recipe cost."""
    return (np.asarray(revenue, float) - np.asarray(cost_of_goods, float)) / np.asarray(revenue, float)
