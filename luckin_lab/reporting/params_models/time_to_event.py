"""Parameters of the generic time-to-event report (notebooks/time_to_event.ipynb).

Any fleet, or people, through the generic_time_to_event contract. The nouns say what a unit
is, what the event is and what the time unit is, so the report reads "people", "re-arrests"
and "next 7 weeks" for weekly data on people. The analysis settings are defined once, in
:class:`luckin_lab.survival.analysis.FleetSettings`; the report adds what the page lists."""

from __future__ import annotations

from pydantic import Field

from luckin_lab.reporting.params import ReportParams
from luckin_lab.survival.analysis import FleetSettings


class Params(ReportParams, FleetSettings):
    top_n: int = Field(15, ge=1, le=200, description="units listed on page one")
