"""Customer report: churn, lifetime value and win-back against published figures, planted truth
and hand-computed values."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from report_helpers import execute_notebook_small

from luckin_lab.customers import churn, clv
from luckin_lab.customers.analysis import CustomerAnalysis, CustomerSettings
from luckin_lab.sources import open_store
from luckin_lab.synth.cdnow import cdnow_transactions
from luckin_lab.transforms import customers as tc

# Fader, Hardie and Lee (2005), CDNOW sample, 39-week calibration period, time in weeks
FHL_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
# Fader and Hardie (2013), "The Gamma-Gamma model of monetary value", same data
FH_GG = {"p": 6.25, "q": 3.74, "v": 15.44}


def _folder(tmp_path, frame: pd.DataFrame) -> str:
    d = tmp_path / "log"
    d.mkdir()
    frame.to_parquet(d / "generic_transactions.parquet")
    return f"folder:{d}"


def _summary(uri: str, as_of: dt.date, unit: float) -> pd.DataFrame:
    store = open_store(uri)
    return clv.rfm_summary(store.execute(tc.profile(tc.transactions(store), as_of)), unit)


def test_cdnow_reproduces_the_published_bgnbd_and_gamma_gamma_fits(tmp_path):
    """The real CDNOW log through the generic path gives the published parameters (within 1 SE)."""
    log = cdnow_transactions()
    log["customer_id"] = log["customer_id"].astype(int)  # ids as numbers: coerced to text
    summary = _summary(_folder(tmp_path, log), dt.date(1997, 9, 30), 7.0)
    assert len(summary) == 2357
    model = clv.CLVModel().fit(summary)
    fit = model.params.set_index("parameter")
    for name, published in {**FHL_BGNBD, **FH_GG}.items():
        assert abs(fit.loc[name, "coef"] - published) < fit.loc[name, "se"], name
    assert model.penalizers == {"BG/NBD": 0.0, "Gamma-Gamma": 0.0}


def simulate_bgnbd_log(n: int, r: float, alpha: float, a: float, b: float, days: int,
                       seed: int) -> pd.DataFrame:
    """Transactions from the BG/NBD story (rates per day), first purchases in the first 60 days;
    spend per purchase Gamma-Gamma with p=6, q=4, v=15."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    nu = rng.gamma(4.0, 1 / 15.0, n)
    start = pd.Timestamp("2024-01-01")
    rows = []
    for i in range(n):
        t, first = float(rng.integers(0, 60)), True
        while t < days:
            rows.append((f"C{i:05d}", start + pd.Timedelta(days=int(t)), rng.gamma(6.0, 1 / nu[i])))
            if not first and rng.random() < drop[i]:  # BG/NBD: no drop-out at the first purchase
                break
            first = False
            t += max(rng.exponential(1 / lam[i]), 1.0)  # one occasion per day at most
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "amount"])


@pytest.mark.parametrize("seed", [1, 2])
def test_bgnbd_recovers_planted_parameters_from_a_simulated_log(tmp_path, seed):
    truth = {"r": 0.5, "alpha": 10.0, "a": 0.8, "b": 2.5}
    log = simulate_bgnbd_log(6000, **truth, days=300, seed=seed)
    summary = _summary(_folder(tmp_path, log), dt.date(2024, 1, 1) + dt.timedelta(days=299), 1.0)
    fit = clv.CLVModel().fit(summary).params.set_index("parameter")
    for name, value in truth.items():
        # the one-occasion-per-day floor bends the process slightly: 3 SE, and 15 % at most
        assert abs(fit.loc[name, "coef"] - value) < max(3 * fit.loc[name, "se"], 0.15 * value), name


def test_churn_evaluation_is_hand_computed():
    y = np.array([1, 0, 1, 0, 1, 0, 0, 0, 1, 0])
    p = np.array([0.9, 0.2, 0.7, 0.4, 0.8, 0.1, 0.3, 0.75, 0.6, 0.05])
    rule = np.array([10, 50, 20, 30, 60, 5, 1, 2, 3, 4])
    e = churn.evaluate(p, y, rule, bins=5)
    # AUC: share of (churner, stayer) pairs ranked right: 4 churners x 6 stayers; only
    # (0.6 vs 0.75) and (0.7 vs 0.75) are wrong
    assert e.auc == pytest.approx(22 / 24)
    assert e.brier == pytest.approx(np.mean((p - y) ** 2))
    assert e.brier_skill == pytest.approx(1 - e.brier / (0.4 * 0.6))
    assert e.top_decile_lift == pytest.approx(1 / 0.4)  # the top score (0.9) churned
    assert e.calibration["customers"].sum() == 10
    assert e.lift["churners_found_model"].iloc[-1] == 1.0


