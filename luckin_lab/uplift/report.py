"""What the experiment report shows beyond page one: tables, charts and result files."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from luckin_lab.reporting import nb
from luckin_lab.reporting.charts import axis_formatter
from luckin_lab.reporting.headline import write_headline
from luckin_lab.uplift import decision, summary
from luckin_lab.uplift import words as w
from luckin_lab.uplift.analysis import UpliftPlan
from luckin_lab.uplift.decision import MIN_UNITS_PER_ARM
from luckin_lab.uplift.policy import NONE, TARGETED


def offer_mix(a: UpliftPlan, d: decision.Decision, by: str | None = "segment") -> pd.DataFrame:
    """How many units get each arm under the recommended policy, by a covariate when the
    experiment has it (default: the CDP segment)."""
    nn = a.data.nouns
    names = np.array([nn.control, *(nn.arm(x) for x in a.data.arms)])
    df = pd.DataFrame({nn.treatment: names[decision.users_assignment(a, d) + 1]})
    if by and by in a.data.frame.columns:
        df[by] = [words(v) for v in a.data.frame[by].astype(str)]
        return pd.crosstab(df[by], df[nn.treatment]).reindex(columns=names, fill_value=0) \
            .reset_index().rename(columns={by: words(by)})
    return df[nn.treatment].value_counts().reindex(names, fill_value=0) \
        .rename_axis(nn.treatment).reset_index(name=nn.units)


def write_results(a: UpliftPlan, d: decision.Decision, results: nb.Results) -> dict:
    """All machine-readable outputs of a run; returns the metrics written."""
    from luckin_lab.uplift.policy import targeting_list

    results.table("targeting_list", targeting_list(a.offers, decision.users_assignment(a, d)))
    results.table("arm_effects", a.arm_effects)
    results.table("balance", a.balance)
    results.table("model_qini_auuc", a.model_scores)
    results.table("model_choice", a.model_choice)
    results.table("policy_comparison", d.frame)
    results.table("policy_model_detail", a.policy_table)
    results.table("budget_frontier", a.frontier)
    results.table("uplift_by_decile", a.deciles)
    metrics = summary.headline(a, d)
    metrics["timings_s"] = a.timings
    results.metrics(metrics)
    write_headline(results, summary.brief_headline(a, d))
    return metrics


def has_frontier(a: UpliftPlan) -> bool:
    """A budget frontier means something only when offers cost money and the window is known."""
    return bool(a.data.window_days) and bool(a.offers.cost.sum() > 0)


def frontier_figure(a: UpliftPlan, d: decision.Decision) -> Figure:
    """Measured (held-out) value per month of the best allocation at each monthly budget."""
    f, m, nn = a.frontier, a.months_factor, a.data.nouns
    fig, ax = plt.subplots()
    ax.plot(f["discount_cost"] * m, f["incremental_margin"] * m, marker="o", color=nb.NEUTRAL,
            lw=1, label="model expectation (not used)")
    ax.errorbar(f["discount_cost"] * m, f["heldout_gain_vs_none"] * m,
                yerr=1.96 * f["heldout_gain_vs_none_se"] * m, fmt="s", color=nb.ACCENT,
                capsize=3, label=f"measured on held-out {nn.units} (95 % interval)")
    if d.today != NONE:
        row = d.frame.set_index("policy").loc[d.today]
        k = d.scale
        half = row["page_gain_vs_none_high"] - row["page_gain_vs_none"]
        ax.errorbar([row["cost"] * k], [row["page_gain_vs_none"]], yerr=[[half], [half]],
                    fmt="D", color=nb.BAD, capsize=3, zorder=3,
                    label=f"today: {summary.policy_label(a, d.today)} (randomized test)")
    ax.axvline(a.campaign_budget * m, ls=":", color=nb.NEUTRAL, label="chosen budget")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_title(f"{nn.value.capitalize()} per month against {nn.control}, by budget")
    ax.set_xlabel(f"{nn.cost} per month (USD)")
    ax.set_ylabel(f"{nn.value} per month (USD)")
    ax.xaxis.set_major_formatter(axis_formatter("money"))
    ax.yaxis.set_major_formatter(axis_formatter("money"))
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.15), frameon=False)
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


def window_label(a: UpliftPlan) -> str:
    """The unit of per-campaign figures, e.g. 'per 14-day window'."""
    return f"per {a.data.window_days}-day window" if a.data.window_days else "per campaign"


def p_text(p: float) -> str:
    """p-values as readers expect them: '<0.001' rather than '0.000'."""
    if p is None or np.isnan(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def feature_sentence(a: UpliftPlan) -> str:
    """What the models learn from, built from the covariates actually used in this run."""
    cov = a.data.covariates
    if not cov:
        return "No covariates were given, so the models can only learn the average effect."
    names = [words(c) for c in cov]
    listed = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    return f"They use the {len(cov)} pre-experiment covariates of the data: {listed}."


def imbalanced(a: UpliftPlan) -> pd.DataFrame:
    """Covariates whose arms differ (the randomization check failed for them)."""
    b = a.balance
    return b[~b["balanced"].astype(bool)] if len(b) else b


def randomization_check_text(a: UpliftPlan) -> str:
    """The randomization check in the evidence section: how many covariates are balanced."""
    bad = imbalanced(a)
    return (f"**Randomization check.** {len(a.balance) - len(bad)} of {len(a.balance)} "
            "pre-experiment covariates are balanced across arms (largest standardized difference "
            "< 0.1)"
            + (f"; not balanced: {', '.join(words(c) for c in bad['covariate'])} (table below)."
               if len(bad) else ".") + " The full check is in the appendix.")


def units_text(a: UpliftPlan) -> str:
    """Units analysed, in total and per arm (data quality)."""
    counts, nn = a.data.frame["arm"].value_counts(), a.data.nouns
    return (f"{nn.units.capitalize()} analysed: {len(a.data.frame):,} ("
            + ", ".join(f"{arm_name(a, k)}: {counts[k]:,}" for k in a.data.all_arms) + ").")


def balance_sentence(a: UpliftPlan) -> str:
    """One sentence for the summary: is the randomization check clean?"""
    bad = imbalanced(a)
    if not len(bad):
        return (f"All {len(a.balance)} pre-experiment covariates are balanced across arms, as "
                "randomization should make them.")
    names = ", ".join(words(c) for c in bad["covariate"])
    return (f"**Caution:** {len(bad)} of {len(a.balance)} pre-experiment covariates differ "
            f"across arms more than randomization should allow ({names}); check how units "
            "were assigned before trusting the effects.")


def balance_table(a: UpliftPlan, only_imbalanced: bool = False) -> pd.DataFrame:
    b = imbalanced(a) if only_imbalanced else a.balance
    return pd.DataFrame({
        "covariate": [words(c) for c in b["covariate"]],
        "type": b["kind"].to_numpy(),
        "largest standardized difference": b["max_abs_smd"].to_numpy(),
        "p-value (arms equal)": [p_text(p) for p in b["p_value"]],
        "balanced (difference < 0.1)": np.where(b["balanced"].astype(bool), "yes", "no"),
    })


def effects_intro(a: UpliftPlan) -> str:
    """Heading and unit note of the evidence's first section, in the run's own words."""
    nn = a.data.nouns
    money = (f"Money is per month for all {nn.units} had every {nn.unit} got that arm"
             if a.data.window_days else f"Money is per {nn.unit} over the outcome window")
    return (f"### Average effect of each arm against {nn.control}\n\n"
            "Differences against the control arm with 95 % confidence intervals (cluster-robust "
            f"when whole groups were randomized, robust otherwise). {money}; shares are in "
            "percent and their differences in percentage points.")


def money_factor(a: UpliftPlan) -> float:
    """Per-unit money -> the page's unit: a month's total over all units when the window is
    known (one unit everywhere in the report), else 1 (per unit)."""
    return float(len(a.data.frame) * a.months_factor) if a.data.window_days else 1.0


def arm_effects_table(a: UpliftPlan) -> pd.DataFrame:
    """Effects per arm and outcome, each in its own unit: shares in %, money per month for
    all units had every unit got that arm (per unit when the window is unknown)."""
    e, d, nn = a.arm_effects, a.data, a.data.nouns
    unit = [nn.unit_of(o, d.response, d.value) for o in e["outcome"]]
    k = [money_factor(a) if u == "usd" else 1.0 for u in unit]
    z = zip(unit, k, strict=True)
    rows = list(zip(e.itertuples(), z, strict=True))
    return pd.DataFrame({
        "outcome": [nn.label(o, d.response, d.value) for o in e["outcome"]],
        "arm": [nn.arm(x) for x in e["arm"]],
        f"{nn.units} in arm": e["n_arm"].to_numpy(),
        f"{nn.control}": [w.level(r.control_mean * f, u) for r, (u, f) in rows],
        "with the arm": [w.level(r.arm_mean * f, u) for r, (u, f) in rows],
        # the same scale as its interval (and as the effect lines): "+$6.3K", not "+$6,255"
        "effect": [w.diff(r.effect * f, u, like=max(abs(r.ci_low), abs(r.ci_high)) * f,
                          signed=True) for r, (u, f) in rows],
        "95 % interval": [f"{w.diff(r.ci_low * f, u, like=r.ci_high * f)} to "
                          f"{w.diff(r.ci_high * f, u, like=r.ci_low * f)}" for r, (u, f) in rows],
        "p-value": [p_text(p) for p in e["p_value"]],
    })


def _interval(a: UpliftPlan, lo: float, hi: float) -> str:
    """'-$205.8K to $2.6K': both ends in one unit."""
    return f"{summary.value_text(a, lo, like=hi)} to {summary.value_text(a, hi, like=lo)}"


def policy_table(a: UpliftPlan, d: decision.Decision) -> pd.DataFrame:
    """The decision frame as readers see it: measured gains against today's policy (used),
    against no treatment, and the model's expectation against today (not used)."""
    f, per, nn = summary.total_factor(a, d), summary.per_period(a), a.data.nouns
    t = d.frame
    if not a.offers.cost.any():  # nothing costs anything: the budget cannot bind
        t = t[t["policy"] != TARGETED]
    cols = ["gain_vs_today", "gain_vs_none", "model_gain_vs_today"]
    fmt = summary.fmt_value(a, *(t[cols].to_numpy().ravel() * f), signed=True)

    def ci(g: float, s: float) -> str:
        est = decision.Measured(g * f, s * f, "")
        return _interval(a, est.low, est.high) if s else "–"

    return pd.DataFrame({
        "policy": [summary.policy_label(a, k) + (" (today, kept)" if today and rec else
                                                  " (today)" if today else
                                                  " (recommended)" if rec else "")
                   for k, today, rec in zip(t["policy"], t["today"], t["recommended"], strict=True)],
        f"{nn.units} treated": t["units_treated"].to_numpy(),
        f"gain {per} against today": [fmt(x * f) for x in t["gain_vs_today"]],
        "95 % interval": [ci(g, s) for g, s in zip(t["gain_vs_today"], t["gain_vs_today_se"],
                                                   strict=True)],
        f"gain against {nn.control}": [fmt(x * f) for x in t["gain_vs_none"]],
        "measured on": np.where(t["measured_on"] == "experiment", f"all {nn.units}",
                                f"held-out {nn.units}"),
        "model's expectation against today (not used)":
            [fmt(x * f) for x in t["model_gain_vs_today"]],
    })


