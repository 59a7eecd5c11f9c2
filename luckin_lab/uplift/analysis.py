"""The whole coupon-uplift analysis in one call, as the report runs it.

Units are split at random into train (fit), validation (choose the model by held-out
policy value) and test (report Qini, AUUC and policy values with intervals): the number
that reaches the executive is never the one the model was chosen on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from luckin_lab.units import DAYS_PER_MONTH
from luckin_lab.uplift import effects, evaluation, learners, policy
from luckin_lab.uplift.data import ExperimentData

SLOW_LEARNERS = {"X", "DR"}
NONE, GREEDY, TARGETED = "no treatment", "best arm per unit", "targeted within budget"
# Below this many units in the smallest arm, a quarter held out for checking holds too few
# per arm to tell who responds more from noise: the report gives the average effect only.
# (At 500 per arm the held-out difference between two halves' effects has an SE of about
# 0.25 outcome standard deviations, larger than any heterogeneity a real test shows.)
MIN_UNITS_PER_ARM = 500


def blanket_name(arm: str) -> str:
    return f"everyone {arm}"


@dataclass
class TargetingCheck:
    """Can this experiment support a targeted policy? Size first, then held-out evidence."""

    min_arm_units: int
    smallest_arm: str
    best_blanket: str  # policy key: the best single policy for everyone (by the experiment)
    gain_over_best_blanket: float  # held-out, per unit
    gain_over_best_blanket_se: float

    @property
    def large_enough(self) -> bool:
        return self.min_arm_units >= MIN_UNITS_PER_ARM

    @property
    def beats_best_blanket(self) -> bool:
        return self.gain_over_best_blanket - 1.96 * self.gain_over_best_blanket_se > 0

    @property
    def supported(self) -> bool:
        return self.large_enough and self.beats_best_blanket


@dataclass
class Settings:
    learners: list[str] = field(default_factory=lambda: ["SP", "S", "T", "X", "DR", "URF"])
    current_arm: str = ""  # "" = the deepest arm
    monthly_budget: float | None = None  # None = half of today's monthly discount spend
    arm_costs: dict[str, float] = field(default_factory=dict)  # fixed cost per treated unit
    split: tuple[float, float, float] = (0.5, 0.25, 0.25)
    seed: int = 7
    n_jobs: int = 2
    urf_max_rows: int = 40_000
    # X and DR fit several nested models each: they are compared on a training subsample
    # so the whole report stays within minutes (they are comparisons, rarely the winner)
    slow_max_rows: int = 25_000
    frontier_points: int = 9


@dataclass
class UpliftAnalysis:
    data: ExperimentData
    settings: Settings
    part: np.ndarray  # "train" | "valid" | "test" per unit
    arm_effects: pd.DataFrame
    balance: pd.DataFrame
    model_scores: pd.DataFrame  # learner x arm: Qini, AUUC of the response (test units)
    model_choice: pd.DataFrame  # learner: validation and test policy value
    chosen: str
    predictions: dict[str, np.ndarray]  # learner -> (n, K) response uplift, all units
    offers: policy.OfferMatrix  # chosen model, all units
    current_arm: str
    campaign_budget: float
    policies: dict[str, np.ndarray]  # all units
    allocation: policy.Allocation
    policy_table: pd.DataFrame
    frontier: pd.DataFrame
    qini_curves: pd.DataFrame
    deciles: pd.DataFrame
    timings: dict[str, float]
    targeting: TargetingCheck | None = None

    @property
    def today_policy(self) -> str:
        """Key of today's policy in ``policy_table`` (no treatment, or one arm for everyone)."""
        return NONE if self.current_arm == self.data.control else blanket_name(self.current_arm)

    @property
    def months_factor(self) -> float:
        """Campaign windows per month (a campaign like this one, run back to back)."""
        return DAYS_PER_MONTH / (self.data.window_days or DAYS_PER_MONTH)

    def mask(self, part: str) -> np.ndarray:
        return self.part == part


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
                       s: Settings) -> np.ndarray:
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


