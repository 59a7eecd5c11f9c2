"""The decision step's settings: knobs applied and validated, anything else refused by name."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError

from luckin_lab.estimator import decision_settings


class _Fit(BaseModel):
    alpha: float = 1.0


class _Settings(_Fit):
    budget: float = Field(100.0, ge=0)


class _ReportParams(_Settings):
    title: str = "page only"


def test_knobs_are_applied_to_the_analysis_settings_only():
    s = decision_settings(_ReportParams(alpha=2.0), _Settings, {"budget": 50.0}, ["budget"])
    assert type(s) is _Settings and s.alpha == 2.0 and s.budget == 50.0


def test_a_knob_that_changes_the_fit_is_refused_by_name():
    with pytest.raises(ValueError, match=r"changes only budget; alpha change .* set them in _Settings and fit again"):
        decision_settings(_Settings(), _Settings, {"alpha": 3.0}, ["budget"])


def test_knobs_are_validated():
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        decision_settings(_Settings(), _Settings, {"budget": -1.0}, ["budget"])
