"""Public survival data with published answers, and a rare-covariate fleet with planted effects,
all through the generic path (a folder source holding generic_time_to_event.csv)."""

from __future__ import annotations

import numpy as np
import pytest

from luckin_lab.sources import open_store
from luckin_lab.survival import cox as C
from luckin_lab.survival import datasets as D
from luckin_lab.survival.episodes import generic_events


def _per_unit(hr, column: str) -> tuple[float, float]:
    """Coefficient and SE per one unit of ``column`` (the report rescales to a round step)."""
    key = next(k for k in hr.index if k == column or k.startswith(f"{column}_per_"))
    step = 1.0 if key == column else float(key.split("_per_")[1])
    return hr.loc[key, "coef"] / step, hr.loc[key, "se"] / step


@pytest.mark.parametrize("name", ["rossi", "lung"])
def test_published_cox_coefficients_within_one_se(tmp_path, name):
    frame, published = {"rossi": (D.rossi_frame(), D.ROSSI_PUBLISHED),
                        "lung": (D.lung_frame(), D.LUNG_PUBLISHED)}[name]
    assert frame.unit_id.dtype.kind == "i"  # integer ids, as an export has them
    data = generic_events(open_store(f"folder:{D.write_extract(frame, tmp_path)}"))
    res = C.fit_cox(data, design="plain")
    hr = res.hazard_ratios.set_index("covariate")
    for col, (b, se) in published.items():
        est, our_se = _per_unit(hr, col)
        assert abs(est - b) < se, (col, est, b)
        assert our_se == pytest.approx(se, rel=0.15), (col, our_se, se)
    assert not res.dropped


def test_rossi_plain_and_time_split_concordance_on_spells(tmp_path):
    data = generic_events(open_store(f"folder:{D.write_extract(D.rossi_frame(), tmp_path)}"))
    plain = C.fit_cox(data, design="plain")
    split = C.fit_cox(data, design="time_split")
    # age and work experience break PH in Rossi (Fox & Weisberg find age and wexp, p < 0.05)
    assert {"age_per_5", "wexp"} <= set(plain.ph_final.query("p < 0.05").covariate)
    assert split.time_varying and split.t_split is not None
    # the plain model's concordance is the published 0.64, computed on the 432 people, not split rows
    assert plain.concordance == pytest.approx(0.640, abs=0.005)
    assert split.plain_concordance == pytest.approx(plain.concordance)
    assert 0.6 < split.concordance < 0.72


def test_words_come_from_the_run(tmp_path):
    data = generic_events(open_store(f"folder:{D.write_extract(D.rossi_frame(), tmp_path)}"),
                          covariate_labels={"fin": "financial aid", "age": "age"},
                          covariate_units={"age": "years"})
    words = C.fit_cox(data, design="plain").hazard_ratios.set_index("covariate").in_words
    assert words["age_per_5"].startswith("Each extra 5 years of age lowers")
    assert words["fin"].startswith("Financial aid (yes vs no) lowers")
    lung = generic_events(open_store(f"folder:{D.write_extract(D.lung_frame(), tmp_path / 'l')}"))
    assert lung.labels["sex"] == "Sex 2 (vs 1)"


@pytest.fixture(scope="module")
def rare(tmp_path_factory):
    folder = D.write_extract(D.rare_covariate_frame(n_units=12_000, seed=3), tmp_path_factory.mktemp("rare"))
    return generic_events(open_store(f"folder:{folder}"), group_col="asset_type")


def test_rare_covariates_recover_planted_effects_and_separation_is_named(rare):
    res = C.fit_cox(rare, design="plain")
    hr = res.hazard_ratios.set_index("covariate")
    for col in ("recalled_batch", "coastal_site", "heavy_use"):
        b = D.RARE_BETA[col]
        assert hr.loc[col, "coef"] - 1.96 * hr.loc[col, "se"] <= b <= hr.loc[col, "coef"] + 1.96 * hr.loc[col, "se"]
    step = float(next(k for k in hr.index if k.startswith("load_per_")).split("_per_")[1])
    est = hr.loc[f"load_per_{step:g}", "coef"] / step * 10
    assert abs(est - D.RARE_BETA["load_per_10"]) < 0.02
    assert "sealed_unit" in res.dropped and "separation" in res.dropped["sealed_unit"]
    assert any("sealed_unit" in n for n in res.notes)
    assert hr.hr.max() < 10 and np.isfinite(hr.se).all()


