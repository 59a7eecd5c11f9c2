"""Score the survival analysis against the planted truth (the only module that reads it).

Used by benchmarks and slow tests: covariate effects inside their 95 % CIs, the Weibull
shape of each device type within a tolerance, and concordance against an oracle that
ranks spells by their planted hazard.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines.utils import concordance_index

from luckin_lab.sources import open_store
from luckin_lab.survival import models as M
from luckin_lab.survival.episodes import EventData, device_events


def load_iot_truth(store_dir: Path) -> tuple[dict, pd.DataFrame]:
    store_dir = Path(store_dir)
    doc = json.loads((store_dir / "truth.json").read_text())
    return doc["derived"]["iot"], pd.read_parquet(store_dir / "truth" / "iot_devices.parquet")


def planted_log_hr(truth: dict) -> dict[str, float]:
    """Planted log hazard ratios in the analysis' covariate names (models vs the first by name)."""
    out = {
        "cups_per_day_100": truth["beta_cups_per_100"],
        "age_years": truth["beta_age_per_year"],
        "peak_to_mean": 0.0,
        "store_cups_per_day_100": 0.0,
    }
    for t in truth["types"].values():
        names = sorted(t["models"])
        for m in names[1:]:
            out[f"model[{m}]"] = t["models"][m] - t["models"][names[0]]
    return out


def oracle_median(data: EventData, truth: dict, devices: pd.DataFrame) -> np.ndarray:
    """Each spell's median under the planted law (its true ranking of who fails first)."""
    f = data.frame.merge(devices, left_on="unit_id", right_on="device_id", how="left", suffixes=("", "_t"))
    lin = f.log_hr_without_age.to_numpy() + truth["beta_age_per_year"] * f.age_years.to_numpy()
    return f.weibull_scale_days.to_numpy() * (np.log(2) / np.exp(lin)) ** (1 / f.weibull_shape.to_numpy())


def evaluate(store_dir: Path, shape_tolerance: float = 0.10, blip_hours: float = 4.0) -> dict:
    """Fit the report's models on ``store_dir/store.duckdb`` and compare with its truth."""
    truth, devices = load_iot_truth(store_dir)
    store = open_store(f"duckdb:{Path(store_dir) / 'store.duckdb'}")
    data = device_events(store, blip_hours=blip_hours)
    cox = M.fit_cox(data)
    planted = planted_log_hr(truth)
    hr = cox.hazard_ratios.set_index("covariate")
    effects = []
    for c, b in planted.items():
        if c not in hr.index:
            continue
        lo, hi = np.log(hr.loc[c, "hr_lo"]), np.log(hr.loc[c, "hr_hi"])
        effects.append({"covariate": c, "planted": b, "estimate": float(hr.loc[c, "coef"]),
                        "lo": float(lo), "hi": float(hi), "covered": bool(lo <= b <= hi)})
    weib = M.fit_group_models(data, "Weibull AFT")
    shapes = M.weibull_shapes(weib)
    shapes["planted"] = [truth["types"][g]["weibull_shape"] for g in shapes.group]
    shapes["rel_error"] = shapes["shape"] / shapes.planted - 1
    shapes["within_tolerance"] = shapes.rel_error.abs() <= shape_tolerance
    oracle = oracle_median(data, truth, devices)
    model_med = weib.median_remaining(data.frame, data.group_col, np.zeros(len(data.frame)))
    f = data.frame
    c_oracle = concordance_index(f.stop, oracle, f.event)
    c_model = concordance_index(f.stop, model_med, f.event)
    eff = pd.DataFrame(effects)
    return {
        "effects": eff,
        "shapes": shapes,
        "effects_covered": int(eff.covered.sum()),
        "effects_total": len(eff),
        "shapes_within": int(shapes.within_tolerance.sum()),
        "shapes_total": len(shapes),
        "max_shape_rel_error": float(shapes.rel_error.abs().max()),
        "concordance_model": float(c_model),
        "concordance_oracle": float(c_oracle),
        "concordance_gap": float(c_oracle - c_model),
        "failures": int(f.event.sum()),
        "truth_failures_in_window": int(truth["n_failures_in_window"]),
    }
