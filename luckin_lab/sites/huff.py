"""Huff store-choice model fitted to revenue by home cell x store x week.

Expected revenue from cell c at store j in week t is

    mu_cjt = delta_c * B_ct * kappa_t * P_jt^beta * A_j g_j(t) f(d_cj) / (O_c + sum_k A_k g_k(t) f(d_ck))

with B_ct = sum_s w_s N_cst the cell's demand base: its registered users N_cst in each customer
state s (not yet ordered; first order 1-3, 4-12, 13+ weeks ago) weighted by the state's relative
demand w_s (w = 1 for "not yet ordered"). A cell whose people have mostly tried us already has
less demand left than its head count says (one-time triers, customers gone dormant); with a
plain head count that saturation would be read as a small outside option. kappa_t is the
chain-wide spend per weighted user and week (promotions, season: profiled out),
f(d) = max(d, d_min)^-decay, g_j the grand-opening
boost 1 + boost * exp(-weeks open / boost_weeks) (averaged over the days of the week), and
O_c = outside_base + outside_per_competitor * competitors_c the outside option. Openings of
new stores move shares between stores and the outside option; that variation identifies the
distance decay and the outside option, and the boost keeps an opening spike from being read
as cannibalization.

P_jt is store j's promo price level in week t (paid before coupons / list, from the order
items) relative to the chain's that week, and beta the revenue elasticity to it. A new store
opens with a discount that fades over about two weeks: it raises the store's own sales
through price and takes nothing from its neighbours, so it multiplies the store's own flows
and stays out of the share denominator. Without it the boost absorbed the discount (1.70 and
3.0 weeks on the demo store where 1.5 and 4 were planted; 1.53 and 3.5 with it). beta is
identified by how revenue moves with the discount within each store's opening weeks, net of
the boost's smooth decay; centring by week leaves the chain's price level to kappa_t, and a
forecast at P = 1 means a store at the chain's usual prices.

delta_c is a free demand level per cell (a cell fixed effect, profiled out with kappa). Head
counts by customer state are only a proxy for a cell's demand (people differ in how often they
buy coffee, and who has ordered already depends on how close our stores are), so the proxy is
off by a factor that varies between cells. Without delta_c the outside option is also read
from level differences between cells near and far from our stores, and a proxy error that
varies with that distance biases it: 15-25 % low on the demo stores, which inflated the
cannibalization shares (with the true outside option most of that error went away). With
delta_c, the outside option is identified only by how each cell's revenue splits between
stores and moves as stores open, which a level error cannot fake. Predictions use the average
level 1: a cell's fitted level is learnt from the stores that serve it, so in spatial
cross-validation a held-out store's pull leaks into its neighbours' levels (with the wrong
sign), and the honest out-of-sample R^2 chose level 1 over levels shrunk by empirical Bayes
(the fitted levels stay in ``cell_level``: where head counts mislead).

Fitted by Poisson quasi-likelihood (consistent for revenue, not only counts) with analytic
gradients; standard errors are sandwich (robust) errors clustered by cell (customers of one cell
share shocks) and by store-week (a store's promotion or closure moves all its cells at once),
adding both cluster terms, which errs on the wide side. Attraction and the outside option are identified only up to a common
scale: the fit reports them with the median store's attraction set to 1, which is also the
attraction assumed for a new store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from luckin_lab.sites.data import DAYS_PER_MONTH, SiteData

SHAPE_PARAMS = ["decay", "log_boost", "log_boost_weeks", "log_outside_base", "log_outside_per_comp",
                "price_elasticity"]
_BOUNDS = {
    "decay": (0.05, 5.0),
    "log_boost": (np.log(1e-4), np.log(20.0)),
    "log_boost_weeks": (np.log(0.2), np.log(52.0)),
    "log_outside_base": (-12.0, 12.0),
    "log_outside_per_comp": (-15.0, 8.0),
    "price_elasticity": (-10.0, 10.0),
}
_BOUNDS_WEIGHT = (np.log(1e-4), np.log(50.0))
_START = {"decay": 1.5, "log_boost": np.log(0.5), "log_boost_weeks": np.log(3.0),
          "log_outside_base": np.log(2.0), "log_outside_per_comp": np.log(0.2),
          "price_elasticity": 0.0}


@dataclass
class HuffProblem:
    """The arrays one fit needs; ``in_lik`` marks stores whose sales enter the likelihood."""

    log_d: np.ndarray  # (C, J) log of floored distance
    competitors: np.ndarray  # (C,)
    counts: np.ndarray  # (C, S, T) users by customer state at each week's start
    y: np.ndarray  # (C, J, T)
    price: np.ndarray  # (J, T) log relative promo price level of each store-week
    open_day: np.ndarray  # (J,)
    in_lik: np.ndarray  # (J,) bool
    min_distance_km: float
    fixed_decay: float | None = None
    keep: np.ndarray | None = None  # (cells of the data,) bool: cells with users, the problem's rows

    @classmethod
    def from_data(cls, data: SiteData, min_distance_km: float = 0.25,
                  holdout: np.ndarray | None = None, fixed_decay: float | None = None) -> HuffProblem:
        d = np.maximum(data.store_distances(), min_distance_km)
        in_lik = np.ones(len(data.stores), bool)
        if holdout is not None:
            in_lik[np.asarray(holdout, dtype=int)] = False
        keep = data.n_users > 0
        counts = data.state_counts()[keep][:, :, : data.n_weeks]
        return cls(np.log(d)[keep], data.cells.competitors.to_numpy(float)[keep],
                   counts, data.revenue[keep], data.price_level(), data.open_day.astype(float),
                   in_lik, min_distance_km, fixed_decay, keep)

    @property
    def n_stores(self) -> int:
        return self.y.shape[1]

    @property
    def n_weeks(self) -> int:
        return self.y.shape[2]

    @property
    def n_states(self) -> int:
        return self.counts.shape[1]


def boost_curve(open_day: np.ndarray, n_weeks: int, boost: float, boost_weeks: float):
    """Week-average opening factor g (0 before opening) and its derivatives in log params."""
    day = np.arange(n_weeks * 7, dtype=float)
    s = day[None, :] - open_day[:, None]  # (J, days)
    is_open = s >= 0
    e = np.where(is_open, np.exp(-np.maximum(s, 0) / (7 * boost_weeks)), 0.0)
    g = np.where(is_open, 1 + boost * e, 0.0)
    d_b = boost * e
    d_w = boost * e * np.maximum(s, 0) / (7 * boost_weeks)
    shape = (len(open_day), n_weeks, 7)
    return (g.reshape(shape).mean(2), d_b.reshape(shape).mean(2), d_w.reshape(shape).mean(2))


class _Objective:
    """Poisson quasi-log-likelihood of a HuffProblem and its gradient (kappa profiled out)."""

    def __init__(self, pb: HuffProblem):
        self.pb = pb
        lik = np.nonzero(pb.in_lik)[0]
        self.ref = lik[0]
        free = [j for j in lik if j != self.ref]
        # log attraction = L @ theta_A; held-out stores get the mean of the fitted ones
        L = np.zeros((pb.n_stores, len(free)))
        for i, j in enumerate(free):
            L[j, i] = 1.0
        for j in np.nonzero(~pb.in_lik)[0]:
            L[j, :] = 1.0 / len(lik)
        self.L = L
        self.n_a = len(free)
        self.n_w = pb.n_states - 1
        self.names = ([f"log_attraction[{j}]" for j in free] + SHAPE_PARAMS
                      + [f"log_weight[{s}]" for s in range(1, pb.n_states)])
        self.mask = pb.in_lik[None, :, None]
        self.y_s = pb.y * self.mask
        self.scale = max(self.y_s.sum(), 1.0)
        self.y_cell = self.y_s.sum((1, 2))
        self.y_week = self.y_s.sum((0, 1))
        self._kappa0: np.ndarray | None = None  # warm start of the level profile

    def profile_levels(self, base: np.ndarray, kappa: np.ndarray | None = None,
                       tol: float = 1e-10, max_iter: int = 500) -> tuple[np.ndarray, np.ndarray]:
        """Cell levels delta (C,) and week levels kappa (T,) maximising the likelihood given
        ``base`` (C, J, T), by alternating their closed-form updates; with ``kappa`` given,
        only delta. delta is scaled to a fitted-revenue-weighted mean of 1.
        """
        bct = (base * self.mask).sum(1)  # (C, T)
        if kappa is not None:
            m = bct @ kappa
            return np.where(m > 0, self.y_cell / np.maximum(m, 1e-300), 0.0), kappa
        k = self._kappa0 if self._kappa0 is not None else np.ones(bct.shape[1])
        for _ in range(max_iter):
            m = bct @ k
            delta = np.where(m > 0, self.y_cell / np.maximum(m, 1e-300), 0.0)
            tot = delta @ bct
            k_new = np.where(tot > 0, self.y_week / np.maximum(tot, 1e-300), 0.0)
            done = np.max(np.abs(k_new - k) / np.maximum(k_new, 1e-300)) < tol
            k = k_new
            if done:
                break
        m = bct @ k
        delta = np.where(m > 0, self.y_cell / np.maximum(m, 1e-300), 0.0)
        mean = (delta @ m) / max(m.sum(), 1e-300)
        self._kappa0 = k
        return delta / mean, k * mean

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, dict[str, float], np.ndarray]:
        k = self.n_a + len(SHAPE_PARAMS)
        shape = dict(zip(SHAPE_PARAMS, theta[self.n_a:k], strict=True))
        if self.pb.fixed_decay is not None:
            shape["decay"] = self.pb.fixed_decay
        return self.L @ theta[: self.n_a], shape, np.exp(np.concatenate([[0.0], theta[k:]]))

    def state(self, theta: np.ndarray, log_kappa: np.ndarray | None = None) -> dict:
        pb = self.pb
        log_a, s, w = self.unpack(theta)
        f = np.exp(-s["decay"] * pb.log_d)
        g, dg_b, dg_w = boost_curve(pb.open_day, pb.n_weeks, np.exp(s["log_boost"]),
                                    np.exp(s["log_boost_weeks"]))
        af = np.exp(log_a)[None, :] * f
        u = af[:, :, None] * g[None]
        ob, oc = np.exp(s["log_outside_base"]), np.exp(s["log_outside_per_comp"])
        outside = ob + oc * pb.competitors
        denom = outside[:, None] + u.sum(1)
        demand = np.einsum("cst,s->ct", pb.counts, w)
        with np.errstate(divide="ignore", invalid="ignore"):
            # share of the demand base coming from each state (0 where a cell has no users yet)
            state_part = np.where(demand[:, None, :] > 0,
                                  pb.counts[:, 1:, :] * w[1:, None] / demand[:, None, :], 0.0)
        own = np.exp(s["price_elasticity"] * pb.price)  # (J, T) own-demand price factor
        base = demand[:, None, :] * u / denom[:, None, :] * own[None]
        delta, kappa = self.profile_levels(base, None if log_kappa is None else np.exp(log_kappa))
        mu = base * delta[:, None, None] * kappa[None, None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            dlg_b = np.where(g > 0, dg_b / g, 0.0)
            dlg_w = np.where(g > 0, dg_w / g, 0.0)
        return dict(log_a=log_a, shape=s, u=u, outside=outside, denom=denom, mu=mu, kappa=kappa, delta=delta,
                    base=base,
                    dlg_b=dlg_b, dlg_w=dlg_w, ob=ob, oc=oc, w=w, state_part=state_part)

    def loglik(self, st: dict) -> float:
        mu = st["mu"]
        pos = (mu > 0) & self.mask
        return float((self.y_s[pos] * np.log(mu[pos])).sum() - (mu * self.mask).sum())

    def cell_scores(self, st: dict, with_kappa: bool, r: np.ndarray | None = None) -> np.ndarray:
        """Per-cell score contributions (C x params [+ weeks]): sum_jt r_cjt dlog mu_cjt / dparam.

        ``r`` defaults to the residuals y - mu; with r = mu it gives the derivative of each
        cell's fitted total instead.
        """
        pb = self.pb
        r = (pb.y - st["mu"]) * self.mask if r is None else r
        R = r.sum(1)
        Q = R / st["denom"]
        W = r - Q[:, None, :] * st["u"]
        Wcj = W.sum(2)
        cols = [Wcj @ self.L,
                -(Wcj * pb.log_d).sum(1)[:, None],
                np.einsum("cjt,jt->c", W, st["dlg_b"])[:, None],
                np.einsum("cjt,jt->c", W, st["dlg_w"])[:, None],
                -(Q.sum(1) * st["ob"])[:, None],
                -(Q.sum(1) * st["oc"] * pb.competitors)[:, None],
                np.einsum("cjt,jt->c", r, pb.price)[:, None],
                np.einsum("ct,cst->cs", R, st["state_part"])]
        if pb.fixed_decay is not None:
            cols[1] = np.zeros_like(cols[1])
        if with_kappa:
            cols.append(R)
        return np.hstack(cols)

    def store_week_scores(self, st: dict) -> np.ndarray:
        """Score contributions summed by store x week ((J*T) x (params + weeks)).

        Store-week demand shocks (a promotion, a closure) hit every cell's flow to that store
        at once; clustering by store-week as well as by cell keeps the errors honest. The cell
        levels delta_c are profiled out, so each contribution is the efficient one: the
        derivative of log mu centred on its fitted-revenue-weighted mean within the cell (the
        part a change of delta_c cannot mimic). Per cell the centring cancels (sum_jt r = 0).
        """
        raw = self._store_week_raw(st)
        mu = st["mu"] * self.mask
        tot = mu.sum((1, 2))
        h = self.cell_scores(st, with_kappa=True, r=mu) / np.maximum(tot, 1e-300)[:, None]
        r = (self.pb.y - st["mu"]) * self.mask
        return raw - np.einsum("cjt,cp->jtp", r, h).reshape(raw.shape)

    def _store_week_raw(self, st: dict) -> np.ndarray:
        pb = self.pb
        r = (pb.y - st["mu"]) * self.mask
        rd = r / st["denom"][:, None, :]
        u = st["u"]
        Rjt = r.sum(0)  # (J, T)
        J, T = Rjt.shape
        a_part = np.einsum("jt,jm->jtm", Rjt, np.eye(J)) - np.einsum("cjt,cmt->jtm", rd, u)
        cols = [a_part @ self.L]
        ulog = np.einsum("ckt,ck->ct", u, pb.log_d)
        cols.append((-np.einsum("cjt,cj->jt", r, pb.log_d) + np.einsum("cjt,ct->jt", rd, ulog))[..., None])
        for dl in (st["dlg_b"], st["dlg_w"]):
            ud = np.einsum("ckt,kt->ct", u, dl)
            cols.append((dl * Rjt - np.einsum("cjt,ct->jt", rd, ud))[..., None])
        cols.append((-rd.sum(0) * st["ob"])[..., None])
        cols.append((-np.einsum("cjt,c->jt", rd, pb.competitors) * st["oc"])[..., None])
        cols.append((pb.price * Rjt)[..., None])
        cols.append(np.einsum("cjt,cst->jts", r, st["state_part"]))
        if pb.fixed_decay is not None:
            cols[1] = np.zeros_like(cols[1])
        kap = np.zeros((J, T, T))
        kap[:, np.arange(T), np.arange(T)] = Rjt
        cols.append(kap)
        return np.concatenate(cols, axis=2).reshape(J * T, -1)

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        st = self.state(theta)
        grad = self.cell_scores(st, with_kappa=False).sum(0)
        return -self.loglik(st) / self.scale, -grad / self.scale


@dataclass
class HuffFit:
    """A fitted Huff model in the median-attraction-is-1 normalisation."""

    store_ids: np.ndarray
    log_attraction: np.ndarray  # (J,)
    decay: float
    boost: float
    boost_weeks: float
    outside_base: float
    outside_per_competitor: float
    kappa: np.ndarray  # (T,) spend per weighted user and week at full capture
    min_distance_km: float
    state_weights: np.ndarray = field(default_factory=lambda: np.ones(1))  # (S,) demand per state
    state_names: list[str] = field(default_factory=lambda: ["registered users"])
    params: pd.DataFrame = field(default_factory=pd.DataFrame)  # estimate, se, ci_low, ci_high
    cov: np.ndarray | None = None  # covariance of the natural parameter vector below
    loglik: float = float("nan")
    converged: bool = True
    in_lik: np.ndarray | None = None
    raw_theta: np.ndarray | None = None  # optimiser vector, a warm start for related fits
    cell_level: np.ndarray | None = None  # (cells,) fitted delta_c: diagnostic, not used to predict
    price_elasticity: float = 0.0  # revenue elasticity to the store-week's relative promo price

    @property
    def attraction(self) -> np.ndarray:
        return np.exp(self.log_attraction)

    def outside(self, competitors: np.ndarray) -> np.ndarray:
        return self.outside_base + self.outside_per_competitor * np.asarray(competitors, float)

    def utility(self, dist_km: np.ndarray, attraction: np.ndarray) -> np.ndarray:
        return attraction * np.maximum(dist_km, self.min_distance_km) ** (-self.decay)

    def demand_base(self, counts: np.ndarray) -> np.ndarray:
        """Demand base sum_s w_s N_s (at the average cell level) from counts with the state axis
        second (C, S, ...)."""
        return np.tensordot(np.moveaxis(counts, 1, -1), self.state_weights, axes=1)

    def monthly_potential(self, data: SiteData, weeks: int = 4) -> np.ndarray:
        """Each cell's monthly revenue if every occasion came to us, with the customer states
        of the snapshot at the recent spend level."""
        base = self.demand_base(data.state_counts()[:, :, -1])
        return base * self.kappa[-weeks:].mean() * DAYS_PER_MONTH / 7


def _start_from(fit: HuffFit, obj: _Objective) -> np.ndarray:
    """Optimiser vector of ``obj`` at a related fit's values (another holdout or fixed decay).

    Attractions and the outside option share one scale, so both are re-expressed relative to
    this problem's reference store.
    """
    lik = np.nonzero(obj.pb.in_lik)[0]
    ref = fit.log_attraction[obj.ref]
    free = [j for j in lik if j != obj.ref]
    return np.concatenate([
        fit.log_attraction[free] - ref,
        [fit.decay, np.log(fit.boost), np.log(fit.boost_weeks),
         np.log(fit.outside_base) - ref, np.log(fit.outside_per_competitor) - ref,
         fit.price_elasticity],
        np.log(fit.state_weights[1:]),
    ])


def fit_huff(data: SiteData, min_distance_km: float = 0.25, holdout: np.ndarray | None = None,
             fixed_decay: float | None = None, with_se: bool = True,
             start: HuffFit | None = None) -> HuffFit:
    """Fit the Huff model; ``holdout`` stores' own sales are left out (spatial CV).

    ``start``: a fit of the same data (all stores, free decay) to start from, which makes the
    refits of cross-validation and the decay profile several times faster.
    """
    pb = HuffProblem.from_data(data, min_distance_km, holdout, fixed_decay)
    obj = _Objective(pb)
    x0 = np.concatenate([np.zeros(obj.n_a), [_START[p] for p in SHAPE_PARAMS],
                         np.full(obj.n_w, np.log(0.3))])
    if start is not None and len(start.state_weights) == pb.n_states:
        x0 = _start_from(start, obj)
    if fixed_decay is not None:
        x0[obj.n_a] = fixed_decay
    bounds = ([(-8.0, 8.0)] * obj.n_a + [_BOUNDS[p] for p in SHAPE_PARAMS]
              + [_BOUNDS_WEIGHT] * obj.n_w)
    x0 = np.clip(x0, [b[0] for b in bounds], [b[1] for b in bounds])
    if fixed_decay is not None:
        bounds[obj.n_a] = (fixed_decay, fixed_decay)
    res = optimize.minimize(obj, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                            options=dict(maxiter=2000, ftol=1e-12, gtol=1e-8))
    st = obj.state(res.x)
    log_a = st["log_a"]
    med = float(np.median(log_a[pb.in_lik]))
    s = st["shape"]
    fit = HuffFit(
        store_ids=data.stores.store_id.to_numpy(), log_attraction=log_a - med,
        decay=float(s["decay"]), boost=float(np.exp(s["log_boost"])),
        boost_weeks=float(np.exp(s["log_boost_weeks"])),
        outside_base=float(np.exp(s["log_outside_base"] - med)),
        outside_per_competitor=float(np.exp(s["log_outside_per_comp"] - med)),
        price_elasticity=float(s["price_elasticity"]),
        kappa=st["kappa"], min_distance_km=min_distance_km, loglik=obj.loglik(st),
        converged=bool(res.success), in_lik=pb.in_lik, raw_theta=res.x,
        state_weights=st["w"], state_names=list(data.state_labels),
        cell_level=_full_cells(pb, st["delta"], fill=1.0),
    )
    if with_se:
        _add_standard_errors(fit, obj, res.x, st, data)
    return fit


def _full_cells(pb: HuffProblem, x: np.ndarray, fill: float) -> np.ndarray:
    """A per-cell array of the problem's rows on all the data's cells (``fill`` for the rest)."""
    if pb.keep is None:
        return x
    out = np.full(len(pb.keep), fill)
    out[pb.keep] = x
    return out


def _add_standard_errors(fit: HuffFit, obj: _Objective, theta: np.ndarray, st: dict,
                         data: SiteData) -> None:
    """Cluster-robust sandwich covariance, transformed to the reported parameters."""
    pb = obj.pb
    phi = np.concatenate([theta, np.log(np.maximum(st["kappa"], 1e-300))])
    active_k = st["kappa"] > 0

    def full_grad(p: np.ndarray) -> np.ndarray:
        s2 = obj.state(p[: len(theta)], p[len(theta):])
        return obj.cell_scores(s2, with_kappa=True).sum(0)

    k = len(phi)
    H = np.zeros((k, k))
    for i in range(k):
        h = 1e-5 * max(1.0, abs(phi[i]))
        e = np.zeros(k)
        e[i] = h
        H[:, i] = (full_grad(phi + e) - full_grad(phi - e)) / (2 * h)
    H = (H + H.T) / 2
    keep = np.ones(k, bool)
    keep[len(theta):] = active_k
    if pb.fixed_decay is not None:
        keep[obj.n_a] = False
    B = np.zeros((int(keep.sum()),) * 2)
    for S in (obj.cell_scores(st, with_kappa=True), obj.store_week_scores(st)):
        S = S[:, keep]
        n_g = S.shape[0]
        B += S.T @ S * n_g / max(n_g - 1, 1)
    Hk = H[np.ix_(keep, keep)]
    Hinv = np.linalg.pinv(-Hk)
    V = np.zeros((k, k))
    V[np.ix_(keep, keep)] = Hinv @ B @ Hinv
    V = V[: len(theta), : len(theta)]
    # reported vector: log attraction (J, median-normalised), decay, log boost, log weeks,
    # log outside base, log outside per competitor (the last two also shift by the median)
    J = pb.n_stores
    n_shape = len(SHAPE_PARAMS)
    lik = np.nonzero(pb.in_lik)[0]
    order = lik[np.argsort(fit.log_attraction[lik])]
    n = len(order)
    sel = np.zeros(J)
    if n % 2:
        sel[order[n // 2]] = 1.0
    else:
        sel[order[n // 2 - 1]] = sel[order[n // 2]] = 0.5
    med_row = sel @ obj.L  # median log attraction as a function of theta_A
    T = np.zeros((J + n_shape + obj.n_w, len(theta)))
    T[:J, : obj.n_a] = obj.L - med_row[None, :]
    T[J:, obj.n_a:] = np.eye(n_shape + obj.n_w)
    T[J + 3, : obj.n_a] -= med_row
    T[J + 4, : obj.n_a] -= med_row
    cov = T @ V @ T.T
    fit.cov = cov
    se = np.sqrt(np.maximum(np.diag(cov), 0))
    z = stats.norm.ppf(0.975)
    names = [f"attraction {sid}" for sid in fit.store_ids] + [
        "distance decay", "grand-opening boost", "boost e-folding weeks",
        "outside option base", "outside option per competitor", "price elasticity"] + [
        f"demand weight: {n}" for n in fit.state_names[1:]]
    est_log = np.concatenate([fit.log_attraction, [fit.decay, np.log(fit.boost), np.log(fit.boost_weeks),
                                                   np.log(fit.outside_base), np.log(fit.outside_per_competitor),
                                                   fit.price_elasticity],
                              np.log(fit.state_weights[1:])])
    is_log = np.ones(len(est_log), bool)
    is_log[J] = is_log[J + 5] = False
    lo, hi = est_log - z * se, est_log + z * se
    fit.params = pd.DataFrame({
        "parameter": names,
        "estimate": np.where(is_log, np.exp(est_log), est_log),
        "se": np.where(is_log, np.exp(est_log) * se, se),
        "ci_low": np.where(is_log, np.exp(lo), lo),
        "ci_high": np.where(is_log, np.exp(hi), hi),
    })
    fit.params.loc[:J - 1, "store_id"] = fit.store_ids
    fit.params.loc[:J - 1, "store_name"] = data.stores.store_name.to_numpy()
    # demand weights can sit near 0, where a log-scale interval explodes: natural-scale Wald
    # interval, floored at 0
    wrows = np.arange(J + len(SHAPE_PARAMS), len(est_log))
    w_est, w_se = fit.params.estimate.to_numpy()[wrows], fit.params.se.to_numpy()[wrows]
    fit.params.loc[wrows, "ci_low"] = np.maximum(w_est - z * w_se, 0.0)
    fit.params.loc[wrows, "ci_high"] = w_est + z * w_se
    if pb.fixed_decay is not None:
        fit.params.loc[J, ["se", "ci_low", "ci_high"]] = [0.0, fit.decay, fit.decay]


def param(fit: HuffFit, name: str) -> pd.Series:
    """One row of the parameter table by name."""
    row = fit.params[fit.params.parameter == name]
    if row.empty:
        raise KeyError(f"no parameter '{name}'; have {fit.params.parameter.tolist()}")
    return row.iloc[0]


def expected_revenue(fit: HuffFit, data: SiteData, boost: bool = True) -> np.ndarray:
    """Fitted revenue by cell x store x week; ``boost=False``: the mature level, without the
    grand-opening boost and at the chain's prices (no opening discount)."""
    d = np.maximum(data.store_distances(), fit.min_distance_km)
    g, _, _ = boost_curve(data.open_day.astype(float), data.n_weeks, fit.boost if boost else 0.0,
                          fit.boost_weeks)
    u = (fit.attraction[None, :] * d ** (-fit.decay))[:, :, None] * g[None]
    denom = fit.outside(data.cells.competitors.to_numpy())[:, None] + u.sum(1)
    base = fit.demand_base(data.state_counts()[:, :, : data.n_weeks])
    own = np.exp(fit.price_elasticity * data.price_level()) if boost else 1.0
    return base[:, None, :] * u / denom[:, None, :] * own * fit.kappa[None, None, :]
