"""House charts any report can reuse: trend panels and per-group small multiples.

Titles, axis labels with units and the house number formats are built in, so every report's
figures read the same way. Call :func:`luckin_lab.reporting.nb.setup` first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter

from luckin_lab.reporting import nb


class _HouseTicks(Formatter):
    """Money ticks take their unit from the axis range, so one axis never mixes $5,000 and $10.0K."""

    def __init__(self, fmt: str) -> None:
        self.fmt, self.f = fmt, nb.FORMATS[fmt]

    def __call__(self, v: float, pos: int | None = None) -> str:
        if self.fmt == "money" and self.axis is not None:
            lo, hi = self.axis.get_view_interval()
            return nb.money(v, like=max(abs(lo), abs(hi)))
        return self.f(v)


def axis_formatter(fmt: str) -> Formatter:
    """Tick labels in a house format ('money', 'money2', 'pct', 'int', ...)."""
    return _HouseTicks(fmt)


def _date_axis(ax: plt.Axes) -> None:
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=6))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))


def trend_panels(
    df: pd.DataFrame,
    x: str,
    panels: Mapping[str, tuple[str, str]],
    partial: pd.Series | None = None,
    xlabel: str = "week starting",
) -> Figure:
    """One small panel per measure over time: ``{column: (title with unit, format)}``.

    Points where ``partial`` is True (e.g. an incomplete last week) are drawn hollow and
    excluded from the line, so nobody reads a half week as a collapse.
    """
    n = len(panels)
    fig, axes = plt.subplots(1, n, figsize=(7.5, 2.7), squeeze=False)
    partial = partial if partial is not None else pd.Series(False, index=df.index)
    full = df[~partial.to_numpy()]
    part = df[partial.to_numpy()]
    for ax, (col, (title, fmt)), colour in zip(axes[0], panels.items(), nb.PALETTE, strict=False):
        ax.plot(full[x], full[col], marker="o", ms=3, lw=1.8, color=colour)
        if len(part):
            ax.plot(part[x], part[col], marker="o", ms=4, ls="none", mfc="white", color=colour,
                    label="partial week")
        ax.set_title(title, fontsize=10)
        ax.yaxis.set_major_formatter(axis_formatter(fmt))
        ax.set_xlabel(xlabel)
        ax.set_ylim(bottom=0)
        _date_axis(ax)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    if len(part):
        axes[0][0].legend(loc="lower right")
    fig.tight_layout()
    return fig


def small_multiples(
    df: pd.DataFrame,
    x: str,
    y: str,
    by: str,
    ylabel: str,
    fmt: str = "money",
    ncols: int = 4,
    order: list | None = None,
) -> Figure:
    """One small line chart per group on a shared y axis, so sizes compare at a glance."""
    groups = order if order is not None else sorted(df[by].unique())
    nrows = max(1, math.ceil(len(groups) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.5, 1.75 * nrows + 0.4), sharex=True,
                             sharey=True, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= len(groups):
            ax.set_visible(False)
            continue
        g = df[df[by] == groups[i]].sort_values(x)
        ax.plot(g[x], g[y], color=nb.ACCENT, lw=1.6)
        ax.fill_between(g[x], g[y], color=nb.ACCENT, alpha=0.08)
        ax.set_title(str(groups[i]), fontsize=8.5, loc="left")
        ax.yaxis.set_major_formatter(axis_formatter(fmt))
        ax.tick_params(labelsize=7.5)
        _date_axis(ax)
        ax.tick_params(axis="x", labelrotation=30)
        if i % ncols == 0:
            ax.set_ylabel(ylabel, fontsize=8)
    fig.tight_layout()
    return fig
