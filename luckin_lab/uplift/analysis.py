"""The coupon-uplift analysis as one object: fit the models once, then decide for any budget.

Units are split at random into train (fit), validation (choose the model by held-out
policy value) and test (report Qini, AUUC and policy values with intervals): the number
that reaches the executive is never the one the model was chosen on.

>>> a = UpliftAnalysis(UpliftSettings()).fit(experiment)   # costly: six learners
>>> plan = a.decide(monthly_budget=5000)                     # cheap: offers, no refit
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import BaseModel, ConfigDict, Field

from luckin_lab.estimator import decision_settings
from luckin_lab.units import DAYS_PER_MONTH
from luckin_lab.uplift import effects, evaluation, learners, plots, policy
from luckin_lab.uplift.data import ExperimentData
from luckin_lab.uplift.decision import Z95, Decision, TargetingCheck, recommend
from luckin_lab.uplift.policy import GREEDY, NONE, TARGETED, blanket_name

SLOW_LEARNERS = {"X", "DR"}
# the settings decide() may change: they choose offers, never what a model learns
DECISION_KNOBS = ("monthly_budget", "current_arm")


class UpliftSettings(BaseModel):
    """What the analysis needs to know; the report's ``Params`` extends this, so defaults live here."""

    model_config = ConfigDict(extra="forbid")

    learners: list[str] = Field(default_factory=lambda: ["SP", "S", "T", "X", "DR", "URF"])
    current_arm: str = Field("", description="today's policy: an arm everyone gets, or the "
                             "control arm ('' = the deepest arm for a campaign, control otherwise)")
    monthly_budget: float | None = Field(
        None, ge=0, description="monthly discount budget, USD (None = half of today's spend)")
    arm_costs: dict[str, float] = Field(default_factory=dict,
                                        description="extra fixed cost per treated unit, by arm")
    seed: int = 7
    n_jobs: int = Field(2, ge=1)
    split: tuple[float, float, float] = (0.5, 0.25, 0.25)  # train, validation, test shares
    urf_max_rows: int = 40_000
    # X and DR fit several nested models each: they are compared on a training subsample
    # so the whole report stays within minutes (they are comparisons, rarely the winner)
    slow_max_rows: int = 25_000
    frontier_points: int = 9


def split_units(n: int, shares: tuple[float, float, float], seed: int,
                clusters: np.ndarray | None = None) -> np.ndarray:
    """Random train/valid/test labels; whole clusters stay together when given."""
    rng = np.random.default_rng(seed)
    labels = np.array(["train", "valid", "test"])
    cuts = np.cumsum(shares) / np.sum(shares)
    if clusters is None:
        return labels[np.searchsorted(cuts, rng.random(n), side="right").clip(0, 2)]
    codes, uniq = pd.factorize(clusters)
    per_cluster = labels[np.searchsorted(cuts, rng.random(len(uniq)), side="right").clip(0, 2)]
    return per_cluster[codes]


def value_per_response(data: ExperimentData, X: np.ndarray, train: np.ndarray,
                       s: UpliftSettings) -> np.ndarray:
    """Expected value of one extra response (e.g. one order's margin), from control responders.

    The decision value of offer a is then uplift_a(x) x this - expected cost_a(x): a coupon
    adds (or brings forward) one order with its usual margin, and every redeemer costs the
    discount. Per order, not per buyer: a heavy buyer's many orders are not incremental.
    Modelling the two
    parts separately is far less noisy than regressing the heavy-tailed margin uplift
    directly; the held-out policy values use the observed margin, so the approximation can
    only cost accuracy, never bias the reported numbers.
    """
    if data.value == data.response:
        return np.ones(len(X))
    f = data.frame
    m = train & (f["arm"] == data.control).to_numpy() & (f[data.response] > 0).to_numpy()
    if m.sum() < 50:
        raise ValueError(f"{data.name}: only {int(m.sum())} responding control units in training; "
                         "too few to value a response")
    count = data.count or data.response
    ratio = f[data.value].to_numpy(float)[m] / np.maximum(f[count].to_numpy(float)[m], 1e-12)
    model = learners.base_learner(s.n_jobs, s.seed, rows=int(m.sum())).fit(X[m], ratio)
    return model.predict(X)


