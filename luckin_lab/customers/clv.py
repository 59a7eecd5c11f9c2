"""What a customer is worth: a buy-till-you-die model for how often they buy and whether they are
still around (BG/NBD or Pareto/NBD), Gamma-Gamma for how much they spend per purchase (lifetimes,
the reference implementation of Fader, Hardie and Lee's models; Pareto/NBD maximised by
:mod:`luckin_lab.customers.pareto_nbd`).

BG/NBD: while "alive", a customer buys at their own Poisson rate (gamma-distributed across
customers, r and alpha); after each purchase they may leave for good with their own
probability (beta-distributed, a and b). Pareto/NBD: the same buying, but customers leave after
an exponential lifetime in calendar time (its rate gamma-distributed, s and beta), whether or
not they buy. Which one describes a store better is read from the data: the analysis fits both
on the history up to the holdout and keeps the one that predicted the held-out purchases by
acquisition cohort better (:func:`holdout_error`). Gamma-Gamma: a customer's spend per purchase
varies around their own mean, which is gamma-distributed across customers (p, q, v), independent
of how often they buy. Lifetime value in profit is expected purchases x expected spend per
purchase x the margin rate of the data (the share of spend left after the cost of goods).

Identical (frequency, recency, T) rows are fitted once with a weight, so a chain-sized log
fits in seconds. Intervals for totals come from the parameters' sampling distribution
(normal approximation of the maximum-likelihood fit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import ConvergenceError

from luckin_lab.customers import pareto_nbd

BGNBD_PARAMS = ["r", "alpha", "a", "b"]
FAMILIES = ("BG/NBD", "Pareto/NBD")
FAMILY_PARAMS = {"BG/NBD": BGNBD_PARAMS, "Pareto/NBD": pareto_nbd.PARAMS}
# tried in turn when plain maximum likelihood stops short (small samples): the smallest
# penalty that converges is used and reported
PENALIZERS = (0.0, 1e-4, 1e-3, 1e-2)
GG_PARAMS = ["p", "q", "v"]


def rfm_summary(profile: pd.DataFrame, time_unit_days: float = 1.0) -> pd.DataFrame:
    """frequency (repeat occasions), recency and T in the model's time unit, plus average spend
    of the repeat occasions (Gamma-Gamma's input; the first purchase is left out, as in FHL)."""
    out = pd.DataFrame({
        "customer_id": profile["customer_id"].to_numpy(),
        "frequency": profile["frequency"].to_numpy(float),
        "recency": profile["recency_span"].to_numpy(float) / time_unit_days,
        "T": profile["tenure_days"].to_numpy(float) / time_unit_days,
    })
    if "repeat_avg_spend" in profile:
        out["monetary"] = profile["repeat_avg_spend"].to_numpy(float)
    return out


def _frt(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frequency, recency, T) as plain arrays: lifetimes' formulas on pandas Series spend most
    of their time in pandas' ufunc dispatch (20 s of 30 at chain scale)."""
    return tuple(summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))


