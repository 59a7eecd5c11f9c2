"""The customer analysis as one object: fit once (profiles, churn model, lifetime value,
campaign effects), then decide the win-back list for any budget without refitting.

Snapshots, with H the churn horizon and "today" the last day of data (or ``as_of``):

- train: profiles at today - 2H, labelled by purchases in the next H days;
- test (out of time): profiles at today - H, labelled by the H days up to today;
- score: profiles today, by a model refitted on the test snapshot (the newest labels).

Lifetime value is fitted on all history up to today; its check is a holdout: the same model
fitted up to today - H predicts the last H days, which happened. With ``purchase_model: auto``
both BG/NBD and Pareto/NBD take that holdout and the one with the smaller miss summed over
acquisition cohorts is fitted to today (``model_choice`` keeps both results).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import ibis
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from luckin_lab.customers import churn, clv, winback
from luckin_lab.sources import DataStore
from luckin_lab.transforms import customers as tc
from luckin_lab.transforms.uplift import campaign_features
from luckin_lab.units import DAYS_PER_MONTH
from luckin_lab.uplift import policy
from luckin_lab.uplift.data import ExperimentData, from_campaign

WINBACK_MIN_RECENCY = 30  # days since the last purchase from which a customer is in the win-back pool


class CustomerSettings(BaseModel):
    """What the analysis needs to know; the report's ``Params`` extends this, so defaults live here."""

    model_config = ConfigDict(extra="forbid")

    transactions_table: str = ""  # "" = the company's orders; else a generic_transactions table
    as_of: dt.date | None = None  # None = the last day of data
    horizon_days: int = 60  # churn: no purchase in the next 60 days (the catalog's definition)
    clv_months: int = 12
    time_unit_days: float = 1.0  # the buy-till-you-die models' time unit (7 = weeks)
    purchase_model: Literal["auto", "BG/NBD", "Pareto/NBD"] = "auto"  # auto: the better on the holdout
    experiment_id: str = ""  # the randomized win-back campaign ("" = none)
    at_risk_threshold: float = 0.5  # churn probability from which a customer counts as at risk
    seed: int = 0


def _in_memory(store: DataStore, expr: ibis.Table) -> ibis.Table:
    """The query's result as an in-memory table with the query's own types (all-null columns too)."""
    return ibis.memtable(store.execute(expr), schema=expr.schema())


