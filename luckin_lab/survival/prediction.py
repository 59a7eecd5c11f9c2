"""Risk of every device online at the snapshot, and its check on held-out time.

A device online at the snapshot is in a censored spell of age ``a`` days; its chance of
failing within h days is 1 - S(a + h) / S(a) under the chosen model, and its median
remaining life is the h where that conditional survival reaches one half.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from luckin_lab.survival.episodes import EventData
from luckin_lab.survival.models import GroupModels, fit_group_models


def online_at_snapshot(data: EventData) -> pd.DataFrame:
    """The open (censored) spell of each unit still at risk at the snapshot."""
    f = data.frame
    last = f.sort_values(["unit_id", "spell_no"]).groupby("unit_id").tail(1)
    return last[last.event == 0]


def risk_table(data: EventData, models: GroupModels, horizons: tuple[int, ...] = (7, 30)) -> pd.DataFrame:
    """Per online device: current spell age, P(failure) within each horizon, median remaining life."""
    cur = online_at_snapshot(data)
    age = cur.stop.to_numpy()
    surv = models.survival_after(cur, data.group_col, age, [float(h) for h in horizons])
    out = cur[["unit_id", data.group_col]].copy()
    for extra in ("store_id", "model", "cups_per_day"):
        if extra in cur.columns:
            out[extra] = cur[extra].to_numpy()
    out["spell_age_days"] = age
    for h in horizons:
        out[f"p_fail_{h}d"] = 1.0 - surv[f"S{h:g}"].to_numpy()
    out["median_remaining_days"] = models.median_remaining(cur, data.group_col, age)
    return out.sort_values(f"p_fail_{horizons[0]}d", ascending=False).reset_index(drop=True)


def holdout_calibration(
    full: EventData,
    earlier: EventData,
    family: str,
    horizon_days: int = 30,
    n_bins: int = 5,
) -> tuple[pd.DataFrame, dict]:
    """Fit on the data as of ``earlier.snapshot``, predict each online device's chance of
    failing within ``horizon_days`` and compare with what the later log shows.

    ``full`` must reach at least ``horizon_days`` past ``earlier.snapshot``.
    """
    cutoff = earlier.snapshot
    if full.snapshot is not None and full.snapshot < cutoff + pd.Timedelta(days=horizon_days):
        raise ValueError(f"the log ends {full.snapshot:%Y-%m-%d}, before {horizon_days} days after {cutoff:%Y-%m-%d}")
    models = fit_group_models(earlier, family)
    risk = risk_table(earlier, models, (horizon_days,))
    col = f"p_fail_{horizon_days}d"
    fails = full.frame[(full.frame.event == 1)]
    fail_at = fails.assign(t=fails.spell_end)
    end = cutoff + pd.Timedelta(days=horizon_days)
    failed = set(fail_at.loc[(fail_at.t > cutoff) & (fail_at.t <= end), "unit_id"])
    risk["failed"] = risk.unit_id.isin(failed).astype(int)
    q = min(n_bins, max(1, len(risk) // 5))
    risk["bin"] = pd.qcut(risk[col].rank(method="first"), q, labels=False)
    table = (
        risk.groupby("bin")
        .agg(devices=("unit_id", "size"), predicted=(col, "mean"), observed=("failed", "mean"))
        .reset_index()
    )
    table["bin"] = table["bin"] + 1
    brier = float(np.mean((risk[col] - risk.failed) ** 2))
    base = float(np.mean((risk.failed.mean() - risk.failed) ** 2))
    summary = {
        "cutoff": str(cutoff.date()),
        "devices": len(risk),
        "expected_failures": float(risk[col].sum()),
        "observed_failures": int(risk.failed.sum()),
        "brier": brier,
        "brier_skill": 1 - brier / base if base > 0 else float("nan"),
    }
    return table, summary
