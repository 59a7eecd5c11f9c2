"""Price recommendations from elasticities and unit costs, within guard rails.

The rule: with constant elasticity ``e`` and unit cost ``c`` the margin ``(p - c) * Q(p)`` is
maximised at the effective price ``c * e / (1 + e)`` when ``e < -1``; when ``|e| <= 1``
demand is inelastic, margin rises with price without limit and the model has no interior
optimum, so the price goes to the top of what we allow. What we allow: at most
``max_change`` from today's menu price, never beyond the range of prices actually tested
(constant elasticity is an extrapolation outside it), and prices ending in .49 or .99 (today's
price is always allowed; without endings, whole-percent steps, as for a category's average
price, which no menu shows). Near ``e = -1`` the margin-best price ``c e / (1 + e)`` runs off
to infinity, so a small error in ``e`` moves it a lot: the full ``max_change`` needs the
elasticity to be clearly on one side of -1 (``|1 + e| >= sure_z * se``); a less certain one
gets a proportionally smaller allowed move, so the largest moves are never where the evidence
is weakest. A move must also add ``min_weekly_gain`` at the unfavourable end of the elasticity's
interval (``e -+ sure_z * se``), not only at its centre. The menu is chosen jointly with OR-Tools so that the ladder across
categories keeps today's order and protected segments lose at most ``max_segment_loss`` of
their units.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from ortools.linear_solver import pywraplp


@dataclass(frozen=True)
class GuardRails:
    max_change: float = 0.15
    endings: tuple[float, ...] = (0.49, 0.99)
    protect_segments: tuple[str, ...] = ()
    max_segment_loss: float = 0.10
    keep_ladder: bool = True
    min_weekly_gain: float = 0.0  # a change must add this much weekly margin, else keep today's price
    sure_z: float = 1.96  # a full move needs |1 + e| >= sure_z * se; 0 = no uncertainty rail

    def __post_init__(self) -> None:
        if not 0 < self.max_change < 1:
            raise ValueError(f"max_change must be in (0, 1), got {self.max_change}")
        if any(not 0 <= e < 1 for e in self.endings):
            raise ValueError(f"price endings must be cents in [0, 1), got {self.endings}")


def optimal_effective_price(unit_cost: float, elasticity: float) -> float:
    """Margin-maximising price for constant elasticity; inf when there is no interior optimum."""
    if elasticity >= -1:
        return float("inf")
    return unit_cost * elasticity / (1 + elasticity)


def allowed_change(rails: GuardRails, elasticity: float, se: float) -> float:
    """The largest move allowed for a group: ``max_change`` scaled down when its elasticity is not
    clearly on one side of -1 (``|1 + e| / se`` below ``sure_z``)."""
    if rails.sure_z <= 0 or not np.isfinite(se) or se <= 0:
        return rails.max_change
    return rails.max_change * min(1.0, abs(1 + elasticity) / (rails.sure_z * se))


def price_bounds(today: float, rails: GuardRails, tested_low: float, tested_high: float,
                 max_change: float | None = None) -> tuple[float, float]:
    """Allowed menu prices: +-max_change from today, inside the tested range (as multipliers)."""
    change = rails.max_change if max_change is None else max_change
    lo = today * max(1 - change, tested_low)
    hi = today * min(1 + change, tested_high)
    return lo, max(hi, lo)


def candidate_prices(today: float, lo: float, hi: float, endings: tuple[float, ...]) -> list[float]:
    """Today's exact price (keeping it changes nothing) plus every allowed ending inside [lo, hi];
    without endings, today's price moved in whole-percent steps."""
    out = {float(today)}
    if not endings:
        for k in range(-100, 101):
            p = round(today * (1 + k / 100), 2)
            if lo - 1e-9 <= p <= hi + 1e-9 and p > 0:
                out.add(p)
        return sorted(out)
    for dollars in range(int(np.floor(lo)) - 1, int(np.ceil(hi)) + 1):
        for cents in endings:
            p = round(dollars + cents, 2)
            if lo - 1e-9 <= p <= hi + 1e-9 and p > 0:
                out.add(p)
    return sorted(out)


def _units(q0: float, ratio: float, e: float) -> float:
    return q0 * ratio**e