def arm_name(a: UpliftPlan, arm: str) -> str:
    """Reader's name of any arm, control included."""
    return a.data.nouns.control if arm == a.data.control else a.data.nouns.arm(arm)


def model_table(a: UpliftPlan) -> pd.DataFrame:
    """Each uplift model's held-out policy value (in the page's unit) and ranking scores."""
    q = a.model_scores.groupby("learner")[["qini", "auuc", "auuc_random"]].mean().reset_index()
    t = a.model_choice.merge(q, on="learner")
    k = money_factor(a) if a.data.nouns.value_unit == "usd" else 1.0
    per = summary.per_period(a) if k != 1.0 else f"per {a.data.nouns.unit}"
    fmt = summary.fmt_value(a, *(t["valid_value"] * k), *(t["test_value"] * k))

    def shown(col: str) -> list[str]:
        return [fmt(x) for x in t[col].to_numpy() * k]

    return pd.DataFrame({
        "model": [f"{d.split(' (')[0]}{' (chosen)' if c else ''}"
                  for d, c in zip(t["description"], t["chosen"], strict=True)],
        f"{a.data.nouns.value} {per} of its targeting, checking quarter": shown("valid_value"),
        f"{a.data.nouns.value} {per}, test quarter": shown("test_value"),
        "test standard error": shown("test_se"), "Qini": t["qini"].to_numpy(),
        "AUUC": t["auuc"].to_numpy(), "AUUC of random targeting": t["auuc_random"].to_numpy(),
    })


