"""The nouns a pricing report speaks in: the demo's coffee words, or the user's own.

A generic run takes its nouns from the parameters (what a group, a unit and a quantity are,
the price's currency, the time unit); nothing in its text names coffee, menus or the demo's
price test unless the parameters do.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from luckin_lab.pricing.settings import PricingSettings

_SPACING = ((1, "day"), (7, "week"), (31, "month"), (92, "quarter"), (366, "year"))


@dataclass(frozen=True)
class Words:
    demo: bool
    product: str  # what a group is ("category")
    unit: str  # what a unit of the cross-section is ("store")
    quantity: str  # what quantity counts ("units")
    per: str  # what one price buys ("unit")
    currency: str
    period: str  # one period ("day")
    list_price: str  # the posted price ("menu price")

    @property
    def price_axis(self) -> str:
        return f"{self.list_price.capitalize()} ({self.currency} per {self.per})"


def time_unit(periods: pd.Series) -> str:
    """The period's name from the typical spacing of the periods (a single period: 'period')."""
    p = pd.Series(pd.to_datetime(periods.unique())).sort_values()
    if len(p) < 2:
        return "period"
    days = float(p.diff().dropna().dt.days.median())
    return next((name for limit, name in _SPACING if days <= limit * 1.2), "period")


def words_for(params: PricingSettings, periods: pd.Series) -> Words:
    demo = params.panel == "demo"
    quantity = params.quantity_noun or ("items" if demo else "units")
    return Words(
        demo=demo,
        product=params.product_noun or ("category" if demo else "product"),
        unit=params.unit_noun or ("store" if demo else "unit"),
        quantity=quantity,
        per=params.price_per or ("item" if demo else quantity.removesuffix("s") or "unit"),
        currency=params.currency,
        period=params.time_unit or time_unit(periods),
        list_price="menu price" if demo else "list price",
    )