def test_runaway_coefficient_is_dropped_not_reported(rare):
    # a covariate equal to "failed before day 20" separates the events beyond what the 0/1
    # screen sees (both levels have events); the fit must name it, never report e^20
    f = rare.frame.copy()
    noise = np.random.default_rng(0).uniform(0, 0.01, len(f))
    f["early"] = ((f.stop < 20) & (f.event == 1)).astype(float) + noise
    dropped: dict[str, str] = {}
    fit = C.fit(f, ["early", "recalled_batch"], dropped=dropped)
    assert "early" in dropped and "ran off" in dropped["early"]
    assert list(fit.params.index) == ["recalled_batch"]


def test_non_converged_fit_raises(rare):
    from luckin_lab.survival import fast

    f = fast.cox_ph(rare.frame, ["recalled_batch", "heavy_use"], max_steps=1)
    assert not f.converged
    with pytest.raises(C.CoxFitError, match="did not converge"):
        orig = fast.cox_ph
        try:
            fast.cox_ph = lambda *a, **k: orig(*a, **{**k, "max_steps": 1})
            C.fit(rare.frame, ["recalled_batch", "heavy_use"])
        finally:
            fast.cox_ph = orig


def test_robust_se_matches_lifelines_without_late_entry(rare):
    f = rare.frame.assign(entry=0.0).head(3000)
    ours = C.fit(f, ["recalled_batch", "heavy_use", "coastal_site"])
    theirs = C.lifelines_cox(f, ["recalled_batch", "heavy_use", "coastal_site"])
    # same partial likelihood up to ties (lifelines: Efron; continuous times, so none)
    assert np.allclose(ours.params.to_numpy(), theirs.params_.to_numpy(), atol=1e-4)
    assert np.allclose(ours.se.to_numpy(), theirs.standard_errors_.to_numpy(), rtol=1e-3)


@pytest.mark.parametrize(("change", "match"), [
    ("no events", "0 of 432 spells end in an event; at least 10"),
    ("one person", "1 of 1 spells end in an event"),
    ("small group", r"level\(s\) with fewer than 10 events: \{'1': 3\}"),
])
def test_data_that_identify_nothing_refuse_naming_what_is_missing(tmp_path, change, match):
    r = D.rossi_frame()
    frame = {"no events": r.assign(event=0), "one person": r.head(1),
             "small group": r.assign(site=np.where(r.unit_id.isin(r.unit_id[r.event == 1].head(3)),
                                                   "1", "0"))}[change]
    with pytest.raises(ValueError, match=match):
        generic_events(open_store(f"folder:{D.write_extract(frame, tmp_path)}"),
                       group_col="site" if change == "small group" else "")


@pytest.mark.slow
def test_rare_covariate_intervals_cover_the_planted_effects_in_repeated_fleets():
    """100 simulated fleets of 8,000 units (a 0/1 covariate on 0.4 % of them): each planted
    log hazard ratio inside its robust 95 % interval at about the nominal rate."""
    cols = ["recalled_batch", "coastal_site", "heavy_use", "load_per_10"]
    hits = dict.fromkeys(cols, 0)
    for seed in range(100):
        f = D.rare_covariate_frame(n_units=8000, seed=seed).rename(columns={"start": "entry"})
        f = f.assign(unit_id=f.unit_id.astype(str), load_per_10=(f.load - 40) / 10)
        fit = C.fit(f, cols)
        for c in cols:
            hits[c] += abs(fit.params[c] - D.RARE_BETA[c]) <= 1.959964 * fit.se[c]
    assert all(0.88 <= h / 100 <= 0.995 for h in hits.values()), hits  # binomial SE 2.2 points
