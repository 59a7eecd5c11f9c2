"""Parameters of the IoT predictive maintenance report (notebooks/iot_survival.ipynb)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from luckin_lab.reporting.params import ReportParams


class Params(ReportParams):
    dataset: Literal["devices", "generic"] = Field(
        "devices", description="devices = IoT tables; generic = the generic_time_to_event contract"
    )
    blip_hours: float = Field(4.0, gt=0, description="offline shorter than this is a blip, not a failure")
    snapshot: str = Field("", description="analysis date YYYY-MM-DD; empty = the day after the log ends")
    horizon_short_days: int = Field(7, ge=1, le=90)
    horizon_long_days: int = Field(30, ge=1, le=365)
    calibration_days: int = Field(30, ge=7, le=120, description="held-out days for the calibration check")
    technicians: int = Field(2, ge=1, le=500)
    visits_per_technician_day: int = Field(4, ge=1, le=12)
    plan_horizon_days: int = Field(7, ge=1, le=28)
    visit_hours: float = Field(2.0, gt=0, le=12, description="store time one visit takes")
    group_col: str = Field("", description="generic data: column that groups units (asset type)")
    covariates: list[str] = Field(default_factory=list, description="generic data: covariates (empty = all)")
    top_n: int = Field(15, ge=1, le=200, description="devices listed on page one")
    service_capacity: int = Field(20, ge=0, le=100000,
                                  description="generic data: preventive services available over the long horizon")
    failure_cost_usd: float = Field(150.0, ge=0, description="generic data: cost of one failure (assumed)")
    service_cost_usd: float = Field(40.0, ge=0, description="generic data: cost of one preventive service (assumed)")
