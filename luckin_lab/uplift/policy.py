"""From predicted effects to offers: best offer per user and the budget-constrained allocation.

An assignment is an int array over units: -1 = no coupon, k = ``arms[k]``. The allocation
problem (each user at most one offer, total expected discount within a budget, maximise
expected incremental margin) is a multiple-choice knapsack. At 100K+ users a direct MIP
does not finish in minutes, so we use the classic core method: a Lagrangian price on
the budget fixes every user whose choice is clear, and OR-Tools (SCIP) solves the core of
borderline users exactly on the budget left. The Lagrangian dual bounds the optimum, so
the reported gap is a certificate, not a hope.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from ortools.linear_solver.python import model_builder as mb

NO_OFFER = -1
# policy keys: what each unit gets under the policies the report compares
NONE, GREEDY, TARGETED = "no treatment", "best arm per unit", "targeted within budget"


def blanket_name(arm: str) -> str:
    """Key of the policy that gives every unit ``arm``."""
    return f"everyone {arm}"


@dataclass
class OfferMatrix:
    """Expected per-user effects of each offer (columns = treatment arms), vs no coupon."""

    unit_id: np.ndarray
    arms: list[str]
    value: np.ndarray  # expected incremental margin net of the discount, USD
    cost: np.ndarray  # expected discount paid, USD
    uplift: np.ndarray | None = None  # expected change in purchase probability
    p_control: np.ndarray | None = None  # purchase probability without a coupon

    def __post_init__(self) -> None:
        n, k = len(self.unit_id), len(self.arms)
        for name in ("value", "cost", "uplift"):
            arr = getattr(self, name)
            if arr is not None and arr.shape != (n, k):
                raise ValueError(f"OfferMatrix.{name} has shape {arr.shape}, expected {(n, k)}")
        if np.any(self.cost < 0):
            raise ValueError("OfferMatrix.cost has negative expected discounts")

    def subset(self, mask: np.ndarray) -> OfferMatrix:
        return OfferMatrix(
            self.unit_id[mask], self.arms, self.value[mask], self.cost[mask],
            None if self.uplift is None else self.uplift[mask],
            None if self.p_control is None else self.p_control[mask],
        )

    def pick(self, arr: np.ndarray, assign: np.ndarray) -> np.ndarray:
        """Per-unit entry of ``arr`` for the assigned offer (0 for no offer)."""
        out = np.zeros(len(assign))
        has = assign >= 0
        out[has] = arr[np.flatnonzero(has), assign[has]]
        return out

    def deadweight(self, assign: np.ndarray) -> np.ndarray:
        """Expected discount paid to users who would have bought anyway: cost x P(buy | none) / P(buy | offer)."""
        if self.uplift is None or self.p_control is None:
            return np.full(len(assign), np.nan)
        p_c = np.clip(self.p_control, 0, 1)[:, None]
        p_t = np.clip(p_c + self.uplift, 1e-6, 1)
        share = np.minimum(p_c / p_t, 1.0)
        return self.pick(self.cost * share, assign)


def blanket(offers: OfferMatrix, arm: str) -> np.ndarray:
    """Everyone gets ``arm`` (today's policy)."""
    return np.full(len(offers.unit_id), offers.arms.index(arm))


def no_offers(offers: OfferMatrix) -> np.ndarray:
    return np.full(len(offers.unit_id), NO_OFFER)


def greedy(offers: OfferMatrix) -> np.ndarray:
    """Each user's best offer by expected incremental margin, or none if no offer pays."""
    return _choice(offers.value, offers.cost, 0.0)


def _choice(value: np.ndarray, cost: np.ndarray, price: float) -> np.ndarray:
    score = value - price * cost
    best = score.argmax(axis=1)
    return np.where(score[np.arange(len(best)), best] > 0, best, NO_OFFER)


@dataclass
class Allocation:
    assign: np.ndarray
    budget: float
    cost: float
    value: float
    upper_bound: float  # Lagrangian bound on the best achievable value
    price: float  # shadow price of the budget (USD margin per USD discount)
    n_core: int
    status: str

    @property
    def gap(self) -> float:
        return max(self.upper_bound - self.value, 0.0)


def allocate(offers: OfferMatrix, budget: float, core_size: int = 300,
             time_limit_s: float = 3.0) -> Allocation:
    """Budget-optimal offers: at most one per user, total expected discount <= budget."""
    if budget < 0:
        raise ValueError(f"budget must be >= 0, got {budget}")
    v, c = offers.value, offers.cost
    free = greedy(offers)
    free_cost = offers.pick(c, free).sum()
    if free_cost <= budget:  # the budget does not bind: the greedy choice is optimal
        val = offers.pick(v, free).sum()
        return Allocation(free, budget, free_cost, val, val, 0.0, 0, "budget not binding")
    price = _budget_price(v, c, budget)
    assign = _choice(v, c, price)
    upper = float(np.maximum((v - price * c).max(axis=1), 0).sum() + price * budget)

    # core: users whose best and second-best reduced values are closest
    reduced = np.concatenate([np.zeros((len(v), 1)), v - price * c], axis=1)
    top2 = np.sort(reduced, axis=1)[:, -2:]
    closeness = top2[:, 1] - top2[:, 0]
    n_core = min(core_size, len(v))
    core = np.argpartition(closeness, n_core - 1)[:n_core] if n_core < len(v) else np.arange(len(v))
    fixed = np.ones(len(v), bool)
    fixed[core] = False
    fixed_cost = offers.pick(c, np.where(fixed, assign, NO_OFFER)).sum()
    core_assign, status = _solve_core(v[core], c[core], budget - fixed_cost, time_limit_s)
    assign = assign.copy()
    assign[core] = core_assign
    assign = _enforce_budget(offers, assign, core, budget)
    cost = offers.pick(c, assign).sum()
    return Allocation(assign, budget, float(cost), float(offers.pick(v, assign).sum()),
                      upper, float(price), n_core, status)


def _enforce_budget(offers: OfferMatrix, assign: np.ndarray, core: np.ndarray,
                    budget: float) -> np.ndarray:
    """Undo the solver's float tolerance: drop the least efficient core offers until within budget."""
    cost = offers.pick(offers.cost, assign)
    over = cost.sum() - budget
    if over <= 0:
        return assign
    chosen = core[assign[core] >= 0]
    eff = offers.pick(offers.value, assign)[chosen] / np.maximum(cost[chosen], 1e-12)
    for i in chosen[np.argsort(eff)]:
        if over <= 0:
            break
        over -= cost[i]
        assign[i] = NO_OFFER
    return assign


def _budget_price(v: np.ndarray, c: np.ndarray, budget: float) -> float:
    """Smallest Lagrangian price at which the users' own best choices fit the budget."""
    def spend(price: float) -> float:
        a = _choice(v, c, price)
        has = a >= 0
        return c[np.flatnonzero(has), a[has]].sum()

    lo, hi = 0.0, 1.0
    while spend(hi) > budget:
        hi *= 2
        if hi > 1e9:
            break
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if spend(mid) > budget else (lo, mid)
    return hi


def _solve_core(v: np.ndarray, c: np.ndarray, budget: float, time_limit_s: float):
    """Exact multiple-choice knapsack on the core users with OR-Tools (SCIP)."""
    n, k = v.shape
    useful = v > 0  # an offer that loses money never beats no offer
    users, arms = np.nonzero(useful)
    if len(users) == 0 or budget <= 0:
        return np.full(n, NO_OFFER), "core empty"
    model = mb.Model()
    x = model.new_bool_var_series("x", pd.RangeIndex(len(users)))
    xs = x.to_numpy()
    model.maximize(mb.LinearExpr.weighted_sum(xs, v[users, arms]))
    model.add(mb.LinearExpr.weighted_sum(xs, c[users, arms]) <= budget)
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    ends = np.r_[starts[1:], len(users)]
    for s, e in zip(starts, ends, strict=True):
        if e - s > 1:
            model.add(mb.LinearExpr.sum(list(xs[s:e])) <= 1)
    solver = mb.Solver("scip")
    solver.set_time_limit_in_seconds(time_limit_s)
    solver.set_solver_specific_parameters("limits/gap = 1e-4")
    status = solver.solve(model)
    if status not in (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE):
        raise RuntimeError(f"OR-Tools could not solve the core allocation: {status}")
    chosen = solver.values(x).to_numpy() > 0.5
    out = np.full(n, NO_OFFER)
    out[users[chosen]] = arms[chosen]
    return out, status.name.lower()


def frontier(offers: OfferMatrix, budgets: list[float] | np.ndarray) -> pd.DataFrame:
    """Expected incremental margin of the best allocation at each budget."""
    rows = []
    for b in budgets:
        alloc = allocate(offers, float(b))
        rows.append({
            "budget": float(b), "discount_cost": alloc.cost, "incremental_margin": alloc.value,
            "users_targeted": int((alloc.assign >= 0).sum()), "upper_bound": alloc.upper_bound,
        })
    return pd.DataFrame(rows)


def summarize(offers: OfferMatrix, policies: dict[str, np.ndarray]) -> pd.DataFrame:
    """Model-based totals of each policy: users targeted, discount, margin, deadweight."""
    rows = []
    for name, assign in policies.items():
        rows.append({
            "policy": name,
            "users_targeted": int((assign >= 0).sum()),
            "expected_discount_cost": float(offers.pick(offers.cost, assign).sum()),
            "expected_incremental_margin": float(offers.pick(offers.value, assign).sum()),
            "expected_extra_buyers": float(offers.pick(offers.uplift, assign).sum())
            if offers.uplift is not None else np.nan,
            "expected_deadweight": float(np.nansum(offers.deadweight(assign)))
            if offers.p_control is not None else np.nan,
        })
    return pd.DataFrame(rows)


def targeting_list(offers: OfferMatrix, assign: np.ndarray) -> pd.DataFrame:
    """One row per user: the offer, its expected uplift, incremental margin and discount."""
    arm_names = np.array(["none", *offers.arms])
    return pd.DataFrame({
        "unit_id": offers.unit_id,
        "offer": arm_names[assign + 1],
        "expected_uplift": offers.pick(offers.uplift, assign) if offers.uplift is not None
        else np.nan,
        "expected_incremental_margin": offers.pick(offers.value, assign),
        "expected_discount_cost": offers.pick(offers.cost, assign),
    })
