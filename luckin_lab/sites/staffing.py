"""A new store's monthly staff cost: people on shift x hours open x days x cost of an hour.

The contracts hold no payroll, so the cost of an hour and the crew are stated assumptions
(report parameters, shown on page one). What the data do give is used: the hours a store is
open (the stores table, median of our stores) and, as a check on the crew, how many baristas
our stores keep busy making drinks while open (production records, last four complete weeks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from luckin_lab.transforms.metrics import RECENT_WEEKS
from luckin_lab.units import DAYS_PER_MONTH


@dataclass(frozen=True)
class Staffing:
    on_shift: float  # people working at every open hour (assumption)
    hourly_cost: float  # USD per staff hour, wages plus payroll costs (assumption)
    open_hours_per_day: float
    open_hours_from: str  # where the opening hours come from, in words
    busy_baristas: pd.Series | None = None  # store name -> baristas busy making drinks, per open hour

    @property
    def monthly_cost(self) -> float:
        """Staff cost of one store for one month, USD."""
        return self.on_shift * self.open_hours_per_day * DAYS_PER_MONTH * self.hourly_cost

    def busy_summary(self) -> tuple[float, float, str] | None:
        """(median store's busy baristas, busiest store's, busiest store's name); None without records."""
        b = self.busy_baristas
        if b is None or b.empty:
            return None
        return float(b.median()), float(b.max()), str(b.idxmax())


def open_hours(stores: pd.DataFrame, default: float) -> tuple[float, str]:
    """Median daily opening hours of our stores, or ``default`` when the table has no hours."""
    if not {"open_hour", "close_hour"} <= set(stores.columns) or stores.empty:
        return float(default), f"assumed ({default:g} hours a day; the stores table has no opening hours)"
    hours = (stores.close_hour - stores.open_hour).clip(lower=0).astype(float)
    return float(hours.median()), f"the median of our {len(stores)} stores' opening hours"


def busy_baristas(production: pd.DataFrame, stores: pd.DataFrame, days: int) -> pd.Series:
    """Average number of baristas busy making drinks during each store's open hours.

    ``production`` has store_id and seconds (drink-making time summed over ``days`` days);
    ``stores`` has store_id, store_name, open_hour, close_hour.
    """
    s = stores.set_index("store_id")
    hours_open = (s.close_hour - s.open_hour).clip(lower=1).astype(float) * days
    busy = production.set_index("store_id").seconds / 3600
    out = (busy / hours_open.reindex(busy.index)).dropna()
    return pd.Series(out.to_numpy(), index=s.store_name.reindex(out.index).to_numpy(), name="busy_baristas")


def staffing_from(stores: pd.DataFrame, production: pd.DataFrame | None, on_shift: float, hourly_cost: float,
                  default_open_hours: float = 13.0, days: int = 7 * RECENT_WEEKS) -> Staffing:
    """The staffing assumption with the data's opening hours and barista workload check."""
    if on_shift <= 0 or hourly_cost < 0 or not np.isfinite(hourly_cost):
        raise ValueError(f"staffing: people on shift must be > 0 and the hourly cost >= 0, got "
                         f"{on_shift} and {hourly_cost}")
    hours, source = open_hours(stores, default_open_hours)
    busy = None
    if production is not None and not production.empty and {"open_hour", "close_hour"} <= set(stores.columns):
        busy = busy_baristas(production, stores, days)
    return Staffing(on_shift, hourly_cost, hours, source, busy)