@pytest.fixture(scope="module")
def fitted(small_store_uri):
    store = open_store(small_store_uri)
    settings = CustomerSettings(experiment_id="CMP-2025-12-WINBACK")
    return CustomerAnalysis(settings).fit(store), store


def test_profiles_use_no_future_and_labels_count_the_next_horizon(fitted):
    a, store = fitted
    train = a.profiles["train"]
    assert pd.to_datetime(train["last_day"]).max().date() <= a.train_day
    assert (train["recency_days"] >= 0).all()
    # the label of a few customers against the raw orders
    tx = store.execute(tc.transactions(store))
    tx["day"] = pd.to_datetime(tx["time"]).dt.date
    for cid in train["customer_id"].head(25):
        days = tx.loc[tx["customer_id"] == cid, "day"]
        bought = ((days > a.train_day) & (days <= a.test_day)).any()
        assert train.loc[train["customer_id"] == cid, "churned"].item() == int(not bought)


def test_churn_model_beats_the_recency_rule_out_of_time_and_is_calibrated(fitted):
    a, _ = fitted
    e = a.evaluation
    assert e.auc > e.auc_recency_rule + 0.02
    assert e.brier_skill > 0.1
    cal = e.calibration
    assert (cal["predicted"] - cal["observed"]).abs().max() < 0.08


def test_decide_changes_the_list_without_refitting(fitted):
    a, _ = fitted
    fits = a.fits
    small, large = a.decide(200.0), a.decide(5000.0)
    assert a.fits == fits == 1
    assert small.discount <= 200.0 + 1e-6 and large.discount <= 5000.0 + 1e-6
    assert large.value >= small.value - 1e-6
    assert len(small.customers) <= len(large.customers)
    assert set(large.customers["offer"]) <= set(a.campaign.arms)
    assert (large.customers["recency_days"] >= 30).all()


def test_at_risk_and_lapsed_follow_their_definitions(fitted):
    a, _ = fitted
    risk, lapsed = a.at_risk(), a.lapsed()
    assert (risk["recency_days"] < 60).all() and (risk["p_churn"] >= 0.5).all()
    assert (lapsed["recency_days"] >= 60).all()
    assert set(risk["customer_id"]).isdisjoint(lapsed["customer_id"])


def test_too_little_history_is_refused_with_the_dates(small_store_uri):
    store = open_store(small_store_uri)
    with pytest.raises(ValueError, match="needs at least 180 days of history"):
        CustomerAnalysis(CustomerSettings(as_of=dt.date(2025, 9, 1))).fit(store)


