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
        "monthly_gain_vs_none_ci_low":
            (rec["heldout_gain_vs_none"] - 1.96 * rec["heldout_gain_vs_none_se"]) * scale,
        "monthly_gain_vs_none_ci_high":
            (rec["heldout_gain_vs_none"] + 1.96 * rec["heldout_gain_vs_none_se"]) * scale,
        "monthly_discount_today": today["expected_discount_cost"] * a.months_factor,
        "monthly_discount_recommended": rec["expected_discount_cost"] * a.months_factor,
        "monthly_budget": a.campaign_budget * a.months_factor,
        "monthly_deadweight_today": today["expected_deadweight"] * a.months_factor,
        "monthly_deadweight_recommended": rec["expected_deadweight"] * a.months_factor,
        "allocation_gap_usd": a.allocation.gap,
        **today_vs_none(a),
    }


def today_vs_none(a: UpliftAnalysis) -> dict:
    """Today's blanket offer against no coupons, per month: the randomized arm effect itself.

    Every randomized user counts (not only the held-out quarter), so this is the sharpest
    figure the experiment gives, and the one the frontier chart marks as 'today'.
    """
    e = a.arm_effects
    row = e[(e["outcome"] == a.data.value) & (e["arm"] == a.current_arm)].iloc[0]
    scale = len(a.data.frame) * a.months_factor
    return {"monthly_today_vs_none": row["effect"] * scale,
            "monthly_today_vs_none_ci_low": row["ci_low"] * scale,
            "monthly_today_vs_none_ci_high": row["ci_high"] * scale}


def verdict(h: dict) -> str:
    """How sure the held-out gain against today's policy is: 'gain', 'loss' or 'unclear'."""
    lo, hi = h["monthly_gain_vs_today_ci_low"], h["monthly_gain_vs_today_ci_high"]
    if lo > 0:
        return "gain"
    if hi < 0:
        return "loss"
    return "unclear"


def evidence_sentence(h: dict) -> str:
    """How far to trust the held-out gain against today, in one sentence for page one."""
    gain, lo, hi = (h["monthly_gain_vs_today"], h["monthly_gain_vs_today_ci_low"],
                    h["monthly_gain_vs_today_ci_high"])
    v = verdict(h)
    if v == "gain":
        return "The gain is statistically clear."
    if v == "loss":
        return "The targeting does worse than today's policy."
    if gain <= 0 or (hi - lo) > 4 * abs(gain):
        return ("**There is no evidence of a gain**: the interval includes zero and is far wider "
                "than the estimate.")
    return "The interval includes zero: the direction is likely but the size is uncertain."


def kpi_note(lo: float, hi: float) -> str:
    """A KPI's interval in words, flagged when it straddles zero."""
    text = f"95% interval {nb.money(lo, like=hi)} to {nb.money(hi, like=lo)}"
    return text + (" (not significant)" if lo < 0 < hi else "")


def what_to_do(a: UpliftAnalysis, h: dict) -> str:
    """Page one's instruction: only as strong as the held-out evidence behind it."""
    mix = offer_mix(a)
    offers = ", ".join(f"{r.offer}: {nb.num(r.users)}" for r in mix.itertuples())
    model = a.model_choice.set_index("learner").loc[a.chosen, "description"].split(" (")[0]
    cur = a.current_arm
    budget = (f"within a discount budget of {nb.money(h['monthly_budget'])} per month"
              if a.allocation.status != "budget not binding" else
              f"(the budget of {nb.money(h['monthly_budget'])} per month is not used up: the "
              "offers worth making cost less)")
    plan = (f"send each user the offer the chosen uplift model ({model}) expects to earn the "
            f"most margin after the discount {budget}. Offers per campaign: {offers}.")
    t_lo, t_hi = h["monthly_today_vs_none_ci_low"], h["monthly_today_vs_none_ci_high"]
    blanket_loses = (f"in the randomized test, sending {cur} to everyone earned "
                     f"{nb.money(h['monthly_today_vs_none'])} per month against no coupons "
                     f"(95% interval {nb.money(t_lo, like=t_hi)} to {nb.money(t_hi, like=t_lo)})")
    v = verdict(h)
    if v == "gain":
        return f"**What to do.** Stop sending **{cur}** to everyone; {plan}"
    if v == "loss":
        return (f"**What to do.** Keep today's policy: the model's targeting did worse than "
                f"sending {cur} to everyone on users it never saw.")
    if t_hi < 0:
        return (f"**What to do.** Stop sending **{cur}** to everyone: {blanket_loses}. Whether "
                "the model's targeting beats no coupons at all is not yet clear; test it on a "
                f"fresh holdout before rolling it out (it would {plan[0].lower() + plan[1:]})")
    return (f"**What to do.** Keep today's policy for now: the targeting's gain cannot yet be "
            "told apart from zero. Test it against today's policy on a fresh holdout before "
            f"rolling it out. The targeting would {plan}")


