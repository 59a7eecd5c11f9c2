"""The only reader of planted truth in the pricing package: scores estimates against it.

Analyses never import this module; benchmarks and slow tests do. What the demo store plants
(``truth.json`` ``derived``):

* ``category_elasticity[c]``: the TOTAL own-price elasticity of category c's item demand,
  including the add-on channel (a cheaper category brings more orders, and add-on items of
  the same category ride on them). This is what a category-level estimate from item data
  identifies, and what a price move changes, so it is the target of the category estimates.
* ``category_elasticity_direct[c]``: the direct part only (the demand-weighted segment
  elasticity), kept for reference.
* ``cross_elasticity[q][p]``: d log Q[q] / d log p[p] (diagonal = the total own elasticity);
  off the diagonal small negative numbers: complements through add-ons.
* ``elasticity[c][s]``: the direct elasticity of a category x segment cell (no add-on channel).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

# A second planted truth (a ``--truth`` file for the synthesizer): other elasticities, segment
# shifts and a stronger tactical reaction, so accuracy is not tuned to the default truth.
SECOND_TRUTH = {
    "seed": 777,
    "demand": {
        "categories": {
            "Fresh Coffee": {"elasticity": -2.0}, "Classic": {"elasticity": -0.9},
            "Matcha": {"elasticity": -1.4}, "Food": {"elasticity": -1.2},
            "Cold Brew": {"elasticity": -1.7}, "Tea": {"elasticity": -1.0},
            "Seasonal": {"elasticity": -2.5}, "Other": {"elasticity": -0.7},
        },
        "segment_elasticity_shift": {"loyal": 0.4, "regular": 0.0, "price_sensitive": -1.0,
                                     "occasional": -0.5},
        "tactical_response": 0.7,
    },
}


@dataclass(frozen=True)
class ElasticityTruth:
    category: dict[str, float]  # total own-price elasticity (the target)
    category_direct: dict[str, float]
    cells: dict[str, dict[str, float]]  # category -> segment -> direct elasticity
    cross: dict[str, dict[str, float]]  # demand of q -> price of p -> elasticity


def truth_path_for(source: str) -> Path:
    """``duckdb:<dir>/store.duckdb`` -> ``<dir>/truth.json``."""
    kind, _, location = source.partition(":")
    if kind != "duckdb":
        raise ValueError(f"planted truth exists only beside a demo duckdb store, not {source!r}")
    return Path(location).parent / "truth.json"


def load_elasticity_truth(path: Path) -> ElasticityTruth:
    """The planted elasticities of a demo store's ``truth.json``."""
    derived = json.loads(Path(path).read_text())["derived"]
    missing = [k for k in ("category_elasticity", "category_elasticity_direct", "cross_elasticity",
                           "elasticity") if k not in derived]
    if missing:
        raise KeyError(f"{path}: derived truth lacks {missing}; rebuild the store with "
                       "`luckin-lab synth` (older stores predate the add-on-channel truth)")
    return ElasticityTruth(derived["category_elasticity"], derived["category_elasticity_direct"],
                           derived["elasticity"], derived["cross_elasticity"])


def _judge(t: pd.DataFrame) -> pd.DataFrame:
    t["error"] = t["elasticity"] - t["truth"]
    t["covered"] = (t["ci_low"] <= t["truth"]) & (t["truth"] <= t["ci_high"])
    return t


def score(by_group: pd.DataFrame, truth: dict[str, float]) -> pd.DataFrame:
    """Each group x method estimate with its truth, error and whether the CI covers it."""
    t = by_group[by_group["group"].isin(truth)].copy()
    t["truth"] = t["group"].map(truth)
    t = _judge(t)
    return t[["group", "method", "elasticity", "ci_low", "ci_high", "truth", "error", "covered"]]


def score_cross(cross: pd.DataFrame, truth: dict[str, dict[str, float]]) -> pd.DataFrame:
    """Every estimated (demand of, price of) pair of the cross-price matrix against its truth."""
    if cross.empty:
        return cross.assign(truth=[], error=[], covered=[])
    t = cross.copy()
    t["truth"] = [truth.get(q, {}).get(p) for q, p in zip(t["demand_of"], t["price_of"], strict=True)]
    t = _judge(t.dropna(subset=["truth"]))
    t["own"] = t["demand_of"] == t["price_of"]
    return t[["demand_of", "price_of", "own", "elasticity", "ci_low", "ci_high", "truth", "error",
              "covered"]]


def accuracy_summary(scored: pd.DataFrame, n_truth: int) -> dict[str, dict]:
    """Per method: how many groups were estimated, worst and mean error, CI coverage."""
    out = {}
    for method, grp in scored.groupby("method"):
        grp = grp.dropna(subset=["elasticity"])
        out[str(method)] = dict(
            n=int(len(grp)), of=int(n_truth),
            max_abs_error=float(grp["error"].abs().max()),
            mean_error=float(grp["error"].mean()),
            coverage=float(grp["covered"].mean()),
        )
    return out
