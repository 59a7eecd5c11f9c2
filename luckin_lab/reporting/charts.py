"""House charts any report can reuse: trend panels and per-group small multiples.

Titles, axis labels with units and the house number formats are built in, so every report's
figures read the same way. Call :func:`luckin_lab.reporting.nb.setup` first.

House rules, checked by :func:`house_problems` (tests run it on charts the helpers build):
a partial period (a week the data do not fully cover) is drawn hollow and dashed, never as part
of a solid line, so half a week never reads as a collapse; every axis has at least two
readable tick labels and a label or title naming its unit; legends sit outside the data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
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


PARTIAL_GID = "partial-period"  # marks the artists that draw a partial period
UNIT_WORDS = ("usd", "$", "%", "per ", "/", "weeks", "days", "months", "orders", "r²", "index", "share",
              "count", "km", "rate", "ratio", "level")


def draw_partial(ax: plt.Axes, x_last_full: object, y_last_full: float, x: object, y: float,
                 colour: str, label: str | None = "partial week (not a drop)") -> None:
    """A partial period: a dashed link from the last full point to a hollow marker."""
    ax.plot([x_last_full, x], [y_last_full, y], ls="--", lw=1.1, color=colour, alpha=0.8, gid=PARTIAL_GID)
    ax.plot([x], [y], marker="o", ms=4.5, ls="none", mfc="white", color=colour, gid=PARTIAL_GID,
            label=label)


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
        for _, row in part.iterrows():
            prior = full[full[x] < row[x]]
            if len(prior):
                draw_partial(ax, prior[x].iloc[-1], prior[col].iloc[-1], row[x], row[col], colour)
        ax.set_title(title, fontsize=10)
        ax.yaxis.set_major_formatter(axis_formatter(fmt))
        ax.set_xlabel(xlabel)
        ax.set_ylim(bottom=0)
        _date_axis(ax)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    fig.tight_layout()
    if len(part):
        _legend_below(fig, colour="#555555")
    return fig


def _legend_below(fig: Figure, colour: str) -> None:
    """One figure legend under the panels (outside every axis), for the partial-period marker."""
    handles = [Line2D([], [], color=colour, marker="o", mfc="white", ls="--", lw=1.1)]
    fig.legend(handles, ["partial week: the data do not cover all seven days yet (not a drop)"],
               loc="lower center", ncol=1, frameon=False, fontsize=8, bbox_to_anchor=(0.5, 0.0))
    fig.subplots_adjust(bottom=fig.subplotpars.bottom + 0.09)


def small_multiples(
    df: pd.DataFrame,
    x: str,
    y: str,
    by: str,
    ylabel: str,
    fmt: str = "money",
    ncols: int = 4,
    order: list | None = None,
    partial: pd.Series | None = None,
) -> Figure:
    """One small line chart per group on a shared y axis, so sizes compare at a glance.

    Rows where ``partial`` is True (an incomplete last week) are drawn hollow and dashed, and
    the shaded area stops at the last full period.
    """
    partial = partial if partial is not None else pd.Series(False, index=df.index)
    df = df.assign(_partial=partial.reindex(df.index).fillna(False).astype(bool).to_numpy())
    groups = order if order is not None else sorted(df[by].unique())
    nrows = max(1, math.ceil(len(groups) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.5, 1.5 * nrows + 0.4), sharex=True,
                             sharey=True, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= len(groups):
            ax.set_visible(False)
            continue
        g = df[df[by] == groups[i]].sort_values(x)
        full, part = g[~g["_partial"]], g[g["_partial"]]
        ax.plot(full[x], full[y], color=nb.ACCENT, lw=1.6)
        ax.fill_between(full[x], full[y], color=nb.ACCENT, alpha=0.08)
        for _, row in part.iterrows():
            if len(full):
                draw_partial(ax, full[x].iloc[-1], full[y].iloc[-1], row[x], row[y], nb.ACCENT, None)
        ax.set_title(str(groups[i]), fontsize=8.5, loc="left")
        ax.yaxis.set_major_formatter(axis_formatter(fmt))
        ax.tick_params(labelsize=7.5)
        _date_axis(ax)
        ax.tick_params(axis="x", labelrotation=30)
        if i % ncols == 0:
            ax.set_ylabel(ylabel, fontsize=8)
    fig.tight_layout()
    if df["_partial"].any():
        _legend_below(fig, colour=nb.ACCENT)
    return fig


# -- house checks -----------------------------------------------------------------------


def _visible_ticklabels(ax: plt.Axes, which: str) -> list[str]:
    """Tick labels a reader sees on this axis or, for shared axes, on its siblings (small multiples)."""
    shared = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
    out = []
    for a in shared.get_siblings(ax):
        if not a.get_visible():
            continue
        axis = a.xaxis if which == "x" else a.yaxis
        lo, hi = sorted(axis.get_view_interval())
        out += [t.get_text() for t, v in zip(axis.get_ticklabels(), axis.get_ticklocs(), strict=False)
                if t.get_visible() and t.get_text().strip() and lo - 1e-9 <= v <= hi + 1e-9]
    return out


def _title(ax: plt.Axes) -> str:
    return " ".join(t for t in (ax.get_title("left"), ax.get_title(), ax.get_title("right")) if t)


def _as_timestamps(xdata: object) -> list[pd.Timestamp]:
    """A line's x data as naive timestamps (matplotlib may hold dates as numbers or datetimes)."""
    arr = np.asarray(xdata)
    if np.issubdtype(arr.dtype, np.number):
        return [pd.Timestamp(d).tz_localize(None) for d in mdates.num2date(arr)]
    return list(pd.to_datetime(pd.Series(arr)))