def offer_mix(a: UpliftAnalysis, by: str | None = None) -> pd.DataFrame:
    """How many users get each offer (optionally by a covariate such as segment)."""
    arm_names = np.array(["none", *a.data.arms])
    df = pd.DataFrame({"offer": arm_names[a.allocation.assign + 1]})
    if by and by in a.data.frame.columns:
        df[by] = [words(v) for v in a.data.frame[by].astype(str)]
        return pd.crosstab(df[by], df["offer"]).reindex(columns=arm_names, fill_value=0).reset_index()
    return df["offer"].value_counts().reindex(arm_names, fill_value=0).rename_axis("offer") \
        .reset_index(name="users")


def write_results(a: UpliftAnalysis, results: nb.Results) -> dict:
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
    ax.set_ylabel(f"extra buyers per 100 users ({arm} + control)")
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
            label="model expectation")
    ax.errorbar(f["discount_cost"] * m, f["heldout_gain_vs_none"] * m,
                yerr=1.96 * f["heldout_gain_vs_none_se"] * m, fmt="s", color=nb.NEUTRAL,
                capsize=3, label="measured on held-out users (95% CI)")
    t, tv = _row(a, today_name(a)), today_vs_none(a)
    ax.errorbar([t["expected_discount_cost"] * m], [tv["monthly_today_vs_none"]],
                yerr=[[tv["monthly_today_vs_none"] - tv["monthly_today_vs_none_ci_low"]],
                      [tv["monthly_today_vs_none_ci_high"] - tv["monthly_today_vs_none"]]],
                fmt="D", color=nb.BAD, capsize=3, zorder=3,
                label=f"today: everyone {a.current_arm} (randomized arm effect)")
    ax.axvline(a.campaign_budget * m, ls=":", color=nb.NEUTRAL, label="chosen budget")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_title("Budget frontier: incremental margin vs no coupons")
    ax.set_xlabel("coupon discount spent per month (USD)")
    ax.set_ylabel("incremental margin per month (USD)")
    ax.xaxis.set_major_formatter(axis_formatter("money"))
    ax.yaxis.set_major_formatter(axis_formatter("money"))
    ax.legend()
    return fig


# --- Reader-facing wording: plain names, units and p-values for the notebook's tables. ---

FEATURE_WORDS: dict[str, str] = {
    "tenure_days": "tenure", "n_orders_prior": "number of past orders",
    "n_orders_30d": "orders in the last 30 days", "n_orders_90d": "orders in the last 90 days",
    "recency_days": "days since the last order", "customer_age_days": "account age",
    "spend_prior": "past spend", "avg_order_value": "average order value",
    "promo_share": "share of orders on promotion", "n_stores": "number of stores used",
    "n_coupons_prior": "coupons received before", "n_coupons_redeemed_prior":
    "coupons redeemed before", "order_rate_prior": "order rate since joining",
    "order_rate_30d": "order rate in the last 30 days",
    "order_rate_90d": "order rate in the last 90 days",
    "recency_gap_ratio": "recency against the user's usual gap between orders",
    "has_prior_order": "whether they ordered before", "home_store_km":
    "distance to the home store", "stores_within_1km": "stores within 1 km",
    "store_access": "store access", "segment": "CDP segment",
    "acquisition_channel": "acquisition channel", "home_store": "home store",
    "favourite_category": "favourite product category",
}


