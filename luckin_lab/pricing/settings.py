"""Settings of the price analysis: which panel, how to estimate, the guard rails of price moves.

The report's ``Params`` (``reporting/params_models/price_elasticity.py``) extends this model, so
each default is written once and the analysis never imports the report layer.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# the settings a decision may change (PricingAnalysis.decide): they bound the price moves and
# never change an estimate
GUARD_RAILS = ("max_price_change", "price_endings", "protect_segments", "max_segment_loss",
               "keep_ladder", "sure_z", "min_weekly_gain")


class PricingSettings(BaseModel):
    """Which panel to read, how to estimate, and the guard rails of the price moves."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field("", description="data source URI; '' = the default demo store")

    panel: Literal["demo", "generic"] = Field(
        "demo", description="demo: built from the store's raw sales tables; "
        "generic: the store's generic_price_demand table (a panel from elsewhere)")
    grain: Literal["category", "product"] = "category"
    period: Literal["day", "week"] = "day"
    instruments: list[str] = Field(default_factory=lambda: ["log_test_factor"], min_length=1)
    controls: list[str] = Field(default_factory=lambda: ["log_planned_factor"])
    time_effects: Literal["auto", "week", "trend", "none"] = Field(
        "auto", description="auto: week effects on a panel, none on a single series or cross-section")
    weekday_effects: bool = Field(True, description="day-of-week effects on daily data (off when "
                                  "the controls already hold weekday dummies)")
    cluster: Literal["auto", "period", "unit", "none", "hac"] = Field(
        "auto", description="auto: by period on a panel, Newey-West (hac) on a single series, by unit "
        "on a cross-section; period on a series = robust to unequal noise, no carry-over")
    hac_lags: int | None = Field(None, ge=0, description="Newey-West lags of a single series "
                                 "(default: Newey and West's rule floor(4 (T/100)^(2/9)), 3 for 97 periods)")
    dml_folds: int = Field(5, ge=2, le=10)
    min_units: float = Field(200, ge=0, description="groups selling fewer units are not estimated")
    main_groups: int = Field(4, ge=2, le=8, description="groups in the cross-price matrix")
    max_price_change: float = Field(0.15, gt=0, lt=1, description="guard rail: +-share of today's price")
    price_endings: list[float] = Field(default_factory=lambda: [0.49, 0.99], min_length=1, description=
                                       "cents a recommended item price ends in; a demo category's average "
                                       "price moves in whole-percent steps instead")
    protect_segments: list[str] = Field(default_factory=lambda: ["loyal"])
    max_segment_loss: float = Field(0.10, ge=0, lt=1)
    keep_ladder: bool = Field(True, description="keep today's price order across groups (item prices only: "
                              "a demo category's average moves every item by one share, keeping their order)")
    sure_z: float = Field(
        1.96, ge=0, le=10, description="guard rail from the elasticity's uncertainty: the full "
        "max_price_change needs the elasticity this many standard errors from -1 (clearly more or less "
        "than proportional), and every move must add margin at the elasticity's interval end "
        "e -+ sure_z * se; 0 = off")
    min_weekly_gain: float = Field(
        25.0, ge=0, description="a price change must add at least this weekly margin (USD) to be worth a menu change")
    recent_weeks: int = Field(4, ge=1, le=26, description="window for today's prices and volumes")
    product_noun: str = Field("", description="what a group is, e.g. 'fish', 'cigarettes' "
                              "(default: 'category' for the demo, 'product' otherwise)")
    unit_noun: str = Field("", description="what a unit is, e.g. 'market', 'state' "
                           "(default: 'store' for the demo, 'unit' otherwise)")
    quantity_noun: str = Field("", description="what quantity counts, e.g. 'pounds', 'packs' "
                               "(default: 'units')")
    currency: str = Field("USD", description="currency of the prices")
    price_per: str = Field("", description="what one price buys, e.g. 'pound', 'pack' "
                           "(default: one of quantity_noun)")
    time_unit: str = Field("", description="what one period is, e.g. 'day', 'year' "
                           "(default: read from the spacing of the periods)")
    seed: int = 0
