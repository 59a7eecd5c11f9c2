"""Real public experiments with published answers, as generic_experiment tables.

Both ship inside the ``causaldata`` PyPI package (no download at run time), so tests can
feed them through the report's generic path exactly as a user's own export would go:

* **NSW job training** (LaLonde 1986; the Dehejia-Wahba experimental sample of 445 men):
  published effect on 1978 earnings $1,794 (difference in means, SE $633; Dehejia and
  Wahba 1999, Table 3).
* **Learning HIV results** (Thornton 2008, Malawi): a randomized cash incentive to collect
  one's HIV test result; any incentive raised the share who collected it by 43.1 points
  (SE 2.3, Table 4 column 1; 34 % of those without an incentive collected it), villages as
  clusters.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

NSW_PUBLISHED = {"effect": 1794.0, "se": 633.0}  # difference in 1978 earnings, USD
THORNTON_PUBLISHED = {"effect": 0.431, "se": 0.023}  # share who learned their result


def nsw() -> pd.DataFrame:
    """445 men randomized to job training (treated) or not (control); outcome 1978 earnings."""
    from causaldata import nsw_mixtape

    d = nsw_mixtape.load_pandas().data
    return pd.DataFrame({
        "unit_id": "M" + d.index.astype(str),
        "arm": d["treat"].map({1: "training", 0: "control"}),
        "outcome": d["re78"].astype(float),
        "age": d["age"].astype(float), "education_years": d["educ"].astype(float),
        "black": d["black"].astype(float), "hispanic": d["hisp"].astype(float),
        "married": d["marr"].astype(float), "no_degree": d["nodegree"].astype(float),
        "earnings_1974": d["re74"].astype(float), "earnings_1975": d["re75"].astype(float),
    })


def thornton() -> pd.DataFrame:
    """2,825 people with a known arm and outcome; villages are the clusters."""
    from causaldata import thornton_hiv

    d = thornton_hiv.load_pandas().data
    d = d.dropna(subset=["got", "any", "villnum"]).reset_index(drop=True)
    return pd.DataFrame({
        "unit_id": "P" + d.index.astype(str),
        "arm": d["any"].map({1.0: "incentive", 0.0: "control"}),
        "cluster_id": "V" + d["villnum"].astype(int).astype(str),
        "outcome": d["got"].astype(float),
        "distance_km": d["distvct"].astype(float),
        "age": d["age"].astype(float),
    })


def write_folder(frame: pd.DataFrame, folder: str | Path) -> Path:
    """A folder store holding one generic_experiment table (what a user would export)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "generic_experiment.csv"
    frame.to_csv(path, index=False)
    return path
