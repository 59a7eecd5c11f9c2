"""Parameters of the coupon uplift report (notebooks/coupon_uplift.ipynb).

The analysis settings are defined once, in :class:`luckin_lab.uplift.analysis.UpliftSettings`;
the report adds which experiment to read and the reader's words for it.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from luckin_lab.reporting.params import ReportParams
from luckin_lab.uplift.analysis import UpliftSettings
from luckin_lab.uplift.words import Nouns, detect_unit


class Params(ReportParams, UpliftSettings):
    campaign_id: str = Field("CMP-2025-12-WINBACK",
                             description="randomized coupon campaign (experiment_id) in the store")
    experiment_table: str = Field(
        "", description="'' = build the campaign from the store's raw tables; else a table "
        "under the generic_experiment contract")
    control_arm: str = Field("control", description="control arm of a generic experiment")
    value_column: str = Field("", description="generic: column the decision maximises ('' = outcome)")
    cost_column: str = Field("", description="generic: observed cost column ('' = none)")
    window_days: int | None = Field(
        None, ge=1, description="generic: outcome window in days; given, money is per month")
    unit_noun: str = Field("unit", description="generic: what one row is ('man', 'customer')")
    unit_plural: str = Field("", description="generic: plural of unit_noun ('' = add 's')")
    treatment_noun: str = Field("treatment", description="generic: what an arm gives")
    control_label: str = Field("", description="generic: the control arm in words "
                               "('' = 'no <treatment>')")
    arm_labels: dict[str, str] = Field(default_factory=dict,
                                       description="generic: plain name per arm")
    outcome_label: str = Field("outcome", description="generic: the outcome in words")
    outcome_unit: Literal["", "share", "count", "usd"] = Field(
        "", description="generic: '' = share for a 0/1 outcome, else count")
    value_label: str = Field("", description="generic: the value column in words "
                             "('' = the outcome's)")
    value_unit: Literal["", "share", "count", "usd"] = Field(
        "", description="generic: '' = usd when a value column is named, else the outcome's")
    cost_label: str = Field("cost", description="generic: the cost column in words")

    def not_applicable(self) -> set[str]:
        generic = {"control_arm", "value_column", "cost_column", "window_days", "unit_noun",
                   "unit_plural", "treatment_noun", "control_label", "arm_labels",
                   "outcome_label", "outcome_unit", "value_label", "value_unit", "cost_label"}
        return {"campaign_id"} if self.experiment_table else generic | {"experiment_table"}

    def nouns(self, outcome: np.ndarray) -> Nouns:
        """The reader's words for a generic run, from these parameters and the outcome."""
        unit = self.outcome_unit or detect_unit(outcome)
        value_unit = self.value_unit or ("usd" if self.value_column else unit)
        return Nouns(unit=self.unit_noun, units=self.unit_plural or f"{self.unit_noun}s",
                     treatment=self.treatment_noun,
                     control=self.control_label or f"no {self.treatment_noun}",
                     arm_labels=dict(self.arm_labels), outcome=self.outcome_label,
                     outcome_unit=unit, value=self.value_label or self.outcome_label,
                     value_unit=value_unit, cost=self.cost_label)

