"""Formatting rules of the report's computed sentences (signs, probabilities)."""

from __future__ import annotations

from luckin_lab.reporting.nb import money, pct


def test_signed_values_never_show_a_sign_on_zero():
    assert money(0.3, signed=True) == "$0" and money(-0.4, signed=True) == "$0"
    assert money(12.6, signed=True) == "+$13" and money(-12.6, signed=True) == "-$13"
    assert money(25_300, signed=True) == "+$25.3K" and money(12.6) == "$13"
    assert pct(0.00004, signed=True) == "0.0%" and pct(-0.00004, signed=True) == "0.0%"
    assert pct(0.0123, signed=True) == "+1.2%" and pct(-0.0123, signed=True) == "-1.2%"
