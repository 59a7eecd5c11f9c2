"""Synthetic randomized coupon experiments with known per-unit effects.

Used by tests (small n, effects known exactly) and the speed benchmark (1M rows). The
response mimics the demo store's mechanism: a latent order rate per user, multiplied while
a coupon is held by salience x (1 - depth)^elasticity, so light, price-sensitive buyers
respond most and heavy buyers buy anyway. The truth columns follow the demo store's
``truth/uplift_users.parquet`` layout (``p_<arm>``, ``margin_<arm>``) so one evaluation code
path serves both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEGMENTS = ["loyal", "regular", "price_sensitive", "occasional"]
_SEG_SHARE = [0.15, 0.35, 0.3, 0.2]
_SEG_RATE = {"loyal": 0.5, "regular": 0.18, "price_sensitive": 0.1, "occasional": 0.05}
_SEG_ELASTICITY = {"loyal": -0.6, "regular": -1.5, "price_sensitive": -2.6, "occasional": -2.0}
_SEG_SALIENCE = {"loyal": 1.0, "regular": 1.15, "price_sensitive": 1.35, "occasional": 1.5}
ORDER_VALUE = 6.0
MARGIN_RATIO = 0.7
DEFAULT_ARMS = {"control": 0.0, "off10": 0.1, "off20": 0.2, "off30": 0.3}
DEFAULT_SHARES = {"control": 0.4, "off10": 0.2, "off20": 0.2, "off30": 0.2}


def simulate_experiment(
    n: int = 20_000,
    seed: int = 0,
    arms: dict[str, float] | None = None,
    shares: dict[str, float] | None = None,
    window_days: int = 14,
    n_clusters: int = 0,
    effect_scale: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A coupon experiment: (generic-contract frame, truth frame) with one row per unit.

    The frame has unit_id, arm, outcome (purchase 0/1), margin, discount, optional
    cluster_id (arms randomized by cluster when ``n_clusters`` > 0) and covariates. The
    truth has unit_id, arm, p_<arm> and margin_<arm> (expected values, not draws).
    ``effect_scale`` = 0 gives an experiment where coupons do nothing. Clusters share a
    demand shock, so their units' outcomes are correlated (as in real cluster designs).
    """
    arms = dict(arms or DEFAULT_ARMS)
    shares = dict(shares or DEFAULT_SHARES)
    rng = np.random.default_rng(seed)
    names = list(arms)
    seg = rng.choice(SEGMENTS, size=n, p=_SEG_SHARE)
    base = np.array([_SEG_RATE[s] for s in seg]) * rng.lognormal(-0.18, 0.6, n)
    cluster = rng.integers(0, n_clusters, n) if n_clusters > 0 else None
    if cluster is not None:  # units of a cluster (e.g. a store's area) share demand shocks
        base = base * rng.lognormal(-0.125, 0.5, n_clusters)[cluster]
    elast = np.array([_SEG_ELASTICITY[s] for s in seg])
    sal = np.array([_SEG_SALIENCE[s] for s in seg])
    tenure = rng.integers(14, 200, n).astype(float)
    frequency = rng.poisson(base * tenure * 0.6)
    recency = np.where(frequency > 0, rng.exponential(1.0 / np.maximum(base, 1e-3)), tenure)
    recency = np.minimum(recency, tenure)
    monetary = frequency * ORDER_VALUE * rng.uniform(0.8, 1.2, n)
    noise = rng.normal(size=n)

    p, margin = {}, {}
    for arm, depth in arms.items():
        mult = 1.0 if depth == 0 else 1.0 + effect_scale * (sal * (1 - depth) ** elast - 1.0)
        p[arm] = 1 - np.exp(-base * mult * window_days)
        repeat_orders = base * window_days
        margin[arm] = p[arm] * ((1 + repeat_orders) * ORDER_VALUE * MARGIN_RATIO - depth * ORDER_VALUE)

    if cluster is not None:
        cluster_arm = rng.choice(names, size=n_clusters, p=[shares[a] for a in names])
        arm_obs = cluster_arm[cluster]
    else:
        cluster = None
        arm_obs = rng.choice(names, size=n, p=[shares[a] for a in names])
    p_obs = np.select([arm_obs == a for a in names], [p[a] for a in names])
    depth_obs = np.select([arm_obs == a for a in names], [arms[a] for a in names])
    purchase = rng.random(n) < p_obs
    extra = rng.poisson(base * window_days) * purchase
    value = ORDER_VALUE * rng.uniform(0.85, 1.15, n)
    discount = purchase * depth_obs * value
    margin_obs = purchase * (1 + extra) * value * MARGIN_RATIO - discount

    unit_id = np.char.add("U", np.arange(n).astype(str))
    frame = pd.DataFrame(
        {
            "unit_id": unit_id,
            "arm": arm_obs,
            "outcome": purchase.astype("int64"),
            "margin": margin_obs,
            "discount": discount,
            "segment": seg,
            "frequency": frequency.astype("int64"),
            "recency_days": recency,
            "tenure_days": tenure,
            "monetary": monetary,
            "noise": noise,
        }
    )
    if cluster is not None:
        frame.insert(2, "cluster_id", np.char.add("C", cluster.astype(str)))
    truth = pd.DataFrame({"unit_id": unit_id, "arm": arm_obs})
    for a in names:
        truth[f"p_{a}"] = p[a]
    for a in names:
        truth[f"margin_{a}"] = margin[a]
    return frame, truth


def write_example(folder: str | Path, n: int = 30_000, seed: int = 11) -> Path:
    """Write a cluster-randomized example as ``generic_experiment.parquet`` (a folder store).

    The demo store already carries this table (``luckin_lab.synth.examples``); this writes it
    as a file to exercise the folder path of the generic contract.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frame, _ = simulate_experiment(n=n, seed=seed, n_clusters=400)
    path = folder / "generic_experiment.parquet"
    frame.to_parquet(path, index=False)
    return path



def simulate_heterogeneous(n: int, effect: float = 0.0, spread: float = 2.0, seed: int = 0,
                           n_clusters: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A two-arm experiment whose effect is ``effect + spread`` where x > 0, ``effect -
    spread`` elsewhere: (generic-contract frame, true per-unit effect).

    The average effect is ``effect``; targeting the units with x > 0 is worth ``spread / 2``
    per unit more than treating everyone when ``effect`` is 0. Half of the units are treated;
    with clusters, whole clusters are (and share a random level).
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    tau = effect + np.where(x > 0, spread, -spread)
    if n_clusters:
        cluster = rng.integers(0, n_clusters, n)
        treated = (rng.random(n_clusters) < 0.5)[cluster]
        level = rng.normal(0, 1.0, n_clusters)[cluster]
    else:
        cluster, treated, level = None, rng.random(n) < 0.5, 0.0
    y = 10 + 2 * z + level + tau * treated + rng.normal(0, 3, n)
    frame = pd.DataFrame({"unit_id": np.char.add("U", np.arange(n).astype(str)),
                          "arm": np.where(treated, "treated", "control"), "outcome": y,
                          "x": x, "z": z})
    if cluster is not None:
        frame["cluster_id"] = np.char.add("C", cluster.astype(str))
    return frame, tau
