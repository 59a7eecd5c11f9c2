"""Plain meanings of the method terms that remain in a report's evidence section.

Page one carries no method names; the evidence may, and each report closes with a glossary
of the terms it used (``glossary_frame``), rendered with ``nb.table``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

GLOSSARY: dict[str, str] = {
    "AIC": "Akaike information criterion: how well a model fits, with a penalty for its number of parameters (lower is better).",
    "AUUC": "Area under the uplift curve: how much of the total effect a ranking captures as more units are treated.",
    "Average effect": "The difference in the outcome between treated and control units, averaged over everyone in the experiment.",
    "BG/NBD model": "A purchase model: each customer buys at their own steady rate until they leave for good, with a chance of leaving after each purchase.",
    "Bonferroni": "Allowing for several options compared at once: each must clear a stricter bar (with three, a 98.3 % interval instead of 95 %), so one is not declared better by chance.",
    "Brier skill": "How much better the predicted chances are than giving every unit the same chance (0 % = no better).",
    "Calibration": "Whether predicted chances come true as often as stated (of customers given 70 %, about 70 % do it).",
    "Cannibalization": "Sales a new store takes from our existing stores rather than from competitors.",
    "Censored": "A unit whose event had not happened by the end of observation: we know only that it lasted at least that long.",
    "Cluster-robust interval": "A confidence interval that allows for units in the same randomized group (a village, a store area) behaving alike, so it is not too narrow.",
    "Concordance": "How often the model ranks correctly which of two units has its event first (0.5 is chance, 1 is perfect).",
    "Confidence interval": "The range that would contain the true value in 95 of 100 repeats of the study.",
    "Conformal interval": "A prediction range built from the model's errors on held-out data, so its coverage holds without model assumptions.",
    "Cox model": "A survival model: how each characteristic multiplies the rate at which events happen, without assuming the rate's shape over time.",
    "CP-SAT": "The exact optimisation solver (Google OR-Tools) that picks the best plan under the budget and rules.",
    "Cross-price effect": "How the demand for one category changes when the price of another changes.",
    "Distance decay": "How fast a store's pull falls with the distance customers must travel (higher: customers stay closer to home).",
    "Double machine learning": "An estimate of a causal effect that uses flexible models to remove the influence of other factors, with honest intervals.",
    "Elasticity": "The percent change in units sold for a 1 % change in price (-1.5 means a 10 % rise loses 15 % of units).",
    "First-stage F": "How strongly the instrument moves the price; below 10 the instrumented estimate is unreliable.",
    "Fixed effects": "A separate baseline level for each unit (or period), so only changes within a unit (or period) are compared.",
    "Gamma-Gamma model": "A spend model: each customer's spend per purchase varies around their own average, which the model shrinks toward the average of all customers.",
    "Gross margin": "The share of each sales dollar left after the cost of the drinks and food sold (recipe cost), before staff, rent and overheads.",
    "Hazard ratio": "How many times more often a unit with this characteristic has the event, at any moment, than one without.",
    "Held-out data": "Data the model did not learn from, used only to measure how well it does.",
    "Huff model": "A store-choice model: customers pick among nearby stores in proportion to each store's pull, which falls with distance.",
    "Instrumental variable": "A source of price changes unrelated to demand shocks (e.g. a randomized price test, the weather at sea, a tax), so its effect on sales is causal.",
    "Inverse-propensity weighting": "Scoring a policy on experiment data by counting the units whose random arm matched what the policy would give, reweighted by how likely that arm was.",
    "Jackknife": "Re-estimating with one group (here one area of the city) left out at a time; the spread of the results measures how sure the estimate is.",
    "Kaplan-Meier curve": "The share of units still without the event after each length of time, read directly from the data.",
    "Left truncation": "A unit that was already running when observation began; it counts only from then, so early failures we never saw do not bias the curves.",
    "Lifetime value": "The profit (or spend) a customer is expected to bring over a future period, here 12 months.",
    "Log-logistic model": "A survival model in which the event rate first rises, then falls with age (units that survive the early risk become safer).",
    "Log-normal model": "A survival model in which the logarithm of the time to the event follows a bell curve; the event rate rises, then falls.",
    "Out-of-time test": "Judging a model on a later period than it learned from, as it will be used.",
    "P-value": "How often an effect this large would appear by chance if there were no effect at all.",
    "Pareto/NBD model": "A purchase model: each customer buys at their own steady rate until they leave for good after a time of their own, whether or not they buy.",
    "Payback": "Months of profit needed to earn back a store's opening cost.",
    "Percentage point": "The difference between two percentages (12 % against 10 % is 2 points, not 20 %).",
    "Poisson IV": "An instrumental-variable estimate in a model of sales counts (not their logarithm), so periods with no sales still count.",
    "Proportional hazards": "The Cox model's assumption that a characteristic multiplies the event rate by the same factor at every age; it is tested.",
    "Qini curve": "How much extra outcome we get by treating the units the model ranks highest first, compared with treating at random.",
    "Randomized test": "An experiment in which each unit was assigned to an option by lot, so any difference between the groups beyond chance is caused by the option.",
    "R²": "The share of the differences between stores a model predicts (1 is perfect, 0 is no better than the average, below 0 is worse).",
    "Spatial cross-validation": "Testing a location model on whole areas it never saw, so nearby stores cannot leak information.",
    "Spell": "One stretch of a unit at risk, from its last renewal (installation, repair, release) to its event or the end of observation.",
    "Standardized difference": "The gap between two groups' averages in units of the covariate's spread; below 0.1 the groups are considered alike.",
    "Stratified Cox model": "A Cox model in which each group gets its own baseline event rate over time, used when groups age differently.",
    "Survival analysis": "Methods for the time until an event (a failure, a return), which also use units whose event has not happened yet.",
    "Time-scaling model (AFT)": "Accelerated failure time: a survival model in which each characteristic stretches or shrinks the time to the event by a factor (Weibull, log-normal and log-logistic models here are of this kind).",
    "Two-stage least squares": "The standard instrumental-variable regression: first how the instrument moves price, then how that price movement moves sales.",
    "Uplift": "The extra outcome a treatment causes for a particular unit, compared with not treating it.",
    "Uplift model": "A model that predicts, for each unit, how much a treatment would change its outcome (S-, T-, X- and DR-learners and uplift forests are kinds of it).",
    "Weibull model": "A survival model in which the event rate rises (or falls) steadily with age.",
}


def glossary_frame(terms: Iterable[str]) -> pd.DataFrame:
    """The glossary rows for ``terms`` (in the order given), for a report's closing table.

    An unknown term is an error: a report must not use a method word it cannot explain.
    """
    terms = list(dict.fromkeys(terms))
    unknown = [t for t in terms if t not in GLOSSARY]
    if unknown:
        raise KeyError(f"no glossary entry for {unknown}; add it to luckin_lab/reporting/glossary.py")
    return pd.DataFrame({"Term": terms, "Meaning": [GLOSSARY[t] for t in terms]})
