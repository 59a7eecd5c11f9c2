"""Charts of the site-selection report: an offline map drawn from the geo-cell grid, and the evidence.

No web tiles (the machines are offline): land is the grid of geo cells, shaded by the number
of app users living there, so water and boroughs show by their absence.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap

from luckin_lab.geo import KM_PER_DEG_LAT, KM_PER_DEG_LON
from luckin_lab.reporting.charts import axis_formatter
from luckin_lab.reporting.nb import ACCENT, BAD, GOOD, NEUTRAL, money
from luckin_lab.sites.analysis import SitePlan
from luckin_lab.sites.summary import chosen_word
from luckin_lab.transforms.metrics import ramp_weeks

_LAND = LinearSegmentedColormap.from_list("land", ["#f2efe9", "#b9c4d6"])
_CELL_DEG = 0.0055


def _tex_money(x: float) -> str:
    """Money for matplotlib text: a bare "$" would start mathtext."""
    return money(x).replace("$", r"\$")


def _tex_money_signed(x: float) -> str:
    return money(x, signed=True).replace("$", r"\$")


def _money_axis(ax: plt.Axes, axis: str = "y") -> None:
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(axis_formatter("money"))


def _base(ax: plt.Axes, cells: pd.DataFrame, bbox: tuple[float, float, float, float] | None = None) -> None:
    ax.set_facecolor("#dceaf5")
    v = np.log1p(cells.n_users.to_numpy(float))
    ax.scatter(cells.lon, cells.lat, c=v, cmap=_LAND, marker="s", s=_marker_size(ax, bbox, cells),
               linewidths=0, zorder=1)
    ax.set_aspect(KM_PER_DEG_LAT / KM_PER_DEG_LON)
    if bbox:
        ax.set_xlim(bbox[0], bbox[1])
        ax.set_ylim(bbox[2], bbox[3])
    ax.grid(False)
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(False)


def _marker_size(ax: plt.Axes, bbox, cells: pd.DataFrame) -> float:
    fig = ax.figure
    w_in = fig.get_size_inches()[0] * ax.get_position().width
    span = (bbox[1] - bbox[0]) if bbox else (cells.lon.max() - cells.lon.min())
    pts = w_in * 72 * (_CELL_DEG * 1.25) / span
    return max(pts, 1.0) ** 2


def site_map(sel: SitePlan) -> plt.Figure:
    """Page-one map: recommended sites (stars), other candidates, our stores, and beside the map
    each recommended site's net gain, interval and the store it takes most from."""
    data = sel.data
    cand = sel.candidates
    fig = plt.figure(figsize=(7.5, 2.75))
    ax = fig.add_axes((0.0, 0.09, 0.55, 0.84))
    side = fig.add_axes((0.56, 0.09, 0.44, 0.84))
    _base(ax, data.cells)
    if "borough" in data.cells:
        for name, g in data.cells.groupby("borough"):
            ax.text(g.lon.median(), g.lat.max() + 0.004, str(name), fontsize=6.5, color="#666666",
                    ha="center", va="bottom", style="italic", zorder=1)
    ax.set_title(f"{chosen_word(sel).capitalize()} next sites", fontsize=10, loc="left")
    chosen_ids = cand.site_id[cand.chosen]
    top = sel.cannibalization[sel.cannibalization.site_id.isin(chosen_ids)]
    top = top.sort_values("revenue_taken", ascending=False).groupby("site_id").head(2)
    top = top[top.revenue_taken > 0]
    for r in top.itertuples():
        s = cand[cand.site_id == r.site_id].iloc[0]
        st = data.stores[data.stores.store_id == r.store_id].iloc[0]
        ax.plot([s.lon, st.lon], [s.lat, st.lat], color=BAD, alpha=0.6,
                lw=0.5 + 3 * r.revenue_taken / top.revenue_taken.max(), zorder=2)
    other = cand[~cand.chosen]
    ax.scatter(other.lon, other.lat, s=14, facecolors="white", edgecolors=NEUTRAL, lw=0.8,
               zorder=3, label="other candidates")
    ax.scatter(data.stores.lon, data.stores.lat, s=18, c="#222222", marker="o", zorder=4, label="our stores")
    ch = cand[cand.chosen].sort_values("net_gain", ascending=False)
    ax.scatter(ch.lon, ch.lat, s=150, c=ACCENT, marker="*", edgecolors="white", lw=0.8, zorder=5,
               label=chosen_word(sel))
    for n, r in enumerate(ch.itertuples(), start=1):  # numbers match the side panel: names never overlap
        ax.annotate(str(n), (r.lon, r.lat), xytext=(5, 3), textcoords="offset points", fontsize=7.5,
                    weight="bold", color=ACCENT, zorder=6,
                    bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.8))
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.01), ncol=3, fontsize=6.5, frameon=False,
              handletextpad=0.2, columnspacing=0.8)
    # the side panel: what each recommended site earns a month, and its range
    side.axis("off")
    level = f"{sel.metrics['interval_level']:.0%}"
    what, col = ("Profit a month after rent and staff", "profit") if sel.has_profit else ("Net gain a month", "net_gain")
    lines = [(f"{what} ({level} range)", "bold", "#222222", 8.5)]
    shown = ch.head(6)
    for n, r in enumerate(shown.itertuples(), start=1):
        taken = sel.cannibalization[sel.cannibalization.site_id == r.site_id]
        worst = taken.sort_values("revenue_taken").iloc[-1]
        v, lo, hi = getattr(r, col), getattr(r, f"{col}_low"), getattr(r, f"{col}_high")
        lines += [(f"{n} {r.label} ({r.borough}): {_tex_money_signed(v)}", "bold", ACCENT, 8.5),
                  (f"   {_tex_money_signed(lo)} to {_tex_money_signed(hi)}; takes "
                   f"{_tex_money(r.cannibalized_revenue)} sales from {str(worst.store_name).split(' (')[0]}"
                   + (" and others" if (taken.revenue_taken > 1).sum() > 1 else ""),
                   "normal", "#222222", 7.5)]
    if len(ch) > len(shown):
        lines.append((f"... and {len(ch) - len(shown)} more sites (table below)", "normal", "#222222", 7.5))
    tab = sel.portfolio_table()
    shared, total = tab.iloc[-2], tab.iloc[-1]
    lines += [(f"Less {_tex_money(-shared[col if col == 'profit' else 'net_gain'])} for customers the new sites share:",
               "normal", "#222222", 7.5),
              (f"All together: {_tex_money_signed(total[col])} a month", "bold", "#222222", 8.5)]
    y = 0.99
    for text, weight, color, size in lines:
        side.text(0.0, y, text, fontsize=size, weight=weight, color=color, va="top", transform=side.transAxes)
        y -= 0.06 if size > 8 else 0.052
    fig.text(0.56, 0.01, "Shading: app users living in each ~0.5 km cell\n(blue: water or outside the data). "
             "Red lines: the two\nstores each site takes most from (width: revenue).", fontsize=6.5,
             color="#555555")
    return fig


