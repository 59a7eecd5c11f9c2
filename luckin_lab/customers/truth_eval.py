"""Scoring the customer report against the demo store's planted truth: the ONLY customer code
that reads it.

The synthesizer writes, beside ``store.duckdb``:

- ``truth/customer_users.parquet``: per user and snapshot day, the planted probability of no
  completed order in the horizon (``p_no_order``) and the expected occasions (days with a
  completed order, the report's unit) in it, from the simulation's own daily rates. Rows
  flagged ``assumed_future`` (snapshot = the last data day) carry the rates forward;
- ``truth/uplift_users.parquet``: per campaign user, purchase probability and margin under
  every arm of the randomized win-back campaign.

Real data has no such files; then :func:`load_truth` returns None.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from lightgbm import LGBMRegressor
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold

from luckin_lab.customers import churn, winback
from luckin_lab.customers.analysis import WINBACK_MIN_RECENCY, CustomerAnalysis
from luckin_lab.uplift import policy


def _truth_dir(source_uri: str) -> Path | None:
    kind, _, location = source_uri.partition(":")
    if kind == "duckdb":
        return Path(location).parent / "truth"
    if kind == "folder":
        return Path(location) / "truth"
    return None


def load_truth(source_uri: str) -> dict[str, pd.DataFrame] | None:
    """The planted customer and campaign truth of a demo store, or None (real data)."""
    d = _truth_dir(source_uri)
    if d is None or not (d / "customer_users.parquet").exists():
        return None
    out = {"customers": pd.read_parquet(d / "customer_users.parquet")}
    if (d / "uplift_users.parquet").exists():
        out["campaign"] = pd.read_parquet(d / "uplift_users.parquet")
    return out


def _at(truth: pd.DataFrame, snapshot: dt.date, horizon: int, customers: pd.Series) -> pd.DataFrame:
    """Truth rows of one snapshot and horizon, aligned to the report's customers."""
    t = truth[(pd.to_datetime(truth["snapshot"]).dt.date == snapshot) & (truth["horizon_days"] == horizon)]
    if t.empty:
        have = sorted({(str(s), int(h)) for s, h in zip(truth["snapshot"], truth["horizon_days"], strict=True)})
        raise ValueError(f"planted customer truth has no snapshot {snapshot} with a {horizon}-day "
                         f"horizon; it has {have}")
    t = t.set_index("user_id").reindex(customers.to_numpy())
    missing = t["p_no_order"].isna()
    if missing.any():
        raise ValueError(f"planted customer truth lacks {int(missing.sum())} of the report's customers "
                         f"on {snapshot}, e.g. {t.index[missing][:3].tolist()}")
    return t


def _boosted(seed: int) -> LGBMRegressor:
    return LGBMRegressor(n_estimators=300, learning_rate=0.05, num_leaves=31, min_child_samples=50,
                         verbose=-1, n_jobs=1, random_state=seed, deterministic=True,
                         force_row_wise=True)


def churn_scores(a: CustomerAnalysis, truth: pd.DataFrame) -> pd.DataFrame:
    """Out-of-time churn AUC of the report's score, of the planted probability (oracle) and of
    the best any model of the report's features reaches.

    Best achievable: boosted trees fitted to the PLANTED probability (noise-free labels) on the
    report's features, (i) on the training snapshot, as the report learns (out of time), and
    (ii) cross-fitted on the test snapshot itself (no drift between snapshots: an upper bound).
    """
    h = a.settings.horizon_days
    train, test = a.profiles["train"], a.profiles["test"]
    tr, te = train[a._active(train)], test[a._active(test)]
    y = te["churned"].to_numpy()
    p_tr = _at(truth, a.train_day, h, tr["customer_id"])["p_no_order"].to_numpy()
    p_te = _at(truth, a.test_day, h, te["customer_id"])["p_no_order"].to_numpy()
    X_tr, X_te = churn.features(tr), churn.features(te)
    cols = [c for c in X_tr.columns if c in X_te.columns]
    best_oot = _boosted(a.settings.seed).fit(X_tr[cols], p_tr).predict(X_te[cols])
    best_in = np.zeros(len(te))
    for fit_idx, pred_idx in KFold(5, shuffle=True, random_state=a.settings.seed).split(X_te):
        m = _boosted(a.settings.seed).fit(X_te[cols].iloc[fit_idx], p_te[fit_idx])
        best_in[pred_idx] = m.predict(X_te[cols].iloc[pred_idx])
    report = a.test_scores.reindex(te["customer_id"].to_numpy()).to_numpy()
    scores = {"report (out of time)": report, "recency rule": churn.recency_rule_score(te),
              "best achievable, out of time": best_oot, "best achievable, in time (bound)": best_in,
              "planted probability (oracle)": p_te}
    rows = [{"score": k, "auc": float(roc_auc_score(y, v)),
             "corr_planted": float(np.corrcoef(v, p_te)[0, 1])} for k, v in scores.items()]
    out = pd.DataFrame(rows)
    out.attrs.update(customers=len(te), churn_rate=float(y.mean()), planted_churn_rate=float(p_te.mean()))
    return out


