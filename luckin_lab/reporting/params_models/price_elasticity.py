"""Parameters of the price elasticity and pricing report (UC-PR-03)."""

from __future__ import annotations

from luckin_lab.pricing.settings import PricingSettings
from luckin_lab.reporting.params import ReportParams


class Params(ReportParams, PricingSettings):
    """The report's run parameters plus the analysis settings (defaults live in PricingSettings)."""
