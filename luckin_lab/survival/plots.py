"""The failure analyses' own figures, drawn by their methods (``km_figure``, ``hazard_ratio_figure``, ...).

Colours are named by their place in the house colour cycle ("C0", ...), which
``reporting.nb.setup()`` sets: the analysis draws, the report layer styles, and nothing here
imports the report layer.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

ACCENT, GOOD, BAD, NEUTRAL = "C0", "C2", "C4", "C5"  # house cycle: blue, green, red, grey
CYCLE = 8  # colours in the house cycle



def _legend_outside(ax, **kw) -> None:
    """Legend to the right of the axes, never over the data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, **kw)


def log_ticks(lo: float, hi: float) -> list[float]:
    """Readable ticks for a log axis from ``lo`` to ``hi``: the coarsest 'nice' set giving at
    least four ticks in range (so a narrow axis never shows only '1')."""
    sets = [(1, 2, 5), (1, 1.5, 2, 3, 5, 7), (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8),
            (1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.8, 2, 2.5, 3, 4, 5, 6, 7, 8, 9),
            tuple(round(1 + 0.05 * i, 2) for i in range(180)),
            tuple(round(1 + 0.02 * i, 2) for i in range(450))]
    e0, e1 = int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1
    for subs in sets:
        ticks = sorted({round(m * 10.0**e, 6) for e in range(e0, e1) for m in subs})
        inside = [t for t in ticks if lo <= t <= hi]
        if len(inside) >= 4:
            if len(inside) > 9:
                inside = inside[:: int(np.ceil(len(inside) / 9))]
            return sorted(set(inside) | ({1.0} if lo <= 1 <= hi else set()))
    return [lo, 1.0, hi]


def km_curves(fits: dict, title: str, xmax: float | None = None,
              xlabel: str = "days since last installation or repair") -> Figure:
    """Kaplan-Meier survival with 95 % bands, one line per group."""
    fig, ax = plt.subplots()
    for i, (label, kmf) in enumerate(fits.items()):
        color = f"C{i % CYCLE}"
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_
        ax.step(sf.index, sf.to_numpy(), where="post", color=color, label=label.replace("_", " "))
        ax.fill_between(ci.index, ci.iloc[:, 0], ci.iloc[:, 1], step="post", color=color, alpha=0.15)
    ax.set_xlim(0, xmax or max(k.survival_function_.index.max() for k in fits.values()))
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("share still without the event" if "install" not in xlabel else "share still running")
    if len(fits) > 1:
        _legend_outside(ax)
    return fig


def km_small_multiples(fits_by_panel: dict[str, dict], title: str, xmax: float = 60) -> Figure:
    """One KM panel per group (e.g. device type), a line per sub-group (e.g. model)."""
    n = len(fits_by_panel)
    cols = min(2, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(7.5, 2.6 * rows), sharey=True, squeeze=False)
    for ax, (panel, fits) in zip(axes.ravel(), fits_by_panel.items(), strict=False):
        for i, (label, kmf) in enumerate(fits.items()):
            c = f"C{i % CYCLE}"
            sf = kmf.survival_function_.iloc[:, 0]
            ci = kmf.confidence_interval_
            ax.step(sf.index, sf.to_numpy(), where="post", color=c, label=label)
            ax.fill_between(ci.index, ci.iloc[:, 0], ci.iloc[:, 1], step="post", color=c, alpha=0.15)
        ax.set_title(panel.replace("_", " "), fontsize=9.5)
        ax.set_xlim(0, xmax)
        ax.set_xlabel("days since renewal")
        ax.legend(fontsize=7.5, loc="lower left", frameon=False)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("share still running")
    fig.suptitle(title, x=0.02, ha="left", fontweight="bold", fontsize=11)
    fig.tight_layout()
    return fig


def hazard_ratio_forest(hr: pd.DataFrame, title: str, labels: dict[str, str] | None = None) -> Figure:
    """Hazard ratios with 95 % CIs on a log axis; 1 = no effect."""
    d = hr.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.35 * len(d) + 1.2))
    y = np.arange(len(d))
    colors = [BAD if lo > 1 else GOOD if hi < 1 else NEUTRAL for lo, hi in zip(d.hr_lo, d.hr_hi, strict=True)]
    for yi, (h, lo, hi, c) in enumerate(zip(d.hr, d.hr_lo, d.hr_hi, colors, strict=True)):
        ax.plot([lo, hi], [yi, yi], color=c, lw=1.5)
        ax.scatter([h], [yi], color=c, zorder=3)
    ax.axvline(1, color="black", lw=0.8)
    ax.set_xscale("log")
    lo, hi = min(float(d.hr_lo.min()), 1.0), max(float(d.hr_hi.max()), 1.0)
    pad = (hi / lo) ** 0.06
    ax.set_xlim(lo / pad, hi * pad)
    ax.xaxis.set_major_locator(mticker.FixedLocator(log_ticks(lo / pad, hi * pad)))
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(mticker.NullLocator())
    names = labels or {}
    ax.set_yticks(y, [names.get(c, str(c).replace("[", ": ").rstrip("]").replace("_", " "))
                      .removeprefix("Each extra ").replace(" (yes vs no)", "") for c in d.covariate])
    ax.set_xlabel("hazard ratio (log scale; > 1 = fails sooner)")
    ax.set_title(title)
    return fig


def calibration_plot(table: pd.DataFrame, horizon: int) -> Figure:
    fig, ax = plt.subplots(figsize=(4.8, 3.6))
    ax.plot([0, 1], [0, 1], color=NEUTRAL, lw=0.8, ls="--", label="perfect calibration")
    from statsmodels.stats.proportion import proportion_confint

    failed = (table.observed * table.devices).round().astype(int)
    lo, hi = proportion_confint(failed, table.devices, alpha=0.05, method="wilson")
    ax.errorbar(table.predicted, table.observed, yerr=[table.observed - lo, hi - table.observed], fmt="o",
                color=ACCENT, ms=5, capsize=3, label="risk group (95 % interval)")
    for x, y, n in zip(table.predicted, table.observed, table.devices, strict=True):
        ax.annotate(f"n={int(n)}", (x, y), xytext=(5, -10), textcoords="offset points", fontsize=7)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(f"predicted chance of failing within {horizon} days")
    ax.set_ylabel("share that failed (held-out days)")
    ax.set_title(f"{horizon}-day failure risk: predicted vs observed")
    _legend_outside(ax)
    return fig


def backlog_bars(backlog: pd.DataFrame) -> Figure:
    d = backlog.sort_values("share_down")
    label = d.store_name if "store_name" in d.columns else d.store_id.astype(str)
    fig, ax = plt.subplots(figsize=(7.5, 0.3 * len(d) + 1.2))
    ax.barh(label, d.devices, color="#dfe4ee", label="devices")
    ax.barh(label, d.down, color=BAD, label="down at snapshot")
    for yv, (dn, tot) in enumerate(zip(d.down, d.devices, strict=True)):
        ax.text(tot + 0.3, yv, f"{dn}/{tot}", va="center", fontsize=8)
    ax.set_xlabel("devices")
    ax.set_title("Offline backlog by store")
    _legend_outside(ax)
    return fig
