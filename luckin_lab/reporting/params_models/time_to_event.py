"""Parameters of the generic time-to-event report (notebooks/time_to_event.ipynb).

Any fleet, or people, through the generic_time_to_event contract. The nouns say what a unit
is, what the event is and what the time unit is, so the report reads "people", "re-arrests"
and "next 7 weeks" for weekly data on people."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from luckin_lab.reporting.params import ReportParams


class Params(ReportParams):
    unit_noun: str = Field("unit", min_length=1, description="what one unit is: printer, person, account")
    event_noun: str = Field("failure", min_length=1, description="what the event is: failure, re-arrest, churn")
    time_unit: str = Field("day", min_length=1, description="the unit of start and stop: day, week, month")
    group_noun: str = Field("group", min_length=1, description="what the grouping column is, in words")
    horizon_short: int = Field(7, ge=1, le=520, description="first risk horizon, in time units")
    horizon_long: int = Field(30, ge=1, le=5200, description="second risk horizon, in time units")
    group_col: str = Field("", description="column that groups units (e.g. asset_type); empty = none")
    covariates: list[str] = Field(default_factory=list, description="covariate columns (empty = all others)")
    covariate_labels: dict[str, str] = Field(default_factory=dict, description="column -> words, e.g. fin: financial aid")
    covariate_units: dict[str, str] = Field(default_factory=dict, description="column -> its unit, e.g. age: years")
    cox_design: Literal["plain", "time_split"] = Field(
        "time_split", description="plain: one effect per covariate; time_split: separate early/late effects "
        "for a covariate that breaks proportional hazards")
    top_n: int = Field(15, ge=1, le=200, description="units listed on page one")
    service_capacity: int = Field(20, ge=0, le=100000, description="preventive actions available over the long horizon")
    failure_cost_usd: float = Field(150.0, ge=0, description="cost of one event (assumed)")
    service_cost_usd: float = Field(40.0, ge=0, description="cost of one preventive action (assumed)")
