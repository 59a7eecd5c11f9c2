"""Site-selection estimates against the demo store's planted truth (evaluation only).

The only module of ``luckin_lab.sites`` that reads ``truth.json`` and ``truth/*.parquet``;
benchmarks and slow tests use it, reports never do.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import r2_score

from luckin_lab.sites.pipeline import SiteSelection
from luckin_lab.synth.spatial import distance_km, huff_shares, opening_boost, outside_option
from luckin_lab.synth.truth import SpatialTruth, Truth


def load_site_truth(store_dir: Path | str) -> dict:
    d = Path(store_dir)
    doc = json.loads((d / "truth.json").read_text())
    return {
        "truth": Truth(**doc["truth"]),
        "derived": doc["derived"]["sites"],
        "candidates": pd.read_parquet(d / "truth" / "site_candidates.parquet"),
        "cannibalization": pd.read_parquet(d / "truth" / "site_cannibalization.parquet"),
        "cell_demand": pd.read_parquet(d / "truth" / "cell_demand.parquet"),
    }


def _true_chain_revenue(cells: pd.DataFrame, cell_rev: np.ndarray, store_ll: np.ndarray,
                        attraction: np.ndarray, sp: SpatialTruth) -> float:
    d = distance_km(cells.lat.to_numpy(), cells.lon.to_numpy(), store_ll[:, 0], store_ll[:, 1])
    sh = huff_shares(d, attraction, outside_option(cells, sp), sp.distance_decay, sp.min_distance_km)
    return float(cell_rev @ sh.sum(1))


def true_set_net_gain(sel: SiteSelection, t: dict, chosen: np.ndarray) -> float:
    """True monthly net gain of opening the candidates ``chosen`` together."""
    sp = t["truth"].spatial
    data = sel.data
    cells = data.cells
    rev = t["cell_demand"].set_index("cell_id").monthly_revenue_potential.reindex(cells.cell_id).to_numpy()
    attr = np.array([t["derived"]["attraction"][str(s)] for s in data.stores.store_id])
    base_ll = data.stores[["lat", "lon"]].to_numpy()
    cand = data.candidates.iloc[np.asarray(chosen, dtype=int)]
    new_ll = np.vstack([base_ll, cand[["lat", "lon"]].to_numpy()])
    new_attr = np.concatenate([attr, np.full(len(cand), t["derived"]["candidate_attraction"])])
    return (_true_chain_revenue(cells, rev, new_ll, new_attr, sp)
            - _true_chain_revenue(cells, rev, base_ll, attr, sp))


def oracle_oos_r2(sel: SiteSelection, t: dict, weeks: int = 4, same_folds: bool = True) -> float:
    """Best achievable out-of-sample R^2: the true model and demand, with the attraction of the
    stores a fold holds out unknown (set to a new store's, 1).

    ``same_folds`` holds out what our spatial CV holds out (the whole block and its buffer), so
    the oracle faces the same missing information; otherwise only the store's own attraction.
    """
    sp = t["truth"].spatial
    data = sel.data
    cells = data.cells
    rev = t["cell_demand"].set_index("cell_id").monthly_revenue_potential.reindex(cells.cell_id).to_numpy()
    attr = np.array([t["derived"]["attraction"][str(s)] for s in data.stores.store_id])
    d = data.store_distances()
    day = data.n_weeks * 7 - weeks * 7 / 2  # middle of the recent window
    g = opening_boost((day - data.open_day) / 7, sp)
    per = sel.cv.per_store
    y = per.y.to_numpy()
    pred = np.full(len(attr), np.nan)
    n = len(attr)
    groups = ([(f.test, np.setdiff1d(np.arange(n), f.train)) for f in sel.cv.folds if len(f.train) >= 2]
              if same_folds else [(np.array([j]), np.array([j])) for j in range(n)])
    for test, unknown in groups:
        a = attr * g
        a[unknown] = t["derived"]["candidate_attraction"] * g[unknown]
        sh = huff_shares(d, a, outside_option(cells, sp), sp.distance_decay, sp.min_distance_km)
        pred[test] = rev @ sh[:, test]
    ok = ~np.isnan(pred) & per.huff_spatial_cv.notna().to_numpy()
    return float(r2_score(y[ok], pred[ok]))


def evaluate(sel: SiteSelection, store_dir: Path | str) -> dict:
    """Accuracy figures for the benchmark table (targets in the issue)."""
    t = load_site_truth(store_dir)
    sp = t["truth"].spatial
    cand = sel.candidates.merge(t["candidates"], on="site_id", suffixes=("", "_true"))
    cann = sel.cannibalization.merge(t["cannibalization"], on=["site_id", "store_id"], suffixes=("", "_true"))
    share_err = (cann.share_of_store_revenue - cann.share_of_store_revenue_true).abs()
    covered = ((cand.standalone_revenue_true >= cand.standalone_low)
               & (cand.standalone_revenue_true <= cand.standalone_high))
    true_port = true_set_net_gain(sel, t, sel.chosen)
    true_rank = true_set_net_gain(sel, t, sel.ranked)
    oracle = oracle_oos_r2(sel, t)
    oracle_own = oracle_oos_r2(sel, t, same_folds=False)
    ours = sel.metrics["r2_huff_spatial_cv"]
    return {
        "decay_true": sp.distance_decay, "decay_est": sel.fit.decay,
        "decay_abs_error": abs(sel.fit.decay - sp.distance_decay),
        "outside_base_true": sp.outside_base, "outside_base_est": sel.fit.outside_base,
        "outside_per_comp_true": sp.outside_per_competitor,
        "outside_per_comp_est": sel.fit.outside_per_competitor,
        "boost_true": sp.grand_opening_boost, "boost_est": sel.fit.boost,
        "boost_weeks_true": sp.grand_opening_weeks, "boost_weeks_est": sel.fit.boost_weeks,
        "cann_share_max_abs_error_pp": float(100 * share_err.max()),
        "cann_share_p95_abs_error_pp": float(100 * share_err.quantile(0.95)),
        "standalone_mape": float((cand.standalone_revenue / cand.standalone_revenue_true - 1).abs().mean()),
        "net_gain_mape": float((cand.net_gain / cand.net_gain_true - 1).abs().mean()),
        "candidate_interval_coverage": float(covered.mean()),
        "store_interval_coverage": sel.coverage,
        "portfolio_true_net_gain": true_port, "ranking_true_net_gain": true_rank,
        "portfolio_beats_ranking": bool(true_port >= true_rank - 1e-6),
        "oos_r2_huff": ours, "oos_r2_gbm": sel.metrics["r2_gbm_spatial_cv"], "oos_r2_oracle": oracle,
        "oos_r2_oracle_own_store_only": oracle_own,
        "oos_r2_gap": oracle - ours,
    }
