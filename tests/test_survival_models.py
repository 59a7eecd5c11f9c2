"""Model recovery on synthetic fleets with planted Weibull laws (and the fast engine vs lifelines)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from luckin_lab.survival import fast
from luckin_lab.survival import models as M
from luckin_lab.survival.cox import lifelines_cox
from luckin_lab.survival.episodes import EventData
from luckin_lab.survival.prediction import risk_table
from luckin_lab.synth.iot import GenericFleetTruth, synthesize_generic_fleet

G = GenericFleetTruth(n_units=900)


@pytest.fixture(scope="module")
def fleet() -> EventData:
    frame, _ = synthesize_generic_fleet(np.random.default_rng(11), G, 1.0)
    f = frame.rename(columns={"start": "entry"})
    f["prints_100"] = f.prints_per_day / 100
    f["humidity_10"] = f.humidity_pct / 10
    f["spell_no"] = f.groupby("unit_id").cumcount() + 1
    return EventData(f, "asset_type", ["prints_100", "humidity_10"], None, {},
                     {"prints_100": "100 prints a day", "humidity_10": "10 points of humidity"})


def test_cox_recovers_planted_effects_and_stratifies(fleet):
    cox = M.fit_cox(fleet)
    hr = cox.hazard_ratios.set_index("covariate")
    for c, b in [("prints_100", G.beta_prints_per_day_per_100), ("humidity_10", G.beta_humidity_per_10pct)]:
        assert np.log(hr.loc[c, "hr_lo"]) <= b <= np.log(hr.loc[c, "hr_hi"])
    # shapes 1.5 vs 1.1 are not proportional: the PH check must catch it and stratify
    assert cox.stratified
    assert "stratified" in " ".join(cox.notes)
    assert "raises the failure rate" in hr.loc["prints_100", "in_words"]


def test_weibull_shapes_recovered_and_chosen_by_aic(fleet):
    cmp = M.compare_models(fleet, families=["Weibull AFT", "Log-normal AFT"])
    assert cmp.chosen == "Weibull AFT"
    shapes = M.weibull_shapes(cmp.models["Weibull AFT"]).set_index("group")
    for g, k in G.weibull_shape.items():
        assert shapes.loc[g, "shape_lo"] <= k <= shapes.loc[g, "shape_hi"]
        assert abs(shapes.loc[g, "shape"] / k - 1) < 0.1
    hrs = M.weibull_hazard_ratios(cmp.models["Weibull AFT"]).query("covariate == 'prints_100'")
    assert ((np.log(hrs.hr_lo) <= 0.30) & (0.30 <= np.log(hrs.hr_hi))).all()


def test_fast_engine_matches_lifelines(fleet):
    f = fleet.frame
    ours = fast.cox_ph(f, fleet.covariates, strata="asset_type")
    theirs = lifelines_cox(f, fleet.covariates, "asset_type")
    assert np.allclose(ours.params.to_numpy(), theirs.params_.to_numpy(), atol=1e-4)
    assert ours.converged
    sub = f[f.asset_type == "receipt_printer"]
    w = fast.weibull_ph(sub.entry, sub.stop, sub.event, sub[fleet.covariates], fleet.covariates)
    lf = M.fit_group_models(EventData(sub, "asset_type", fleet.covariates), "Weibull AFT")
    shape_lf = M.weibull_shapes(lf)["shape"].iloc[0]
    assert w.shape == pytest.approx(shape_lf, rel=1e-3)
    hr_lf = M.weibull_hazard_ratios(lf).set_index("covariate").hr
    assert np.exp(w.beta["prints_100"]) == pytest.approx(hr_lf["prints_100"], rel=1e-3)


def test_conditional_risk_matches_weibull_closed_form(fleet):
    models = M.fit_group_models(fleet, "Weibull AFT")
    risk = risk_table(fleet, models, (7, 30))
    assert len(risk) == int(fleet.frame.groupby("unit_id").tail(1).event.eq(0).sum())
    r = risk.iloc[0]
    fit = models.fits[r.asset_type]
    row = fleet.frame[(fleet.frame.unit_id == r.unit_id)].tail(1)
    lam = float(np.exp(fit.params_.loc["lambda_"]["Intercept"] + sum(
        fit.params_.loc["lambda_"][c] * row[c].iloc[0] for c in fleet.covariates)))
    rho = float(np.exp(fit.params_.loc[("rho_", "Intercept")]))
    a = r.spell_age_days
    cond = np.exp(-((a + 7) / lam) ** rho + (a / lam) ** rho)
    assert r.p_fail_7d == pytest.approx(1 - cond, rel=1e-6)
    med = (a**rho + np.log(2) * lam**rho) ** (1 / rho) - a
    assert r.median_remaining_days == pytest.approx(med, rel=1e-4)
    assert (risk.p_fail_30d >= risk.p_fail_7d).all()


def test_ph_test_flags_non_proportional_covariate():
    rng = np.random.default_rng(5)
    n = 3000
    x = rng.integers(0, 2, n).astype(float)
    # x = 1 has shape 3 (wear-out), x = 0 shape 1: hazards cross, PH fails for x
    shape = np.where(x == 1, 3.0, 1.0)
    t = 10 * rng.weibull(shape)
    f = pd.DataFrame({"entry": 0.0, "stop": np.minimum(t, 15), "event": (t < 15).astype(int), "x": x})
    fit = fast.cox_ph(f, ["x"])
    res = fast.ph_test(f, ["x"], fit.params.to_numpy(), fit.variance)
    assert res.p.iloc[0] < 1e-6
    ok = f.assign(stop=np.minimum(10 * rng.weibull(1.5, n), 15))
    ok["event"] = (ok.stop < 15).astype(int)
    fit2 = fast.cox_ph(ok, ["x"])
    assert fast.ph_test(ok, ["x"], fit2.params.to_numpy(), fit2.variance).p.iloc[0] > 0.01