def test_demo_notebook_runs_and_page_one_matches_results(small_store_uri, tmp_path):
    results = execute_notebook_small("customers", tmp_path, small_store_uri,
                                     experiment_id="CMP-2025-12-WINBACK", monthly_budget=1000.0)
    m = json.loads((results / "metrics.json").read_text())
    scores = pd.read_csv(results / "customer_scores.csv")
    assert m["customers"] == len(scores)
    assert m["at_risk"] == int(((scores["recency_days"] < 60) & (scores["p_churn"] >= 0.5)).sum())
    assert m["winback_discount"] <= 1000.0 + 1e-6
    wl = pd.read_csv(results / "winback_list.csv")
    assert m["winback_customers"] == len(wl)
    # page one is priced by the randomized test: each listed customer is worth their group's
    # measured (shrunk) value per customer of the offer they get; the interval from its SEs
    eff = pd.read_csv(results / "campaign_effects.csv")
    priced = wl.merge(eff, on=["group", "offer"], how="left", validate="many_to_one")
    assert priced["value_effect"].notna().all()
    assert (priced["value_effect"] > 0).all()  # no offer where the test measured no gain
    # offered groups measured at a loss before shrinkage are all named in results and on page one
    loss = priced[priced["value_effect_raw"] <= 0].groupby(["group", "offer"]).size()
    assert len(m["winback_measured_loss"]) == len(loss)
    assert sum(c["customers"] for c in m["winback_measured_loss"]) == int(loss.sum())
    by_cell = priced.groupby(["group", "offer"]).agg(n=("customer_id", "size"),
                                                     v=("value_effect", "first"), se=("value_se", "first"))
    hand = float((by_cell["n"] * by_cell["v"]).sum())
    half = 1.645 * float(np.sqrt(((by_cell["n"] * by_cell["se"]) ** 2).sum()))
    assert m["winback_value"] == pytest.approx(hand, rel=1e-6)
    assert m["headline"]["value"] == pytest.approx(hand, rel=1e-6)
    assert (m["winback_value_low"], m["winback_value_high"]) == (
        pytest.approx(hand - half, rel=1e-4), pytest.approx(hand + half, rel=1e-4))
    # the model's own figure for the same list is kept beside it, as the model's
    assert wl["expected_value"].sum() == pytest.approx(m["winback_model_value"], rel=1e-6)
    executed = (tmp_path / "customers.ipynb").read_text()
    assert f"{m['at_risk']:,}" in executed
    page_one = executed.split("Evidence")[0]
    assert report_money(hand) in page_one and report_money(m["winback_model_value"]) in page_one
    assert f"A further {m['lapsed']:,} have already bought nothing" in page_one  # no raw template
    # 'clear' is the table's own rule (value - 1.645 SE > 0), said once, and no claim that every
    # offered group's gain was measured clear
    assert "90 % interval excludes zero" in executed and "95 % interval excludes zero" not in executed
    assert "measured a gain for" not in executed


def report_money(v: float) -> str:
    from luckin_lab.reporting import nb

    return nb.money(v, like=v)


def test_cdnow_notebook_speaks_in_spend_without_a_campaign(tmp_path):
    uri = _folder(tmp_path, cdnow_transactions())
    results = execute_notebook_small("customers", tmp_path / "run", uri,
                                     transactions_table="generic_transactions", time_unit_days=7.0,
                                     horizon_days=90)
    m = json.loads((results / "metrics.json").read_text())
    assert m["value_measure"] == "spend" and "winback_value" not in m
    params = pd.read_csv(results / "model_parameters.csv").set_index("parameter")
    # fitted on all 78 weeks here, not the published 39: same order of magnitude, not the same
    assert 0.1 < params.loc["r", "coef"] < 0.5
    executed = (tmp_path / "run" / "customers.ipynb").read_text().lower()
    for word in ("coupon", "coffee", "store"):
        assert word not in executed.split("executive summary")[1].split("## evidence")[0], word


@pytest.fixture(scope="module")
def scored(fitted, small_store_uri):
    from luckin_lab.customers import truth_eval

    a, _ = fitted
    return truth_eval.evaluate(a, truth_eval.load_truth(small_store_uri))


def test_churn_score_is_near_the_best_the_features_allow_below_the_planted_oracle(fitted, scored):
    a, _ = fitted
    ev = scored["churn"]
    auc = ev.set_index("score")["auc"]
    assert auc["report (out of time)"] == pytest.approx(a.evaluation.auc)  # same customers and score
    # the planted state (who is still active, their own rate) is worth far more than any feature
    assert auc["planted probability (oracle)"] > auc["best achievable, out of time"] + 0.05
    assert auc["report (out of time)"] >= auc["best achievable, out of time"] - 0.03
    assert auc["report (out of time)"] > auc["recency rule"] + 0.05
    assert ev.attrs["planted_churn_rate"] == pytest.approx(ev.attrs["churn_rate"], abs=0.03)


def test_holdout_purchases_are_scored_against_the_planted_expectation(fitted, scored):
    a, _ = fitted
    h = scored["holdout"].set_index("cohort")
    tot = h.loc["total"]
    assert tot["predicted"] == pytest.approx(a.holdout_total[0])
    assert tot["actual"] == a.holdout_total[1]
    assert tot["customers"] == len(a.profiles["test"])
    # what happened is within noise of the planted expectation, cohort by cohort
    assert (h["z_actual_vs_planted"].abs() < 4).all(), h.to_string()
    # BG/NBD over-predicts this process (+14 % at this scale, see benchmarks/RESULTS.md);
    # the guard keeps the departure from growing unnoticed
    assert -0.10 < tot["error_vs_planted"] < 0.25
    assert 0.05 < tot["dormant_share"] < 0.5
    fut = scored["future"].set_index("cohort")
    assert fut.loc["total", "predicted"] == pytest.approx(a.profiles["today"]["expected_purchases_12m"].sum())