_LABEL_OFFSETS = ((5, 2), (5, -9), (-5, 2), (-5, -9), (5, 9), (-5, 9), (5, -16), (-5, -16))


def _place_labels(ax: plt.Axes, x: np.ndarray, y: np.ndarray, labels: list[str], size: float = 6.5,
                  avoid: np.ndarray | None = None) -> None:
    """Point labels that overlap neither each other, the markers (``avoid``: extra points, n x 2) nor
    the axes edge: each takes the first nearby slot that is clear (box size estimated from the text
    length); a label with no free slot is left out rather than drawn over another."""
    scale = 72 / ax.figure.dpi

    def to_pt(px: np.ndarray) -> np.ndarray:
        return ax.transData.transform(px) * scale

    pts = np.column_stack([x, y]) if avoid is None else np.vstack([np.column_stack([x, y]), avoid])
    r = 3.5  # marker radius, points
    placed = [(px - r, py - r, px + r, py + r) for px, py in to_pt(pts)]
    (ax0, ay0), (ax1, ay1) = ax.get_window_extent().get_points() * scale
    for i in np.argsort(-y):
        px, py = to_pt(np.array([[x[i], y[i]]]))[0]
        w, h = 0.55 * size * len(labels[i]), size
        for dx, dy in _LABEL_OFFSETS:
            x0 = px + dx if dx > 0 else px + dx - w
            box = (x0, py + dy, x0 + w, py + dy + h)
            inside = box[0] >= ax0 and box[2] <= ax1 and box[1] >= ay0 and box[3] <= ay1
            if inside and all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in placed):
                placed.append(box)
                ax.annotate(labels[i], (x[i], y[i]), xytext=(dx, dy), textcoords="offset points", fontsize=size,
                            ha="left" if dx > 0 else "right")
                break


