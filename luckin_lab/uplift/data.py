"""The experiment at analysis grain: one row per randomized unit, and what each column means.

Two ways in, one shape out (:class:`ExperimentData`): a coupon campaign built from the
store's raw tables (:func:`from_campaign`) or any table under the ``generic_experiment``
contract (:func:`from_generic`). Everything downstream (effects, learners, policy) only
sees :class:`ExperimentData`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from luckin_lab.contracts import validate
from luckin_lab.sources import DataStore
from luckin_lab.transforms import uplift as tx
from luckin_lab.uplift.words import Nouns, campaign_nouns, detect_unit

RESERVED = {"unit_id", "arm", "cluster_id", "issue_time"}
# fewer units in an arm identify nothing: the report holds a quarter out, the learners train on
# the rest, and an interval from a handful of units is noise
MIN_UNITS_PER_ARM = 20


@dataclass
class ExperimentData:
    """A randomized experiment with its outcome columns and covariates named."""

    name: str
    frame: pd.DataFrame
    control: str
    arms: list[str]  # treatment arms, in report order (shallow to deep discount)
    response: str  # conversion outcome ranked by Qini (0/1 or an amount)
    value: str  # decision value, net of the offer's cost (e.g. margin after discount)
    cost: str | None  # what the offer costs when used (e.g. discount paid), if observed
    numeric: list[str]
    categorical: list[str]
    cluster: str | None = None
    count: str | None = None  # responses per unit (e.g. orders), to value one extra response
    window_days: int | None = None
    depths: dict[str, float] = field(default_factory=dict)
    nouns: Nouns = field(default_factory=Nouns)

    def __post_init__(self) -> None:
        present = set(self.frame["arm"].unique())
        missing = [a for a in [self.control, *self.arms] if a not in present]
        if missing:
            raise ValueError(f"{self.name}: arm(s) {missing} have no units; arms present: "
                             f"{sorted(present)}")
        if len(self.frame) and self.frame["unit_id"].duplicated().any():
            dup = self.frame.loc[self.frame["unit_id"].duplicated(), "unit_id"].head(3).tolist()
            raise ValueError(f"{self.name}: unit_id must be unique; duplicates e.g. {dup}")

    @property
    def covariates(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    @property
    def all_arms(self) -> list[str]:
        return [self.control, *self.arms]

    def arm_index(self) -> np.ndarray:
        """-1 for control, k for ``arms[k]`` (units of other arms are not in ``frame``)."""
        code = {a: i - 1 for i, a in enumerate(self.all_arms)}
        return self.frame["arm"].map(code).to_numpy()

    def propensity(self) -> np.ndarray:
        """Share of units in control, arm 0, arm 1, ... (the randomization probabilities)."""
        shares = self.frame["arm"].value_counts(normalize=True)
        return np.array([shares[a] for a in self.all_arms])

    def features(self, frame: pd.DataFrame | None = None) -> np.ndarray:
        """Covariates as a float matrix; labels as integer codes (trees split on them fine).

        ``frame``: other units with the same columns (e.g. customers today, to score them with
        models learned on the experiment), coded with the experiment's labels (-1 = unseen).
        """
        frame = self.frame if frame is None else frame
        cols = [frame[c].astype(float).to_numpy() for c in self.numeric]
        for c in self.categorical:
            labels = pd.Categorical(self.frame[c].astype(str)).categories
            cols.append(pd.Categorical(frame[c].astype(str), categories=labels).codes.astype(float))
        if not cols:
            return np.zeros((len(frame), 1))
        return np.column_stack(cols)

    def clusters(self) -> np.ndarray | None:
        return None if self.cluster is None else self.frame[self.cluster].to_numpy()


def from_campaign(store: DataStore, experiment_id: str) -> ExperimentData:
    """A coupon campaign from the store: features before issue, outcomes in the window."""
    frame = store.execute(tx.campaign_frame(store, experiment_id))
    # engines sum floats in any order: round away the last bits and sort, so every run of the
    # same data fits the same models
    floats = frame.select_dtypes("float").columns
    frame[floats] = frame[floats].round(6)
    frame = frame.sort_values("unit_id", kind="stable").reset_index(drop=True)
    coupons = store.table("coupons")
    depth = store.execute(
        coupons.filter(coupons.experiment_id == experiment_id)
        .group_by("arm").aggregate(depth=coupons.discount_depth.mean())
    )
    depths = {str(r.arm): round(float(r.depth), 4) for r in depth.itertuples() if r.arm is not None}
    all_arms = sorted(frame["arm"].unique())
    controls = [a for a in all_arms if depths.get(a, 0.0) == 0.0]
    if len(controls) != 1:
        raise ValueError(f"{experiment_id}: expected exactly one arm without coupons (control), "
                         f"found {controls} among arms {all_arms}")
    control = controls[0]
    depths[control] = 0.0
    arms = sorted((a for a in all_arms if a != control), key=lambda a: (depths[a], a))
    has_cluster = frame["cluster_id"].notna().any()
    if not has_cluster:
        frame = frame.drop(columns="cluster_id")
    numeric = [c for c in tx.NUMERIC_FEATURES if frame[c].nunique() > 1]
    return ExperimentData(
        name=experiment_id, frame=frame, control=control, arms=arms, response="purchase",
        value="margin", cost="discount", numeric=numeric,
        categorical=list(tx.CATEGORICAL_FEATURES), cluster="cluster_id" if has_cluster else None,
        count="n_orders",
        window_days=tx.experiment_window_days(store, experiment_id), depths=depths,
        nouns=campaign_nouns(depths, control),
    )


def from_generic(
    store: DataStore | pd.DataFrame,
    table: str = "generic_experiment",
    control: str = "control",
    value: str | None = None,
    cost: str | None = None,
    window_days: int | None = None,
    nouns: Nouns | None = None,
) -> ExperimentData:
    """Any randomized experiment under the ``generic_experiment`` contract.

    ``value`` names the column the decision maximises (default: ``outcome``) and ``cost``
    an observed cost column, if any; all other non-reserved columns are covariates.
    ``nouns`` are the reader's words for units, arms and outcomes (default: neutral words,
    a 0/1 outcome read as a share).
    """
    if isinstance(store, pd.DataFrame):
        frame = validate(store, "generic_experiment").frame.reset_index(drop=True)
        name = "generic_experiment"
    else:
        if table != "generic_experiment":
            raw = store.execute(store.raw(table))
            frame = validate(raw, "generic_experiment").frame.reset_index(drop=True)
        else:
            frame = store.load(table)
        name = table
    for col, role in ((value, "value"), (cost, "cost")):
        if col is not None and col not in frame.columns:
            raise KeyError(f"table '{name}': {role} column '{col}' not found; "
                           f"columns: {list(frame.columns)}")
    cluster = None
    if "cluster_id" in frame.columns:
        bad = frame["cluster_id"].isna()
        if bad.any():
            raise ValueError(
                f"table '{name}', column 'cluster_id', check not_nullable: {int(bad.sum())} "
                f"unit(s) without a cluster, e.g. unit_id {frame.loc[bad, 'unit_id'].head(3).tolist()}")
        frame["cluster_id"] = frame["cluster_id"].astype(str)
        cluster = "cluster_id"
    arms_present = sorted(frame["arm"].unique())
    if control not in arms_present:
        raise ValueError(f"table '{name}', column 'arm': control arm '{control}' not found; "
                         f"arms present: {arms_present}")
    if len(arms_present) < 2:
        raise ValueError(f"table '{name}', column 'arm': only the control arm '{control}' is present "
                         f"({len(frame):,} units); an experiment needs at least one treated arm to "
                         "compare with it")
    sizes = frame["arm"].value_counts()
    thin = {str(a): int(n) for a, n in sorted(sizes.items()) if n < MIN_UNITS_PER_ARM}
    if thin:
        raise ValueError(f"table '{name}', column 'arm': arm(s) with fewer than {MIN_UNITS_PER_ARM} "
                         f"units: {thin}; an effect and its interval need at least "
                         f"{MIN_UNITS_PER_ARM} units in every arm")
    outcome_cols = {"outcome", value, cost} - {None}
    covs = [c for c in frame.columns if c not in RESERVED | outcome_cols]
    numeric = [c for c in covs if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    categorical = [c for c in covs if c not in numeric]
    if nouns is None:
        unit = detect_unit(frame["outcome"].to_numpy(float))
        nouns = Nouns(outcome_unit=unit, value_unit=unit if not value else "count")
    return ExperimentData(
        name=name, frame=frame, control=control,
        arms=[a for a in arms_present if a != control], response="outcome",
        value=value or "outcome", cost=cost, numeric=numeric, categorical=categorical,
        cluster=cluster, window_days=window_days, nouns=nouns,
    )


def from_params(store: DataStore, p: Any) -> ExperimentData:
    """The experiment a report's parameters name (``params_models.coupon_uplift.Params``):
    the store's coupon campaign, or a generic table read with the parameters' own nouns."""
    if not p.experiment_table:
        return from_campaign(store, p.campaign_id)
    exp = from_generic(store, p.experiment_table, control=p.control_arm,
                       value=p.value_column or None, cost=p.cost_column or None,
                       window_days=p.window_days)
    exp.nouns = p.nouns(exp.frame["outcome"].to_numpy(float))
    return exp


def data_window(store: DataStore, p: Any) -> tuple | str:
    """The dates the report rests on (its provenance): for a campaign, the pre-campaign history
    up to the end of the outcome window; a generic table carries no dates."""
    if p.experiment_table:
        return "no dates in the experiment table"
    e = store.table("experiments")
    end = store.execute(e.filter(e.experiment_id == p.campaign_id).end_time.max())
    return store.execute(store.table("orders").order_time.min()), end