def holdout_purchases(a: CustomerAnalysis, truth: pd.DataFrame) -> pd.DataFrame:
    """The report's holdout prediction (fitted up to today - H, predicting the H days after)
    against the planted expectation, by acquisition cohort (first-purchase month) and in total.

    ``dormant_share``: the part of the planted expectation bought by users past their active
    lifetime, at the dormant rate. BG/NBD has no such state (a customer is alive at a
    constant rate or gone for good), which is where it departs from the synthetic process.
    """
    test = a.profiles["test"]
    t = _at(truth, a.test_day, a.settings.horizon_days, test["customer_id"])
    f = pd.DataFrame({"cohort": test["cohort"].to_numpy(), "predicted": test["predicted_next"].to_numpy(),
                      "planted": t["expected_occasions"].to_numpy(),
                      "planted_dormant": t["expected_occasions_dormant"].to_numpy(),
                      "actual": test["next_occasions"].to_numpy(),
                      "var": t["var_occasions"].to_numpy()})
    return _by_cohort(f)


def _by_cohort(f: pd.DataFrame) -> pd.DataFrame:
    g = f.groupby("cohort").agg(customers=("planted", "size"), predicted=("predicted", "sum"),
                                planted=("planted", "sum"), planted_dormant=("planted_dormant", "sum"),
                                actual=("actual", "sum"), var=("var", "sum"))
    tot = g.sum().to_frame("total").T
    g = pd.concat([g, tot])
    g["error_vs_planted"] = g["predicted"] / g["planted"] - 1
    g["dormant_share"] = g["planted_dormant"] / g["planted"]
    g["z_actual_vs_planted"] = (g["actual"] - g["planted"]) / np.sqrt(g["var"])
    return g.drop(columns="var").rename_axis("cohort").reset_index()


def future_purchases(a: CustomerAnalysis, truth: pd.DataFrame) -> pd.DataFrame:
    """12-month expected purchases (today onward) against the planted expectation with the
    rates carried forward (an assumption of the truth file: prices, store network and demand
    shocks as in its last weeks, no new campaign; lifetimes are planted, so who goes dormant
    when is exact). The model's horizon is clv_months x 30.4375 days, the truth's 365 days."""
    today = a.profiles["today"]
    fut = truth[truth["assumed_future"] & (truth["horizon_days"] > a.settings.horizon_days)]
    horizon = int(fut["horizon_days"].max()) if len(fut) else 365
    t = _at(truth, a.today, horizon, today["customer_id"])
    f = pd.DataFrame({"cohort": today["cohort"].to_numpy(),
                      "predicted": today["expected_purchases_12m"].to_numpy(),
                      "planted": t["expected_occasions"].to_numpy(),
                      "planted_dormant": t["expected_occasions_dormant"].to_numpy(),
                      "actual": np.nan, "var": t["var_occasions"].to_numpy()})
    return _by_cohort(f).drop(columns=["actual", "z_actual_vs_planted"])


def future_by_state(a: CustomerAnalysis, truth: pd.DataFrame) -> pd.DataFrame:
    """12-month predicted against planted purchases by the customer's planted state today
    (still active, or already dormant: past their active lifetime, buying only at the dormant
    rate) and by whether they have bought more than once: where the model family departs.

    Neither BG/NBD nor Pareto/NBD has a dormant state: a customer is buying at their own rate
    or gone for good, so a dormant customer's occasional purchase reads as still active."""
    today = a.profiles["today"]
    fut = truth[truth["assumed_future"] & (truth["horizon_days"] > a.settings.horizon_days)]
    t = _at(truth, a.today, int(fut["horizon_days"].max()) if len(fut) else 365, today["customer_id"])
    f = pd.DataFrame({
        "planted_state": np.where(t["active_at_snapshot"].to_numpy(bool), "active today", "dormant today"),
        "history": np.where(today["frequency"].to_numpy() > 0, "bought again", "bought once"),
        "predicted": today["expected_purchases_12m"].to_numpy(),
        "planted": t["expected_occasions"].to_numpy(), "p_alive": today["p_alive"].to_numpy()})
    parts = [f.groupby(["planted_state", "history"], as_index=False),
             f.assign(history="all").groupby(["planted_state", "history"], as_index=False)]
    g = pd.concat([p.agg(customers=("planted", "size"), predicted=("predicted", "sum"),
                         planted=("planted", "sum"), mean_p_alive=("p_alive", "mean")) for p in parts])
    total = pd.DataFrame([{"planted_state": "total", "history": "all", "customers": len(f),
                           "predicted": f["predicted"].sum(), "planted": f["planted"].sum(),
                           "mean_p_alive": f["p_alive"].mean()}])
    g = pd.concat([g, total], ignore_index=True)
    g["error_vs_planted"] = g["predicted"] / g["planted"] - 1
    g["share_of_excess"] = (g["predicted"] - g["planted"]) / float(f["predicted"].sum() - f["planted"].sum())
    return g


