"""The pricing analysis' own figures, drawn by its methods (each returns its figure).

Colours are named by their place in the house colour cycle ("C0", ...), which
``reporting.nb.setup()`` sets: the analysis draws, the report layer styles, and nothing here
imports the report layer.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from luckin_lab.pricing.economics import BENCHMARK_AOV
from luckin_lab.pricing.words import Words

PALETTE = ["C0", "C1", "C2", "C3", "C4", "C5"]  # house cycle: blue, orange, teal, purple, red, grey
BAD, NEUTRAL = PALETTE[4], PALETTE[5]
_COLORS = {"naive": NEUTRAL, "2sls": PALETTE[1], "dml": PALETTE[2], "poisson": PALETTE[0]}


def estimates_forest(by_group: pd.DataFrame) -> plt.Figure:
    """Naive vs causal elasticity per group, with 95% intervals."""
    t = by_group.dropna(subset=["elasticity"])
    groups = list(dict.fromkeys(t["group"]))
    fig, ax = plt.subplots(figsize=(7.5, 0.38 * len(groups) + 2.0), layout="constrained")
    offsets = {"naive": -0.27, "2sls": -0.09, "dml": 0.09, "poisson": 0.27}
    for method in offsets:
        grp = t[t["method"] == method]
        if grp.empty:
            continue
        y = np.array([groups.index(g) for g in grp["group"]]) + offsets[method]
        ax.errorbar(grp["elasticity"], y,
                    xerr=[grp["elasticity"] - grp["ci_low"], grp["ci_high"] - grp["elasticity"]],
                    fmt="o", ms=4, capsize=2, color=_COLORS[method], label=grp["label"].iloc[0])
    ax.axvline(-1, color=BAD, lw=0.8, ls="--")
    ax.set_yticks(range(len(groups)), groups)
    ax.set_ylim(len(groups) - 0.5, -0.9)
    ax.text(-1, -0.75, " -1: unit elastic", color=BAD, fontsize=8, va="center")
    ax.set_xlabel("Own-price elasticity (% change in quantity for a +1 % price change)")
    ax.set_title(_forest_title(t))
    # the legend sits below the axis label, outside the data
    fig.legend(loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    return fig


def _forest_title(t: pd.DataFrame) -> str:
    """The title says what the comparison shows in these data, not what it showed in the demo."""
    e = t.pivot_table(index="group", columns="method", values="elasticity")
    if "naive" not in e or "poisson" not in e:
        return "Own-price elasticity by estimator"
    flatter = (e["naive"].abs() < e["poisson"].abs()).mean()
    if flatter >= 0.75:
        return "The naive regression understates price sensitivity"
    if flatter <= 0.25:
        return "The naive regression overstates price sensitivity"
    return "Naive and instrumented estimates differ in both directions"


def segment_heatmap(cells: pd.DataFrame) -> plt.Figure:
    """Causal (Poisson IV) elasticity by group x segment."""
    m = cells.pivot(index="group", columns="segment", values="elasticity")
    fig, ax = plt.subplots(figsize=(7.5, 0.4 * len(m) + 1.4))
    im = ax.imshow(m.to_numpy(), cmap="RdYlBu", vmin=-3.5, vmax=0.5, aspect="auto")
    ax.set_xticks(range(m.shape[1]), [c.replace("_", " ") for c in m.columns])
    ax.set_yticks(range(m.shape[0]), m.index)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            v = m.iat[i, j]
            if np.isfinite(v):
                shade = float(im.norm(v))
                color = "white" if shade < 0.2 or shade > 0.8 else "black"
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8, color=color)
    ax.grid(False)
    fig.colorbar(im, ax=ax, label="Elasticity (% units per +1 % price)")
    ax.set_title("Who is price-sensitive: elasticity by category and segment")
    return fig


def demand_curves(econ: pd.DataFrame, recs: pd.DataFrame, words: Words) -> plt.Figure:
    """Projected weekly units against menu price (+-25%), with the 95% band; dots = today/recommended.

    Every category whose price changes gets a panel; kept prices have nothing to show.
    """
    moved = recs.loc[recs["change"] != 0, "group"]
    top = econ[econ["group"].isin(moved)].sort_values("weekly_units", ascending=False)
    if top.empty:
        top = econ.sort_values("weekly_units", ascending=False).head(3)
    n = len(top)
    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(7.5, 2.4 * rows), squeeze=False)
    rec = recs.set_index("group")
    for ax, r in zip(axes.flat, top.itertuples(index=False), strict=False):
        ratio = np.linspace(0.75, 1.25, 60)
        price = r.today_price * ratio
        for k, alpha in ((0, 1.0), (-1.96, 0.0), (1.96, 0.0)):
            e = r.elasticity + k * r.se
            units = r.weekly_units * ratio**e
            if alpha:
                ax.plot(price, units, color=PALETTE[0])
            else:
                ax.plot(price, units, color=PALETTE[0], lw=0.6, ls=":")
        p1 = rec.loc[r.group, "recommended_price"]
        ax.plot([r.today_price], [r.weekly_units], "o", color=NEUTRAL, ms=5)
        ax.plot([p1], [rec.loc[r.group, "projected_units"]], "o", color=PALETTE[1], ms=5)
        ax.set_title(f"{r.group} (e = {r.elasticity:.2f})", fontsize=9)
        ax.set_xlabel(words.price_axis)
        ax.set_ylabel(f"{words.quantity.capitalize()} per week")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle("Demand curves: grey = today, orange = recommended", x=0.01, ha="left",
                 fontsize=11, fontweight="bold")
    fig.tight_layout()
    return fig


def aov_history(order_value: pd.DataFrame, path: pd.DataFrame) -> plt.Figure:
    """Weekly AOV since launch, with the projected steps and the specialty benchmark band."""
    fig, ax = plt.subplots()
    ax.plot(pd.to_datetime(order_value["week"]), order_value["aov"], color=PALETTE[0],
            label="AOV (paid, completed USD orders)")
    ax.axhspan(*BENCHMARK_AOV, color=PALETTE[2], alpha=0.15, label="US specialty benchmark")
    last = pd.to_datetime(order_value["week"]).max()
    for i, (label, marker) in enumerate(((1, "s"), (2, "D"))):
        row = path.iloc[label]
        ax.plot([last + pd.Timedelta(weeks=2 * (i + 1))], [row["aov"]], marker, color=PALETTE[1],
                label=f"{row['step']}: ${row['aov']:.2f}")
    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_ylim(0, max(BENCHMARK_AOV[1], float(path["aov"].max())) * 1.05)
    ax.set_ylabel("Average order value (USD)")
    ax.set_xlabel("Week of order")
    ax.set_title("From launch discounts toward the specialty benchmark")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, fontsize=7.5, frameon=False)
    return fig