def _weighted(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return df.groupby(cols, as_index=False).size().rename(columns={"size": "weight"})


@dataclass
class CLVModel:
    """BG/NBD (or Pareto/NBD, ``family``) + Gamma-Gamma lifetime value.

    ``penalizer`` is lifetimes' L2 penalty on the parameters (0 = plain maximum likelihood,
    as published). ``fit(summary)`` takes :func:`rfm_summary` output; ``margin_rate`` turns
    spend into profit (1.0 when the data carry no margin: the value is then spend).
    """

    margin_rate: float = 1.0
    spend: bool = True  # False: purchases only (no Gamma-Gamma fit)
    family: str = "BG/NBD"  # the purchase model: "BG/NBD" or "Pareto/NBD"
    purchases: BetaGeoFitter | pareto_nbd.ScaledParetoNBD = field(default=None, init=False, repr=False)
    ggf: GammaGammaFitter | None = field(default=None, init=False, repr=False)
    penalizers: dict[str, float] = field(default_factory=dict, init=False)

    def fit(self, summary: pd.DataFrame) -> CLVModel:
        if (summary["frequency"] > 0).sum() < 10:
            raise ValueError(
                f"only {(summary['frequency'] > 0).sum()} customers bought more than once: a "
                "buy-till-you-die model cannot be fitted (it needs repeat purchases)")
        if self.family not in FAMILIES:
            raise ValueError(f"purchase model {self.family!r} is not one of {FAMILIES}")
        w = _weighted(summary, ["frequency", "recency", "T"])
        if self.family == "BG/NBD":
            self.purchases = self._converged("BG/NBD", BetaGeoFitter, w["frequency"], w["recency"],
                                             w["T"], weights=w["weight"])
        else:
            self.purchases = pareto_nbd.fit(w["frequency"], w["recency"], w["T"], w["weight"])
            self.penalizers["Pareto/NBD"] = 0.0
        if self.spend and "monetary" in summary:
            repeat = summary[(summary["frequency"] > 0) & (summary["monetary"] > 0)]
            if len(repeat) >= 10:
                self.ggf = self._converged("Gamma-Gamma", GammaGammaFitter, repeat["frequency"],
                                           repeat["monetary"])
        return self

    def _converged(self, name: str, cls, *args, **kwargs):
        """The fit with the smallest penalty that converges; never a non-converged model."""
        for pen in PENALIZERS:
            fitter = cls(penalizer_coef=pen)
            try:
                fitter.fit(*args, **kwargs)
            except ConvergenceError:
                continue
            if np.all(np.isfinite(fitter.params_.to_numpy())):
                self.penalizers[name] = pen
                return fitter
        raise ValueError(f"the {name} model did not converge even with a penalty of {PENALIZERS[-1]}: "
                         "the data are too few or too irregular for it")

    @property
    def params(self) -> pd.DataFrame:
        """Fitted parameters with standard errors (both models)."""
        names = FAMILY_PARAMS[self.family]
        rows = [self.purchases.summary.loc[names, ["coef", "se(coef)"]].assign(model=self.family)]
        if self.ggf is not None:
            rows.append(self.ggf.summary.loc[GG_PARAMS, ["coef", "se(coef)"]].assign(model="Gamma-Gamma"))
        return pd.concat(rows).rename(columns={"se(coef)": "se"}).rename_axis("parameter").reset_index()

    def expected_purchases(self, summary: pd.DataFrame, t: float) -> np.ndarray:
        """Expected purchases in the next ``t`` time units, per customer."""
        return np.asarray(self.purchases.conditional_expected_number_of_purchases_up_to_time(
            t, *_frt(summary)), float)

    def p_alive(self, summary: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.purchases.conditional_probability_alive(*_frt(summary)), float)

    def spend_per_purchase(self, summary: pd.DataFrame) -> np.ndarray:
        """Expected spend of a future purchase: the customer's own average shrunk to the chain's."""
        if self.ggf is None:
            raise RuntimeError("no Gamma-Gamma fit: the data had too few repeat customers with spend")
        monetary = summary["monetary"].fillna(0.0).clip(lower=0.0)
        return np.asarray(self.ggf.conditional_expected_average_profit(
            summary["frequency"].to_numpy(float), monetary.to_numpy(float)), float)

    def value(self, summary: pd.DataFrame, t: float) -> np.ndarray:
        """Expected profit over the next ``t`` time units (undiscounted), per customer."""
        return self.expected_purchases(summary, t) * self.spend_per_purchase(summary) * self.margin_rate

    def if_active_today(self, summary: pd.DataFrame) -> pd.DataFrame:
        """The same customers as if each had just bought (one more occasion, recency = T):
        what winning a customer back is worth in future purchases."""
        s = summary.copy()
        s["frequency"] = s["frequency"] + 1
        s["recency"] = s["T"]
        return s

    def total_interval(self, summary: pd.DataFrame, t: float, draws: int = 200, level: float = 0.9,
                       seed: int = 0) -> tuple[float, float, float]:
        """Total expected purchases in ``t`` with an interval from parameter uncertainty."""
        point = float(self.expected_purchases(summary, t).sum())
        rng = np.random.default_rng(seed)
        names = FAMILY_PARAMS[self.family]
        mean = self.purchases.params_[names].to_numpy()
        cov = self.purchases.variance_matrix_.loc[names, names].to_numpy()
        cov = (cov + cov.T) / 2  # lifetimes' delta-method matrix is symmetric only up to rounding
        vals, vecs = np.linalg.eigh(cov)
        cov = (vecs * np.clip(vals, 0, None)) @ vecs.T
        sims = rng.multivariate_normal(mean, cov, size=draws)
        sims = sims[(sims > 0).all(axis=1)]
        w = _weighted(summary, ["frequency", "recency", "T"])
        frt, weight = _frt(w), w["weight"].to_numpy(float)
        totals = []
        for theta in sims:
            probe = _with_params(self.purchases, theta, names)
            e = probe.conditional_expected_number_of_purchases_up_to_time(t, *frt)
            totals.append(float((np.asarray(e) * weight).sum()))
        lo, hi = np.quantile(totals, [(1 - level) / 2, (1 + level) / 2])
        return point, float(lo), float(hi)


def _with_params(fitted, theta: np.ndarray, names: list[str]):
    """The fitted purchase model with other parameter values (for the sampling interval)."""
    if isinstance(fitted, pareto_nbd.ScaledParetoNBD):
        return fitted.with_params(theta)
    probe = BetaGeoFitter()
    probe.params_ = pd.Series(theta, index=names)
    return probe


def holdout_error(cohort: np.ndarray, predicted: np.ndarray, actual: np.ndarray) -> pd.DataFrame:
    """Predicted against actual held-out purchases by acquisition cohort (and the cohorts'
    summed absolute miss, the criterion that picks the purchase model: a model that is right
    in total only because cohorts' misses cancel is not right)."""
    f = pd.DataFrame({"cohort": cohort, "predicted": predicted, "actual": actual})
    g = (f.groupby("cohort", as_index=False)
         .agg(customers=("actual", "size"), predicted=("predicted", "sum"), actual=("actual", "sum")))
    g["error"] = g["predicted"] / g["actual"] - 1
    g.attrs["abs_miss"] = float((g["predicted"] - g["actual"]).abs().sum())
    return g
