"""Parameters of the IoT predictive maintenance report (notebooks/iot_survival.ipynb).

Device data only (the IoT tables); any other fleet, or people, runs the generic
time-to-event report (params_models/time_to_event.py). The analysis settings are defined once,
in :class:`luckin_lab.survival.analysis.DeviceSettings`; the report adds what the page lists."""

from __future__ import annotations

from pydantic import Field

from luckin_lab.reporting.params import ReportParams
from luckin_lab.survival.analysis import DeviceSettings


class Params(ReportParams, DeviceSettings):
    devices_listed: int = Field(15, ge=1, le=200, description="running devices at highest risk listed on page one")
