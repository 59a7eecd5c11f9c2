"""Parameters of the leadership brief (notebooks/brief.ipynb)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from luckin_lab.reporting.params import ReportParams


class Params(ReportParams):
    period: Literal["day", "week"] = Field(
        "day", description="day: yesterday's figures (daily brief); week: last full week (weekly)")
    as_of: dt.date | None = Field(
        None, description="last day of data to report; None = the last day the data covers")
    reports_root: str = Field("", description="folder of report runs; '' = the project's reports/")
    store_drop: float = Field(
        0.15, gt=0, lt=1, description="alert: store revenue this share under its 28-day baseline")
    store_drop_noise_sd: float = Field(
        2.0, ge=0, description="alert: and further under it than this many baseline spreads")
    devices_down_max: float = Field(0.40, gt=0, le=1, description="alert: share of devices down")
    devices_down_jump: float = Field(
        0.10, gt=0, le=1, description="alert: rise in the share down over its 7-day baseline")
    stale_grace_days: float = Field(
        1.0, ge=0, description="alert: a report this many days past its schedule is stale")
    blip_hours: float = Field(4.0, gt=0, description="offline shorter than this is not 'down'")
    llm_timeout_s: float = Field(10.0, gt=0, le=120, description="summary service time limit")
