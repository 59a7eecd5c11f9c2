"""Site selection estimators against planted values (simulated Huff world, analysis grain)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from luckin_lab.geo import distance_km
from luckin_lab.sites.huff import fit_huff, param
from luckin_lab.sites.portfolio import (
    brute_force,
    pairwise_objective,
    rank_one_by_one,
    solve_portfolio,
)
from luckin_lab.sites.scoring import build_market, candidate_table, pairwise_overlap
from luckin_lab.sites.simulate import simulate_world
from luckin_lab.sites.spatial_cv import (
    block_ids,
    conformal_quantile,
    leave_one_out_coverage,
    spatial_block_folds,
)
from luckin_lab.synth.spatial import site_truth
from luckin_lab.synth.truth import SpatialTruth


@pytest.fixture(scope="module")
def world():
    return simulate_world(seed=4, store_week_noise=0.0)


@pytest.fixture(scope="module")
def fitted(world):
    return fit_huff(world.data)


def test_huff_fit_recovers_planted_parameters(world, fitted):
    sp = world.spatial
    assert abs(fitted.decay - sp.distance_decay) < 0.05
    assert fitted.outside_base == pytest.approx(sp.outside_base, rel=0.08)
    assert fitted.outside_per_competitor == pytest.approx(sp.outside_per_competitor, rel=0.15)
    assert fitted.boost == pytest.approx(sp.grand_opening_boost, rel=0.1)
    assert fitted.boost_weeks == pytest.approx(sp.grand_opening_weeks, rel=0.1)
    true_a = np.array([s.attraction for s in sp.stores])
    np.testing.assert_allclose(fitted.attraction, true_a / np.median(true_a), rtol=0.06)
    # the 95% CI of the decay contains the truth and is not absurdly wide
    dec = param(fitted, "distance decay")
    assert dec.ci_low <= sp.distance_decay <= dec.ci_high
    assert dec.ci_high - dec.ci_low < 0.2


def test_huff_recovers_a_different_decay():
    sp = SpatialTruth(distance_decay=1.2, outside_base=3.0, outside_per_competitor=0.1)
    w = simulate_world(seed=5, spatial=sp, store_week_noise=0.0)
    f = fit_huff(w.data, with_se=False)
    assert abs(f.decay - 1.2) < 0.08
    assert f.outside_base == pytest.approx(3.0, rel=0.12)


def test_candidate_scores_match_true_huff_calculation(world, fitted):
    m = build_market(fitted, world.data)
    cand, cann = candidate_table(world.data, m)
    stores = world.data.stores.assign(attraction=[s.attraction for s in world.spatial.stores])
    tc, tcann = site_truth(world.data.cells, world.potential, stores, world.data.candidates, world.spatial)
    x = cand.merge(tc, on="site_id", suffixes=("", "_true"))
    assert (x.standalone_revenue / x.standalone_revenue_true - 1).abs().max() < 0.05
    y = cann.merge(tcann, on=["site_id", "store_id"], suffixes=("", "_true"))
    assert (y.share_of_store_revenue - y.share_of_store_revenue_true).abs().max() < 0.02
    # net = standalone - taken, and opening a site never raises another store's revenue
    np.testing.assert_allclose(cand.net_gain, cand.standalone_revenue - cand.cannibalized_revenue)
    assert (cann.revenue_taken >= -1e-9).all()


def test_pairwise_overlap_is_exact_for_pairs(world, fitted):
    m = build_market(fitted, world.data)
    ov = pairwise_overlap(m)
    single = np.array([m.set_net_gain([i]) for i in range(3)])
    pair = m.set_net_gain([0, 1])
    assert ov[0, 1] == pytest.approx(single[0] + single[1] - pair, rel=1e-9)
    assert np.allclose(ov, ov.T) and (ov >= 0).all()


def test_spatial_folds_are_spatially_disjoint():
    rng = np.random.default_rng(0)
    lat = rng.uniform(40.70, 40.80, 40)
    lon = rng.uniform(-74.02, -73.93, 40)
    folds = spatial_block_folds(lat, lon, block_km=1.5, buffer_km=0.5)
    blocks = block_ids(lat, lon, 1.5)
    tested = np.concatenate([f.test for f in folds])
    assert sorted(tested) == list(range(40))  # every point held out exactly once
    d = distance_km(lat, lon, lat, lon)
    for f in folds:
        assert {blocks[i] for i in f.test} == {f.block}
        assert f.block not in {blocks[i] for i in f.train}
        assert d[np.ix_(f.train, f.test)].min() > 0.5 if len(f.train) else True
    with pytest.raises(ValueError, match="block_km"):
        spatial_block_folds(lat, lon, block_km=0)


def test_conformal_intervals_cover_at_nominal_rate():
    rng = np.random.default_rng(1)
    n_cal, n_test, alpha = 200, 4000, 0.1
    x = rng.uniform(1, 3, n_cal + n_test)
    yhat = 1000 * x
    y = yhat * np.exp(rng.normal(0, 0.3, len(x)))
    q = conformal_quantile(np.abs(np.log(y[:n_cal] / yhat[:n_cal])), alpha)
    inside = np.abs(np.log(y[n_cal:] / yhat[n_cal:])) <= q
    assert 0.87 <= inside.mean() <= 0.94
    cov, _ = leave_one_out_coverage(y[:n_cal], yhat[:n_cal], alpha)
    assert 0.86 <= cov <= 0.95
    assert conformal_quantile(np.ones(5), 0.1) == float("inf")  # too few points for 90%


@pytest.mark.parametrize("use_budget", [False, True])
def test_portfolio_solver_matches_brute_force(use_budget):
    rng = np.random.default_rng(2)
    for _ in range(4):
        n = 10
        net = rng.uniform(10_000, 30_000, n)
        ov = rng.uniform(0, 15_000, (n, n))
        ov = (ov + ov.T) / 2
        np.fill_diagonal(ov, 0)
        ov[ov < 8_000] = 0
        costs = rng.integers(200_000, 500_000, n).astype(float)
        kw = dict(costs=costs, budget=1.2e6) if use_budget else dict(k=4)
        got = solve_portfolio(net, ov, **kw)
        best, best_val = brute_force(net, ov, **kw)
        assert pairwise_objective(got, net, ov) == pytest.approx(best_val, abs=1.0)
        rank = rank_one_by_one(net, **kw)
        assert pairwise_objective(got, net, ov) >= pairwise_objective(rank, net, ov) - 1.0
    with pytest.raises(ValueError, match="k"):
        solve_portfolio(net, ov)


def test_huff_with_customer_states_recovers_outside_option_a_head_count_misses():
    # people near a store try it sooner, then order less: a head-count demand base reads that
    # saturation as a weak outside option; weighting users by customer state recovers it
    w = simulate_world(seed=4, store_week_noise=0.0, state_weights=(1.0, 0.6, 0.2, 0.05))
    f = fit_huff(w.data)
    assert abs(f.decay - 1.8) < 0.05
    assert f.outside_base == pytest.approx(2.0, rel=0.1)
    # with cell levels profiled out the competitor term rests on fewer contrasts: looser, but
    # its interval must still cover
    assert f.outside_per_competitor == pytest.approx(0.35, rel=0.25)
    oc = param(f, "outside option per competitor")
    assert oc.ci_low <= 0.35 <= oc.ci_high
    np.testing.assert_allclose(f.state_weights, [1.0, 0.6, 0.2, 0.05], rtol=0.1, atol=0.01)
    ci = param(f, "demand weight: first order 4-12 weeks ago")
    assert ci.ci_low <= 0.2 <= ci.ci_high
    headcount = copy.copy(w.data)
    headcount.user_states = headcount.states = None
    g = fit_huff(headcount, with_se=False)
    assert g.outside_base < 0.5 * 2.0  # the bias the customer states remove


def test_cell_levels_absorb_a_demand_proxy_that_is_off_by_cell():
    # head counts are only a proxy for a cell's demand; a cell-specific error in it (heavier or
    # lighter buyers than average) must not bias the outside option, and the fitted cell levels
    # must track the planted errors
    w = simulate_world(seed=4, store_week_noise=0.0)
    data = copy.copy(w.data)
    rng = np.random.default_rng(0)
    n = data.cells.n_users.to_numpy(float)
    # planted: cells near stores hold lighter buyers, so the proxy overstates their demand
    near = w.data.store_distances().min(1) < 1.0
    err = np.where(near, 1.35, 1.0) * np.exp(rng.normal(0, 0.1, len(n)))
    data.cells = data.cells.assign(n_users=n * err)
    f = fit_huff(data)
    assert abs(f.decay - 1.8) < 0.05
    ob = param(f, "outside option base")
    assert ob.ci_low <= 2.0 <= ob.ci_high
    assert f.outside_base == pytest.approx(2.0, rel=0.12)
    big = n * err > np.quantile(n * err, 0.5)
    # the fitted level undoes the planted error (up to the common scale) where there is data
    ratio = np.log(f.cell_level[big] * err[big])
    assert np.std(ratio) < 0.6 * np.std(np.log(err[big]))


def test_opening_discount_is_not_read_as_grand_opening_pull():
    # each new store opens 30 % off (fading over two weeks), which lifts its own revenue by
    # (paid/list)^-1.5 and takes nothing from neighbours; without the price level the fit reads
    # that lift as extra pull, with it the boost and the elasticity are recovered
    w = simulate_world(seed=4, store_week_noise=0.0, opening_discount=0.3, price_elasticity=-1.5)
    f = fit_huff(w.data)
    sp = w.spatial
    assert f.boost == pytest.approx(sp.grand_opening_boost, rel=0.1)
    assert f.boost_weeks == pytest.approx(sp.grand_opening_weeks, rel=0.12)
    el = param(f, "price elasticity")
    assert el.ci_low <= -1.5 <= el.ci_high
    assert abs(f.decay - sp.distance_decay) < 0.05
    no_price = copy.copy(w.data)
    no_price.price = None
    g = fit_huff(no_price, with_se=False)
    assert g.boost > 1.1 * f.boost  # the bias the price level removes