def test_winback_lists_are_valued_with_the_planted_campaign_truth(scored):
    wb = scored["winback"]
    assert set(wb["list"]) == {"report", "best achievable from features", "oracle"}
    for _, part in wb.groupby("budget"):
        v = part.set_index("list")
        assert (v["expected_discount"] <= part["budget"].iloc[0] + 1e-6).all()
        # nothing beats the planted values under the same budget
        assert v.loc["oracle", "true_value"] >= 0.99 * v["true_value"].max()
    binding = wb[wb["budget"] == wb["budget"].min()].set_index("list")
    assert binding.loc["report", "share_of_best"] > 0.7


def test_the_brief_reads_the_customer_headline(fitted, tmp_path):
    from luckin_lab.customers import report
    from luckin_lab.reporting import nb
    from luckin_lab.reporting.headline import headline_of

    a, _ = fitted
    plan = a.decide(1000.0)
    results = nb.Results(tmp_path / "results")
    h = report.write_results(a, plan, results)
    block = headline_of("customers", json.loads((tmp_path / "results" / "metrics.json").read_text()))
    assert block is not None and block.value == pytest.approx(h["winback_value"])
    assert (block.low, block.high) == (pytest.approx(h["winback_value_low"]),
                                       pytest.approx(h["winback_value_high"]))
    assert block.decision == report.decision(h) and block.is_profit


def test_per_customer_effects_match_group_averages_when_the_budget_binds(fitted, small_store_uri):
    """With group averages every customer of a group looks the same, so a binding budget cannot
    choose among them; per-customer effects must not do worse (planted truth)."""
    from luckin_lab.customers import truth_eval, winback
    from luckin_lab.uplift import policy

    a, _ = fitted
    ev = truth_eval.winback_value(a, truth_eval.load_truth(small_store_uri)["campaign"], 5000.0)
    binding = ev[ev["budget"] == ev["budget"].min()].set_index("list")
    # the same customers and budget, valued with their group's measured effects instead
    exp, eff = a.campaign, a.group_effects
    frame = exp.frame[exp.frame["recency_days"] >= 30].reset_index(drop=True)
    groups = winback.group_of(frame).to_numpy()
    groups = np.where(np.isin(groups, list(set(eff["group"]))), groups,
                      winback.recency_band(frame["recency_days"]))
    by_arm = {k: eff[eff["arm"] == k].set_index("group").reindex(groups) for k in exp.arms}
    reac = np.column_stack([by_arm[k]["reactivation_effect"].to_numpy() for k in exp.arms])
    marg = np.column_stack([by_arm[k]["margin_effect"].to_numpy() for k in exp.arms])
    gain = by_arm[exp.arms[0]]["future_gain"].fillna(0).to_numpy()
    offers = winback.offer_matrix(frame.assign(customer_id=frame["unit_id"]), gain, eff, exp.arms,
                                  np.nan_to_num(reac), np.nan_to_num(marg))
    assign = policy.allocate(offers, float(binding["budget"].iloc[0])).assign
    camp = truth_eval.load_truth(small_store_uri)["campaign"].set_index("user_id").reindex(frame["unit_id"])
    c = exp.control
    v_true = np.column_stack([(camp[f"margin_{k}"] - camp[f"margin_{c}"]).to_numpy()
                              + (camp[f"p_{k}"] - camp[f"p_{c}"]).to_numpy() * gain for k in exp.arms])
    group_value = float(offers.pick(v_true, assign).sum())
    # since the list gives no offer where the test measured no gain for it (both lists here obey
    # that rule), the per-customer list no longer clearly beats group averages on the small
    # store: planted value 578 against 591 at the binding budget. Guard: not materially worse.
    assert binding.loc["report", "true_value"] > 0.95 * group_value


