"""Synthetic price-demand panels with planted elasticities (tests, benchmarks, generic example).

The generating process mirrors the demo store's on purpose, so the estimators are checked
against the difficulty they meet there: a marketing ("tactical") discount that reacts to a
foreseen demand shock (this biases naive OLS toward zero), a randomized price-test discount
independent of everything (the instrument), Poisson item counts with zeros, and segments with
different elasticities. :func:`example_panel` is the generic example report's data (source
the demo store's ``generic_price_demand`` table); ``python -m luckin_lab.synth.price_panel OUT_DIR`` writes the same
panel as ``OUT_DIR/generic_price_demand.parquet`` for a ``folder:`` store.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_GROUPS: dict[str, dict[str, float]] = {
    # name: elasticity of the reference segment, items per market-day at list price, list, cost
    "Espresso": {"elasticity": -1.5, "rate": 60.0, "list_price": 4.95, "unit_cost": 1.40},
    "Tea": {"elasticity": -1.1, "rate": 25.0, "list_price": 4.25, "unit_cost": 1.00},
    "Bakery": {"elasticity": -0.7, "rate": 15.0, "list_price": 3.75, "unit_cost": 1.70},
}
DEFAULT_SEGMENTS: dict[str, dict[str, float]] = {
    # name: share of demand at list price, elasticity shift
    "loyal": {"share": 0.5, "shift": 0.5},
    "regular": {"share": 0.3, "shift": 0.0},
    "price_sensitive": {"share": 0.2, "shift": -0.8},
}


@dataclass
class SimulatedPanel:
    frame: pd.DataFrame
    elasticity: dict[str, dict[str, float]]  # group -> segment -> planted elasticity
    group_elasticity: dict[str, float]  # item-weighted over segments, as the demo truth defines it
    segment_elasticity: dict[str, float]  # item-weighted over groups
    params: dict = field(default_factory=dict)


def simulate_panel(
    n_markets: int = 6,
    n_days: int = 120,
    groups: dict[str, dict[str, float]] | None = None,
    segments: dict[str, dict[str, float]] | None = None,
    shock_sd: float = 0.25,
    forecastable: float = 0.8,
    tactical_response: float = 0.5,
    base_depth: float = 0.06,
    test_depths: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3),
    test_start_day: int = 0,
    cross_elasticity: float = 0.0,
    seed: int = 0,
) -> SimulatedPanel:
    """Market x group x segment x day panel: price, quantity, instrument and controls.

    ``cross_elasticity`` plants a symmetric cross-price effect between the first two groups.
    """
    rng = np.random.default_rng(seed)
    groups = groups or DEFAULT_GROUPS
    segments = segments or DEFAULT_SEGMENTS
    g_names, s_names = list(groups), list(segments)
    n_g = len(g_names)
    days = pd.date_range("2025-09-01", periods=n_days, freq="D")
    sigma2 = shock_sd**2
    eta_f = rng.normal(0, np.sqrt(sigma2 * forecastable), (n_markets, n_g, n_days))
    eta_u = rng.normal(0, np.sqrt(sigma2 * (1 - forecastable)), (n_markets, n_g, n_days))
    eta = eta_f + eta_u - sigma2 / 2
    tactical = np.clip(base_depth + tactical_response * np.maximum(0, -eta_f), 0, 0.8)
    test = np.asarray(test_depths)[rng.integers(0, len(test_depths), (n_markets, n_g, n_days))]
    test[:, :, :test_start_day] = 0.0
    ratio = (1 - tactical) * (1 - test)
    weekday = np.array([1.0, 1.05, 1.05, 1.1, 1.15, 0.8, 0.75])[days.dayofweek.to_numpy()]
    size = rng.uniform(0.6, 1.4, n_markets)

    e = np.array([[groups[g]["elasticity"] + segments[s]["shift"] for s in s_names] for g in g_names])
    rate = np.array([groups[g]["rate"] for g in g_names])
    share = np.array([segments[s]["share"] for s in s_names])
    share = share / share.sum()
    log_ratio = np.log(ratio)  # market x group x day
    cross = np.zeros_like(log_ratio)
    if cross_elasticity and n_g >= 2:
        cross[:, 0] = cross_elasticity * log_ratio[:, 1]
        cross[:, 1] = cross_elasticity * log_ratio[:, 0]
    # mean: market x group x segment x day
    mu = (
        size[:, None, None, None]
        * rate[None, :, None, None]
        * share[None, None, :, None]
        * weekday[None, None, None, :]
        * np.exp(e[None, :, :, None] * log_ratio[:, :, None, :] + (eta + cross)[:, :, None, :])
    )
    qty = rng.poisson(mu)

    m_i, g_i, s_i, d_i = np.indices(qty.shape).reshape(4, -1)
    list_price = np.array([groups[g]["list_price"] for g in g_names])[g_i]
    frame = pd.DataFrame(
        {
            "unit": np.char.add(np.char.add(np.array([f"M{m + 1:02d}" for m in m_i]), "|"),
                                np.array(g_names)[g_i]),
            "market": np.array([f"M{m + 1:02d}" for m in m_i]),
            "group": np.array(g_names)[g_i],
            "segment": np.array(s_names)[s_i],
            "period": days[d_i],
            "price": np.round(list_price * ratio[m_i, g_i, d_i], 4),
            "list_price": list_price,
            "unit_cost": np.array([groups[g]["unit_cost"] for g in g_names])[g_i],
            "quantity": qty.reshape(-1).astype(float),
            "test_discount": test[m_i, g_i, d_i],
            "log_test_factor": np.log1p(-test[m_i, g_i, d_i]),
            "planned_discount": tactical[m_i, g_i, d_i].round(4),
            "log_planned_factor": np.log1p(-tactical[m_i, g_i, d_i].round(4)),
        }
    )
    truth = {g: {s: float(e[gi, si]) for si, s in enumerate(s_names)} for gi, g in enumerate(g_names)}
    items = frame.groupby(["group", "segment"]).quantity.sum()
    grp_e = {
        g: float(sum(items[g, s] * truth[g][s] for s in s_names) / items[g].sum()) for g in g_names
    }
    seg_e = {
        s: float(sum(items[g, s] * truth[g][s] for g in g_names) / items.xs(s, level=1).sum())
        for s in s_names
    }
    params = dict(n_markets=n_markets, n_days=n_days, shock_sd=shock_sd, seed=seed,
                  cross_elasticity=cross_elasticity)
    return SimulatedPanel(frame, truth, grp_e, seg_e, params)


EXAMPLE_ARGS = dict(n_markets=8, n_days=150, seed=7)


def example_panel() -> pd.DataFrame:
    """The generic example panel (fixed seed): shipped in the demo store as ``generic_price_demand``."""
    return simulate_panel(**EXAMPLE_ARGS).frame


def main() -> None:
    ap = argparse.ArgumentParser(description="write a synthetic generic price-demand panel")
    ap.add_argument("out", type=Path, help="folder for generic_price_demand.parquet")
    ap.add_argument("--seed", type=int, default=EXAMPLE_ARGS["seed"])
    args = ap.parse_args()
    sim = simulate_panel(**{**EXAMPLE_ARGS, "seed": args.seed})
    args.out.mkdir(parents=True, exist_ok=True)
    sim.frame.to_parquet(args.out / "generic_price_demand.parquet", index=False)
    print(f"wrote {len(sim.frame):,} rows to {args.out}; planted group elasticities {sim.group_elasticity}")


if __name__ == "__main__":
    main()