def words(name: object) -> str:
    """'price_sensitive' -> 'price sensitive'; known features get their plain-word name."""
    return FEATURE_WORDS.get(str(name), str(name).replace("_", " "))


def window_label(a: UpliftAnalysis) -> str:
    """The unit of per-campaign figures, e.g. 'per 14-day window'."""
    return f"per {a.data.window_days}-day window" if a.data.window_days else "per campaign"


def p_text(p: float) -> str:
    """p-values as readers expect them: '<0.001' rather than '0.000'."""
    if p is None or np.isnan(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def feature_sentence(a: UpliftAnalysis) -> str:
    """What the models learn from, built from the covariates actually used in this run."""
    cov = a.data.covariates
    if not cov:
        return "No covariates were given, so the models can only learn the average effect."
    names = [words(c) for c in cov]
    listed = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    return f"They use the {len(cov)} pre-experiment covariates of the data: {listed}."


def imbalanced(a: UpliftAnalysis) -> pd.DataFrame:
    """Covariates whose arms differ (the randomization check failed for them)."""
    b = a.balance
    return b[~b["balanced"].astype(bool)] if len(b) else b


def balance_sentence(a: UpliftAnalysis) -> str:
    """One sentence for the summary: is the randomization check clean?"""
    bad = imbalanced(a)
    if not len(bad):
        return (f"All {len(a.balance)} pre-experiment covariates are balanced across arms, as "
                "randomization should make them.")
    names = ", ".join(words(c) for c in bad["covariate"])
    return (f"**Caution:** {len(bad)} of {len(a.balance)} pre-experiment covariates differ "
            f"across arms more than randomization should allow ({names}); check how units "
            "were assigned before trusting the effects.")


def balance_table(a: UpliftAnalysis, only_imbalanced: bool = False) -> pd.DataFrame:
    b = imbalanced(a) if only_imbalanced else a.balance
    return pd.DataFrame({
        "covariate": [words(c) for c in b["covariate"]],
        "type": b["kind"].to_numpy(),
        "largest standardized difference": b["max_abs_smd"].to_numpy(),
        "p-value (arms equal)": [p_text(p) for p in b["p_value"]],
        "balanced (difference < 0.1)": np.where(b["balanced"].astype(bool), "yes", "no"),
    })


def arm_effects_table(a: UpliftAnalysis) -> pd.DataFrame:
    e = a.arm_effects
    f = a.data.frame
    unit = {o: "share of users" if set(np.unique(f[o])) <= {0, 1} else "USD per user"
            for o in e["outcome"].unique()}
    return pd.DataFrame({
        "outcome": [words(o) for o in e["outcome"]], "unit": [unit[o] for o in e["outcome"]],
        "arm": e["arm"].to_numpy(),
        "users in arm": e["n_arm"].to_numpy(), "control mean": e["control_mean"].to_numpy(),
        "arm mean": e["arm_mean"].to_numpy(), "effect": e["effect"].to_numpy(),
        "95% CI low": e["ci_low"].to_numpy(), "95% CI high": e["ci_high"].to_numpy(),
        "p-value": [p_text(p) for p in e["p_value"]],
    })


def policy_table(a: UpliftAnalysis) -> pd.DataFrame:
    """Per campaign window: model expectation for all users, held-out gain per user."""
    t, w = a.policy_table, window_label(a)
    return pd.DataFrame({
        "policy": t["policy"].to_numpy(), "users targeted": t["users_targeted"].to_numpy(),
        f"discount cost {w}": t["expected_discount_cost"].to_numpy(),
        f"incremental margin {w}": t["expected_incremental_margin"].to_numpy(),
        f"deadweight {w}": t["expected_deadweight"].to_numpy(),
        # per 1,000 users: per-user gains are cents, which round to the same "$0.02"
        "held-out gain vs today, per 1,000 users": 1000 * t["heldout_gain_vs_today"].to_numpy(),
        "its standard error": 1000 * t["heldout_gain_vs_today_se"].to_numpy(),
    })