def recommend_prices(
    econ: pd.DataFrame,
    rails: GuardRails,
    segments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Choose one menu price per group maximising weekly margin under the guard rails.

    ``econ`` columns: group, today_price, discount (current average share off the menu
    price), unit_cost, weekly_units, elasticity, se (optional: without it no uncertainty rail),
    tested_low, tested_high (multipliers of today's price). ``segments`` (optional): group, segment, weekly_units, elasticity, used for
    the protected-segment constraint.
    """
    rows, options, best = [], {}, {}
    for r in econ.itertuples(index=False):
        change = allowed_change(rails, r.elasticity, getattr(r, "se", float("nan")))
        lo, hi = price_bounds(r.today_price, rails, r.tested_low, r.tested_high, change)
        cands = candidate_prices(r.today_price, lo, hi, rails.endings)
        eff0 = r.today_price * (1 - r.discount)
        base = r.weekly_units * (eff0 - r.unit_cost)
        se = getattr(r, "se", float("nan"))
        ends = ((r.elasticity - rails.sure_z * se, r.elasticity + rails.sure_z * se)
                if rails.sure_z > 0 and np.isfinite(se) and se > 0 else (r.elasticity,))
        every = []
        for p in cands:
            ratio = p / r.today_price
            q = _units(r.weekly_units, ratio, r.elasticity)
            cautious = min(_units(r.weekly_units, ratio, e) * (eff0 * ratio - r.unit_cost) for e in ends)
            every.append(dict(price=p, units=q, margin=q * (eff0 * ratio - r.unit_cost), cautious=cautious,
                              today=p == r.today_price))
        # a change must be worth reprinting the menu, even at the unfavourable end of the elasticity's range
        opts = [o for o in every if o["today"] or o["cautious"] - base >= rails.min_weekly_gain]
        options[r.group] = opts
        best[r.group] = (max(every, key=lambda o: o["margin"]), max(opts, key=lambda o: o["margin"]))
        p_star = optimal_effective_price(r.unit_cost, r.elasticity)
        rows.append(dict(group=r.group, rule_price=p_star / (1 - r.discount), low=lo, high=hi,
                         n_candidates=len(cands), allowed_change=change,
                         held_back=change < rails.max_change - 1e-12))
    choice = _solve(econ, options, rails, segments)
    joint = _joint_reasons(econ, options, best, choice, rails, segments)
    out = []
    for r, meta in zip(econ.itertuples(index=False), rows, strict=True):
        opt = options[r.group][choice[r.group]]
        ratio = opt["price"] / r.today_price
        eff0 = r.today_price * (1 - r.discount)
        base_margin = r.weekly_units * (eff0 - r.unit_cost)
        out.append(dict(
            group=r.group, elasticity=r.elasticity, today_price=r.today_price,
            recommended_price=opt["price"], change=ratio - 1,
            rule_price=meta["rule_price"], allowed_low=meta["low"], allowed_high=meta["high"],
            allowed_change=meta["allowed_change"],
            binding=joint.get(r.group) or _binding(meta, opt, best[r.group], r.elasticity, rails),
            unit_cost=r.unit_cost, discount=r.discount,
            weekly_units=r.weekly_units, projected_units=opt["units"],
            weekly_revenue=r.weekly_units * eff0, projected_revenue=opt["units"] * eff0 * ratio,
            weekly_margin=base_margin, projected_margin=opt["margin"],
        ))
    return pd.DataFrame(out)


def _binding(meta: dict, opt: dict, best: tuple[dict, dict], e: float, rails: GuardRails) -> str:
    """Why the price is where it is, for a group the joint constraints left at its own best."""
    best_any, _ = best
    if opt["today"]:
        if meta["n_candidates"] == 1 and meta["held_back"]:
            return f"kept: elasticity too unclear to move (at most {meta['allowed_change']:.0%} either way)"
        if meta["n_candidates"] == 1:
            return "kept: no allowed price ending within the guard rails"
        if best_any["today"]:
            return "kept: no allowed price adds margin"
        return (f"kept: no move surely adds the ${rails.min_weekly_gain:,.0f}/wk minimum" if rails.sure_z > 0
                else f"kept: best move adds less than the ${rails.min_weekly_gain:,.0f}/wk minimum")
    beyond = e >= -1 or not meta["low"] <= meta["rule_price"] <= meta["high"]
    if beyond and meta["held_back"]:
        return f"held back: elasticity unclear, so at most {meta['allowed_change']:.0%} either way"
    if e >= -1:
        return "inelastic: capped by the guard rails"
    if meta["rule_price"] > meta["high"]:
        return "optimum above the allowed range"
    if meta["rule_price"] < meta["low"]:
        return "optimum below the allowed range"
    return "optimum, rounded to a price ending" if rails.endings else "optimum, rounded to a whole percent"


def _joint_reasons(econ: pd.DataFrame, options: dict[str, list[dict]],
                   best: dict[str, tuple[dict, dict]], choice: dict[str, int], rails: GuardRails,
                   segments: pd.DataFrame | None) -> dict[str, str]:
    """Groups held away from their own best allowed price, and which joint rule holds them.

    A rule binds for a group when dropping it alone lets the group reach its own best price.
    """
    held = [g for g in options if options[g][choice[g]] is not best[g][1]]
    if not held:
        return {}
    seg_names = " and ".join(rails.protect_segments)
    tests = []
    if rails.keep_ladder:
        tests.append(("price order across categories",
                      _solve(econ, options, replace(rails, keep_ladder=False), segments)))
    if segments is not None and rails.protect_segments:
        tests.append((f"protected segment ({seg_names}) units",
                      _solve(econ, options, replace(rails, protect_segments=()), segments)))
    out = {}
    for g in held:
        names = [n for n, c in tests if options[g][c[g]] is best[g][1]]
        rule = " / ".join(names) or "price order and protected segments together"
        out[g] = ("kept: " if options[g][choice[g]]["today"] else "held by ") + rule
    return out


def _solve(econ: pd.DataFrame, options: dict[str, list[dict]], rails: GuardRails,
           segments: pd.DataFrame | None) -> dict[str, int]:
    """Mixed-integer choice of one candidate per group (OR-Tools SCIP)."""
    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:  # pragma: no cover - SCIP ships with OR-Tools wheels
        raise RuntimeError("OR-Tools SCIP solver is not available")
    x = {g: [solver.BoolVar(f"x_{i}_{k}") for k in range(len(o))]
         for i, (g, o) in enumerate(options.items())}
    for g in options:
        solver.Add(sum(x[g]) == 1)
    price = {g: sum(o["price"] * v for o, v in zip(options[g], x[g], strict=True)) for g in options}
    if rails.keep_ladder:
        today = econ.set_index("group")["today_price"]
        groups = list(options)
        for a in groups:
            for b in groups:
                if today[a] < today[b] - 1e-9:
                    solver.Add(price[a] <= price[b])
    if segments is not None and rails.protect_segments:
        seg = segments.set_index(["group", "segment"])
        for s in rails.protect_segments:
            base, terms = 0.0, []
            for r in econ.itertuples(index=False):
                if (r.group, s) not in seg.index:
                    continue
                q0, e = seg.loc[(r.group, s), ["weekly_units", "elasticity"]]
                base += q0
                for o, v in zip(options[r.group], x[r.group], strict=True):
                    terms.append(_units(q0, o["price"] / r.today_price, e) * v)
            if terms:
                solver.Add(sum(terms) >= (1 - rails.max_segment_loss) * base)
    solver.Maximize(sum(o["margin"] * v for g in options for o, v in zip(options[g], x[g], strict=True)))
    status = solver.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        raise ValueError(
            "no menu satisfies the guard rails (ladder and protected segments); "
            "loosen max_segment_loss or max_change"
        )
    return {g: int(np.argmax([v.solution_value() for v in x[g]])) for g in options}


def project(recs: pd.DataFrame, se: pd.Series, cross: pd.DataFrame | None = None,
            n_draws: int = 4000, seed: int = 0, level: float = 0.90) -> pd.DataFrame:
    """Projected weekly changes with intervals from the elasticities' sampling uncertainty.

    Each draw takes every group's elasticity from its normal sampling distribution and
    recomputes units, revenue and margin at the recommended prices. ``cross`` (demand_of,
    price_of, elasticity, se) adds the estimated cross-price effects: a group's units also move
    by ``ratio_j ** e_ij`` for every other group j whose price changes. Every estimate is drawn
    (not only the significant ones: keeping only those would overstate the effects), and
    independently, since the estimators do not give their joint covariance.
    """
    rng = np.random.default_rng(seed)
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    rows, totals = [], np.zeros((3, n_draws))
    log_ratio = _log_price_ratio(recs)
    cross_log = {g: np.zeros(n_draws) for g in log_ratio.index}
    if cross is not None:
        for c in _cross_terms(cross, log_ratio).itertuples(index=False):
            e = c.elasticity + c.se * rng.standard_normal(n_draws)
            cross_log[c.demand_of] += e * log_ratio[c.price_of]
    for r in recs.itertuples(index=False):
        draws = r.elasticity + se.get(r.group, 0.0) * rng.standard_normal(n_draws)
        ratio = r.recommended_price / r.today_price
        units = r.weekly_units * np.exp(draws * np.log(ratio) + cross_log[r.group])
        eff = r.today_price * (1 - r.discount) * ratio
        d_units = units - r.weekly_units
        d_rev = units * eff - r.weekly_revenue
        d_margin = units * (eff - r.unit_cost) - r.weekly_margin
        totals += np.vstack([d_units, d_rev, d_margin])
        rows.append(_summary(r.group, d_units, d_rev, d_margin, r, lo_q, hi_q))
    base = recs[["weekly_units", "weekly_revenue", "weekly_margin"]].sum()
    rows.append(_summary("All groups", *totals, base, lo_q, hi_q))
    return pd.DataFrame(rows)


def _log_price_ratio(recs: pd.DataFrame) -> pd.Series:
    return pd.Series(np.log(recs["recommended_price"] / recs["today_price"]).to_numpy(),
                     index=recs["group"])


def _cross_terms(cross: pd.DataFrame, log_ratio: pd.Series) -> pd.DataFrame:
    """Off-diagonal cross effects between groups that both have a recommendation."""
    groups = log_ratio.index
    return cross[(cross["demand_of"] != cross["price_of"])
                 & cross["demand_of"].isin(groups) & cross["price_of"].isin(groups)]


def cross_units_shift(recs: pd.DataFrame, cross: pd.DataFrame) -> pd.Series:
    """Point estimate of each group's unit change from the other groups' price moves alone."""
    log_ratio = _log_price_ratio(recs)
    off = _cross_terms(cross, log_ratio)
    shift = (off["elasticity"] * off["price_of"].map(log_ratio)).groupby(off["demand_of"]).sum()
    return np.exp(shift) - 1


def _summary(group, d_units, d_rev, d_margin, base, lo_q, hi_q) -> dict:
    units0 = base.weekly_units if hasattr(base, "weekly_units") else base["weekly_units"]
    margin0 = base.weekly_margin if hasattr(base, "weekly_margin") else base["weekly_margin"]
    q = np.quantile
    return dict(
        group=group,
        units_change=float(np.median(d_units)) / units0,
        units_change_low=float(q(d_units, lo_q)) / units0,
        units_change_high=float(q(d_units, hi_q)) / units0,
        revenue_change=float(np.median(d_rev)),
        revenue_change_low=float(q(d_rev, lo_q)),
        revenue_change_high=float(q(d_rev, hi_q)),
        margin_change=float(np.median(d_margin)),
        margin_change_low=float(q(d_margin, lo_q)),
        margin_change_high=float(q(d_margin, hi_q)),
        margin_change_pct=float(np.median(d_margin)) / margin0,
        p_margin_up=float(np.mean(d_margin > 0)),
    )


def segment_volume_change(recs: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Each segment's projected change in weekly units at the recommended prices."""
    m = segments.merge(recs[["group", "recommended_price", "today_price"]], on="group")
    m["projected"] = m["weekly_units"] * (m["recommended_price"] / m["today_price"]) ** m["elasticity"]
    out = m.groupby("segment")[["weekly_units", "projected"]].sum().reset_index()
    out["units_change"] = out["projected"] / out["weekly_units"] - 1
    return out
