"""The planted ground truth of the demo store, configurable from a YAML file.

The synthesizer turns these parameters into raw tables; analyses must recover them from
the tables alone. Only evaluation code reads the truth written beside the store.
A truth file may override any subset of fields (deep-merged over the defaults).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from luckin_lab.synth.iot import IoTTruth

CATEGORIES = ["Fresh Coffee", "Classic", "Matcha", "Food", "Cold Brew", "Tea", "Seasonal", "Other"]
SEGMENTS = ["loyal", "regular", "price_sensitive", "occasional"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CalendarTruth(_M):
    start: dt.date = dt.date(2025, 6, 1)
    snapshot: dt.date = dt.date(2026, 2, 14)


class StoreSpec(_M):
    name: str
    borough: str
    lat: float
    lon: float
    open_date: dt.date
    attraction: float = Field(1.0, gt=0, description="Huff attraction (size/brand) of the store")


DEFAULT_STORES = [
    StoreSpec(name="8th Ave (flagship)", borough="Manhattan", lat=40.7505, lon=-73.9934,
              open_date=dt.date(2025, 6, 1), attraction=2.8),
    StoreSpec(name="Broadway & 37th", borough="Manhattan", lat=40.7516, lon=-73.9870,
              open_date=dt.date(2025, 6, 29), attraction=1.0),
    StoreSpec(name="Union Square", borough="Manhattan", lat=40.7359, lon=-73.9911,
              open_date=dt.date(2025, 7, 20), attraction=1.1),
    StoreSpec(name="Fulton St", borough="Manhattan", lat=40.7102, lon=-74.0077,
              open_date=dt.date(2025, 8, 10), attraction=1.0),
    StoreSpec(name="Madison & 52nd", borough="Manhattan", lat=40.7598, lon=-73.9745,
              open_date=dt.date(2025, 8, 31), attraction=1.0),
    StoreSpec(name="Penn Plaza", borough="Manhattan", lat=40.7484, lon=-73.9967,
              open_date=dt.date(2025, 9, 21), attraction=1.3),
    StoreSpec(name="Astor Place", borough="Manhattan", lat=40.7295, lon=-73.9911,
              open_date=dt.date(2025, 10, 12), attraction=1.2),
    StoreSpec(name="Times Square", borough="Manhattan", lat=40.7580, lon=-73.9855,
              open_date=dt.date(2025, 11, 2), attraction=1.0),
    StoreSpec(name="Chelsea 23rd", borough="Manhattan", lat=40.7440, lon=-73.9960,
              open_date=dt.date(2025, 11, 23), attraction=1.2),
    StoreSpec(name="JFK Terminal 4", borough="JFK Airport", lat=40.6441, lon=-73.7822,
              open_date=dt.date(2025, 12, 14), attraction=0.8),
    StoreSpec(name="Flatiron", borough="Manhattan", lat=40.7411, lon=-73.9897,
              open_date=dt.date(2026, 1, 4), attraction=0.9),
]


class SpatialTruth(_M):
    """Huff store choice: P(store j | cell c) = A_j g_j(t) d_cj^-decay / (O_c + sum_k A_k g_k(t) d_ck^-decay)."""

    distance_decay: float = Field(1.8, gt=0)
    min_distance_km: float = 0.25
    outside_base: float = Field(2.0, gt=0, description="outside option weight of a cell with no competitors")
    outside_per_competitor: float = Field(0.35, ge=0)
    weight_population: float = 1.0
    weight_office: float = 1.4
    weight_foot_traffic: float = 0.6
    grand_opening_boost: float = Field(1.5, ge=0, description="extra attraction at opening")
    grand_opening_weeks: float = Field(4.0, gt=0, description="e-folding time of the boost")
    stores: list[StoreSpec] = Field(default_factory=lambda: list(DEFAULT_STORES))
    n_candidates: int = 40


class CategoryTruth(_M):
    share: float = Field(gt=0, description="share of items at list price")
    elasticity: float = Field(description="own-price elasticity of the 'regular' segment")
    price: float = Field(gt=0, description="typical list price, USD")
    cost_ratio: float = Field(0.3, gt=0, lt=1)
    n_products: int = 4


DEFAULT_CATEGORIES = {
    "Fresh Coffee": CategoryTruth(share=0.39, elasticity=-1.6, price=5.80, cost_ratio=0.28, n_products=8),
    "Classic": CategoryTruth(share=0.18, elasticity=-1.3, price=4.65, cost_ratio=0.25, n_products=6),
    "Matcha": CategoryTruth(share=0.085, elasticity=-1.9, price=6.20, cost_ratio=0.32, n_products=4),
    "Food": CategoryTruth(share=0.115, elasticity=-0.8, price=4.30, cost_ratio=0.45, n_products=6),
    "Cold Brew": CategoryTruth(share=0.075, elasticity=-1.2, price=5.20, cost_ratio=0.22, n_products=3),
    "Tea": CategoryTruth(share=0.08, elasticity=-1.4, price=5.00, cost_ratio=0.24, n_products=4),
    "Seasonal": CategoryTruth(share=0.045, elasticity=-2.1, price=6.40, cost_ratio=0.30, n_products=4),
    "Other": CategoryTruth(share=0.03, elasticity=-1.0, price=3.75, cost_ratio=0.35, n_products=3),
}


class DemandTruth(_M):
    """Price response: item rate multiplier (paid/list)^elasticity[category, segment]."""

    categories: dict[str, CategoryTruth] = Field(default_factory=lambda: dict(DEFAULT_CATEGORIES))
    segment_elasticity_shift: dict[str, float] = Field(
        default_factory=lambda: {"loyal": 0.6, "regular": 0.0, "price_sensitive": -0.8, "occasional": -0.3}
    )
    signature_product: str = "Iced Coconut Latte"
    signature_share: float = 0.15
    launch_promo_depth: float = Field(0.70, ge=0, lt=0.9)
    final_promo_depth: float = Field(0.05, ge=0, lt=0.9)
    launch_days: int = Field(14, description="days at the full launch depth")
    promo_decay_days: float = 12.0
    tactical_response: float = Field(0.5, ge=0, description="extra promo depth per unit of expected demand shortfall")
    demand_shock_sd: float = Field(0.25, ge=0, description="store x category x day log-demand shock")
    shock_forecastable: float = Field(0.8, ge=0, le=1, description="share of the shock variance marketing foresees")
    price_test_depths: list[float] = Field(default_factory=lambda: [0.0, 0.1, 0.2, 0.3])
    price_test_start: dt.date = dt.date(2025, 9, 1)
    addon_rate: float = 0.29


class CampaignTruth(_M):
    campaign_id: str
    start: dt.date
    window_days: int = 14
    arms: dict[str, float] = Field(description="arm name -> discount depth (0 = control)")
    arm_shares: dict[str, float]
    eligible_min_orders: int = 1


class UpliftTruth(_M):
    """Coupons act through price (the segment elasticity) plus a segment-specific salience."""

    campaigns: list[CampaignTruth] = Field(
        default_factory=lambda: [
            CampaignTruth(
                campaign_id="CMP-2025-12-WINBACK",
                start=dt.date(2025, 12, 1),
                window_days=14,
                arms={"control": 0.0, "off10": 0.10, "off20": 0.20, "off30": 0.30},
                arm_shares={"control": 0.4, "off10": 0.2, "off20": 0.2, "off30": 0.2},
            )
        ]
    )
    salience: dict[str, float] = Field(
        default_factory=lambda: {"loyal": 1.0, "regular": 1.15, "price_sensitive": 1.35, "occasional": 1.5},
        description="rate multiplier while a coupon is held, on top of its price effect",
    )

    def salience_array(self, segments: list[str]) -> np.ndarray:
        return np.array([self.salience[s] for s in segments])


class PopulationTruth(_M):
    n_registered: int = 277_000
    segment_shares: dict[str, float] = Field(
        default_factory=lambda: {"loyal": 0.12, "regular": 0.33, "price_sensitive": 0.30, "occasional": 0.25}
    )
    # base coffee occasions per day while active, before Huff share and price response
    segment_rate: dict[str, float] = Field(
        default_factory=lambda: {"loyal": 0.55, "regular": 0.20, "price_sensitive": 0.14, "occasional": 0.07}
    )
    rate_dispersion: float = Field(0.45, description="sd of log individual rate")
    never_active_share: float = 0.25
    try_once_share: dict[str, float] = Field(
        default_factory=lambda: {"loyal": 0.05, "regular": 0.20, "price_sensitive": 0.28, "occasional": 0.40},
        description="share of users who go dormant right after their first order",
    )
    active_lifetime_days: dict[str, float] = Field(
        default_factory=lambda: {"loyal": 200.0, "regular": 60.0, "price_sensitive": 25.0, "occasional": 15.0},
        description="mean active days after the first order for the others",
    )
    dormant_rate_factor: float = 0.035
    registration_launch_share: float = Field(0.30, description="share of users registering in launch month")
    nzd_test_orders: int = 21_245


class CustomerTruth(_M):
    """Where the per-user churn and purchase truth is written (``truth/customer_users.parquet``).

    Snapshots are counted back from the last simulated day ("today"), as the customer report
    does: the defaults are today - 2H and today - H (H = ``horizon_days``), both exact. Today
    itself is written too, for the next H days and the next ``future_days``: those rows carry
    the rates forward (an assumption, flagged in the file).
    """

    horizon_days: int = Field(60, gt=0)
    snapshot_offsets_days: list[int] = Field(default_factory=lambda: [120, 60],
                                             description="snapshot days, counted back from today")
    future_days: int = Field(365, gt=0)
    future_rate_days: int = Field(28, gt=0, description="recent days whose mean rate is carried forward")


class Truth(_M):
    seed: int = 20260214
    calendar: CalendarTruth = Field(default_factory=CalendarTruth)
    population: PopulationTruth = Field(default_factory=PopulationTruth)
    spatial: SpatialTruth = Field(default_factory=SpatialTruth)
    demand: DemandTruth = Field(default_factory=DemandTruth)
    uplift: UpliftTruth = Field(default_factory=UpliftTruth)
    iot: IoTTruth = Field(default_factory=IoTTruth)
    customers: CustomerTruth = Field(default_factory=CustomerTruth)

    def elasticity(self, category: str, segment: str) -> float:
        return self.demand.categories[category].elasticity + self.demand.segment_elasticity_shift[segment]


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k not in ("arms", "arm_shares"):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def load_truth(path: Path | str | None = None) -> Truth:
    """Defaults, overridden by a YAML file; unknown keys are refused with their path."""
    base = Truth().model_dump(mode="json")
    if path is None:
        return Truth(**base)
    over = yaml.safe_load(Path(path).read_text()) or {}
    return Truth(**_deep_merge(base, over))