# Fader, Hardie and Lee (2005), same CDNOW calibration period: the Pareto/NBD fit and its
# log likelihood (weeks)
FHL_PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
FHL_PNBD_LL = -9594.98


def test_pareto_nbd_reproduces_the_published_cdnow_fit(tmp_path):
    from luckin_lab.customers import pareto_nbd

    summary = _summary(_folder(tmp_path, cdnow_transactions()), dt.date(1997, 9, 30), 7.0)
    model = clv.CLVModel(family="Pareto/NBD").fit(summary)
    fit = model.params.set_index("parameter")
    for name, published in FHL_PNBD.items():
        assert abs(fit.loc[name, "coef"] - published) < 0.01 * published, name
        assert fit.loc[name, "se"] < 0.6 * published, name
    ll = pareto_nbd.log_likelihood(model.purchases.params_, summary["frequency"], summary["recency"],
                                   summary["T"]).sum()
    assert ll == pytest.approx(FHL_PNBD_LL, abs=0.05)
    # predictions are lifetimes' formulas: a one-off buyer of week 0 seen for 39 weeks is more
    # likely gone than one who bought at week 38, and expects fewer purchases
    gone, recent = (pd.DataFrame({"frequency": [1.0], "recency": [tx], "T": [39.0]}) for tx in (1.0, 38.0))
    assert model.p_alive(gone)[0] < model.p_alive(recent)[0]
    assert model.expected_purchases(gone, 39)[0] < model.expected_purchases(recent, 39)[0]


def simulate_pareto_nbd(n: int, r: float, alpha: float, s: float, beta: float, seed: int) -> pd.DataFrame:
    """(frequency, recency, T) from the Pareto/NBD story: Poisson buying until an exponential
    lifetime ends, observed for T days after the first purchase."""
    rng = np.random.default_rng(seed)
    lam, mu = rng.gamma(r, 1 / alpha, n), rng.gamma(s, 1 / beta, n)
    T = rng.integers(30, 300, n).astype(float)
    tau = rng.exponential(1 / mu)
    end = np.minimum(tau, T)
    x = rng.poisson(lam * end)
    # the last of x uniform purchase times on (0, end): end x U^(1/x)
    tx = np.where(x > 0, end * rng.uniform(size=n) ** (1 / np.maximum(x, 1)), 0.0)
    return pd.DataFrame({"frequency": x.astype(float), "recency": tx, "T": T})


def test_pareto_nbd_recovers_planted_parameters_from_simulated_customers():
    """Simulated Pareto/NBD customers (rates per day): every parameter within 3 SE of the truth."""
    truth = {"r": 0.6, "alpha": 12.0, "s": 0.8, "beta": 60.0}
    summary = simulate_pareto_nbd(8000, **truth, seed=3)
    fit = clv.CLVModel(family="Pareto/NBD", spend=False).fit(summary).params.set_index("parameter")
    for name, value in truth.items():
        assert abs(fit.loc[name, "coef"] - value) < 3 * fit.loc[name, "se"], name


def test_holdout_error_is_hand_computed():
    h = clv.holdout_error(np.array(["2025-06", "2025-06", "2025-07"]), np.array([1.0, 2.0, 4.0]),
                          np.array([2, 0, 5]))
    assert h["predicted"].tolist() == [3.0, 4.0] and h["actual"].tolist() == [2, 5]
    assert h["error"].tolist() == pytest.approx([0.5, -0.2])
    assert h.attrs["abs_miss"] == pytest.approx(1.0 + 1.0)  # misses do not cancel across cohorts


def test_purchase_model_is_the_one_with_the_smaller_holdout_miss(fitted):
    a, _ = fitted
    c = a.model_choice.set_index("purchase_model")
    assert set(c.index) == {"BG/NBD", "Pareto/NBD"}
    assert a.purchase_family == c["cohort_miss"].idxmin() and c.loc[a.purchase_family, "chosen"]
    assert a.clv.family == a.purchase_family
    # the holdout table on the page is the chosen model's
    assert a.holdout["predicted"].sum() == pytest.approx(c.loc[a.purchase_family, "predicted"])
    assert a.holdout_total[0] == pytest.approx(c.loc[a.purchase_family, "predicted"])
    assert c["actual"].nunique() == 1 and c["actual"].iloc[0] == a.holdout["actual"].sum()


