"""Offer choice and the budget-constrained allocation (OR-Tools) on problems with known optima."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from luckin_lab.uplift.policy import NO_OFFER, OfferMatrix, allocate, blanket, greedy, summarize


def _offers(n: int, seed: int = 0) -> OfferMatrix:
    rng = np.random.default_rng(seed)
    value = rng.normal(0.2, 1.0, (n, 3))
    cost = np.abs(rng.normal(1.0, 0.4, (n, 3))) * np.array([0.5, 1.0, 1.5])
    return OfferMatrix(np.array([f"U{i}" for i in range(n)]), ["a", "b", "c"], value, cost)


def _brute_force(o: OfferMatrix, budget: float) -> float:
    best = 0.0
    for combo in itertools.product(range(-1, 3), repeat=len(o.unit_id)):
        a = np.array(combo)
        if o.pick(o.cost, a).sum() <= budget:
            best = max(best, o.pick(o.value, a).sum())
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_allocation_matches_brute_force_on_tiny_problems(seed):
    o = _offers(7, seed)
    budget = 2.0
    alloc = allocate(o, budget)
    assert alloc.cost <= budget
    assert alloc.value == pytest.approx(_brute_force(o, budget), abs=1e-6)
    assert alloc.upper_bound >= alloc.value - 1e-9


@pytest.mark.parametrize("share", [0.02, 0.2, 0.6])
def test_budget_respected_exactly_at_scale(share):
    o = _offers(20_000, 3)
    budget = float(o.pick(o.cost, greedy(o)).sum() * share)
    alloc = allocate(o, budget)
    assert o.pick(o.cost, alloc.assign).sum() <= budget
    assert ((alloc.assign >= NO_OFFER) & (alloc.assign < 3)).all()  # at most one offer each
    assert alloc.gap <= 1e-3 * alloc.value  # certified near-optimal by the Lagrangian bound
    # spends nearly all of a binding budget
    assert alloc.cost >= budget * 0.999


def test_unconstrained_budget_gives_greedy_and_greedy_never_picks_losers():
    o = _offers(500, 4)
    g = greedy(o)
    assert (o.pick(o.value, g) >= 0).all()
    assert (g[o.value.max(axis=1) <= 0] == NO_OFFER).all()
    alloc = allocate(o, 1e9)
    assert (alloc.assign == g).all() and alloc.status == "budget not binding"


def test_summary_counts_and_deadweight():
    o = _offers(100, 5)
    o.uplift = np.full((100, 3), 0.1)
    o.p_control = np.full(100, 0.3)
    s = summarize(o, {"all b": blanket(o, "b")}).iloc[0]
    assert s["users_targeted"] == 100
    assert s["expected_discount_cost"] == pytest.approx(o.cost[:, 1].sum())
    # would-buy-anyway share 0.3 / 0.4 of the discount
    assert s["expected_deadweight"] == pytest.approx(o.cost[:, 1].sum() * 0.75)


def test_negative_budget_and_bad_shapes_are_refused():
    o = _offers(5)
    with pytest.raises(ValueError, match="budget"):
        allocate(o, -1.0)
    with pytest.raises(ValueError, match="shape"):
        OfferMatrix(o.unit_id, ["a", "b"], o.value, o.cost)