def choose_model(choice: pd.DataFrame, assign: dict[str, np.ndarray], arm_idx: np.ndarray,
                 y: np.ndarray, prop: np.ndarray, clusters: np.ndarray | None) -> str:
    """The first learner (in the order asked for) within one paired SE of the best policy value.

    Validation policy values of good models differ by less than their noise; taking the
    raw maximum picks a noisy winner. The one-standard-error rule keeps the preferred
    (listed first: pooled, regularised) model unless another is clearly better.
    """
    best = str(choice.loc[choice["valid_value"].idxmax(), "learner"])
    for name in choice["learner"]:
        d = evaluation.policy_gain(assign[name], assign[best], arm_idx, y, prop, clusters)
        if d.value >= -d.se:
            return str(name)
    return best


class UpliftAnalysis:
    """Coupon uplift, estimator-style: which unit should get which arm, and what it is worth.

    ``fit`` measures the arm effects and fits the uplift learners (the costly step);
    ``decide`` turns the chosen model's offers into a plan for one monthly budget and one
    policy of today, without refitting. ``fits`` counts the fits (decide never adds one).
    """

    def __init__(self, settings: UpliftSettings | None = None) -> None:
        self.settings = settings or UpliftSettings()
        self.fits = 0

    # -- fit: the costly modelling, once ------------------------------------------------------

    def fit(self, data: ExperimentData) -> UpliftAnalysis:
        """Measure the arms, fit every learner, choose one on held-out units, price its offers."""
        unknown = set(self.settings.learners) - set(learners.LEARNERS)
        if unknown:
            raise ValueError(f"unknown learner(s) {sorted(unknown)}; "
                             f"choose from {sorted(learners.LEARNERS)}")
        self.data = data
        self.timings: dict[str, float] = {}
        t0 = time.perf_counter()
        self._split_units()
        self._measure_arm_effects()
        self._fit_outcome_models()
        self._fit_uplift_learners()
        self._score_learners()
        self._price_offers()
        self._uplift_by_decile()
        self.timings["fit_s"] = time.perf_counter() - t0
        self.fits += 1
        return self

    def _split_units(self) -> None:
        """Train / validation / test labels, and the arrays every later stage reads."""
        d, s = self.data, self.settings
        self._X = d.features()
        self._arm = d.frame["arm"].to_numpy()
        self._arm_idx = d.arm_index()
        self._prop = d.propensity()
        self._clusters = d.clusters()
        self.part = split_units(len(d.frame), s.split, s.seed, self._clusters)
        self._y = {"response": d.frame[d.response].to_numpy(float),
                   "value": d.frame[d.value].to_numpy(float)}
        self._binary = set(np.unique(self._y["response"])) <= {0.0, 1.0}

    def _measure_arm_effects(self) -> None:
        """Average effect of each arm on every outcome (all units), and the covariate balance."""
        t0, d = time.perf_counter(), self.data
        outcome_cols = [d.response, d.value] + ([d.cost] if d.cost else [])
        self.arm_effects = pd.concat(
            [effects.arm_effects(d.frame, c, d.control, d.arms, cluster_col=d.cluster)
             for c in dict.fromkeys(outcome_cols)], ignore_index=True)
        self.balance = effects.balance(d.frame, d.covariates, d.control, d.arms,
                                       cluster_col=d.cluster)
        self.timings["effects_s"] = time.perf_counter() - t0

    def _fit_outcome_models(self) -> None:
        """Models shared by every learner: baseline purchase, value per response, offer cost."""
        t0, d, s = time.perf_counter(), self.data, self.settings
        X, arm, tr = self._X, self._arm, self.mask("train")
        self._p_control = None
        if self._binary:
            base = learners.fit_arm_outcomes(X[tr], arm[tr], self._y["response"][tr], d.control,
                                             d.arms, s.n_jobs, s.seed)
            self._p_control = np.clip(base.predict(X)[0], 0, 1)
        self._per_response = value_per_response(d, X, tr, s)
        arm_cost = np.array([s.arm_costs.get(a, 0.0) for a in d.arms])
        if d.cost:
            cost_model = learners.fit_arm_outcomes(
                X[tr], arm[tr], d.frame[d.cost].to_numpy(float)[tr], d.control, d.arms,
                s.n_jobs, s.seed)
            self._cost = np.clip(cost_model.predict(X)[1], 0, None) + arm_cost
        else:
            self._cost = np.tile(arm_cost, (len(d.frame), 1))
        self.timings["outcome_models_s"] = time.perf_counter() - t0

    def _fit_uplift_learners(self) -> None:
        """Every candidate uplift model on the training units (slow ones on a subsample)."""
        d, s = self.data, self.settings
        prop_map = dict(zip(d.all_arms, self._prop, strict=True))
        self.predictions: dict[str, np.ndarray] = {}
        for name in s.learners:
            if name in learners.BINARY_ONLY and not self._binary:
                continue
            t0 = time.perf_counter()
            rows = np.flatnonzero(self.mask("train"))
            if name in SLOW_LEARNERS and len(rows) > s.slow_max_rows:
                rows = np.sort(np.random.default_rng(s.seed).choice(rows, s.slow_max_rows,
                                                                    replace=False))
            model = learners.fit_uplift(name, self._X[rows], self._arm[rows],
                                        self._y["response"][rows], d.control, d.arms, prop_map,
                                        n_jobs=s.n_jobs, seed=s.seed,
                                        urf_max_rows=s.urf_max_rows, depths=d.depths)
            self.predictions[name] = model.predict(self._X)
            self.timings[f"fit_{name}_s"] = time.perf_counter() - t0

    def _score_learners(self) -> None:
        """Qini and AUUC on test units; policy value on validation (to choose) and test units."""
        d = self.data
        te, va = self.mask("test"), self.mask("valid")
        arm_idx, y, prop = self._arm_idx, self._y, self._prop
        scores, curves, choice, valid_assign = [], [], [], {}
        for name, pr in self.predictions.items():
            for k, a in enumerate(d.arms):
                m = te & np.isin(arm_idx, [-1, k])
                yy, tt, sc = y["response"][m], arm_idx[m] == k, pr[m, k]
                au, au_rand = evaluation.auuc(sc, yy, tt)
                scores.append({"learner": name, "arm": a,
                               "qini": evaluation.qini_coefficient(sc, yy, tt),
                               "auuc": au, "auuc_random": au_rand})
                curves.append(evaluation.qini_curve(sc, yy, tt).assign(learner=name, arm=a))
            net = pr * self._per_response[:, None] - self._cost
            row = {"learner": name, "description": learners.LEARNERS[name]}
            for label, mask in (("valid", va), ("test", te)):
                assign = policy.greedy(policy.OfferMatrix(d.frame["unit_id"].to_numpy()[mask],
                                                          d.arms, net[mask], self._cost[mask]))
                est = evaluation.policy_value(assign, arm_idx[mask], y["value"][mask], prop,
                                              self._in(mask))
                if label == "valid":
                    valid_assign[name] = assign
                row[f"{label}_value"] = est.value
                row[f"{label}_se"] = est.se
            choice.append(row)
        self.model_scores = pd.DataFrame(scores)
        self.qini_curves = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()
        model_choice = pd.DataFrame(choice)
        self.chosen = choose_model(model_choice, valid_assign, arm_idx[va], y["value"][va], prop,
                                   self._in(va))
        model_choice["chosen"] = model_choice["learner"] == self.chosen
        self.model_choice = model_choice.sort_values("valid_value", ascending=False)

    def _price_offers(self) -> None:
        """Every unit's expected value and cost of each arm, by the chosen model."""
        d = self.data
        uplift = self.predictions[self.chosen]
        value = uplift * self._per_response[:, None] - self._cost
        self.offers = policy.OfferMatrix(d.frame["unit_id"].to_numpy(), d.arms, value,
                                         self._cost, uplift if self._binary else None,
                                         self._p_control)

    def _uplift_by_decile(self) -> None:
        """Observed against predicted effect by decile of the chosen model (test units)."""
        d, te = self.data, self.mask("test")
        uplift = self.predictions[self.chosen]
        dec = []
        for k, a in enumerate(d.arms):
            m = te & np.isin(self._arm_idx, [-1, k])
            dec.append(evaluation.uplift_by_decile(uplift[m, k], self._y["response"][m],
                                                   self._arm_idx[m] == k).assign(arm=a))
        self.deciles = pd.concat(dec, ignore_index=True)

    # -- helpers ----------------------------------------------------------------------------

    def mask(self, part: str) -> np.ndarray:
        return self.part == part

    def _in(self, mask: np.ndarray) -> np.ndarray | None:
        """The units' clusters within ``mask`` (None when units were randomized one by one)."""
        return None if self._clusters is None else self._clusters[mask]

    @property
    def months_factor(self) -> float:
        """Campaign windows per month (a campaign like this one, run back to back)."""
        return DAYS_PER_MONTH / (self.data.window_days or DAYS_PER_MONTH)

    def today_arm(self, current_arm: str = "") -> str:
        """Today's arm: the one named, else the deepest coupon of a campaign (everyone gets it
        today), else control (a generic experiment tests a change from doing nothing)."""
        d = self.data
        arm = current_arm or (d.arms[-1] if d.depths else d.control)
        if arm not in d.all_arms:
            raise ValueError(f"current_arm '{arm}' is not an arm; arms: {d.all_arms}")
        return arm

    # -- decide: the cheap step, any number of times --------------------------------------------

    def decide(self, **knobs: Any) -> UpliftPlan:
        """The plan for a monthly budget and today's policy (``monthly_budget``, ``current_arm``;
        default: the settings'): offers, held-out value of every policy, the recommendation.
        Uses the fitted models only: nothing is refitted."""
        if not self.fits:
            raise ValueError("decide() needs a fitted analysis: call fit(data) first")
        s = decision_settings(self.settings, UpliftSettings, knobs, DECISION_KNOBS)
        t0 = time.perf_counter()
        current = self.today_arm(s.current_arm)
        today = self._today_policy(self.offers, current)
        today_spend = self.offers.pick(self.offers.cost, today).sum()
        budget = self._campaign_budget(s.monthly_budget, today_spend)
        alloc = policy.allocate(self.offers, budget)
        policies = self._policies(self.offers, alloc.assign)
        test_offers = self.offers.subset(self.mask("test"))
        test_policies = self._policies(
            test_offers, policy.allocate(test_offers, budget * self.mask("test").mean()).assign)
        table = self._held_out_policy_values(policies, test_policies, current)
        plan = UpliftPlan(
            analysis=self, settings=s, current_arm=current, campaign_budget=float(budget),
            policies=policies, allocation=alloc, policy_table=table,
            targeting=self._targeting_check(test_policies),
            frontier=self._budget_frontier(policies, budget, today_spend))
        plan.decision = recommend(plan)
        plan.timings = self.timings | {"policy_s": time.perf_counter() - t0}
        return plan

    def _today_policy(self, offers: policy.OfferMatrix, current: str) -> np.ndarray:
        return policy.no_offers(offers) if current == self.data.control \
            else policy.blanket(offers, current)

    def _campaign_budget(self, monthly_budget: float | None, today_spend: float) -> float:
        """Budget of one campaign window: the monthly budget asked for, else half of today's
        spend, else (nothing spent today) what the offers worth making cost."""
        if monthly_budget is not None:
            return monthly_budget / self.months_factor
        if today_spend > 0:
            return 0.5 * today_spend
        return self.offers.pick(self.offers.cost, policy.greedy(self.offers)).sum()

    def _policies(self, offers: policy.OfferMatrix, budget: np.ndarray) -> dict[str, np.ndarray]:
        """Every policy the report compares: none, each arm for everyone, best arm, targeted."""
        out = {NONE: policy.no_offers(offers)}
        out |= {blanket_name(a): policy.blanket(offers, a) for a in self.data.arms}
        return out | {GREEDY: policy.greedy(offers), TARGETED: budget}

    def _held_out_policy_values(self, policies: dict[str, np.ndarray],
                                test_policies: dict[str, np.ndarray], current: str) -> pd.DataFrame:
        """The model's expectation of each policy (all units) beside its value measured on the
        test units, against no treatment and against today's policy."""
        te = self.mask("test")
        y, arm_idx, cl = self._y["value"][te], self._arm_idx[te], self._in(te)
        ref = self._today_policy(self.offers.subset(te), current)
        none = test_policies[NONE]
        rows = []
        for name, assign in test_policies.items():
            v = evaluation.policy_value(assign, arm_idx, y, self._prop, cl)
            g = evaluation.policy_gain(assign, ref, arm_idx, y, self._prop, cl)
            g0 = evaluation.policy_gain(assign, none, arm_idx, y, self._prop, cl)
            rows.append({"policy": name, "heldout_value_per_user": v.value,
                         "heldout_value_se": v.se,
                         "heldout_gain_vs_today": g.value, "heldout_gain_vs_today_se": g.se,
                         "heldout_gain_vs_none": g0.value, "heldout_gain_vs_none_se": g0.se})
        table = policy.summarize(self.offers, policies).merge(pd.DataFrame(rows), on="policy")
        today_key = NONE if current == self.data.control else blanket_name(current)
        table["today"] = table["policy"] == today_key
        return table

    def _targeting_check(self, test_policies: dict[str, np.ndarray]) -> TargetingCheck:
        """The bar targeting must clear: the best single policy for everyone, by the experiment."""
        d, te = self.data, self.mask("test")
        e = self.arm_effects
        value_eff = e[e["outcome"] == d.value].set_index("arm")["effect"]
        best_blanket = max([NONE, *map(blanket_name, d.arms)],
                           key=lambda k: 0.0 if k == NONE else value_eff[k.removeprefix("everyone ")])
        beat = evaluation.policy_gain(test_policies[TARGETED], test_policies[best_blanket],
                                      self._arm_idx[te], self._y["value"][te], self._prop,
                                      self._in(te))
        sizes = d.frame["arm"].value_counts()
        return TargetingCheck(min_arm_units=int(sizes.min()), smallest_arm=str(sizes.idxmin()),
                              best_blanket=best_blanket, gain_over_best_blanket=beat.value,
                              gain_over_best_blanket_se=beat.se)

    def _budget_frontier(self, policies: dict[str, np.ndarray], budget: float,
                         today_spend: float) -> pd.DataFrame:
        """The model's best allocation at a range of budgets, each also measured on test units
        (the model's own expectation is optimistic: it picks offers whose estimate is high,
        noise included)."""
        te, n = self.mask("test"), len(self.data.frame)
        top = max(self.offers.pick(self.offers.cost, policies[GREEDY]).sum(), today_spend)
        budgets = np.unique(np.r_[np.linspace(0, top, self.settings.frontier_points), budget,
                                  today_spend])
        front = policy.frontier(self.offers, budgets)
        test_offers = self.offers.subset(te)
        none = policy.no_offers(test_offers)
        held = [evaluation.policy_gain(policy.allocate(test_offers, b * te.mean()).assign, none,
                                       self._arm_idx[te], self._y["value"][te], self._prop,
                                       self._in(te)) for b in budgets]
        front["heldout_gain_vs_none"] = [h.value * n for h in held]
        front["heldout_gain_vs_none_se"] = [h.se * n for h in held]
        front["today_spend"] = np.isclose(front["budget"], today_spend)
        front["chosen_budget"] = np.isclose(front["budget"], budget)
        return front

    # -- inspection ---------------------------------------------------------------------------

    def qini_figure(self, arm: str | None = None) -> Figure:
        """Held-out Qini curves of every model for one arm (default: the deepest)."""
        return plots.qini(self.qini_curves, self.chosen, arm or self.data.arms[-1], self.data.nouns)

    def decile_figure(self, arm: str | None = None) -> Figure:
        """Observed against predicted effect by decile of predicted effect (default: the deepest arm)."""
        return plots.deciles(self.deciles, arm or self.data.arms[-1], self.data.nouns)

    def summary(self) -> pd.DataFrame:
        """The fitted figures as a frame: each arm's measured effect, and every model's
        held-out value and ranking score (one row per figure)."""
        d = self.data
        rows: list[tuple[str, float]] = [("units", float(len(d.frame)))]
        e = self.arm_effects[self.arm_effects["outcome"] == d.value]
        rows += [(f"effect of {r.arm} on {d.value} per unit (se {r.se:.3g})", float(r.effect))
                 for r in e.itertuples()]
        qini = self.model_scores.groupby("learner", sort=False)["qini"].mean()
        for r in self.model_choice.itertuples():
            mark = " (chosen)" if r.learner == self.chosen else ""
            rows.append((f"{r.learner}{mark}: {d.value} per unit of its targeting, test units",
                         float(r.test_value)))
            rows.append((f"{r.learner}{mark}: mean Qini over arms, test units",
                         float(qini[r.learner])))
        return pd.DataFrame(rows, columns=["figure", "value"])

    def __repr__(self) -> str:
        if not self.fits:
            return f"UpliftAnalysis({self.settings!r}, not fitted)"
        d = self.data
        return (f"UpliftAnalysis({d.name}: {len(d.frame):,} units, arms {d.all_arms}, "
                f"learners {list(self.predictions)}, chosen {self.chosen})")