@dataclass
class CustomerAnalysis:
    """Customer 360 slice, churn, lifetime value and win-back, estimator-style.

    >>> a = CustomerAnalysis(CustomerSettings()).fit(store)   # costly: models
    >>> plan = a.decide(monthly_budget=5000)                  # cheap: the list
    """

    settings: CustomerSettings = field(default_factory=CustomerSettings)
    fits: int = 0  # how many times the models were fitted (decide never refits)

    def fit(self, store: DataStore) -> CustomerAnalysis:
        s = self.settings
        # read once: every snapshot below is a query on these in-memory tables, not a fresh
        # join of the raw orders (a third of the run time at chain scale)
        tx = _in_memory(store, tc.transactions(store, s.transactions_table or None))
        lines = None if s.transactions_table else tc.product_lines(store)
        self._lines = None if lines is None else _in_memory(store, lines)
        first, last = tc.data_days(store, tx)
        self.today = s.as_of or last
        self.data_first = first
        h = dt.timedelta(days=s.horizon_days)
        self.test_day, self.train_day = self.today - h, self.today - 2 * h
        if self.train_day - first < h:
            raise ValueError(
                f"the data run from {first} to {last}: an out-of-time churn check with a "
                f"{s.horizon_days}-day horizon needs at least {3 * s.horizon_days} days of history "
                f"(train snapshot {self.train_day}, test {self.test_day}, today {self.today}); "
                "use a shorter horizon_days or more data")
        self.has_margin = bool(store.execute(tx.margin.notnull().any().name("m")))
        attrs = tc.customer_attributes(store) if not s.transactions_table else None
        snap = {name: self._profile(store, tx, day, attrs)
                for name, day in (("train", self.train_day), ("test", self.test_day),
                                  ("today", self.today))}
        for name, day in (("train", self.train_day), ("test", self.test_day)):
            snap[name] = self._label(store, tx, snap[name], day)
        self.profiles = snap
        self._fit_churn()
        self._fit_clv()
        self._fit_campaign(store)
        self.fits += 1
        return self

    # -- stages --------------------------------------------------------------------------

    def _profile(self, store: DataStore, tx, day: dt.date, attrs: pd.DataFrame | None) -> pd.DataFrame:
        p = store.execute(tc.profile(tx, day))
        if self._lines is not None:
            p = p.merge(store.execute(tc.product_diversity(self._lines, day)), on="customer_id", how="left")
        if attrs is not None:
            p = p.merge(attrs, on="customer_id", how="left")
            p["days_since_register"] = (pd.Timestamp(day) - pd.to_datetime(p["register_time"])).dt.days
            p = p.drop(columns="register_time")
        p["cohort"] = pd.to_datetime(p["first_day"]).dt.to_period("M").astype(str)
        return p.sort_values("customer_id", kind="stable").reset_index(drop=True)

    def _label(self, store: DataStore, tx, p: pd.DataFrame, day: dt.date) -> pd.DataFrame:
        nxt = store.execute(tc.next_occasions(tx, day, self.settings.horizon_days))
        p = p.merge(nxt, on="customer_id", how="left")
        p["next_occasions"] = p["next_occasions"].fillna(0).astype(int)
        p["churned"] = (p["next_occasions"] == 0).astype(int)
        return p

    def _active(self, p: pd.DataFrame) -> pd.Series:
        """Customers not yet churned on the snapshot: the ones a risk score is for."""
        return p["recency_days"] < self.settings.horizon_days

    def _fit_churn(self) -> None:
        s = self.settings
        train, test, today = (self.profiles[k] for k in ("train", "test", "today"))
        tr, te = train[self._active(train)], test[self._active(test)]
        oot = churn.ChurnModel(seed=s.seed).fit(churn.features(tr), tr["churned"])
        p_test = oot.predict_proba(churn.features(te))
        self.test_scores = pd.Series(p_test, index=te["customer_id"].to_numpy(), name="p_churn")
        self.evaluation = churn.evaluate(p_test, te["churned"].to_numpy(),
                                         churn.recency_rule_score(te))
        self.churn_model = churn.ChurnModel(seed=s.seed).fit(churn.features(te), te["churned"])
        # lapsed customers have churned by definition: their risk is 1, not a model's guess
        today["p_churn"] = 1.0
        active = self._active(today)
        today.loc[active, "p_churn"] = self.churn_model.predict_proba(churn.features(today[active]))

    def _margin_rate(self, p: pd.DataFrame) -> float:
        return float(p["margin"].sum() / p["spend"].sum()) if self.has_margin else 1.0

    def _fit_clv(self) -> None:
        s = self.settings
        t = s.clv_months * DAYS_PER_MONTH / s.time_unit_days
        today = self.profiles["today"]
        self.margin_rate = self._margin_rate(today)
        self._choose_purchase_model()
        summ = clv.rfm_summary(today, s.time_unit_days)
        self.clv = clv.CLVModel(margin_rate=self.margin_rate, family=self.purchase_family).fit(summ)
        today["expected_purchases_12m"] = self.clv.expected_purchases(summ, t)
        today["p_alive"] = self.clv.p_alive(summ)
        today["clv_12m"] = self.clv.value(summ, t)
        active = self.clv.if_active_today(summ)
        today["winback_gain"] = np.clip(self.clv.value(active, t) - today["clv_12m"], 0, None)
        self.purchases_12m = self.clv.total_interval(summ, t)

    def _choose_purchase_model(self) -> None:
        """Holdout: each candidate family fitted up to the test day predicts the H days that
        followed; the smaller miss summed over acquisition cohorts is kept."""
        s = self.settings
        test = self.profiles["test"]
        families = clv.FAMILIES if s.purchase_model == "auto" else (s.purchase_model,)
        hold_summ = clv.rfm_summary(test, s.time_unit_days)
        tried, rows, failed = {}, [], {}
        for fam in families:
            try:
                hold = clv.CLVModel(spend=False, family=fam).fit(hold_summ)
            except ValueError as err:  # a family that cannot be fitted is reported, not used
                failed[fam] = str(err)
                continue
            pred = hold.expected_purchases(hold_summ, s.horizon_days / s.time_unit_days)
            table = clv.holdout_error(test["cohort"].to_numpy(), pred, test["next_occasions"].to_numpy())
            tried[fam] = (pred, table, hold)
            rows.append({"purchase_model": fam, "predicted": float(pred.sum()),
                         "actual": float(test["next_occasions"].sum()),
                         "cohort_miss": table.attrs["abs_miss"]})
        if not tried:
            raise ValueError("no purchase model could be fitted: " + "; ".join(f"{k}: {v}" for k, v in failed.items()))
        choice = pd.DataFrame(rows)
        choice["error"] = choice["predicted"] / choice["actual"] - 1
        best = str(choice.loc[choice["cohort_miss"].idxmin(), "purchase_model"])
        choice["chosen"] = choice["purchase_model"] == best
        choice.attrs["failed"] = failed
        self.model_choice = choice
        self.purchase_family = best
        pred, self.holdout, hold = tried[best]
        test["predicted_next"] = pred
        self.holdout_total = (float(pred.sum()), float(test["next_occasions"].sum()))
        self.holdout_params = hold.params

    def _fit_campaign(self, store: DataStore) -> None:
        self.campaign: ExperimentData | None = None
        self.group_effects = pd.DataFrame()
        if not self.settings.experiment_id:
            return
        self.campaign = from_campaign(store, self.settings.experiment_id)
        today = self.profiles["today"]
        groups = winback.group_of(today)
        gain = today.groupby(groups)["winback_gain"].mean()
        band_gain = today.groupby(winback.recency_band(today["recency_days"]))["winback_gain"].mean()
        self.group_effects = winback.group_effects(self.campaign, pd.concat([gain, band_gain]))
        self.user_effects = winback.fit_user_effects(self.campaign, seed=self.settings.seed)
        # the win-back pool today, described as the campaign described its customers at issue
        pool = today[today["recency_days"] >= WINBACK_MIN_RECENCY].reset_index(drop=True)
        feats = store.execute(campaign_features(store, pool["customer_id"], self.today))
        feats = feats.set_index("unit_id").reindex(pool["customer_id"].to_numpy())
        self.pool_reactivation, self.pool_margin = self.user_effects.predict(
            self.campaign.features(feats.reset_index(drop=True)))
        self.pool = pool

    # -- decisions (no refit) ------------------------------------------------------------

    def at_risk(self) -> pd.DataFrame:
        """Customers who bought in the last horizon and are likely not to buy in the next one."""
        t = self.profiles["today"]
        return t[self._active(t) & (t["p_churn"] >= self.settings.at_risk_threshold)]

    def lapsed(self) -> pd.DataFrame:
        """Customers already past the churn definition (no purchase in the last horizon)."""
        t = self.profiles["today"]
        return t[~self._active(t)]

    def decide(self, monthly_budget: float) -> WinBackPlan:
        """The budget-optimal win-back list among lapsed and at-risk customers (no refit)."""
        if self.campaign is None or self.group_effects.empty:
            raise ValueError("no randomized win-back campaign in the data (experiment_id is empty): "
                             "the report can rank customers by risk and value but cannot say which "
                             "offer wins them back")
        pool = self.pool
        offers = winback.offer_matrix(pool, pool["winback_gain"].to_numpy(), self.group_effects,
                                      self.campaign.arms, self.pool_reactivation, self.pool_margin)
        alloc = policy.allocate(offers, monthly_budget)
        groups = winback.group_of(pool).to_numpy()
        known = set(self.group_effects["group"])
        groups = np.where(np.isin(groups, list(known)), groups, winback.recency_band(pool["recency_days"]))
        lo, hi = winback.plan_interval(alloc.assign, groups, self.campaign.arms, self.group_effects)
        chosen = alloc.assign >= 0
        arm_names = np.array(self.campaign.arms, dtype=object)
        listing = pool.loc[chosen, ["customer_id", "recency_days", "p_churn", "clv_12m",
                                    "winback_gain"]].copy()
        listing["offer"] = arm_names[alloc.assign[chosen]]
        listing["expected_value"] = offers.pick(offers.value, alloc.assign)[chosen]
        listing["expected_discount"] = offers.pick(offers.cost, alloc.assign)[chosen]
        listing["expected_reactivation"] = offers.pick(offers.uplift, alloc.assign)[chosen]
        listing["group"] = groups[chosen]
        listing["measured_value"] = offers.pick(
            winback.measured_values(groups, self.campaign.arms, self.group_effects), alloc.assign)[chosen]
        measured = float(listing["measured_value"].sum())
        return WinBackPlan(monthly_budget, listing.sort_values("expected_value", ascending=False),
                           measured, measured + lo, measured + hi, float(alloc.cost), len(pool),
                           float(alloc.value))

    def summary(self) -> pd.DataFrame:
        """The headline figures as a frame (one row per figure)."""
        e = self.evaluation
        risk, lapsed = self.at_risk(), self.lapsed()
        rows = [
            ("customers with a purchase", len(self.profiles["today"])),
            ("at risk (bought recently, likely not to buy again within the horizon)", len(risk)),
            ("12-month value of the at-risk customers", float(risk["clv_12m"].sum())),
            ("lapsed (no purchase within the horizon)", len(lapsed)),
            ("churn model AUC, out of time", e.auc),
            ("recency rule AUC, out of time", e.auc_recency_rule),
            ("churn model Brier skill over a constant rate", e.brier_skill),
            ("expected purchases in the next 12 months", self.purchases_12m[0]),
        ]
        return pd.DataFrame(rows, columns=["figure", "value"])

    def __repr__(self) -> str:
        if not self.fits:
            return f"CustomerAnalysis({self.settings!r}, not fitted)"
        e = self.evaluation
        return (f"CustomerAnalysis(today={self.today}, customers={len(self.profiles['today']):,}, "
                f"AUC={e.auc:.3f} vs recency rule {e.auc_recency_rule:.3f}, "
                f"12-month purchases={self.purchases_12m[0]:,.0f})")


@dataclass(frozen=True)
class WinBackPlan:
    """The win-back list for one monthly budget. ``value`` (and its 90 % interval) prices the list
    with the randomized test's measured value per customer of each group x offer; ``model_value``
    is the per-customer model's figure for the same list, which chose it but is not the evidence."""

    monthly_budget: float
    customers: pd.DataFrame
    value: float
    value_low: float
    value_high: float
    discount: float
    pool: int
    model_value: float = float("nan")

    def __repr__(self) -> str:
        return (f"WinBackPlan(budget={self.monthly_budget:,.0f}, customers={len(self.customers):,} "
                f"of {self.pool:,}, value={self.value:,.0f} [{self.value_low:,.0f}, "
                f"{self.value_high:,.0f}], model={self.model_value:,.0f}, discount={self.discount:,.0f})")