def cannibalization_heatmap(sel: SitePlan, top_sites: int = 12) -> plt.Figure:
    """Share of each store's revenue each leading candidate would take."""
    key = "profit" if sel.has_profit else "net_gain"
    ranked = sel.candidates.sort_values(key, ascending=False)
    cand = pd.concat([ranked.head(top_sites), ranked[ranked.chosen]]).drop_duplicates("site_id")
    cand = cand.sort_values(key, ascending=False)
    m = sel.cannibalization.pivot(index="site_id", columns="store_name", values="share_of_store_revenue")
    m = m.loc[cand.site_id, sel.data.stores.store_name]
    m.index = cand.label
    fig, ax = plt.subplots(figsize=(8.5, 0.35 * len(m) + 1.8))
    im = ax.imshow(100 * m.to_numpy(), cmap="Reds", aspect="auto", vmin=0)
    ax.set_yticks(range(len(m)), [f"{s}{' *' if c else ''}" for s, c in zip(m.index, cand.chosen, strict=True)])
    ax.set_xticks(range(m.shape[1]), m.columns, rotation=40, ha="right")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            v = 100 * m.iat[i, j]
            if v >= 0.05:
                ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=6.5,
                        color="white" if v > 100 * m.to_numpy().max() * 0.6 else "black")
    ax.grid(False)
    fig.colorbar(im, ax=ax, label="% of the store's monthly revenue taken")
    ax.set_title("Cannibalization: % of each store's revenue a candidate would take (* = " + chosen_word(sel) + ")")
    return fig


def accuracy_chart(sel: SitePlan) -> plt.Figure:
    r2 = sel.cv.r2.copy()
    r2["label"] = r2.model.str.replace(" (catchment features)", "") + "\n" + r2.evaluation
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    vals = r2.r2.clip(lower=-1)
    colors = [NEUTRAL if "in-sample" in e else (GOOD if v > 0 else BAD) for e, v in zip(r2.evaluation, vals, strict=True)]
    ax.barh(r2.label, vals, color=colors)
    for i, v in enumerate(r2.r2):
        ax.text(max(vals.iloc[i], 0) + 0.02, i, f"{v:.2f}", va="center", fontsize=8)
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_xlabel("R² of monthly store revenue (grey: in-sample; clipped at -1)")
    ax.set_title("Accuracy on stores the model did not see is far below the in-sample figure")
    ax.invert_yaxis()
    return fig