def run(data: ExperimentData, settings: Settings | None = None) -> UpliftAnalysis:
    s = settings or Settings()
    unknown = set(s.learners) - set(learners.LEARNERS)
    if unknown:
        raise ValueError(f"unknown learner(s) {sorted(unknown)}; choose from {sorted(learners.LEARNERS)}")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    frame, arms, control = data.frame, data.arms, data.control
    X = data.features()
    arm = frame["arm"].to_numpy()
    arm_idx = data.arm_index()
    prop = data.propensity()
    prop_map = dict(zip(data.all_arms, prop, strict=True))
    clusters = data.clusters()
    part = split_units(len(frame), s.split, s.seed, clusters)
    tr, va, te = part == "train", part == "valid", part == "test"
    y = {"response": frame[data.response].to_numpy(float), "value": frame[data.value].to_numpy(float)}
    binary = set(np.unique(y["response"])) <= {0.0, 1.0}

    outcome_cols = [data.response, data.value] + ([data.cost] if data.cost else [])
    arm_eff = pd.concat([effects.arm_effects(frame, c, control, arms, cluster_col=data.cluster)
                         for c in dict.fromkeys(outcome_cols)], ignore_index=True)
    bal = effects.balance(frame, data.covariates, control, arms, cluster_col=data.cluster)
    timings["effects_s"] = time.perf_counter() - t0

    # -- shared outcome models: baseline purchase, value per buyer, discount cost --------
    t1 = time.perf_counter()
    p_control = None
    if binary:
        base = learners.fit_arm_outcomes(X[tr], arm[tr], y["response"][tr], control, arms,
                                         s.n_jobs, s.seed)
        p_control = np.clip(base.predict(X)[0], 0, 1)
    per_buyer = value_per_response(data, X, tr, s)
    arm_cost = np.array([s.arm_costs.get(a, 0.0) for a in arms])
    if data.cost:
        cost_model = learners.fit_arm_outcomes(
            X[tr], arm[tr], frame[data.cost].to_numpy(float)[tr], control, arms, s.n_jobs, s.seed)
        cost = np.clip(cost_model.predict(X)[1], 0, None) + arm_cost
    else:
        cost = np.tile(arm_cost, (len(frame), 1))
    timings["outcome_models_s"] = time.perf_counter() - t1

    # -- candidate uplift models, scored on held-out units ----------------------------------
    preds: dict[str, np.ndarray] = {}
    for name in s.learners:
        if name in learners.BINARY_ONLY and not binary:
            continue
        t1 = time.perf_counter()
        fit_rows = np.flatnonzero(tr)
        if name in SLOW_LEARNERS and len(fit_rows) > s.slow_max_rows:
            fit_rows = np.sort(np.random.default_rng(s.seed).choice(
                fit_rows, s.slow_max_rows, replace=False))
        model = learners.fit_uplift(name, X[fit_rows], arm[fit_rows], y["response"][fit_rows],
                                    control, arms, prop_map, n_jobs=s.n_jobs, seed=s.seed,
                                    urf_max_rows=s.urf_max_rows, depths=data.depths)
        preds[name] = model.predict(X)
        timings[f"fit_{name}_s"] = time.perf_counter() - t1

    scores, curves, choice, valid_assign = [], [], [], {}
    for name, pr in preds.items():
        for k, a in enumerate(arms):
            m = te & np.isin(arm_idx, [-1, k])
            yy, tt, sc = y["response"][m], arm_idx[m] == k, pr[m, k]
            au, au_rand = evaluation.auuc(sc, yy, tt)
            scores.append({"learner": name, "arm": a,
                           "qini": evaluation.qini_coefficient(sc, yy, tt),
                           "auuc": au, "auuc_random": au_rand})
            curves.append(evaluation.qini_curve(sc, yy, tt).assign(learner=name, arm=a))
        net = pr * per_buyer[:, None] - cost
        row = {"learner": name, "description": learners.LEARNERS[name]}
        for label, mask in (("valid", va), ("test", te)):
            assign = policy.greedy(policy.OfferMatrix(frame["unit_id"].to_numpy()[mask], arms,
                                                      net[mask], cost[mask]))
            est = evaluation.policy_value(assign, arm_idx[mask], y["value"][mask], prop,
                                          None if clusters is None else clusters[mask])
            if label == "valid":
                valid_assign[name] = assign
            row[f"{label}_value"] = est.value
            row[f"{label}_se"] = est.se
        choice.append(row)
    model_scores = pd.DataFrame(scores)
    model_choice = pd.DataFrame(choice)
    chosen = choose_model(model_choice, valid_assign, arm_idx[va], y["value"][va], prop,
                          None if clusters is None else clusters[va])
    model_choice["chosen"] = model_choice["learner"] == chosen
    model_choice = model_choice.sort_values("valid_value", ascending=False)
    timings["models_s"] = time.perf_counter() - t0 - timings["effects_s"]

    # -- offers of the chosen model ---------------------------------------------------------
    t2 = time.perf_counter()
    uplift = preds[chosen]
    value = uplift * per_buyer[:, None] - cost
    offers = policy.OfferMatrix(frame["unit_id"].to_numpy(), arms, value, cost,
                                uplift if binary else None, p_control)
    current = s.current_arm or arms[-1]
    if current not in data.all_arms:
        raise ValueError(f"current_arm '{current}' is not an arm; arms: {data.all_arms}")

    def today_policy(o: policy.OfferMatrix) -> np.ndarray:
        return policy.no_offers(o) if current == control else policy.blanket(o, current)

    blanket = today_policy(offers)
    months = DAYS_PER_MONTH / (data.window_days or DAYS_PER_MONTH)
    today_spend = offers.pick(cost, blanket).sum()
    if s.monthly_budget is not None:
        campaign_budget = s.monthly_budget / months
    elif today_spend > 0:
        campaign_budget = 0.5 * today_spend
    else:  # nothing is spent today: the budget is what the offers worth making cost
        campaign_budget = offers.pick(cost, policy.greedy(offers)).sum()
    alloc = policy.allocate(offers, campaign_budget)

    def all_policies(o: policy.OfferMatrix, budget: np.ndarray) -> dict[str, np.ndarray]:
        out = {NONE: policy.no_offers(o)}
        out |= {blanket_name(a): policy.blanket(o, a) for a in arms}
        return out | {GREEDY: policy.greedy(o), TARGETED: budget}

    policies = all_policies(offers, alloc.assign)
    # -- held-out value of each policy (test units; budget scaled to their share) ---------
    test_offers = offers.subset(te)
    test_policies = all_policies(
        test_offers, policy.allocate(test_offers, campaign_budget * te.mean()).assign)
    summary = policy.summarize(offers, policies)
    ref = today_policy(test_offers)
    none = test_policies[NONE]
    cl_te = None if clusters is None else clusters[te]
    rows = []
    for name, assign in test_policies.items():
        v = evaluation.policy_value(assign, arm_idx[te], y["value"][te], prop, cl_te)
        g = evaluation.policy_gain(assign, ref, arm_idx[te], y["value"][te], prop, cl_te)
        g0 = evaluation.policy_gain(assign, none, arm_idx[te], y["value"][te], prop, cl_te)
        rows.append({"policy": name, "heldout_value_per_user": v.value, "heldout_value_se": v.se,
                     "heldout_gain_vs_today": g.value, "heldout_gain_vs_today_se": g.se,
                     "heldout_gain_vs_none": g0.value, "heldout_gain_vs_none_se": g0.se})
    policy_table = summary.merge(pd.DataFrame(rows), on="policy")
    policy_table["today"] = policy_table["policy"] == (NONE if current == control
                                                       else blanket_name(current))
    # the bar targeting must clear: the best single policy for everyone, by the experiment
    value_eff = arm_eff[arm_eff["outcome"] == data.value].set_index("arm")["effect"]
    best_blanket = max([NONE, *map(blanket_name, arms)],
                       key=lambda k: 0.0 if k == NONE else value_eff[k.removeprefix("everyone ")])
    beat = evaluation.policy_gain(test_policies[TARGETED], test_policies[best_blanket],
                                  arm_idx[te], y["value"][te], prop, cl_te)
    targeting = TargetingCheck(
        min_arm_units=int(frame["arm"].value_counts().min()),
        smallest_arm=str(frame["arm"].value_counts().idxmin()),
        best_blanket=best_blanket, gain_over_best_blanket=beat.value,
        gain_over_best_blanket_se=beat.se)

    top = max(offers.pick(cost, policies[GREEDY]).sum(), today_spend)
    budgets = np.unique(np.r_[np.linspace(0, top, s.frontier_points), campaign_budget, today_spend])
    front = policy.frontier(offers, budgets)
    # the model's own expectation of its best allocation is optimistic (it picks the offers
    # whose estimated value is highest, noise included): measure each budget on test units
    held = [evaluation.policy_gain(policy.allocate(test_offers, b * te.mean()).assign, none,
                                   arm_idx[te], y["value"][te], prop, cl_te) for b in budgets]
    front["heldout_gain_vs_none"] = [h.value * len(frame) for h in held]
    front["heldout_gain_vs_none_se"] = [h.se * len(frame) for h in held]
    front["today_spend"] = np.isclose(front["budget"], today_spend)
    front["chosen_budget"] = np.isclose(front["budget"], campaign_budget)

    dec = []
    for k, a in enumerate(arms):
        m = te & np.isin(arm_idx, [-1, k])
        dec.append(evaluation.uplift_by_decile(uplift[m, k], y["response"][m], arm_idx[m] == k)
                   .assign(arm=a))
    timings["policy_s"] = time.perf_counter() - t2
    timings["total_s"] = time.perf_counter() - t0
    return UpliftAnalysis(
        data=data, settings=s, part=part, arm_effects=arm_eff, balance=bal,
        model_scores=model_scores, model_choice=model_choice, chosen=chosen, predictions=preds,
        offers=offers, current_arm=current, campaign_budget=float(campaign_budget),
        policies=policies, allocation=alloc, policy_table=policy_table, frontier=front,
        targeting=targeting,
        qini_curves=pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(),
        deciles=pd.concat(dec, ignore_index=True), timings=timings,
    )
