"""Formatting rules of the report's computed sentences (signs, probabilities)."""

from __future__ import annotations

from luckin_lab.pricing.narrative import chance, signed_money, signed_pct


def test_signed_values_never_show_a_sign_on_zero():
    assert signed_money(0.3) == "$0" and signed_money(-0.4) == "$0"
    assert signed_money(12.6) == "+$13" and signed_money(-12.6) == "-$13"
    assert signed_pct(0.00004) == "0.0%" and signed_pct(-0.00004) == "0.0%"
    assert signed_pct(0.0123) == "+1.2%" and signed_pct(-0.0123) == "-1.2%"


def test_chance_is_never_certain():
    assert chance(1.0) == ">99%" and chance(0.995) == ">99%"
    assert chance(0.0) == "<1%"
    assert chance(0.944) == "94%"