def _display_path(ax: plt.Axes, line: Line2D, per_segment: int = 20) -> np.ndarray:
    """Points along a line in display space (vertices and between them, for drawn segments)."""
    xy = line.get_xydata()
    if not len(xy):
        return np.empty((0, 2))
    pts = ax.transData.transform(xy)
    if line.get_linestyle() in ("None", "", " ") or len(pts) < 2:
        return pts
    t = np.linspace(0, 1, per_segment)[:, None, None]
    return (pts[:-1][None] * (1 - t) + pts[1:][None] * t).reshape(-1, 2)


def house_problems(fig: Figure, partial_x: list | None = None) -> list[str]:
    """What in ``fig`` breaks the house rules (empty list = none); tests assert it is empty.

    ``partial_x`` are the x values of partial periods: no solid line may pass through them.
    """
    fig.canvas.draw()
    problems = []
    partial = set(pd.to_datetime(pd.Series(partial_x)).tolist()) if partial_x else set()
    for n, ax in enumerate(a for a in fig.axes if a.get_visible() and a.has_data()):
        name = _title(ax) or ax.get_ylabel() or f"axes {n + 1}"
        for which in ("x", "y"):
            labels = _visible_ticklabels(ax, which)
            if len(set(labels)) < 2:
                problems.append(f"{name}: {which} axis has fewer than two readable tick labels {labels}")
        text = " ".join([_title(ax), ax.get_ylabel(), (fig._suptitle.get_text() if fig._suptitle else "")])
        shared = any(o is not ax and o.get_ylabel() for o in fig.axes)  # small multiples: one label a row
        if not any(u in text.lower() for u in UNIT_WORDS) and not shared:
            problems.append(f"{name}: y axis has no unit in its label or title")
        for line in ax.get_lines():
            if line.get_gid() == PARTIAL_GID:
                if line.get_linestyle() == "-" and line.get_marker() in ("None", None, ""):
                    problems.append(f"{name}: a partial period is drawn as a solid line")
                continue
            if partial and line.get_linestyle() == "-" and len(line.get_xdata()):
                xs = set(_as_timestamps(line.get_xdata()))
                if xs & partial:
                    problems.append(f"{name}: a solid line runs through a partial period")
        legend = ax.get_legend()
        if legend is not None:
            box = legend.get_window_extent()
            for line in ax.get_lines():
                if any(box.contains(px, py) for px, py in _display_path(ax, line)):
                    problems.append(f"{name}: the legend covers data")
                    break
    return problems
