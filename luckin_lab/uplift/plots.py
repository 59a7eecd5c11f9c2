"""The uplift analysis' own figures, drawn by its methods: Qini curves and effect by decile.

Colours are named by their place in the house colour cycle ("C0", ...), which
``reporting.nb.setup()`` sets: the analysis draws, the report layer styles, and nothing here
imports the report layer.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from luckin_lab.uplift.words import Nouns

ACCENT, SECOND, NEUTRAL = "C0", "C1", "C5"  # house cycle: accent blue, orange, grey


def qini(curves: pd.DataFrame, chosen: str, arm: str, nn: Nouns) -> Figure:
    """Held-out Qini curves of every model for one arm, with the random line."""
    c = curves[curves["arm"] == arm]
    share = nn.outcome_unit == "share"
    k = 100 if share else 1
    fig, ax = plt.subplots()
    for name, g in c.groupby("learner", sort=False):
        ax.plot(g["fraction"] * 100, g["qini"] * k, lw=2.2 if name == chosen else 1.2,
                label=f"{name}{' (chosen)' if name == chosen else ''}")
    g0 = c[c["learner"] == chosen]
    ax.plot(g0["fraction"] * 100, g0["random"] * k, ls="--", color=NEUTRAL, label="random")
    ax.set_title(f"Qini curves, {nn.arm(arm)} against {nn.control} (held-out {nn.units})")
    ax.set_xlabel(f"{nn.units} treated, ranked by predicted effect (%)")
    ax.set_ylabel(f"extra responders per 100 {nn.units}" if share
                  else f"extra {nn.outcome} per {nn.unit}")
    ax.legend(ncol=3, loc="upper left", bbox_to_anchor=(0, -0.15), frameon=False)
    return fig


def deciles(by_decile: pd.DataFrame, arm: str, nn: Nouns) -> Figure:
    """Predicted vs observed effect by decile of predicted effect (held-out units)."""
    share = nn.outcome_unit == "share"
    k = 100 if share else 1
    d = by_decile[by_decile["arm"] == arm]
    fig, ax = plt.subplots()
    x = d["decile"].to_numpy()
    ax.bar(x - 0.2, d["observed_uplift"] * k, width=0.4, label="observed", color=ACCENT)
    ax.bar(x + 0.2, d["predicted_uplift"] * k, width=0.4, label="predicted", color=SECOND)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x)
    ax.set_title(f"Effect on {nn.outcome_phrase} by decile of predicted effect, {nn.arm(arm)}")
    ax.set_xlabel("decile of predicted effect (1 = most responsive)")
    ax.set_ylabel("effect (percentage points)" if share else f"effect ({nn.outcome})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return fig
