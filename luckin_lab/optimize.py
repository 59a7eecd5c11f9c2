"""Solving OR-Tools CP-SAT models the same way everywhere: deterministic, single worker, bounded time."""

from __future__ import annotations

from ortools.sat.python import cp_model


def solve(model: cp_model.CpModel, what: str, time_limit_s: float = 20.0) -> cp_model.CpSolver:
    """Solve ``model`` reproducibly (seed 0, one worker) or raise naming the decision that failed."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"{what}: CP-SAT found no feasible solution ({solver.StatusName(status)})")
    return solver
