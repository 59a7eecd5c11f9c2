"""Parameters of the site-selection report (notebooks/site_selection.ipynb)."""

from __future__ import annotations

from pydantic import Field, model_validator

from luckin_lab.reporting.params import ReportParams


class Params(ReportParams):
    k_sites: int | None = Field(5, ge=1, le=50, description="number of new stores to open; None = budget only")
    budget: float | None = Field(None, gt=0, description="opening-cost budget in USD; None = no budget")
    alpha: float = Field(0.1, gt=0, lt=0.5, description="1 - interval level (0.1 = 90% intervals)")
    block_km: float = Field(1.5, gt=0, description="side of the spatial CV blocks, km")
    buffer_km: float = Field(0.5, ge=0, description="training stores this close to a held-out one are dropped")
    min_distance_km: float = Field(0.25, gt=0, description="distances below this count as this (walking floor)")
    new_store_attraction: float = Field(1.0, gt=0, description="attraction of a new store vs our median store")
    staff_on_shift: float = Field(2.0, gt=0, le=20, description="people working in a new store at every open "
                                  "hour (assumption: the data hold no payroll; shown on page one)")
    staff_hourly_cost: float = Field(21.25, ge=0, le=200, description="USD per staff hour, wages plus payroll "
                                     "costs (assumption: New York City's 2026 minimum wage of $17.00 plus 25 %)")

    @model_validator(mode="after")
    def _limit_given(self) -> Params:
        if self.k_sites is None and self.budget is None:
            raise ValueError("give k_sites or budget (or both)")
        return self
