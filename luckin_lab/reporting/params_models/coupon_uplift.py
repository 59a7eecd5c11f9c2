"""Parameters of the coupon uplift report (notebooks/coupon_uplift.ipynb)."""

from __future__ import annotations

from pydantic import Field

from luckin_lab.reporting.params import ReportParams


class Params(ReportParams):
    campaign_id: str = Field("CMP-2025-12-WINBACK",
                             description="randomized coupon campaign (experiment_id) in the store")
    experiment_table: str = Field(
        "", description="'' = build the campaign from the store's raw tables; else a table "
        "under the generic_experiment contract")
    control_arm: str = Field("control", description="control arm of a generic experiment")
    value_column: str = Field("", description="generic: column the decision maximises ('' = outcome)")
    cost_column: str = Field("", description="generic: observed cost column ('' = none)")
    window_days: int = Field(14, ge=1, description="generic: outcome window, for monthly scaling")
    current_arm: str = Field("", description="today's blanket offer ('' = the deepest arm)")
    monthly_budget: float | None = Field(
        None, ge=0, description="monthly discount budget, USD (None = half of today's spend)")
    arm_costs: dict[str, float] = Field(default_factory=dict,
                                        description="extra fixed cost per treated unit, by arm")
    learners: list[str] = Field(default_factory=lambda: ["SP", "S", "T", "X", "DR", "URF"])
    seed: int = 7
    n_jobs: int = Field(2, ge=1)

    def not_applicable(self) -> set[str]:
        generic = {"control_arm", "value_column", "cost_column", "window_days"}
        return {"campaign_id"} if self.experiment_table else generic | {"experiment_table"}
