"""Parameters of the customer report (notebooks/customers.ipynb).

The analysis settings are defined once, in :class:`luckin_lab.customers.analysis.CustomerSettings`;
the report adds only what the page needs (the win-back budget).
"""

from __future__ import annotations

from pydantic import Field

from luckin_lab.customers.analysis import CustomerSettings
from luckin_lab.reporting.params import ReportParams


class Params(ReportParams, CustomerSettings):
    monthly_budget: float = Field(5000.0, ge=0, description="discount budget of one win-back campaign (USD)")

    def not_applicable(self) -> set[str]:
        return {"monthly_budget", "experiment_id"} if not self.experiment_id else set()
