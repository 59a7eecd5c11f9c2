"""Parameters of the store trends report (notebooks/store_trends.ipynb)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from luckin_lab.reporting.params import ReportParams


class Params(ReportParams):
    weeks: int = Field(12, ge=2, le=104, description="weeks of history shown in the charts")
    as_of: dt.date | None = Field(
        None, description="last day of data to use (re-run a past week); None = all data"
    )
