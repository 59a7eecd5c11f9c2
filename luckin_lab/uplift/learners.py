"""Uplift models: causalml meta-learners on LightGBM, and causalml's uplift random forest.

Every learner is multi-treatment (one effect column per treatment arm, in ``arms`` order)
and returns effects in outcome units. Randomized experiments have known propensities, so
the X- and DR-learners get the design's arm shares instead of a fitted propensity model
(cheaper and exactly right). Base learners are modest LightGBM trees with a fixed thread
count so the report stays inside its time budget on two cores.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import numpy as np
from lightgbm import LGBMClassifier, LGBMRegressor

# causalml calls plt.style.use("fivethirtyeight") when imported (grey chart backgrounds,
# its own palette); keep that out of the process-wide style so reports keep the house style.
with mpl.rc_context():
    from causalml.inference.meta import (
        BaseDRRegressor,
        BaseSClassifier,
        BaseSRegressor,
        BaseTClassifier,
        BaseTRegressor,
        BaseXClassifier,
        BaseXRegressor,
    )
    from causalml.inference.tree import UpliftRandomForestClassifier

logging.getLogger("causalml").setLevel(logging.WARNING)

LEARNERS: dict[str, str] = {
    "SP": "Pooled S-learner (one model over all arms, discount depth as a monotone feature)",
    "S": "S-learner (one model, treatment as a feature)",
    "T": "T-learner (one model per arm)",
    "X": "X-learner (imputed effects, propensity-weighted)",
    "DR": "DR-learner (doubly robust pseudo-outcomes, cross-fitted)",
    "URF": "Uplift random forest (Euclidean-distance splits; purchase outcome only)",
}
BINARY_ONLY = {"URF"}


_LGBM = dict(learning_rate=0.05, num_leaves=7, subsample=0.8, subsample_freq=1,
             colsample_bytree=0.8, reg_lambda=1.0, verbose=-1,
             deterministic=True, force_row_wise=True)  # same data + seed -> same model choice


@dataclass(frozen=True)
class SampleSize:
    """Learner settings that scale with the rows a model is fitted on.

    A fixed leaf minimum of 400 rows makes every tree a stump below ~800 rows, so a small
    experiment's learners predict one constant. Leaves hold about 5 % of the rows (at least
    20, at most 400: the demo campaign's setting, reached at 8,000 rows); boosting rounds
    (100 to 200) and forest leaves follow the sample too (causalml's DR learner cross-fits in its own
    three folds).
    """

    rows: int

    @property
    def min_leaf(self) -> int:
        return int(np.clip(self.rows // 20, 20, 400))

    @property
    def trees(self) -> int:
        return int(np.clip(self.rows // 10, 100, 200))

    @property
    def forest_leaf(self) -> int:
        return int(np.clip(self.rows // 40, 10, 200))


def base_learner(n_jobs: int = 1, seed: int = 0, binary: bool = False, rows: int = 10**9):
    """The shared gradient-boosted base learner: shallow and strongly regularised.

    Coupon effects are a few points on a ~10 % purchase rate, so deep trees fit noise.
    For 0/1 outcomes a classifier (log-odds scale) lets one split on the treatment scale
    every user's baseline, which is how a coupon acts; regression trees cannot. ``rows``
    (the fitting sample) sets leaf size and rounds (:class:`SampleSize`).
    """
    size = SampleSize(rows)
    cls = LGBMClassifier if binary else LGBMRegressor
    return cls(n_jobs=n_jobs, random_state=seed, n_estimators=size.trees,
               min_child_samples=size.min_leaf, **_LGBM)


@dataclass
class PooledS:
    """One outcome model over every arm with the discount depth as a feature.

    Pooling lets all arms share what drives the baseline (the user's occasion rate), and a
    monotone constraint on depth (deeper discount never lowers the outcome) removes the
    noise-driven sign flips of per-arm models. Arms without a known depth get their rank as
    the feature and no constraint.
    """

    model: Any
    levels: dict[str, float]  # arm -> feature value (control = 0)
    arms: list[str]

    @staticmethod
    def fit(X: np.ndarray, arm: np.ndarray, y: np.ndarray, control: str, arms: list[str],
            depths: dict[str, float] | None, binary: bool, n_jobs: int, seed: int) -> PooledS:
        known = bool(depths) and all(a in depths for a in arms)
        levels = {control: 0.0, **({a: float(depths[a]) for a in arms} if known
                                    else {a: float(i + 1) for i, a in enumerate(arms)})}
        model = base_learner(n_jobs, seed, binary, rows=len(y))
        if known:
            model.set_params(monotone_constraints=[0] * X.shape[1] + [1])
        level = np.array([levels[a] for a in arm])
        model.fit(np.column_stack([X, level]), y)
        return PooledS(model, levels, list(arms))

    def _predict(self, X: np.ndarray, level: float) -> np.ndarray:
        Xl = np.column_stack([X, np.full(len(X), level)])
        if hasattr(self.model, "predict_proba"):
            return self.model.predict_proba(Xl)[:, 1]
        return self.model.predict(Xl)

    def predict(self, X: np.ndarray) -> np.ndarray:
        base = self._predict(X, 0.0)
        return np.column_stack([self._predict(X, self.levels[a]) - base for a in self.arms])


@dataclass
class UpliftModel:
    """A fitted learner: ``predict(X)`` gives (n, len(arms)) effects vs control."""

    name: str
    arms: list[str]
    control: str
    model: Any
    pair_propensity: dict[str, float]

    def predict(self, X: np.ndarray) -> np.ndarray:
        if isinstance(self.model, PooledS):
            return self.model.predict(X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.name == "URF":
                full = self.model.predict(X, full_output=True)
                return np.column_stack([full[f"delta_{a}"].to_numpy() for a in self.arms])
            if self.name == "X":
                p = {a: np.full(len(X), e) for a, e in self.pair_propensity.items()}
                te = self.model.predict(X, p=p, verbose=False)
            else:
                te = self.model.predict(X, verbose=False)
        groups = list(self.model.t_groups)
        return np.asarray(te)[:, [groups.index(a) for a in self.arms]]


def fit_uplift(
    name: str,
    X: np.ndarray,
    arm: np.ndarray,
    y: np.ndarray,
    control: str,
    arms: list[str],
    propensity: dict[str, float],
    n_jobs: int = 1,
    seed: int = 0,
    urf_max_rows: int = 40_000,
    depths: dict[str, float] | None = None,
) -> UpliftModel:
    """Fit learner ``name`` (a key of :data:`LEARNERS`) on one outcome (0/1 or amount)."""
    if name not in LEARNERS:
        raise ValueError(f"unknown learner '{name}'; choose from {sorted(LEARNERS)}")
    missing = [a for a in [control, *arms] if not np.any(arm == a)]
    if missing:
        raise ValueError(f"arm(s) {missing} have no units in the training data")
    pair = {a: propensity[a] / (propensity[a] + propensity[control]) for a in arms}
    keep = np.isin(arm, [control, *arms])
    X, arm, y = X[keep], arm[keep], np.asarray(y, dtype=float)[keep]
    binary = bool(set(np.unique(y)) <= {0.0, 1.0})
    # one S-learner model sees every row; T, X and DR models see about one arm's share
    rows = len(y) if name == "S" else len(y) // (len(arms) + 1)
    reg, out = base_learner(n_jobs, seed, rows=rows), base_learner(n_jobs, seed, binary, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "SP":
            model = PooledS.fit(X, arm, y, control, arms, depths, binary, n_jobs, seed)
        elif name == "URF":
            if not binary:
                raise ValueError("the uplift random forest needs a 0/1 outcome")
            if len(y) > urf_max_rows:  # it is single-threaded Python-level: cap its sample
                idx = np.random.default_rng(seed).choice(len(y), urf_max_rows, replace=False)
                X, arm, y = X[idx], arm[idx], y[idx]
            # Euclidean-distance splits: on the demo campaign they rank about 1.5x better than
            # the default KL divergence, which chases tiny-probability leaves with 3 arms
            model = UpliftRandomForestClassifier(
                control_name=control, evaluationFunction="ED", n_estimators=20, max_depth=6,
                min_samples_leaf=SampleSize(len(y)).forest_leaf,
                max_features=min(10, X.shape[1]), random_state=seed, n_jobs=n_jobs,
            )
            model.fit(X, arm, y.astype(int))
        elif name == "S":
            cls = BaseSClassifier if binary else BaseSRegressor
            model = cls(learner=out, control_name=control)
            model.fit(X, arm, y)
        elif name == "T":
            cls = BaseTClassifier if binary else BaseTRegressor
            model = cls(learner=out, control_name=control)
            model.fit(X, arm, y)
        elif name == "X":
            if binary:
                model = BaseXClassifier(outcome_learner=out, effect_learner=reg, control_name=control)
            else:
                model = BaseXRegressor(learner=reg, control_name=control)
            p = {a: np.full(len(X), e) for a, e in pair.items()}
            model.fit(X, arm, y, p=p)
        else:  # DR: pseudo-outcomes are continuous, so regressors throughout
            model = BaseDRRegressor(learner=reg, control_name=control)
            p = {a: np.full(len(X), e) for a, e in pair.items()}
            model.fit(X, arm, y, p=p, seed=seed)  # causalml cross-fits in 3 folds
    return UpliftModel(name, list(arms), control, model, pair)


@dataclass
class ArmOutcomes:
    """E[y | arm, x] for control and every arm (the parts of a T-learner)."""

    arms: list[str]
    model: BaseTRegressor

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(control (n,), arms (n, len(arms)))."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y_c = self.model.model_c.predict(X)
            y_t = np.column_stack([self.model.models_t[a].predict(X) for a in self.arms])
        return y_c, y_t


def fit_arm_outcomes(
    X: np.ndarray, arm: np.ndarray, y: np.ndarray, control: str, arms: list[str],
    n_jobs: int = 1, seed: int = 0,
) -> ArmOutcomes:
    """Outcome models per arm: the purchase baseline (deadweight) and each offer's discount cost."""
    keep = np.isin(arm, [control, *arms])
    rows = int(keep.sum()) // (len(arms) + 1)
    model = BaseTRegressor(learner=base_learner(n_jobs, seed, rows=rows), control_name=control)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X[keep], arm[keep], np.asarray(y, dtype=float)[keep])
    return ArmOutcomes(list(arms), model)
