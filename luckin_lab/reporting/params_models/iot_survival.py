"""Parameters of the IoT predictive maintenance report (notebooks/iot_survival.ipynb).

Device data only (the IoT tables); any other fleet, or people, runs the generic
time-to-event report (params_models/time_to_event.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from luckin_lab.reporting.params import ReportParams


class Params(ReportParams):
    blip_hours: float = Field(4.0, gt=0, description="offline shorter than this is a blip, not a failure")
    snapshot: str = Field("", description="analysis date YYYY-MM-DD; empty = the day after the log ends")
    horizon_short_days: int = Field(7, ge=1, le=90)
    horizon_long_days: int = Field(30, ge=1, le=365)
    calibration_days: int = Field(30, ge=7, le=120, description="held-out days for the calibration check")
    technicians: int = Field(2, ge=1, le=500, description="technicians available today (compared with the recommendation)")
    max_technicians: int = Field(4, ge=1, le=50, description="the report compares 0 to this many technicians by expected profit")
    technician_day_cost_usd: float = Field(320.0, ge=0, description="cost of one technician for one day (assumed)")
    assumed_margin_per_cup_usd: float | None = Field(
        None, ge=0, description="margin per drink, needed only for a source without sales tables (the report "
        "otherwise prices each store's own drink margin)")
    visits_per_technician_day: int = Field(4, ge=1, le=12)
    plan_horizon_days: int = Field(7, ge=1, le=28)
    visit_hours: float = Field(2.0, gt=0, le=12, description="store time one visit takes")
    effects_over_time: Literal["constant", "early and late"] = Field(
        "early and late", description="constant: one effect per characteristic; early and late: separate "
        "effects before and after the split for a characteristic whose effect changes with time")
    devices_listed: int = Field(15, ge=1, le=200, description="running devices at highest risk listed on page one")