GLOSSARY_TERMS = ["Randomized test", "Average effect", "Percentage point", "Confidence interval",
                  "Bonferroni",
                  "P-value", "Cluster-robust interval", "Standardized difference", "Uplift", "Uplift model", "Held-out data",
                  "Inverse-propensity weighting", "Qini curve", "AUUC"]


def method_text(a: UpliftPlan) -> str:
    """'Method in plain words', with the run's own nouns."""
    nn = a.data.nouns
    return f"""## Method in plain words

* **The experiment.** {nn.units.capitalize()} were split at random into a control group
  ({nn.control}) and one group per arm. Because the split was random, the difference between
  an arm and control is the arm's effect; the balance check (appendix) tests the split.
* **Who responds more.** Uplift models (meta-learners on gradient-boosted trees{
  ", and an uplift random forest" if "URF" in a.predictions else ""}) predict for each
  {nn.unit} how much each arm changes {nn.outcome_phrase}. {feature_sentence(a)} Their settings
  (smallest leaf, number of trees) scale with the number of {nn.units}. They learn from half
  of the {nn.units} and are judged on {nn.units} they never saw.
* **What a policy is worth.** Every option is compared with today's policy. A policy that
  gives everyone one arm is compared with today's arm directly in the randomized experiment
  (all {nn.units}); a targeted policy is worth what it earned over today's policy on held-out
  {nn.units} (inverse-propensity weighting, which needs no model to be right).
* **What is recommended.** Targeting only when the experiment has at least
  {MIN_UNITS_PER_ARM:,} {nn.units} per arm, targeting clearly beats the best single policy on
  held-out {nn.units}, and it clearly beats today's policy; otherwise, among the single
  policies whose 95 % interval against today's policy lies above zero even after allowing
  for the number of options compared (Bonferroni), the one with the largest measured gain;
  otherwise no change."""