def cv_scatter(sel: SitePlan) -> plt.Figure:
    per = sel.cv.per_store
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    lim = [0, 1.1 * max(per.y.max(), per[["gbm_spatial_cv", "huff_spatial_cv"]].max().max())]
    ax.plot(lim, lim, color=NEUTRAL, lw=0.8)
    ax.scatter(per.y, per.gbm_spatial_cv, label="gradient boosting", color=NEUTRAL)
    ax.scatter(per.y, per.huff_spatial_cv, label="Huff model", color=ACCENT)
    lo, hi = np.exp(-sel.log_q), np.exp(sel.log_q)
    ax.fill_between(lim, [x * lo for x in lim], [x * hi for x in lim], color=ACCENT, alpha=0.08,
                    label=f"{sel.metrics['interval_level']:.0%} interval width")
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    _place_labels(ax, per.y.to_numpy(float), per.huff_spatial_cv.to_numpy(float),
                  [str(n).split(" (")[0] for n in per.store_name],
                  avoid=per[["y", "gbm_spatial_cv"]].to_numpy(float))
    ax.set_xlabel("actual monthly revenue (last 4 weeks), USD")
    ax.set_ylabel("predicted without the store's block, USD")
    _money_axis(ax, "x")
    _money_axis(ax, "y")
    ax.set_title("Held-out predictions by store")
    ax.legend(fontsize=7.5)
    return fig


def ramp_chart(sel: SitePlan) -> plt.Figure:
    r = sel.ramp[sel.ramp.weeks_open <= 16]
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    for _, g in r.groupby("store_id"):
        ax.plot(g.weeks_open, g.actual_index, color=NEUTRAL, alpha=0.35, lw=0.9)
    curve = r.groupby(r.weeks_open.round()).model_index.mean()
    ax.plot(curve.index, curve.to_numpy(), color=ACCENT, lw=2.2, label="fitted opening effect (boost and opening discount)")
    ax.axhline(1, color="#333333", lw=0.8)
    ax.set_xlabel("weeks since opening")
    ax.set_ylabel("revenue / mature level")
    ax.set_title("New stores open high and settle within about "
                 f"{ramp_weeks(sel.huff.boost, sel.huff.boost_weeks):.0f} weeks (grey: each store)")
    ax.legend()
    return fig


def flagship_chart(sel: SitePlan) -> plt.Figure:
    f = sel.flagship
    t = f["table"]
    fig, ax = plt.subplots(figsize=(7.5, 3.9))
    steps = [f["revenue_from"]]
    for v in t.revenue_change:
        steps.append(steps[-1] + v)
    labels = [f"{f['month_from']:%b %Y}", *t.short, f"{f['month_to']:%b %Y}"]
    for i, v in enumerate(t.revenue_change):
        ax.bar(i + 1, v, bottom=steps[i], color=BAD if v < 0 else GOOD)
        ax.text(i + 1, max(steps[i], steps[i + 1]) + 1500, _tex_money(v), ha="center", fontsize=7.5)
    ax.bar(0, f["revenue_from"], color=ACCENT)
    ax.bar(len(t) + 1, f["revenue_to"], color=ACCENT)
    ax.set_xticks(range(len(labels)), [textwrap.fill(lbl, 14, break_long_words=False) for lbl in labels], fontsize=7)
    ax.set_ylabel("monthly revenue, USD")
    _money_axis(ax)
    ax.set_ylim(min(0, min(steps) * 1.1), max(steps) * 1.12)
    ax.set_title(f"{f['store_name']}: from {_tex_money(f['revenue_from'])} to "
                 f"{_tex_money(f['revenue_to'])} a month")
    return fig


def sensitivity_chart(sel: SitePlan) -> plt.Figure:
    s = sel.sensitivity
    fig, ax = plt.subplots(figsize=(7.5, 3.0))
    ax.plot(s.decay, s.profit_of_choice, "o-", color=ACCENT, label="best sites for that decay")
    ax.plot(s.decay, s.profit_of_base_choice, "s--", color=BAD, label="our chosen sites")
    ax.axvline(sel.huff.decay, color=NEUTRAL, lw=0.8)
    ax.set_xlabel("distance decay (higher = customers travel less)")
    ax.set_ylabel("monthly profit after rent and staff, USD" if sel.has_profit else "monthly net gain, USD")
    _money_axis(ax)
    ax.set_title("If customers travel more or less than estimated")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False)
    fig.tight_layout()
    return fig
