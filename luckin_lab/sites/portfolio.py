"""Choosing several sites at once: OR-Tools CP-SAT with pairwise cannibalization.

Two good candidates next to each other share customers, so the best set is not the top of a
one-by-one ranking. The objective is the sum of each site's net gain minus the revenue two
chosen sites would take from each other (the pairwise overlap); the chosen set is then valued
exactly with the Huff model. Either a number of openings or an opening-cost budget limits the set.
"""

from __future__ import annotations

import itertools

import numpy as np
from ortools.sat.python import cp_model

from luckin_lab.optimize import solve


def _limits_ok(idx: tuple[int, ...], k: int | None, costs: np.ndarray | None, budget: float | None) -> bool:
    if k is not None and len(idx) != k:
        return False
    return budget is None or costs is None or costs[list(idx)].sum() <= budget + 1e-9


def pairwise_objective(chosen: np.ndarray, net: np.ndarray, overlap: np.ndarray) -> float:
    c = np.asarray(chosen, dtype=int)
    return float(net[c].sum() - np.triu(overlap[np.ix_(c, c)], 1).sum())


def solve_portfolio(net: np.ndarray, overlap: np.ndarray, k: int | None = None,
                    costs: np.ndarray | None = None, budget: float | None = None,
                    time_limit_s: float = 20.0, scale: float = 1.0) -> np.ndarray:
    """Indices maximizing sum(net) - sum(overlap of chosen pairs) under k and/or a budget.

    Money is rounded to whole dollars (``scale`` multiplies before rounding) for CP-SAT.
    """
    n = len(net)
    if k is None and budget is None:
        raise ValueError("portfolio: give k (number of openings) or budget (opening cost)")
    if budget is not None and costs is None:
        raise ValueError("portfolio: a budget needs the candidates' opening costs")
    m = cp_model.CpModel()
    x = [m.NewBoolVar(f"x{i}") for i in range(n)]
    terms = [int(round(net[i] * scale)) * x[i] for i in range(n)]
    for i, j in itertools.combinations(range(n), 2):
        w = int(round(overlap[i, j] * scale))
        if w <= 0:
            continue
        y = m.NewBoolVar(f"y{i}_{j}")
        m.Add(y >= x[i] + x[j] - 1)  # overlap is a cost, so y sits at its lower bound
        terms.append(-w * y)
    if k is not None:
        m.Add(sum(x) == min(k, n))
    if budget is not None:
        # costs rounded up and the budget down: a set the solver accepts is truly affordable
        m.Add(sum(int(np.ceil(costs[i])) * x[i] for i in range(n)) <= int(np.floor(budget)))
    m.Maximize(sum(terms))
    solver = solve(m, "portfolio", time_limit_s)
    return np.array([i for i in range(n) if solver.Value(x[i])], dtype=int)


def rank_one_by_one(net: np.ndarray, k: int | None = None, costs: np.ndarray | None = None,
                    budget: float | None = None) -> np.ndarray:
    """The usual shortlist: best net gain first, ignoring overlap, until k or the budget is used."""
    chosen, spent = [], 0.0
    for i in np.argsort(-net):
        if k is not None and len(chosen) >= k:
            break
        c = 0.0 if costs is None else float(costs[i])
        if budget is not None and spent + c > budget:
            continue
        chosen.append(int(i))
        spent += c
    return np.array(sorted(chosen), dtype=int)


def brute_force(net: np.ndarray, overlap: np.ndarray, k: int | None = None,
                costs: np.ndarray | None = None, budget: float | None = None) -> tuple[np.ndarray, float]:
    """Exhaustive search (small cases only), for checking the solver."""
    n = len(net)
    if n > 20:
        raise ValueError("brute_force: more than 20 candidates is too many to enumerate")
    sizes = [k] if k is not None else range(n + 1)
    best, best_val = np.array([], dtype=int), -np.inf
    for size in sizes:
        for idx in itertools.combinations(range(n), size):
            if not _limits_ok(idx, k, costs, budget):
                continue
            v = pairwise_objective(np.array(idx, dtype=int), net, overlap)
            if v > best_val:
                best, best_val = np.array(idx, dtype=int), v
    return best, best_val
