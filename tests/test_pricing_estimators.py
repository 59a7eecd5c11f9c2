"""Estimators on synthetic panels with planted elasticities and planted confounding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from luckin_lab.pricing.dml import combine, dml_count_iv
from luckin_lab.pricing.elasticities import estimate_elasticities
from luckin_lab.pricing.linear_iv import partial_out, tsls
from luckin_lab.pricing.panel import PanelError, PanelSpec, add_control_gaps, check_panel
from luckin_lab.pricing.ppml import poisson_iv, ppml
from luckin_lab.synth.price_panel import simulate_panel

SPEC = PanelSpec(instruments=("log_test_factor",), controls=("log_planned_factor",))


@pytest.fixture(scope="module")
def sim():
    return simulate_panel(n_markets=6, n_days=120, seed=3)


@pytest.fixture(scope="module")
def results(sim):
    return estimate_elasticities(sim.frame, SPEC, dml_folds=2, seed=0)


def test_tsls_recovers_slope_where_ols_is_biased():
    rng = np.random.default_rng(0)
    n = 4000
    z = rng.normal(size=n)
    u = rng.normal(size=n)
    d = z + 0.8 * u + rng.normal(size=n)  # price moves with the demand shock
    y = -1.5 * d + u
    x = np.ones((n, 1))
    ols = tsls(y, d, d, x)
    iv = tsls(y, d, z, x)
    assert ols.coef[0] > -1.5 + 0.2  # pulled toward zero by the shock
    lo, hi = iv.ci()
    assert lo[0] < -1.5 < hi[0]
    assert abs(iv.coef[0] + 1.5) < 0.1
    assert iv.first_stage_f[0] > 500 and not iv.weak_instrument
    assert ols.first_stage_f == []


def test_weak_instrument_flagged():
    rng = np.random.default_rng(1)
    n = 500
    z = rng.normal(size=n)
    d = 0.02 * z + rng.normal(size=n)
    y = -d + rng.normal(size=n)
    fit = tsls(y, d, z, np.ones((n, 1)))
    assert fit.first_stage_f[0] < 10 and fit.weak_instrument


def test_naive_biased_causal_covers_truth(sim, results):
    t = results.by_group.set_index(["group", "method"])
    for g, truth in sim.group_elasticity.items():
        naive = t.loc[(g, "naive"), "elasticity"]
        assert naive > truth + 0.3, (g, naive, truth)  # visibly biased toward zero
        for m in ("2sls", "dml", "poisson"):
            row = t.loc[(g, m)]
            assert row.ci_low <= truth <= row.ci_high, (g, m, row.elasticity, truth)
            assert abs(row.elasticity - truth) < 0.2


def test_causal_segments_recover_planted_cells(sim, results):
    cells = results.by_group_segment.set_index(["group", "segment"])
    covered = [
        cells.loc[(g, s), "ci_low"] <= e <= cells.loc[(g, s), "ci_high"]
        for g, segs in sim.elasticity.items() for s, e in segs.items()
    ]
    assert np.mean(covered) >= 7 / 9
    seg = results.by_segment.set_index("segment")
    # the ordering the report tells executives about
    assert seg.loc["price_sensitive", "elasticity"] < seg.loc["regular", "elasticity"] < seg.loc["loyal", "elasticity"]
    for s, e in sim.segment_elasticity.items():
        assert abs(seg.loc[s, "elasticity"] - e) < 0.25


def test_dml_keeps_zero_cells_and_works_without_segments(sim):
    one = sim.frame[(sim.frame.group == "Bakery") & (sim.frame.segment == "price_sensitive")]
    assert (one.quantity == 0).any()
    res = dml_count_iv(one.drop(columns=["segment"]), SPEC, by="segment", n_folds=2)
    assert [c.key for c in res.cells] == ["all"]
    cell = res.cells[0]
    truth = sim.elasticity["Bakery"]["price_sensitive"]
    assert abs(cell.elasticity - truth) < 3 * cell.se + 0.05
    assert cell.n == len(one)


def test_cross_price_detects_planted_substitution():
    sim = simulate_panel(n_markets=8, n_days=150, cross_elasticity=0.5, seed=5)
    res = estimate_elasticities(sim.frame, SPEC, dml_folds=2)
    cp = res.cross_price.set_index(["demand_of", "price_of"])
    assert cp.loc[("Espresso", "Tea"), "ci_low"] > 0
    assert cp.loc[("Espresso", "Tea"), "ci_low"] <= 0.5 <= cp.loc[("Espresso", "Tea"), "ci_high"]
    assert cp.loc[("Espresso", "Bakery"), "ci_low"] <= 0 <= cp.loc[("Espresso", "Bakery"), "ci_high"]


def test_group_without_instrument_variation_is_reported_not_estimated(sim):
    frame = sim.frame.copy()
    frame.loc[frame.group == "Tea", "log_test_factor"] = 0.0
    res = estimate_elasticities(frame, SPEC, dml_folds=2)
    assert "instrument never varies" in res.skipped["Tea"]
    assert np.isnan(res.by_group.set_index("group").loc["Tea", "elasticity"])


def test_bad_panel_names_column_and_rows(sim):
    bad = sim.frame.copy()
    bad.loc[3, "price"] = -1.0
    with pytest.raises(PanelError, match=r"'price' check > 0: 1 failing rows"):
        check_panel(bad, SPEC)
    with pytest.raises(PanelError, match="missing column"):
        check_panel(bad.drop(columns=["log_test_factor"]), SPEC)


def test_ppml_matches_poisson_glm_with_dummies():
    """The absorbed fixed effects give the same coefficients and robust SEs as explicit dummies."""
    import statsmodels.api as sm

    rng = np.random.default_rng(1)
    n = 1500
    a, b = rng.integers(0, 25, n), rng.integers(0, 7, n)
    x = rng.normal(size=(n, 2))
    y = rng.poisson(np.exp(0.3 + x @ [0.3, -0.7] + rng.normal(size=25)[a] + rng.normal(size=7)[b]))
    fit = ppml(y.astype(float), x, [a, b])
    dummies = pd.get_dummies(pd.DataFrame({"a": a.astype(str), "b": b.astype(str)}), drop_first=True, dtype=float)
    glm = sm.GLM(y, sm.add_constant(np.column_stack([x, dummies])), family=sm.families.Poisson()).fit(cov_type="HC0")
    np.testing.assert_allclose(fit.coef, glm.params[1:3], atol=1e-6)
    np.testing.assert_allclose(np.sqrt((fit.influence() ** 2).sum(0)), glm.bse[1:3], rtol=1e-4)


def test_ppml_drops_groups_without_sales():
    y = np.array([0.0, 0.0, 3.0, 5.0, 2.0, 4.0])
    fe = np.array([0, 0, 1, 1, 2, 2])
    fit = ppml(y, np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0]), [fe])
    assert fit.keep.tolist() == [False, False, True, True, True, True]
    # within groups: log(5/3) and log(4/2), pooled Poisson slope solves 3e^b+... = hand value
    assert fit.coef[0] == pytest.approx(np.log(9 / 5), abs=1e-8)  # (5+4)/(3+2)


def test_ppml_drops_a_regressor_collinear_with_the_fixed_effects():
    """A control that only moves between fixed-effect groups has no own effect: dropped, rest unchanged."""
    rng = np.random.default_rng(2)
    a = rng.integers(0, 10, 400)
    x = rng.normal(size=400)
    y = rng.poisson(np.exp(0.5 * x + rng.normal(size=10)[a])).astype(float)
    fit = ppml(y, np.column_stack([x, rng.normal(size=10)[a]]), [a])
    alone = ppml(y, x[:, None], [a])
    assert fit.kept_columns.tolist() == [0]
    assert fit.coef[1] == 0.0
    np.testing.assert_allclose(fit.coef[0], alone.coef[0], atol=1e-9)
    np.testing.assert_allclose(fit.influence()[:, 0], alone.influence()[:, 0], atol=1e-9)
    assert not fit.influence()[:, 1].any()


def test_control_gaps_split_store_wide_and_group_specific_parts():
    df = pd.DataFrame({"unit": ["s|A", "s|B", "s|A", "s|B"], "market": ["s"] * 4, "group": ["A", "B"] * 2,
                       "period": pd.to_datetime(["2025-09-01"] * 2 + ["2025-09-02"] * 2),
                       "price": 1.0, "quantity": 1.0, "z": 0.0, "c": [-0.05, -0.25, -0.10, -0.10]})
    out, spec = add_control_gaps(df, PanelSpec(instruments=("z",), controls=("c",)))
    assert spec.controls == ("c", "c_gap", "c_at_level")
    np.testing.assert_allclose(out["c_gap"], [0.0, -0.20, 0.0, 0.0])
    assert out["c_at_level"].tolist() == [1.0, 0.0, 1.0, 1.0]


def test_poisson_iv_is_tighter_than_dml_and_covers(sim):
    panel, spec = add_control_gaps(sim.frame, SPEC)
    for g, truth in sim.group_elasticity.items():
        sub = panel[panel.group == g]
        pois = poisson_iv(sub, spec, by=None).cells[0]
        dml = dml_count_iv(sub, spec, by=None, n_folds=2).cells[0]
        assert abs(pois.elasticity - truth) < 1.96 * pois.se, (g, pois, truth)
        assert pois.se < dml.se * 1.05, (g, pois.se, dml.se)
        assert 0.95 < pois.pi < 1.05  # the randomized discount moves log price one for one


def test_poisson_iv_intervals_cover_in_repeated_panels():
    """30 simulated panels x 3 groups: unbiased, standard errors match the spread, ~95 % coverage."""
    errs, ses = [], []
    for seed in range(500, 530):
        sim = simulate_panel(n_markets=6, n_days=120, seed=seed)
        panel, spec = add_control_gaps(sim.frame, SPEC)
        for g, truth in sim.group_elasticity.items():
            r = poisson_iv(panel[panel.group == g], spec)
            tot = sum(c.quantity for c in r.cells)
            est, se = combine([(r, {c.key: c.quantity / tot for c in r.cells})])
            errs.append(est - truth)
            ses.append(se)
    errs, ses = np.array(errs), np.array(ses)
    assert abs(errs.mean()) < 3 * errs.std() / np.sqrt(len(errs))
    assert 0.8 < errs.std() / ses.mean() < 1.25
    assert np.mean(np.abs(errs) <= 1.96 * ses) >= 0.87  # 90 draws: 0.95 minus 3 binomial SEs


def test_one_partial_out_for_dummies_and_fixed_effects():
    """Sweeping fixed effects out by demeaning equals least squares on their dummies, and with
    dense controls too; a 1-d array comes back 1-d (Frisch-Waugh, one function for both fits)."""
    rng = np.random.default_rng(3)
    n = 400
    unit, week = rng.integers(0, 7, n), rng.integers(0, 5, n)
    y, x = rng.normal(size=n), rng.normal(size=(n, 2))
    c = rng.normal(size=(n, 1))
    dummies = np.column_stack([unit == k for k in range(7)] + [week == k for k in range(1, 5)])
    dense = partial_out(y, x, controls=np.column_stack([dummies, c]))
    swept = partial_out(y, x, controls=c, fixed_effects=[unit, week])
    assert dense[0].shape == (n,) and dense[1].shape == (n, 2)
    for a, b in zip(dense, swept, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-9)
    # residuals are orthogonal to what was partialled out, by hand
    assert np.abs(dummies.T @ dense[0]).max() < 1e-9 and abs(float(c[:, 0] @ dense[0])) < 1e-9
