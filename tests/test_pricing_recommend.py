"""The pricing rule, its guard rails, the OR-Tools ladder and the projections."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from luckin_lab.pricing.economics import aov_path
from luckin_lab.pricing.recommend import (
    GuardRails,
    candidate_prices,
    optimal_effective_price,
    project,
    recommend_prices,
)


def _econ(**over) -> pd.DataFrame:
    row = dict(group="Latte", today_price=5.00, discount=0.0, unit_cost=1.50, weekly_units=1000.0,
               elasticity=-2.0, se=0.1, tested_low=0.5, tested_high=2.0)
    row.update(over)
    return pd.DataFrame([row])


def test_rule_price_is_the_constant_elasticity_optimum():
    assert optimal_effective_price(1.5, -2.0) == pytest.approx(3.0)
    assert optimal_effective_price(2.0, -3.0) == pytest.approx(3.0)
    assert optimal_effective_price(1.0, -0.8) == float("inf")
    # numerically: margin (p - c) p^e peaks at the rule price
    p = np.linspace(1.6, 8, 20001)
    assert p[np.argmax((p - 1.5) * p**-2.5)] == pytest.approx(1.5 * 2.5 / 1.5, abs=1e-3)


def test_candidates_have_allowed_endings_and_today():
    c = candidate_prices(4.95, 4.2, 5.7, (0.49, 0.99))
    assert c == [4.49, 4.95, 4.99, 5.49]


def test_interior_optimum_rounded_to_an_ending():
    # e = -2, c = 1.5 -> optimum 3.00; allowed range 4.25-5.75 with 15 %: capped at the bottom
    rec = recommend_prices(_econ(), GuardRails(max_change=0.15)).iloc[0]
    assert rec.recommended_price == pytest.approx(4.49)
    assert "below the allowed range" in rec.binding
    # a wide rail lets the optimum through: 2.99 is the best ending near 3.00
    rec = recommend_prices(_econ(), GuardRails(max_change=0.5)).iloc[0]
    assert rec.recommended_price == pytest.approx(2.99)
    assert rec.rule_price == pytest.approx(3.0)


def test_inelastic_goes_to_the_cap_within_tested_range():
    rails = GuardRails(max_change=0.15)
    rec = recommend_prices(_econ(elasticity=-0.6), rails).iloc[0]
    assert rec.recommended_price == pytest.approx(5.49)  # highest ending <= 5.75
    assert rec.binding.startswith("inelastic")
    # never beyond the tested range: only 5 % above today was ever seen
    rec = recommend_prices(_econ(elasticity=-0.6, tested_high=1.05), rails).iloc[0]
    assert rec.recommended_price <= 5.25
    assert rec.recommended_price == pytest.approx(5.00)  # today's price; no ending fits


def test_discount_enters_the_margin():
    # effective price 5 * (1 - 0.4) = 3 at cost 1.5 and e = -2: already optimal -> today
    rec = recommend_prices(_econ(discount=0.4), GuardRails(max_change=0.15)).iloc[0]
    assert rec.recommended_price == pytest.approx(5.00)
    assert rec.projected_margin == pytest.approx(1000 * (3.0 - 1.5))


def test_ladder_keeps_today_order():
    econ = pd.concat([
        _econ(group="Drip", today_price=4.00, elasticity=-0.5),  # wants to go up
        _econ(group="Latte", today_price=4.40, elasticity=-3.0, unit_cost=0.5),  # wants to go down
    ], ignore_index=True)
    free = recommend_prices(econ, GuardRails(max_change=0.15, keep_ladder=False)).set_index("group")
    assert free.loc["Drip", "recommended_price"] > free.loc["Latte", "recommended_price"]
    kept = recommend_prices(econ, GuardRails(max_change=0.15)).set_index("group")
    assert kept.loc["Drip", "recommended_price"] <= kept.loc["Latte", "recommended_price"]
    assert kept.projected_margin.sum() <= free.projected_margin.sum() + 1e-9


def test_protected_segment_limits_volume_loss():
    econ = _econ(elasticity=-0.5)
    segs = pd.DataFrame({"group": ["Latte", "Latte"], "segment": ["loyal", "price_sensitive"],
                         "weekly_units": [500.0, 500.0], "elasticity": [-0.2, -1.5]})
    free = recommend_prices(econ, GuardRails(max_change=0.15), segs).iloc[0]
    assert free.recommended_price == pytest.approx(5.49)
    rails = GuardRails(max_change=0.15, protect_segments=("price_sensitive",), max_segment_loss=0.05)
    kept = recommend_prices(econ, rails, segs).iloc[0]
    assert 500 * (kept.recommended_price / 5.0) ** -1.5 >= 0.95 * 500
    assert kept.recommended_price == pytest.approx(5.00)


def test_guard_rail_validation():
    with pytest.raises(ValueError, match="max_change"):
        GuardRails(max_change=1.5)
    with pytest.raises(ValueError, match="endings"):
        GuardRails(endings=(1.49,))


def test_projection_intervals_widen_with_uncertainty():
    recs = recommend_prices(_econ(elasticity=-0.6), GuardRails(max_change=0.15))
    tight = project(recs, pd.Series({"Latte": 0.01})).iloc[0]
    wide = project(recs, pd.Series({"Latte": 0.3})).iloc[0]
    ratio = 5.49 / 5.0
    assert tight.units_change == pytest.approx(ratio**-0.6 - 1, abs=0.002)
    assert (wide.margin_change_high - wide.margin_change_low) > 5 * (
        tight.margin_change_high - tight.margin_change_low)
    total = project(recs, pd.Series({"Latte": 0.01}))
    assert total.group.iloc[-1] == "All groups"


def test_aov_path_follows_item_price():
    recs = recommend_prices(_econ(elasticity=-0.6, discount=0.2), GuardRails(max_change=0.15))
    path = aov_path(5.0, recs)
    assert path.aov.iloc[0] == 5.0
    assert path.aov.iloc[1] == pytest.approx(5.0 * 5.49 / 5.0)  # one group: AOV scales with price
    assert path.aov.iloc[2] == pytest.approx(5.0 * 5.49 / 4.0)
    assert path.aov.iloc[3] == 6.5


def test_small_gains_do_not_change_the_menu():
    # today 5.93 with optimum 3.00: 5.49 adds (by hand) 1000*((5.49/5.93)^-2*(5.49-1.5) - (5.93-1.5))
    econ = _econ(today_price=5.93)
    gain = 1000 * ((5.49 / 5.93) ** -2 * (5.49 - 1.5) - (5.93 - 1.5))
    assert 0 < gain < 300
    moved = recommend_prices(econ, GuardRails(max_change=0.08)).iloc[0]
    assert moved.recommended_price == pytest.approx(5.49)
    kept = recommend_prices(econ, GuardRails(max_change=0.08, min_weekly_gain=gain + 1)).iloc[0]
    assert kept.recommended_price == pytest.approx(5.93)
    assert kept.projected_margin == pytest.approx(kept.weekly_margin)


def test_kept_price_is_exactly_today_with_zero_effect_and_its_reason():
    # today 6.0755 (an average, no .49/.99 ending): keeping it must change nothing at all
    econ = _econ(today_price=6.0755)
    kept = recommend_prices(econ, GuardRails(max_change=0.08, min_weekly_gain=1e6)).iloc[0]
    assert kept.recommended_price == 6.0755 and kept.change == 0
    assert kept.projected_margin == kept.weekly_margin
    assert kept.binding == "kept: no move surely adds the $1,000,000/wk minimum"
    proj = project(recommend_prices(econ, GuardRails(max_change=0.08, min_weekly_gain=1e6)),
                   pd.Series({"Latte": 0.3})).iloc[0]
    assert proj.margin_change == 0 and proj.margin_change_low == proj.margin_change_high == 0
    # already at the optimum (effective 3.00 = c e / (1 + e)): nothing beats today
    rec = recommend_prices(_econ(discount=0.4), GuardRails(max_change=0.15)).iloc[0]
    assert rec.binding == "kept: no allowed price adds margin"
    rec = recommend_prices(_econ(elasticity=-0.6, tested_high=1.05, tested_low=1.0),
                           GuardRails(max_change=0.15)).iloc[0]
    assert rec.binding == "kept: no allowed price ending within the guard rails"


def test_binding_names_the_joint_rule_that_holds_a_price():
    econ = pd.concat([
        _econ(group="Drip", today_price=4.00, elasticity=-0.5),  # wants 4.49
        _econ(group="Latte", today_price=4.40, elasticity=-3.0, unit_cost=0.5),  # wants 3.99
    ], ignore_index=True)
    kept = recommend_prices(econ, GuardRails(max_change=0.15)).set_index("group")
    held = kept[kept.binding.str.contains("price order")]
    assert len(held) >= 1  # at least one of the two is held by the ladder, and says so
    free = recommend_prices(econ, GuardRails(max_change=0.15, keep_ladder=False)).set_index("group")
    assert not free.binding.str.contains("price order").any()
    segs = pd.DataFrame({"group": ["Latte", "Latte"], "segment": ["loyal", "price_sensitive"],
                         "weekly_units": [500.0, 500.0], "elasticity": [-0.2, -1.5]})
    rails = GuardRails(max_change=0.15, protect_segments=("price_sensitive",), max_segment_loss=0.05)
    rec = recommend_prices(_econ(elasticity=-0.5), rails, segs).iloc[0]
    assert rec.binding == "kept: protected segment (price_sensitive) units"


def test_projection_adds_cross_price_effects():
    econ = pd.concat([_econ(group="Drip", elasticity=-0.5), _econ(group="Latte", elasticity=-0.5)],
                     ignore_index=True)
    recs = recommend_prices(econ, GuardRails(max_change=0.15))
    assert (recs.recommended_price == 5.49).all()
    cross = pd.DataFrame({"demand_of": ["Drip", "Drip", "Latte", "Latte"],
                          "price_of": ["Drip", "Latte", "Drip", "Latte"],
                          "elasticity": [-0.5, -0.2, 0.0, -0.5], "se": [0.0, 1e-6, 1e-6, 0.0]})
    se = pd.Series({"Drip": 1e-6, "Latte": 1e-6})
    p = project(recs, se, cross).set_index("group")
    r = 5.49 / 5.0
    assert p.loc["Drip", "units_change"] == pytest.approx(r ** (-0.5 - 0.2) - 1, abs=1e-4)  # by hand
    assert p.loc["Latte", "units_change"] == pytest.approx(r**-0.5 - 1, abs=1e-4)  # own only
    assert project(recs, se).set_index("group").loc["Drip", "units_change"] == pytest.approx(
        r**-0.5 - 1, abs=1e-4)
    # uncertain cross effects widen the interval
    wide = project(recs, se, cross.assign(se=[0.0, 0.5, 0.5, 0.0])).set_index("group")
    assert (wide.loc["All groups", "margin_change_high"] - wide.loc["All groups", "margin_change_low"]
            > 10 * (p.loc["All groups", "margin_change_high"] - p.loc["All groups", "margin_change_low"]))


def test_percent_steps_when_there_are_no_price_endings():
    # a category's average price moves in whole-percent steps: 1 % of $5.00 is 5 cents
    assert candidate_prices(5.00, 4.80, 5.20, ()) == [4.8, 4.85, 4.9, 4.95, 5.0, 5.05, 5.1, 5.15, 5.2]


def test_an_unclear_elasticity_moves_less_than_a_clear_one():
    from dataclasses import replace

    econ = pd.concat([_econ(group="Sure", elasticity=-0.6, se=0.05),
                      _econ(group="Unsure", elasticity=-0.6, se=0.25)], ignore_index=True)
    rails = GuardRails(max_change=0.15, endings=(), keep_ladder=False)
    recs = recommend_prices(econ, rails).set_index("group")
    # Sure: |1 - 0.6| / (1.96 x 0.05) = 4.1 >= 1, the full 15 %; Unsure: 0.4 / (1.96 x 0.25) = 0.816 of it, 12.2 %
    assert recs.loc["Sure", "allowed_change"] == pytest.approx(0.15)
    assert recs.loc["Unsure", "allowed_change"] == pytest.approx(0.15 * 0.4 / (1.96 * 0.25))
    # both are inelastic, so margin rises with price up to the cap: $5.75 and $5.60 (12 %, whole percent),
    # which still pays at the unfavourable end e = -0.6 - 0.49: 1.12^-1.09 x 4.10 / 3.50 = 1.036
    assert recs.loc["Sure", "recommended_price"] == pytest.approx(5.75)
    assert recs.loc["Unsure", "recommended_price"] == pytest.approx(5.60)
    assert recs.loc["Unsure", "binding"].startswith("held back: elasticity unclear, so at most 12%")
    assert recs.loc["Sure", "binding"].startswith("inelastic")
    # without the rail both go to the cap: the rail, not the point estimate, holds the unsure one back
    off = recommend_prices(econ, replace(rails, sure_z=0.0)).set_index("group")
    assert off.recommended_price.tolist() == pytest.approx([5.75, 5.75])
    # an elasticity at -1 exactly cannot move at all: kept, and the table says why
    kept = recommend_prices(_econ(elasticity=-1.0, se=0.1), rails).iloc[0]
    assert kept.change == 0 and kept.binding.startswith("kept: elasticity too unclear to move")


def test_a_move_must_pay_at_the_unfavourable_end_of_the_elasticity_range():
    rails = GuardRails(max_change=0.15, endings=(), keep_ladder=False)
    # e = -2 wants a cut (optimum 3.00 < 4.25), but at e = -2 + 1.96 x 0.3 = -1.41 every cut loses margin:
    # 5 % off keeps 0.95^-1.412 x (4.75 - 1.5) / (5 - 1.5) = 0.998 of it
    assert 0.95 ** -1.412 * 3.25 / 3.5 < 1
    kept = recommend_prices(_econ(elasticity=-2.0, se=0.3), rails).iloc[0]
    assert kept.change == 0 and kept.binding.startswith("kept: no move surely adds")
    # a precise estimate (se 0.02) lets the same cut through, to the bottom of the allowed range
    cut = recommend_prices(_econ(elasticity=-2.0, se=0.02), rails).iloc[0]
    assert cut.recommended_price == pytest.approx(4.25)