def test_part_months_are_marked():
    from luckin_lab.customers.report import month_label

    first, last = dt.date(2025, 6, 1), dt.date(2026, 2, 13)
    assert month_label("2025-06", first, last) == "2025-06"
    assert month_label("2026-01", first, last) == "2026-01"
    assert month_label("2026-02", first, last) == "2026-02 (to 13 Feb: part month)"
    assert month_label("2025-06", dt.date(2025, 6, 9), last) == "2025-06 (from 9 Jun: part month)"
    assert month_label("2026-02", dt.date(2026, 2, 2), last) == "2026-02 (2-13 Feb: part month)"
    assert month_label("2026-01", first, dt.date(2026, 1, 31)) == "2026-01"


def test_what_changed_reads_the_previous_published_run(tmp_path):
    from luckin_lab.customers.report import change_since_last_run
    from luckin_lab.reporting.runs import write_record

    run_dir = tmp_path / "customers" / "monthly"
    now = run_dir / "20261208T010000Z" / "results"
    now.mkdir(parents=True)
    h = {"as_of": "2026-02-13", "at_risk": 1200, "lapsed": 5000, "winback_customers": 300,
         "winback_value": 2500.0, "winback_budget": 1000.0, "purchase_model": "Pareto/NBD"}
    assert change_since_last_run(now, h).startswith("**What changed.** This is the first published run")
    old = run_dir / "20261201T010000Z"
    (old / "results").mkdir(parents=True)
    (old / "results" / "metrics.json").write_text(json.dumps(
        {"as_of": "2026-01-13", "at_risk": 1000, "lapsed": 5000, "winback_customers": 250,
         "winback_value": 2000.0, "winback_budget": 1000.0}))
    write_record(old, {"status": "succeeded", "published": True, "started": "2026-12-01T01:00:00+00:00"})
    failed = run_dir / "20261205T010000Z"  # a failed run in between is not "the previous run"
    (failed / "results").mkdir(parents=True)
    (failed / "results" / "metrics.json").write_text(json.dumps({"as_of": "2026-02-01"}))
    write_record(failed, {"status": "failed", "published": False, "started": "2026-12-05T01:00:00+00:00"})
    text = change_since_last_run(now, h)
    assert text.startswith("**What changed since the run of 1 Dec 2026.** Data up to 2026-02-13 (was 2026-01-13)")
    assert "customers at risk 1,200 (was 1,000)" in text and "already lapsed 5,000 (unchanged)" in text
    assert "customers on the win-back list 300 (was 250)" in text
    assert "$2.5K (was $2.0K)" in text or "$2,500 (was $2,000)" in text
    assert "purchase model Pareto/NBD (was BG/NBD" in text  # older runs used BG/NBD
    same = {**h, "as_of": "2026-01-13", "at_risk": 1000, "winback_customers": 250, "winback_value": 2000.0,
            "purchase_model": "BG/NBD"}
    assert change_since_last_run(now, same).endswith("Nothing: same data, and the at-risk and lapsed "
                                                     "counts and the win-back list and its value are unchanged.")


def test_offers_follow_the_shrunk_test_value_and_measured_losses_are_named():
    from luckin_lab.customers import winback

    eff = pd.DataFrame({"group": ["A", "B", "C"] * 2, "arm": ["off10"] * 3 + ["off20"] * 3,
                        "value_effect": [0.20, 0.10, -0.05, 0.30, 0.0, 0.10],
                        "value_effect_raw": [-0.10, 0.30, 0.20, 0.40, 0.20, 0.05]})
    allowed = winback.offer_allowed(np.array(["A", "B", "C", "D"]), ["off10", "off20"], eff)
    # B/off20 shrunk to exactly 0: no; C/off10 shrunk negative: no; D is no measured group
    assert allowed.tolist() == [[True, True], [True, False], [False, True], [False, False]]
    listing = pd.DataFrame({"group": ["A", "A", "B", "C"], "offer": ["off10", "off10", "off10", "off20"]})
    loss = winback.measured_loss(listing, eff)
    # A/off10 is offered (shrunk +0.20) though the test measured -0.10: named, with its customers
    assert loss.to_dict("records") == [{"group": "A", "offer": "off10", "customers": 2,
                                        "measured": -0.10, "shrunk": 0.20}]
