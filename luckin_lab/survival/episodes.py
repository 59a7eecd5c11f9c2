"""Time-to-event data: device spells from the IoT tables, or any fleet from the generic contract.

Both paths produce the same :class:`EventData`: one row per spell at risk in counting
process form (``entry`` < ``stop`` in days since renewal, ``event`` 1 = failure), a group
column (device type / asset type), numeric covariates, and the counts the report shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from luckin_lab.sources import DataStore
from luckin_lab.survival.words import DEVICES, Nouns
from luckin_lab.transforms import iot as tx

# covariates of the device model, per 100 cups where a cup count is involved
DEVICE_NUMERIC = ["cups_per_day_100", "peak_to_mean", "store_cups_per_day_100", "age_years"]


@dataclass
class EventData:
    """Spells at risk plus what the analysis needs to know about them."""

    frame: pd.DataFrame
    group_col: str
    covariates: list[str]
    snapshot: pd.Timestamp | None = None
    counts: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    nouns: Nouns = DEVICES

    @property
    def n_units(self) -> int:
        return int(self.frame.unit_id.nunique())


def _snapshot(store: DataStore, snapshot: str | None) -> pd.Timestamp:
    """The given snapshot, or the day after the last status event (the log's end)."""
    if snapshot:
        return pd.Timestamp(snapshot)
    last = store.execute(store.table("iot_device_status").event_time.max())
    return pd.Timestamp(last).normalize() + pd.Timedelta(days=1)


def model_dummies(frame: pd.DataFrame, group_col: str, model_col: str) -> pd.DataFrame:
    """One 0/1 column per non-reference model within each group (reference: first by name)."""
    out = {}
    for g, sub in frame.groupby(group_col):
        models = sorted(sub[model_col].unique())
        for m in models[1:]:
            out[f"model[{m}]"] = ((frame[group_col] == g) & (frame[model_col] == m)).astype(float)
    return pd.DataFrame(out, index=frame.index)


def device_events(
    store: DataStore,
    blip_hours: float = 4.0,
    snapshot: str | pd.Timestamp | None = None,
    record: bool = True,
) -> EventData:
    """Device spells with usage covariates, from iot_devices, iot_device_status and iot_cup_orders."""
    snap = _snapshot(store, str(snapshot) if snapshot is not None else None)
    snap_py = snap.to_pydatetime()
    status = store.table("iot_device_status")
    devices = store.table("iot_devices")
    n_after = int(store.execute(status.filter(status.event_time >= snap_py).count()))
    if n_after and record:
        store.exclude("iot_device_status", f"status events at or after the snapshot {snap:%Y-%m-%d}", n_after)
    log_start = pd.Timestamp(store.execute(status.event_time.min())).to_pydatetime()
    sp_expr = tx.spells(status, devices, snap_py, blip_hours)
    usage = store.execute(
        tx.device_usage(
            store.table("iot_cup_orders"), devices, store.table("stores"), sp_expr, log_start, snap_py
        )
    )
    sp = store.execute(sp_expr)
    counts_dev = store.execute(tx.offline_counts(status, snap_py, blip_hours))
    dev = store.load("iot_devices")

    no_log = ~dev.device_id.isin(counts_dev.device_id)
    if no_log.any() and record:
        store.exclude("iot_devices", "no status events before the snapshot", int(no_log.sum()))
    empty = sp.stop <= sp.entry
    if empty.any() and record:
        store.exclude("iot_device_status", "spells of zero length (online and offline at once)", int(empty.sum()))
    sp = sp[~empty]

    f = sp.merge(dev[["device_id", "store_id", "device_type", "model", "manufacture_date"]], on="device_id")
    f = f.merge(usage.drop(columns=["store_id"]), on="device_id", how="left")
    f["age_years"] = (f.renewal_time - f.manufacture_date).dt.total_seconds() / (365.25 * 86_400)
    f["cups_per_day_100"] = f.cups_per_day / 100.0
    f["store_cups_per_day_100"] = f.store_cups_per_day / 100.0
    # peak load as peakiness: the daily peak hour against the average hour of the day
    f["peak_to_mean"] = (f.peak_cups_per_hour / (f.cups_per_day / 24.0).clip(lower=1e-9)).fillna(0.0)
    f = f.rename(columns={"device_id": "unit_id"})
    dummies = model_dummies(f, "device_type", "model")
    f = pd.concat([f, dummies], axis=1)
    f = f.sort_values(["unit_id", "spell_no"]).reset_index(drop=True)
    counts = {
        "devices_registered": len(dev),
        "devices_used": int(f.unit_id.nunique()),
        "devices_excluded_no_log": int(no_log.sum()),
        "spells": len(f),
        "failures": int(f.event.sum()),
        "censored_spells": int((f.event == 0).sum()),
        "left_truncated_spells": int(f.truncated.sum()),
        "repeat_failures": int(((f.spell_no > 1) & (f.event == 1)).sum()),
        "blips_ignored": int(counts_dev.n_blips.sum()),
        "pending_short_offline": int(counts_dev.n_pending.sum()),
        "status_events_after_snapshot": n_after,
        "zero_length_spells_excluded": int(empty.sum()),
    }
    return EventData(
        frame=f,
        group_col="device_type",
        covariates=[*DEVICE_NUMERIC, *dummies.columns],
        snapshot=snap,
        counts=counts,
        labels={
            "cups_per_day_100": "100 cups a day",
            "peak_to_mean": "unit of peak-hour-to-average-hour ratio",
            "store_cups_per_day_100": "100 store cups a day",
            "age_years": "year of age",
            **model_labels(f, "device_type", "model"),
        },
    )


def model_labels(frame: pd.DataFrame, group_col: str, model_col: str) -> dict[str, str]:
    """'Model Franke A1000 (vs Eversys Cameo C2, same type)': each dummy names its reference model."""
    out = {}
    for _, sub in frame.groupby(group_col):
        models = sorted(sub[model_col].unique())
        for m in models[1:]:
            out[f"model[{m}]"] = f"Model {m} (vs {models[0]}, same type)"
    return out


def generic_events(
    store: DataStore, group_col: str = "", covariates: list[str] | None = None,
    covariate_labels: dict[str, str] | None = None, covariate_units: dict[str, str] | None = None,
    nouns: Nouns | None = None,
) -> EventData:
    """Any fleet (assets, people, accounts) from the ``generic_time_to_event`` contract.

    Text columns other than ``group_col`` become 0/1 indicators; ``covariates`` (default:
    every other column) picks the model's covariates; ``covariate_labels`` and
    ``covariate_units`` name them in words ("age": "age", "years"). Rows with stop <= start
    break the counting-process form and raise, naming a few of them.
    """
    names, units = covariate_labels or {}, covariate_units or {}
    df = store.load("generic_time_to_event").copy()
    bad = df[df.stop <= df.start]
    if len(bad):
        raise ValueError(
            "Table 'generic_time_to_event': check stop > start failed for "
            f"{len(bad)} rows, e.g.\n{bad.head(3).to_string()}"
        )
    df["unit_id"] = df.unit_id.astype(str)
    base = {"unit_id", "start", "stop", "event"}
    extra = [c for c in df.columns if c not in base]
    if group_col and group_col not in df.columns:
        raise KeyError(f"group column '{group_col}' not in generic_time_to_event; columns: {extra}")
    if not group_col:
        df["_all"] = "all"
        group_col = "_all"
    chosen = covariates if covariates else [c for c in extra if c != group_col]
    missing = [c for c in chosen if c not in df.columns]
    if missing:
        raise KeyError(f"covariates {missing} not in generic_time_to_event; columns: {extra}")
    cols, labels = [], {}
    for c in chosen:
        name_c = names.get(c, c.replace("_", " "))
        if pd.api.types.is_bool_dtype(df[c]) or (
            pd.api.types.is_numeric_dtype(df[c]) and set(df[c].dropna().unique()) <= {0, 1}
        ):
            df[c] = df[c].astype(float)
            cols.append(c)
            labels[c] = f"{name_c[:1].upper()}{name_c[1:]} (yes vs no)"
        elif pd.api.types.is_numeric_dtype(df[c]) and df[c].nunique() == 2:
            lo, hi = sorted(df[c].dropna().unique())
            df[c] = (df[c] == hi).astype(float) * (hi - lo)  # per unit of the code, as published fits report it
            cols.append(c)
            labels[c] = f"{name_c[:1].upper()}{name_c[1:]} {hi:g} (vs {lo:g})"
        elif pd.api.types.is_numeric_dtype(df[c]):
            # raw units make hazard ratios read "+0 %" per print; use a step the data spans
            step = reporting_step(df[c])
            name = c if step == 1 else f"{c}_per_{step:g}"
            df[name] = df[c].astype(float) / step
            cols.append(name)
            labels[name] = unit_label(c, step, names.get(c), units.get(c))
        else:
            levels = sorted(df[c].dropna().astype(str).unique())
            for lv in levels[1:]:
                name = f"{c}[{lv}]"
                df[name] = (df[c].astype(str) == lv).astype(float)
                cols.append(name)
                labels[name] = f"{name_c[:1].upper()}{name_c[1:]} {lv} (vs {levels[0]})"
    na = df[cols].isna().any(axis=1)
    if na.any():
        store.exclude("generic_time_to_event", "missing covariate values", int(na.sum()))
        df = df[~na]
    df = df.rename(columns={"start": "entry"})
    df["event"] = df.event.astype(int)
    check_events(df, group_col)
    df["spell_no"] = df.groupby("unit_id").cumcount() + 1
    df["truncated"] = df.entry > 0
    counts = {
        "units": int(df.unit_id.nunique()),
        "spells": len(df),
        "failures": int(df.event.sum()),
        "censored_spells": int((df.event == 0).sum()),
        "left_truncated_spells": int(df.truncated.sum()),
        "repeat_failures": int(((df.spell_no > 1) & (df.event == 1)).sum()),
        "rows_excluded_missing_covariates": int(na.sum()),
    }
    return EventData(df.reset_index(drop=True), group_col, cols, None, counts, labels,
                     nouns or Nouns("unit", "units", "failure", "failures", "day", "days", "group",
                                    "the last renewal"))


# Fewer events identify nothing: a model per group (shape, scale and covariate effects) and
# a hold-out need at least this many events in every group (the usual ten per parameter floor)
MIN_EVENTS = 10


def check_events(df: pd.DataFrame, group_col: str) -> None:
    """Refuse data whose events cannot support a model, naming the count and what to do."""
    n = int(df.event.sum())
    if n < MIN_EVENTS:
        raise ValueError(
            f"Table 'generic_time_to_event', column 'event': {n} of {len(df):,} spells end in an "
            f"event; at least {MIN_EVENTS} are needed to estimate anything (check that event is 1 "
            "when the event happened)")
    by = df.groupby(group_col).event.sum()
    thin = {str(g): int(e) for g, e in by.items() if e < MIN_EVENTS}
    if thin:
        raise ValueError(
            f"Table 'generic_time_to_event', group column '{group_col}': level(s) with fewer than "
            f"{MIN_EVENTS} events: {thin}; each level gets its own model, so merge the small "
            "levels or run without a group column")


def reporting_step(values: pd.Series) -> float:
    """A round step (1, 2 or 5 times a power of ten) nearest the spread (standard deviation)
    of ``values`` on a log scale, so one step is a change readers meet in the fleet."""
    sd = float(values.astype(float).std())
    if not np.isfinite(sd) or sd <= 0:
        return 1.0
    k = np.floor(np.log10(sd))
    cands = np.array([m * 10.0**e for e in (k - 1, k, k + 1) for m in (1, 2, 5)])
    return float(cands[np.argmin(np.abs(np.log(cands) - np.log(sd)))])


def unit_label(column: str, step: float, name: str | None = None, unit: str | None = None) -> str:
    """'100 prints per day', '10 percentage points of humidity', '5 years of age' (with the
    user's name and unit for the column) or 'An increase of 5 in age' for plain-words HRs."""
    words = name or column.replace("_", " ")
    if unit:
        return f"{step:g} {unit} of {words}"
    if column.endswith("_pct"):
        return f"{step:g} percentage points of {name or column[:-4].replace('_', ' ')}"
    if "_per_" in column:  # a rate reads as a count: "100 prints per day"
        return f"{step:g} {words}"
    return f"An increase of {step:g} in {words}"


def split_at(frame: pd.DataFrame, t_cut: float) -> pd.DataFrame:
    """Split spells at analysis time ``t_cut`` (counting process), adding ``late`` = 1 after it.

    Used to give a covariate a different effect early and late in a spell when its
    proportional-hazards assumption fails.
    """
    early = frame[frame.entry < t_cut].copy()
    early["event"] = np.where(early.stop <= t_cut, early.event, 0)
    early["stop"] = np.minimum(early.stop, t_cut)
    late = frame[frame.stop > t_cut].copy()
    late["entry"] = np.maximum(late.entry, t_cut)
    early["late"] = 0.0
    late["late"] = 1.0
    return pd.concat([early, late], ignore_index=True)


def as_of(store: DataStore, cutoff: pd.Timestamp, blip_hours: float) -> EventData:
    """The device data as it looked at an earlier ``cutoff`` (for held-out-time checks)."""
    return device_events(store, blip_hours=blip_hours, snapshot=cutoff, record=False)