@dataclass(eq=False)
class UpliftPlan:
    """One decision on a fitted analysis: a budget, today's policy, the offers and what each
    policy earned on held-out units, and the recommendation (``decision``). The fitted
    figures (data, arm effects, models, offers) are read through the analysis: one copy,
    shared by every plan made from it."""

    analysis: UpliftAnalysis
    settings: UpliftSettings  # the analysis' settings with this decision's knobs
    current_arm: str
    campaign_budget: float  # per campaign window
    policies: dict[str, np.ndarray]  # all units
    allocation: policy.Allocation
    policy_table: pd.DataFrame
    targeting: TargetingCheck
    frontier: pd.DataFrame
    decision: Decision = field(init=False)
    timings: dict[str, float] = field(init=False)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "analysis":
            raise AttributeError(name)
        return getattr(self.analysis, name)

    @property
    def today_policy(self) -> str:
        """Key of today's policy in ``policy_table`` (no treatment, or one arm for everyone)."""
        return NONE if self.current_arm == self.data.control else blanket_name(self.current_arm)

    @property
    def shown_arm(self) -> str:
        """The arm the model figures show: today's arm, or the deepest when today is control."""
        return self.current_arm if self.current_arm in self.data.arms else self.data.arms[-1]

    def qini_figure(self, arm: str | None = None) -> Figure:
        """Held-out Qini curves of every model for one arm (default: :attr:`shown_arm`)."""
        return self.analysis.qini_figure(arm or self.shown_arm)

    def decile_figure(self, arm: str | None = None) -> Figure:
        """Observed against predicted effect by decile (default arm: :attr:`shown_arm`)."""
        return self.analysis.decile_figure(arm or self.shown_arm)

    @property
    def budget_per_month(self) -> float:
        """The discount budget this plan allocates, per month (one window when none is known)."""
        return self.campaign_budget * self.analysis.months_factor

    def summary(self) -> pd.DataFrame:
        """Every policy against today's, per unit: measured gain with its 95 % interval, the
        model's expectation (not used) and the recommendation."""
        f = self.decision.frame
        return pd.DataFrame({
            "policy": f["policy"], "units_treated": f["units_treated"],
            "gain_vs_today": f["gain_vs_today"],
            "low": f["gain_vs_today"] - Z95 * f["gain_vs_today_se"],
            "high": f["gain_vs_today"] + Z95 * f["gain_vs_today_se"],
            "measured_on": f["gain_vs_today_measured_on"],
            "model_gain_vs_today": f["model_gain_vs_today"], "recommended": f["recommended"]})

    def __repr__(self) -> str:
        d = self.decision
        g = d.gain_vs_today
        return (f"UpliftPlan(today={d.today!r}, recommended={d.recommended!r} ({d.reason}), "
                f"gain vs today per unit={g.value:.4g} [{g.low:.4g}, {g.high:.4g}], "
                f"monthly budget={self.budget_per_month:,.0f}, targeted units="
                f"{int((self.allocation.assign >= 0).sum()):,})")
