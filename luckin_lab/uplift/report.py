"""What the coupon uplift notebook shows: headline figures, result files and charts."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from luckin_lab.reporting import nb
from luckin_lab.reporting.charts import axis_formatter
from luckin_lab.uplift.analysis import UpliftAnalysis

TODAY = "today"


def _row(a: UpliftAnalysis, name: str) -> pd.Series:
    return a.policy_table.set_index("policy").loc[name]


def today_name(a: UpliftAnalysis) -> str:
    return f"everyone {a.current_arm} (today)"


def headline(a: UpliftAnalysis) -> dict:
    """Monthly figures for page one: per-user held-out gains x eligible base x campaigns/month."""
    n = len(a.data.frame)
    scale = n * a.months_factor
    rec, today = _row(a, "budget-optimal"), _row(a, today_name(a))
    gain, se = rec["heldout_gain_vs_today"], rec["heldout_gain_vs_today_se"]
    return {
        "chosen_model": a.chosen,
        "eligible_users": n,
        "campaigns_per_month": a.months_factor,
        "users_targeted": int(rec["users_targeted"]),
        "monthly_gain_vs_today": gain * scale,
        "monthly_gain_vs_today_ci_low": (gain - 1.96 * se) * scale,
        "monthly_gain_vs_today_ci_high": (gain + 1.96 * se) * scale,
        "monthly_gain_vs_none": rec["heldout_gain_vs_none"] * scale,
        "monthly_discount_today": today["expected_discount_cost"] * a.months_factor,
        "monthly_discount_recommended": rec["expected_discount_cost"] * a.months_factor,
        "monthly_budget": a.campaign_budget * a.months_factor,
        "monthly_deadweight_today": today["expected_deadweight"] * a.months_factor,
        "monthly_deadweight_recommended": rec["expected_deadweight"] * a.months_factor,
        "allocation_gap_usd": a.allocation.gap,
    }


def offer_mix(a: UpliftAnalysis, by: str | None = None) -> pd.DataFrame:
    """How many users get each offer (optionally by a covariate such as segment)."""
    arm_names = np.array(["none", *a.data.arms])
    df = pd.DataFrame({"offer": arm_names[a.allocation.assign + 1]})
    if by and by in a.data.frame.columns:
        df[by] = a.data.frame[by].to_numpy()
        return pd.crosstab(df[by], df["offer"]).reindex(columns=arm_names, fill_value=0).reset_index()
    return df["offer"].value_counts().reindex(arm_names, fill_value=0).rename_axis("offer") \
        .reset_index(name="users")


def write_results(a: UpliftAnalysis, results: nb.Results, extra: dict | None = None) -> dict:
    """All machine-readable outputs of a run; returns the metrics written."""
    from luckin_lab.uplift.policy import targeting_list

    results.table("targeting_list", targeting_list(a.offers, a.allocation.assign))
    results.table("arm_effects", a.arm_effects)
    results.table("balance", a.balance)
    results.table("model_qini_auuc", a.model_scores)
    results.table("model_choice", a.model_choice)
    results.table("policy_comparison", a.policy_table)
    results.table("budget_frontier", a.frontier)
    results.table("uplift_by_decile", a.deciles)
    metrics = headline(a)
    metrics["timings_s"] = a.timings
    metrics.update(extra or {})
    results.metrics(metrics)
    return metrics


def qini_figure(a: UpliftAnalysis, arm: str | None = None) -> Figure:
    """Held-out Qini curves of every model for one arm, with the random line."""
    arm = arm or a.current_arm
    c = a.qini_curves[a.qini_curves["arm"] == arm]
    fig, ax = plt.subplots()
    for name, g in c.groupby("learner", sort=False):
        ax.plot(g["fraction"] * 100, g["qini"] * 100, lw=2.2 if name == a.chosen else 1.2,
                label=f"{name}{' (chosen)' if name == a.chosen else ''}")
    g0 = c[c["learner"] == a.chosen]
    ax.plot(g0["fraction"] * 100, g0["random"] * 100, ls="--", color=nb.NEUTRAL, label="random")
    ax.set_title(f"Qini curves, {arm} vs control (held-out users)")
    ax.set_xlabel("users targeted, ranked by predicted uplift (%)")
    ax.set_ylabel("extra buyers per 100 users")
    ax.legend(ncol=3)
    return fig


def decile_figure(a: UpliftAnalysis, arm: str | None = None) -> Figure:
    """Predicted vs observed uplift by decile of predicted uplift (held-out users)."""
    arm = arm or a.current_arm
    d = a.deciles[a.deciles["arm"] == arm]
    fig, ax = plt.subplots()
    x = d["decile"].to_numpy()
    ax.bar(x - 0.2, d["observed_uplift"] * 100, width=0.4, label="observed", color=nb.ACCENT)
    ax.bar(x + 0.2, d["predicted_uplift"] * 100, width=0.4, label="predicted", color=nb.PALETTE[1])
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x)
    ax.set_title(f"Uplift in purchase rate by decile, {arm} vs control (model {a.chosen})")
    ax.set_xlabel("decile of predicted uplift (1 = most responsive)")
    ax.set_ylabel("uplift (percentage points)")
    ax.legend()
    return fig


def frontier_figure(a: UpliftAnalysis) -> Figure:
    """Expected incremental margin per month against the monthly discount budget."""
    f = a.frontier
    m = a.months_factor
    fig, ax = plt.subplots()
    ax.plot(f["discount_cost"] * m, f["incremental_margin"] * m, marker="o", color=nb.ACCENT,
            label="budget-optimal targeting")
    t = _row(a, today_name(a))
    ax.scatter([t["expected_discount_cost"] * m], [t["expected_incremental_margin"] * m],
               color=nb.BAD, zorder=3, label=f"today: everyone {a.current_arm}")
    ax.axvline(a.campaign_budget * m, ls=":", color=nb.NEUTRAL, label="chosen budget")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_title("Budget frontier (model expectation)")
    ax.set_xlabel("coupon discount spent per month (USD)")
    ax.set_ylabel("incremental margin per month (USD)")
    ax.xaxis.set_major_formatter(axis_formatter("money"))
    ax.yaxis.set_major_formatter(axis_formatter("money"))
    ax.legend()
    return fig