def winback_value(a: CustomerAnalysis, campaign: pd.DataFrame, budget: float,
                  binding_share: float = 0.25) -> pd.DataFrame:
    """True value of the report's win-back list against the best list the features allow.

    On the randomized campaign's customers (the only ones with planted outcomes under every
    offer), within the report's pool (30+ days since the last order): the true value of offer k
    is the planted margin effect in the window plus the planted reactivation effect times the
    group's future gain (the report's value of a reactivation; the same for every list, so the
    lists differ only in whom they pick and what they offer). Lists under one budget (the
    report's expected-discount costs): the report's (its per-customer effects, from the report's
    own estimator 2-fold cross-fitted: each half is scored by a fit on the other half, so the
    list is judged out of sample); the best the features allow (boosted trees fitted to the
    planted values on the campaign's features, 2-fold cross-fitted); the oracle (the planted
    values themselves). The group discount costs are measured on these customers. Two budgets: the
    report's, and ``binding_share`` of what the report's unconstrained list would spend (so
    the budget binds and the lists must choose).
    """
    exp = a.campaign
    if exp is None or a.group_effects.empty:
        raise ValueError("no randomized win-back campaign in the analysis: nothing to score")
    camp = campaign[campaign["campaign_id"] == exp.name] if "campaign_id" in campaign else campaign
    frame = exp.frame.reset_index(drop=True)
    keep = (frame["recency_days"] >= WINBACK_MIN_RECENCY).to_numpy()
    frame = frame[keep].reset_index(drop=True)
    t = camp.set_index("user_id").reindex(frame["unit_id"].to_numpy())
    if t["p_" + exp.control].isna().any():
        raise ValueError("planted campaign truth lacks units of the experiment")
    eff = a.group_effects
    groups = winback.group_of(frame).to_numpy()
    groups = np.where(np.isin(groups, list(set(eff["group"]))), groups,
                      winback.recency_band(frame["recency_days"]))
    gain = eff.drop_duplicates("group").set_index("group")["future_gain"].reindex(groups).fillna(0).to_numpy()
    c = exp.control
    v_true = np.column_stack([(t[f"margin_{k}"] - t[f"margin_{c}"]).to_numpy()
                              + (t[f"p_{k}"] - t[f"p_{c}"]).to_numpy() * gain for k in exp.arms])
    X_all = exp.features()
    reac, marg = (np.zeros((len(X_all), len(exp.arms))) for _ in range(2))
    for fit_idx, pred_idx in KFold(2, shuffle=True, random_state=a.settings.seed).split(X_all):
        fitted = winback.fit_user_effects(exp, rows=fit_idx, seed=a.settings.seed)
        reac[pred_idx], marg[pred_idx] = fitted.predict(X_all[pred_idx])
    offers = winback.offer_matrix(frame.assign(customer_id=frame["unit_id"]), gain, eff, exp.arms,
                                  reac[keep], marg[keep])
    X = X_all[keep]
    best = np.zeros_like(v_true)
    for fit_idx, pred_idx in KFold(2, shuffle=True, random_state=a.settings.seed).split(X):
        for k in range(len(exp.arms)):
            m = _boosted(a.settings.seed).fit(X[fit_idx], v_true[fit_idx, k])
            best[pred_idx, k] = m.predict(X[pred_idx])
    lists = {"report": offers.value, "best achievable from features": best, "oracle": v_true}
    free_cost = float(offers.pick(offers.cost, policy.greedy(offers)).sum())
    rows = []
    for b in (budget, binding_share * free_cost):
        for name, v in lists.items():
            om = policy.OfferMatrix(offers.unit_id, exp.arms, v, offers.cost)
            assign = policy.allocate(om, b).assign
            rows.append({"budget": b, "list": name, "customers": int((assign >= 0).sum()),
                         "true_value": float(offers.pick(v_true, assign).sum()),
                         "expected_discount": float(offers.pick(offers.cost, assign).sum())})
    out = pd.DataFrame(rows)
    best_value = out[out["list"] == "best achievable from features"].set_index("budget")["true_value"]
    out["share_of_best"] = out["true_value"] / out["budget"].map(best_value)
    out.attrs.update(pool=len(frame), unconstrained_discount=free_cost)
    return out


def evaluate(a: CustomerAnalysis, truth: dict[str, pd.DataFrame], budget: float = 5000.0) -> dict:
    """Every truth check of the customer report (churn, purchases, win-back)."""
    c = truth["customers"]
    out = {"churn": churn_scores(a, c), "holdout": holdout_purchases(a, c),
           "future": future_purchases(a, c), "future_by_state": future_by_state(a, c)}
    if a.campaign is not None and "campaign" in truth:
        out["winback"] = winback_value(a, truth["campaign"], budget)
    return out
