"""Calendar units every analysis and report shares, so a "month" is the same length everywhere."""

from __future__ import annotations

DAYS_PER_MONTH = 365.25 / 12  # 30.4375: the mean Gregorian month
