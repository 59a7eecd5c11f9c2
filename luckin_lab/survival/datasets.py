"""Time-to-event data with known answers, as generic_time_to_event extracts.

Two public datasets shipped inside lifelines (no download) and a simulated fleet with rare
binary covariates and planted effects. Each writer produces exactly what a user would drop
into a ``folder:`` source: ``generic_time_to_event.csv`` with unit_id, start, stop, event and
covariate columns. Tests and benchmarks read them through the report's generic path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

# Rossi et al. (1980) recidivism, 432 released prisoners followed 52 weeks. Published Cox
# fit (Fox & Weisberg, "Cox Proportional-Hazards Regression for Survival Data in R", 2019,
# Efron ties), coefficient and standard error:
ROSSI_PUBLISHED = {
    "fin": (-0.37942, 0.19138), "age": (-0.05744, 0.02200), "race": (0.31390, 0.30799),
    "wexp": (-0.14980, 0.21222), "mar": (-0.43370, 0.38187), "paro": (-0.08487, 0.19576),
    "prio": (0.09150, 0.02865),
}
# NCCTG lung cancer, 228 patients, days (Loprinzi et al. 1994; R survival's `lung`).
# Published coxph(Surv(time, status) ~ age + sex) (Therneau's survival package):
LUNG_PUBLISHED = {"age": (0.017045, 0.009223), "sex": (-0.513219, 0.167458)}


def rossi_frame() -> pd.DataFrame:
    """Rossi in the generic form: one spell per person, weeks, integer ids (as an export has)."""
    from lifelines.datasets import load_rossi

    r = load_rossi()
    out = pd.DataFrame({"unit_id": np.arange(1, len(r) + 1), "start": 0.0, "stop": r.week.astype(float),
                        "event": r.arrest.astype(int)})
    return pd.concat([out, r[list(ROSSI_PUBLISHED)]], axis=1)


def lung_frame() -> pd.DataFrame:
    """NCCTG lung in the generic form: days, age in years, sex 1 = male, 2 = female."""
    from lifelines.datasets import load_lung

    lung = load_lung()
    return pd.DataFrame({"unit_id": np.arange(1, len(lung) + 1), "start": 0.0,
                         "stop": lung.time.astype(float), "event": lung.status.astype(int),
                         "age": lung.age.astype(float), "sex": lung.sex.astype(int)})


# planted log hazard ratios of the rare-covariate fleet
RARE_BETA = {"recalled_batch": 0.9, "coastal_site": 0.5, "heavy_use": 0.35, "load_per_10": 0.12}
RARE_PREVALENCE = {"recalled_batch": 0.004, "coastal_site": 0.01, "heavy_use": 0.03, "sealed_unit": 0.002}


def rare_covariate_frame(n_units: int = 52_000, seed: int = 0, shape: float = 1.3,
                         scale_days: float = 400.0, window_days: float = 365.0) -> pd.DataFrame:
    """One spell per unit of a Weibull-PH fleet with rare 0/1 covariates and planted effects.

    ``sealed_unit`` (0.2 % of units) never fails in the window: its effect is quasi-completely
    separated (the maximum-likelihood hazard ratio is 0), which a report must name, not fit.
    ``asset_type`` groups the units; a third of units entered observation late.
    """
    rng = np.random.default_rng(seed)
    x = {k: (rng.random(n_units) < p).astype(int) for k, p in RARE_PREVALENCE.items()}
    load = rng.gamma(4.0, 10.0, n_units)
    lin = sum(RARE_BETA[k] * x[k] for k in ("recalled_batch", "coastal_site", "heavy_use"))
    lin = lin + RARE_BETA["load_per_10"] * (load - 40.0) / 10.0
    t = scale_days * (-np.log(rng.random(n_units)) / np.exp(lin)) ** (1 / shape)
    entry = np.where(rng.random(n_units) < 1 / 3, rng.uniform(0, 120, n_units), 0.0)
    end = entry + rng.uniform(0.3, 1.0, n_units) * window_days
    seen = t > entry
    while not seen.all():  # a unit that failed before observation began is never seen: redraw
        k = ~seen
        t[k] = scale_days * (-np.log(rng.random(k.sum())) / np.exp(lin[k])) ** (1 / shape)
        seen = t > entry
    event = ((t <= end) & (x["sealed_unit"] == 0)).astype(int)
    stop = np.where(event == 1, t, end)
    return pd.DataFrame({
        "unit_id": np.arange(100_001, 100_001 + n_units), "start": entry, "stop": stop, "event": event,
        "asset_type": rng.choice(["chiller", "freezer"], n_units), "load": load, **x,
    })


def write_extract(frame: pd.DataFrame, folder: Path | str) -> Path:
    """Write ``frame`` as the folder source's generic_time_to_event.csv; returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "generic_time_to_event.csv", index=False)
    return folder
