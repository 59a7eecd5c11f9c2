"""Users, promotions, orders, items, coupons, payments and production records of the demo store.

The generating process (all planted effects act only through these raw tables):

* each registered user has a coffee-occasion rate (CDP segment x lognormal spread), an active
  lifetime after which the rate drops to a dormant level;
* each occasion goes to an open store with the Huff share of the user's home cell or is lost
  to the outside option (:mod:`luckin_lab.synth.spatial`);
* the occasion's category is drawn from the list-price mix and kept with probability
  proportional to ``(paid/list) ** elasticity[category, segment] * exp(shock)``: promotions
  (tactical ones reacting to foreseen demand shocks, randomized price tests) and coupons
  change demand only through this term;
* a held campaign coupon multiplies the rate by ``salience[segment] * (1 - depth) ** elasticity``
  until the first order in its window, which redeems it.

Occasions are simulated by thinning a Poisson process whose bound ``B[segment, day]`` is the
largest possible multiplier that day, so acceptance probabilities never need clipping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from luckin_lab.synth.spatial import Geography
from luckin_lab.synth.truth import SEGMENTS, Truth

HOURS = np.arange(24)
# share of a store's orders by hour (morning and lunch peaks); zero outside opening hours
_HOUR_PROFILE = np.array(
    [0, 0, 0, 0, 0, 0, 0.2, 0.9, 1.6, 1.5, 1.0, 0.9, 1.3, 1.2, 0.8, 0.7, 0.7, 0.6, 0.5, 0.3, 0.15, 0.1, 0, 0]
)
USD_PER_NZD = 0.60
COMPLETED_SHARE = 0.975  # the rest are refunded or cancelled, at random


@dataclass
class SalesResult:
    tables: dict[str, pd.DataFrame]
    truth: dict
    truth_frames: dict[str, pd.DataFrame] = field(default_factory=dict)


def _register_days(rng: np.random.Generator, n: int, n_days: int, launch_share: float) -> np.ndarray:
    """Registration day: a launch wave decaying into a slower steady flow."""
    d = np.arange(n_days)
    lo, hi = 0.0, 10.0
    for _ in range(60):  # bisection on the baseline so the first 30 days hold launch_share
        b = (lo + hi) / 2
        w = np.exp(-d / 25.0) + b
        share = w[:30].sum() / w.sum()
        lo, hi = (b, hi) if share > launch_share else (lo, b)
    return rng.choice(n_days, size=n, p=w / w.sum())


def make_products(rng: np.random.Generator, truth: Truth) -> pd.DataFrame:
    names = {
        "Fresh Coffee": ["Latte", "Americano", "Cappuccino", "Flat White", "Velvet Latte", "Mocha", "Caramel Latte", "Cortado", "Vanilla Latte", "Hazelnut Latte"],
        "Classic": ["Drip Coffee", "Espresso", "Macchiato", "Cafe au Lait", "Red Eye", "Long Black", "Lungo", "Doppio"],
        "Matcha": ["Matcha Latte", "Iced Matcha", "Matcha Coconut", "Matcha Oat Latte", "Strawberry Matcha"],
        "Food": ["Croissant", "Banana Bread", "Bagel", "Muffin", "Cookie", "Sandwich", "Granola Cup", "Scone"],
        "Cold Brew": ["Cold Brew", "Vanilla Cold Brew", "Nitro Cold Brew", "Coconut Cold Brew"],
        "Tea": ["Jasmine Tea", "Peach Oolong", "Earl Grey Latte", "Lemon Tea", "Chai Latte"],
        "Seasonal": ["Pumpkin Latte", "Peppermint Mocha", "Maple Latte", "Orange Americano", "Cherry Latte"],
        "Other": ["Hot Chocolate", "Lemonade", "Sparkling Water", "Milk"],
    }
    rows = []
    for cat, spec in truth.demand.categories.items():
        pool = names.get(cat, [f"{cat} item {i}" for i in range(1, 11)])
        k = min(spec.n_products, len(pool))
        for i, name in enumerate(pool[:k]):
            if cat == "Fresh Coffee" and i == 0:
                name = truth.demand.signature_product
            price = np.round(spec.price * rng.uniform(0.9, 1.12) * 4) / 4 - 0.05
            rows.append(
                dict(
                    product_id=f"SPU{len(rows) + 1:05d}",
                    product_name=name,
                    category=cat,
                    list_price=float(price),
                    unit_cost=float(np.round(price * spec.cost_ratio * rng.uniform(0.9, 1.1), 2)),
                    is_drink=cat != "Food",
                    launch_date=pd.Timestamp(truth.calendar.start),
                )
            )
    return pd.DataFrame(rows)


def _product_weights(products: pd.DataFrame, truth: Truth) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Within-category product mix; the signature product takes its planted share of all items."""
    out = {}
    cat_share = {c: s.share for c, s in truth.demand.categories.items()}
    total = sum(cat_share.values())
    for cat, grp in products.groupby("category"):
        idx = grp.index.to_numpy()
        w = np.ones(len(idx))
        sig = (grp.product_name == truth.demand.signature_product).to_numpy()
        if sig.any() and len(idx) > 1:
            within = min(0.9, truth.demand.signature_share / (cat_share[cat] / total))
            w = np.where(sig, within, (1 - within) / (len(idx) - 1))
        out[cat] = (idx, w / w.sum())
    return out


def simulate_sales(
    rng: np.random.Generator,
    truth: Truth,
    geo: Geography,
    scale: float,
    progress: Callable[[str], None] = lambda _: None,
) -> SalesResult:
    """Every sales table of the demo store and its planted truth, in named stages.

    The stages draw from ``rng`` in a fixed order (prices, users, rate calibration, occasions,
    campaigns, orders, users table), so a seed gives the same store.
    """
    progress("promotions")
    mk = _price_environment(rng, truth, geo)
    progress("users")
    us = _draw_users(rng, truth, geo, scale, mk)
    us.lam = _calibrated_rates(rng, truth, mk, us, scale)
    progress("orders")
    occ = _occasions(np.arange(us.n_users), us.lam, rng, mk, us, truth.population)
    progress("campaigns")
    camps = _run_campaigns(rng, truth, mk, us, occ)
    progress("items")
    od = _materialise_orders(rng, truth, mk, us, occ, camps)
    progress("promotions table")
    promotions = _promotions_table(mk, od.items)
    experiments, assignments, coupons = _experiment_tables(truth, mk, camps, od)
    users = _users_table(rng, geo, mk, us, od.orders)
    truth_frames, derived = _planted_truth(truth, mk, us, occ, camps, od)
    tables = {"products": od.products, "users": users, "orders": od.orders, "promotions": promotions,
              "coupons": coupons, "experiments": experiments, "experiment_assignments": assignments}
    items = od.items
    items_out = items[["order_id", "product_id", "quantity", "list_price", "promo_discount",
                       "coupon_discount", "paid_price", "promo_id"]].copy()
    tables["order_items"] = items_out
    # state at the snapshot, for the site truth (monthly revenue potential of each cell)
    state_end = np.where(
        occ.first_day > mk.n_days, 1.0, np.where(occ.end_active > mk.n_days - 1, 1.0,
                                                 truth.population.dormant_rate_factor)
    )
    tables["_internal"] = pd.DataFrame({"cell": us.cell, "lam_snapshot": us.lam * state_end, "seg": us.seg})
    tables["_items_full"] = items.assign(store_idx=od.oj[items.order_idx.to_numpy()],
                                         day=od.od[items.order_idx.to_numpy()])
    return SalesResult(tables, derived, truth_frames)


@dataclass
class _Market:
    """Prices and demand by segment x store x category x day, and where each cell's customers go."""

    start: pd.Timestamp
    n_days: int
    days: np.ndarray
    cats: list[str]
    n_store: int
    tactical: np.ndarray  # store x category x day: tactical promo depth
    test_start: int  # first day of the randomized price test
    depths: np.ndarray  # the price test's depths
    test: np.ndarray  # store x category x day: price-test depth
    is_open: np.ndarray  # store x 1 x day
    ratio: np.ndarray  # store x category x day: paid / list before coupons
    elast: np.ndarray  # segment x category
    m: np.ndarray  # segment x store x category x day: demand multiplier
    bound: np.ndarray  # segment x day: the thinning bound (largest multiplier, coupons included)
    cat_share: np.ndarray
    shares: np.ndarray  # day x cell x store: Huff shares
    inside: np.ndarray  # day x cell: share of a cell's occasions that reach one of our stores

    @property
    def n_cat(self) -> int:
        return len(self.cats)


def _price_environment(rng: np.random.Generator, truth: Truth, geo: Geography) -> _Market:
    """Promotions (company schedule, store openings, tactical replies to foreseen shocks), the
    randomized price test, demand shocks and the Huff shares of every day."""
    cal = truth.calendar
    start = pd.Timestamp(cal.start)
    n_days = (pd.Timestamp(cal.snapshot) - start).days
    days = np.arange(n_days)
    cats = list(truth.demand.categories)
    n_cat, n_store, n_seg = len(cats), len(geo.attraction), len(SEGMENTS)
    dem = truth.demand
    sigma = dem.demand_shock_sd
    f = dem.shock_forecastable
    eta_f = rng.normal(0, sigma * np.sqrt(f), (n_store, n_cat, n_days))
    eta_u = rng.normal(0, sigma * np.sqrt(1 - f), (n_store, n_cat, n_days))
    eta = eta_f + eta_u - sigma**2 / 2
    company = dem.final_promo_depth + (dem.launch_promo_depth - dem.final_promo_depth) * np.exp(
        -np.maximum(days - dem.launch_days, 0) / dem.promo_decay_days
    )
    since_open = days[None, :] - geo.open_day[:, None]
    opening = 0.30 * np.exp(-np.maximum(since_open, 0) / 14.0)
    schedule = np.maximum(company[None, :], opening)[:, None, :]
    tactical = np.clip(schedule + dem.tactical_response * np.maximum(0, -eta_f), 0, 0.8)
    test_start = (pd.Timestamp(dem.price_test_start) - start).days
    depths = np.array(dem.price_test_depths)
    test = depths[rng.integers(0, len(depths), (n_store, n_cat, n_days))]
    test[:, :, : max(test_start, 0)] = 0.0
    is_open = (since_open >= 0)[:, None, :]
    ratio = (1 - tactical) * (1 - test)  # paid / list before coupons
    elast = np.array([[truth.elasticity(c, s) for c in cats] for s in SEGMENTS])  # seg x cat
    m = ratio[None] ** elast[:, None, :, None] * np.exp(eta)[None]  # seg x store x cat x day
    m = np.where(is_open[None], m, 0.0)

    # coupon factor bound on campaign days
    camp_days = np.zeros(n_days, bool)
    camp_factor = np.ones((n_seg, n_cat, n_days))
    for camp in truth.uplift.campaigns:
        d0 = (pd.Timestamp(camp.start) - start).days
        win = slice(max(d0, 0), min(d0 + camp.window_days, n_days))
        camp_days[win] = True
        for s_i, seg in enumerate(SEGMENTS):
            sal = truth.uplift.salience[seg]
            fac = np.max(
                [
                    (sal if dep > 0 else 1.0) * (1 - dep) ** elast[s_i]
                    for dep in camp.arms.values()
                ],
                axis=0,
            )
            camp_factor[s_i, :, win] = np.maximum(camp_factor[s_i, :, win], fac[:, None])
    bound = (m * camp_factor[:, None, :, :]).max(axis=(1, 2))  # seg x day
    bound = np.maximum(bound, 1e-9)

    cat_share = np.array([dem.categories[c].share for c in cats])
    cat_share = cat_share / cat_share.sum()

    # Huff shares per day: day x cell x store
    shares = np.stack([geo.shares_on(int(d), truth.spatial) for d in days])
    inside = shares.sum(axis=2)  # day x cell
    return _Market(start, n_days, days, cats, n_store, tactical, test_start, depths, test, is_open, ratio, elast,
                   m, bound, cat_share, shares, inside)


@dataclass
class _Users:
    """Registered users: registration day, home cell, segment, occasion rate and active lifetime."""

    n_users: int
    reg_day: np.ndarray
    cell: np.ndarray
    seg: np.ndarray
    seg_rate: np.ndarray
    lam: np.ndarray
    life: np.ndarray
    rate_scale: float = 1.0


def _draw_users(rng: np.random.Generator, truth: Truth, geo: Geography, scale: float, mk: _Market) -> _Users:
    """The users (scaled), each with a segment, a lognormal occasion rate and a lifetime."""
    pop, n_days, n_seg = truth.population, mk.n_days, len(SEGMENTS)
    n_users = max(int(round(pop.n_registered * scale)), 50)
    reg_day = _register_days(rng, n_users, n_days, pop.registration_launch_share)
    cell_p = geo.weight / geo.weight.sum()
    cell = rng.choice(len(geo.cells), size=n_users, p=cell_p)
    seg_p = np.array([pop.segment_shares[s] for s in SEGMENTS])
    seg = rng.choice(n_seg, size=n_users, p=seg_p / seg_p.sum())
    seg_rate = np.array([pop.segment_rate[s] for s in SEGMENTS])
    disp = pop.rate_dispersion
    lam = seg_rate[seg] * rng.lognormal(-(disp**2) / 2, disp, n_users)
    active = rng.random(n_users) >= pop.never_active_share
    lam = np.where(active, lam, 0.0)
    life_mean = np.array([pop.active_lifetime_days[s] for s in SEGMENTS])
    try_once = np.array([pop.try_once_share[s] for s in SEGMENTS])
    life = np.where(rng.random(n_users) < try_once[seg], 0.0, rng.exponential(life_mean[seg]))
    return _Users(n_users, reg_day, cell, seg, seg_rate, lam, life)


@dataclass
class _Occasions:
    """Candidate occasions (user, day, store, category, segment) and which became orders."""

    cu: np.ndarray
    cd: np.ndarray
    cj: np.ndarray
    ck: np.ndarray
    cs: np.ndarray
    p_plain: np.ndarray
    uni: np.ndarray
    tie: np.ndarray
    accept: np.ndarray
    alive: np.ndarray
    first_day: np.ndarray
    end_active: np.ndarray


def _occasions(users: np.ndarray, lam_u: np.ndarray, gen: np.random.Generator, mk: _Market, us: _Users,
               pop) -> _Occasions:
    """Candidate occasions of ``users``, their store/category, and plain acceptance.

    A user orders at the full rate until the first order; after it the rate stays full
    for the user's lifetime (0 for one-time triers) and then drops to the dormant level,
    done by thinning candidates after first order + lifetime.
    """
    days, reg_day, inside, cell, bound, seg = mk.days, us.reg_day, mk.inside, us.cell, mk.bound, us.seg
    shares, n_store, n_cat, cat_share, m = mk.shares, mk.n_store, mk.n_cat, mk.cat_share, mk.m
    n_users, n_days, life = us.n_users, mk.n_days, us.life
    cand_u, cand_d = [], []
    for lo in range(0, len(users), 20_000):
        u = users[lo : lo + 20_000]
        rate = lam_u[u, None] * (days[None, :] >= reg_day[u, None]) * inside[:, cell[u]].T * bound[seg[u]]
        counts = gen.poisson(rate)
        uu, dd = np.nonzero(counts)
        reps = counts[uu, dd]
        cand_u.append(np.repeat(u[uu], reps))
        cand_d.append(np.repeat(dd, reps))
    cu = np.concatenate(cand_u)
    cd = np.concatenate(cand_d)
    n = len(cu)
    cum = np.cumsum(shares[cd, cell[cu], :], axis=1)
    cum /= cum[:, -1:]
    cj = np.minimum((gen.random(n)[:, None] > cum).sum(axis=1), n_store - 1)
    ck = gen.choice(n_cat, size=n, p=cat_share)
    cs = seg[cu]
    p_plain = m[cs, cj, ck, cd] / bound[cs, cd]
    uni = gen.random(n)
    tie = gen.random(n)
    accept = uni < p_plain
    # first order per user (by day, then a random within-day order)
    order = np.lexsort((tie, cd, cu))
    acc_sorted = order[accept[order]]
    first_user, first_pos = np.unique(cu[acc_sorted], return_index=True)
    first_c = acc_sorted[first_pos]
    first_day = np.full(n_users, n_days + 1)
    first_day[first_user] = cd[first_c]
    is_first = np.zeros(n, bool)
    is_first[first_c] = True
    end_active = first_day + np.ceil(life).astype(int)
    alive = is_first | (cd < end_active[cu]) & (cd > first_day[cu]) | (gen.random(n) < pop.dormant_rate_factor)
    alive &= cd >= np.minimum(first_day[cu], n_days)
    accept &= alive
    return _Occasions(cu, cd, cj, ck, cs, p_plain, uni, tie, accept, alive, first_day, end_active)


def _calibrated_rates(rng: np.random.Generator, truth: Truth, mk: _Market, us: _Users, scale: float) -> np.ndarray:
    """Occasion rates scaled so USD orders hit the catalog figure (scaled), calibrated on a subsample."""
    pop, n_users, lam = truth.population, us.n_users, us.lam
    target_orders = (466_000 - pop.nzd_test_orders) * scale
    sub = np.sort(rng.choice(n_users, size=min(n_users, 40_000), replace=False))
    cal_rng = np.random.default_rng(rng.integers(1 << 63))
    rate_scale = 1.0
    for _ in range(2):
        got = _occasions(sub, lam * rate_scale, cal_rng, mk, us, pop).accept.sum() * n_users / len(sub)
        rate_scale *= target_orders / max(got, 1.0)
    us.rate_scale = rate_scale
    return lam * rate_scale


@dataclass
class _Campaigns:
    """The randomized coupon campaigns: coupons, assignments, experiments and who redeemed."""

    coupon_rows: list
    assign_rows: list
    exp_rows: list
    redeem_of_cand: np.ndarray  # coupon row index redeemed by each candidate occasion (-1: none)
    windows: list  # _WindowState per campaign, for the planted truth


def _run_campaigns(rng: np.random.Generator, truth: Truth, mk: _Market, us: _Users, occ: _Occasions) -> _Campaigns:
    """Eligibility from orders before each campaign, randomized arms, and the window's occasions
    re-decided under the coupon (the first kept one redeems it); updates ``occ.accept``."""
    start, n_days, elast, pop = mk.start, mk.n_days, mk.elast, truth.population
    n_users, reg_day, lam = us.n_users, us.reg_day, us.lam
    cu, cd, ck, cs, p_plain, uni, tie = occ.cu, occ.cd, occ.ck, occ.cs, occ.p_plain, occ.uni, occ.tie
    accept, alive, end_active = occ.accept, occ.alive, occ.end_active
    n_cand = len(cu)
    coupon_rows, assign_rows, exp_rows = [], [], []
    redeem_of_cand = np.full(n_cand, -1, dtype=np.int64)  # coupon row index redeemed by candidate
    uplift_truth: list[_WindowState] = []
    for camp in truth.uplift.campaigns:
        d0 = (pd.Timestamp(camp.start) - start).days
        d1 = min(d0 + camp.window_days, n_days)
        before = accept & (cd < d0)
        n_prior = np.bincount(cu[before], minlength=n_users)
        eligible = np.nonzero((reg_day < d0) & (n_prior >= camp.eligible_min_orders))[0]
        arm_names = list(camp.arms)
        arm_p = np.array([camp.arm_shares[a] for a in arm_names])
        arm_idx = rng.choice(len(arm_names), size=len(eligible), p=arm_p / arm_p.sum())
        depth = np.array([camp.arms[a] for a in arm_names])[arm_idx]
        user_arm = np.full(n_users, -1)
        user_arm[eligible] = arm_idx
        # re-decide window candidates of treated users under the coupon
        depth_lookup = np.zeros(n_users)
        depth_lookup[eligible] = depth
        in_win = (cd >= d0) & (cd < d1)
        idx = np.nonzero(in_win & (depth_lookup[cu] > 0))[0]
        sal = truth.uplift.salience_array(SEGMENTS)
        fac = sal[cs[idx]] * (1 - depth_lookup[cu[idx]]) ** elast[cs[idx], ck[idx]]
        p_coupon = np.minimum(p_plain[idx] * fac, 1.0)
        acc_c = (uni[idx] < p_coupon) & alive[idx]
        order = np.lexsort((tie[idx], cd[idx], cu[idx]))  # by user, day, random within-day order
        idx, acc_c = idx[order], acc_c[order]
        users_sorted = cu[idx]
        # the first candidate kept under the coupon redeems it; earlier ones were lost under the
        # coupon regime too (acc_c false), later ones follow the plain regime
        group = np.cumsum(np.r_[True, users_sorted[1:] != users_sorted[:-1]]) - 1
        pos = np.arange(len(idx))
        first_pos = np.full(group.max() + 1 if len(group) else 0, np.iinfo(np.int64).max)
        np.minimum.at(first_pos, group[acc_c], pos[acc_c])
        first_acc = pos == first_pos[group]
        after = pos > first_pos[group]
        accept[idx] = first_acc | (after & accept[idx])
        redeemed_user = np.zeros(n_users, bool)
        redeemed_user[users_sorted[first_acc]] = True
        # coupons table rows
        base_id = len(coupon_rows)
        coupon_of_user = np.full(n_users, -1)
        treated_users = eligible[depth > 0]
        coupon_of_user[treated_users] = base_id + np.arange(len(treated_users))
        redeem_of_cand[idx[first_acc]] = coupon_of_user[cu[idx[first_acc]]]
        for u_i in treated_users:
            coupon_rows.append(
                (camp.campaign_id, u_i, arm_names[user_arm[u_i]], depth_lookup[u_i], d0, d1, redeemed_user[u_i])
            )
        for u_i, a_i in zip(eligible, arm_idx, strict=True):
            assign_rows.append((camp.campaign_id, u_i, arm_names[a_i], d0))
        exp_rows.append(
            dict(
                experiment_id=camp.campaign_id,
                name=f"Coupon depth test {camp.campaign_id}",
                kind="coupon",
                unit="user",
                start_time=start + pd.Timedelta(days=d0),
                end_time=start + pd.Timedelta(days=d1),
                arms=",".join(arm_names),
                outcome_window_days=camp.window_days,
            )
        )
        # planted truth is computed once products and add-ons are known (exact expectations)
        win_days = np.arange(d0, d1)
        st = np.where(win_days[None, :] < end_active[eligible, None], 1.0, pop.dormant_rate_factor)
        uplift_truth.append(_WindowState(camp.campaign_id, eligible, np.array(arm_names)[arm_idx],
                                         win_days, lam[eligible, None] * st))
    return _Campaigns(coupon_rows, assign_rows, exp_rows, redeem_of_cand, uplift_truth)


@dataclass
class _Orders:
    """The orders and their items, with the indices the later stages need."""

    products: pd.DataFrame
    pw: dict
    items: pd.DataFrame
    orders: pd.DataFrame
    order_id: np.ndarray
    ou: np.ndarray  # user of each order
    od: np.ndarray  # day of each order
    oj: np.ndarray  # store of each order
    q: float  # add-on acceptance scale
    user_ids: np.ndarray
    coupon_ids: np.ndarray


def _materialise_orders(rng: np.random.Generator, truth: Truth, mk: _Market, us: _Users, occ: _Occasions,
                        camps: _Campaigns) -> _Orders:
    """Accepted occasions become orders: time of day, add-on items, products, promo and coupon
    discounts, order ids increasing in time and a status."""
    start, cats, n_cat, n_store, dem = mk.start, mk.cats, mk.n_cat, mk.n_store, truth.demand
    m, bound, ratio, cat_share, tactical, test_start = mk.m, mk.bound, mk.ratio, mk.cat_share, mk.tactical, mk.test_start
    seg, n_users = us.seg, us.n_users
    accept, cu, cd, cj, ck = occ.accept, occ.cu, occ.cd, occ.cj, occ.ck
    coupon_rows, redeem_of_cand = camps.coupon_rows, camps.redeem_of_cand
    acc_idx = np.nonzero(accept)[0]
    ou, od, oj, ok = cu[acc_idx], cd[acc_idx], cj[acc_idx], ck[acc_idx]
    n_ord = len(acc_idx)
    # hour within opening hours of the store
    hours = _HOUR_PROFILE / _HOUR_PROFILE.sum()
    o_hour = rng.choice(24, size=n_ord, p=hours)
    o_sec = rng.integers(0, 3600, n_ord)
    o_time = start + pd.to_timedelta(od, "D") + pd.to_timedelta(o_hour * 3600 + o_sec, "s")
    # add-on items: same price response, acceptance scaled to the planted add-on rate
    addon_cat = rng.choice(n_cat, size=n_ord, p=cat_share)
    p_add_raw = m[seg[ou], oj, addon_cat, od] / bound[seg[ou], od]
    q = min(1.0, dem.addon_rate / max(p_add_raw.mean(), 1e-9))
    has_addon = rng.random(n_ord) < q * p_add_raw
    item_order = np.concatenate([np.arange(n_ord), np.nonzero(has_addon)[0]])
    item_cat = np.concatenate([ok, addon_cat[has_addon]])

    products = make_products(rng, truth)
    pw = _product_weights(products, truth)
    item_prod = np.empty(len(item_order), dtype=np.int64)
    for k_i, cat in enumerate(cats):
        sel = np.nonzero(item_cat == k_i)[0]
        idx_p, w_p = pw[cat]
        item_prod[sel] = rng.choice(idx_p, size=len(sel), p=w_p)
    list_price = products.list_price.to_numpy()[item_prod]
    unit_cost = products.unit_cost.to_numpy()[item_prod]
    i_store, i_day = oj[item_order], od[item_order]
    r_item = ratio[i_store, item_cat, i_day]
    promo_disc = np.round(list_price * (1 - r_item), 2)
    after_promo = list_price - promo_disc
    # coupon applies to every item of the redeeming order
    order_coupon = redeem_of_cand[acc_idx]
    coupon_depth = np.array([r[3] for r in coupon_rows]) if coupon_rows else np.zeros(0)
    item_coupon = order_coupon[item_order]
    dep_item = np.where(item_coupon >= 0, coupon_depth[np.maximum(item_coupon, 0)] if len(coupon_depth) else 0, 0.0)
    coupon_disc = np.round(after_promo * dep_item, 2)
    paid = np.round(after_promo - coupon_disc, 2)

    # order ids: bigint, increasing in time
    time_order = np.argsort(o_time.to_numpy(), kind="stable")
    order_id = np.empty(n_ord, dtype=np.int64)
    order_id[time_order] = 1_000_000_000 + np.arange(n_ord) * 7 + rng.integers(0, 7, n_ord)

    tac_id = np.where(
        tactical[i_store, item_cat, i_day] > 0.005,
        i_store * 10_000_000 + item_cat * 100_000 + i_day,
        -1,
    )
    test_on = i_day >= test_start
    promo_key = np.where(test_on, -(i_store * 10_000_000 + item_cat * 100_000 + i_day) - 1, tac_id)

    store_ids = np.arange(101, 101 + n_store)
    items = pd.DataFrame(
        {
            "order_idx": item_order,
            "product_id": products.product_id.to_numpy()[item_prod],
            "category": np.array(cats)[item_cat],
            "quantity": np.ones(len(item_order), dtype=np.int64),
            "list_price": list_price,
            "promo_discount": promo_disc,
            "coupon_discount": coupon_disc,
            "paid_price": paid,
            "unit_cost": unit_cost,
            "promo_key": promo_key,
            "is_addon": np.arange(len(item_order)) >= n_ord,
        }
    ).sort_values(["order_idx"], kind="stable")
    agg = items.groupby("order_idx").agg(
        list_amount=("list_price", "sum"),
        discount_amount=("promo_discount", "sum"),
        coupon_amount=("coupon_discount", "sum"),
        pay_amount=("paid_price", "sum"),
        n_items=("quantity", "sum"),
    )
    status = rng.choice(["completed", "refunded", "cancelled"], size=n_ord,
                        p=[COMPLETED_SHARE, 0.012, 1 - COMPLETED_SHARE - 0.012])
    user_ids = np.array([f"U{i + 1:07d}" for i in range(n_users)])
    coupon_ids = np.array([f"CPN{i + 1:08d}" for i in range(len(coupon_rows))])
    orders = pd.DataFrame(
        {
            "order_id": order_id,
            "user_id": user_ids[ou],
            "store_id": store_ids[oj].astype("int64"),
            "order_time": o_time,
            "currency": "USD",
            "status": status,
            "list_amount": agg.list_amount.to_numpy().round(2),
            "discount_amount": (agg.discount_amount + agg.coupon_amount).to_numpy().round(2),
            "pay_amount": agg.pay_amount.to_numpy().round(2),
            "coupon_id": np.where(order_coupon >= 0, coupon_ids[np.maximum(order_coupon, 0)] if len(coupon_ids) else None, None),
            "n_items": agg.n_items.to_numpy().astype("int64"),
        }
    )
    items["order_id"] = order_id[items.order_idx.to_numpy()]
    return _Orders(products, pw, items, orders, order_id, ou, od, oj, q, user_ids, coupon_ids)


def _promotions_table(mk: _Market, items: pd.DataFrame) -> pd.DataFrame:
    """Tactical promotions and price-test days as the promotions table; names each item's promo."""
    start, cats, tactical, is_open, test, test_start, days = (mk.start, mk.cats, mk.tactical, mk.is_open, mk.test,
                                                              mk.test_start, mk.days)
    store_ids = np.arange(101, 101 + mk.n_store)
    s_i, k_i, d_i = np.nonzero((tactical > 0.005) & is_open)
    promo_tac = pd.DataFrame(
        {
            "promo_id": [f"PT{a}-{b}-{c}" for a, b, c in zip(s_i, k_i, d_i, strict=True)],
            "store_id": store_ids[s_i].astype("int64"),
            "category": np.array(cats)[k_i],
            "date": start + pd.to_timedelta(d_i, "D"),
            "depth": tactical[s_i, k_i, d_i].round(4),
            "promo_type": "tactical",
            "experiment_id": None,
        }
    )
    s_t, k_t, d_t = np.nonzero(np.broadcast_to(is_open & (days[None, None, :] >= test_start), test.shape))
    price_test_id = "PRICE-TEST-DAILY-DEAL"
    promo_test = pd.DataFrame(
        {
            "promo_id": [f"PX{a}-{b}-{c}" for a, b, c in zip(s_t, k_t, d_t, strict=True)],
            "store_id": store_ids[s_t].astype("int64"),
            "category": np.array(cats)[k_t],
            "date": start + pd.to_timedelta(d_t, "D"),
            "depth": test[s_t, k_t, d_t],
            "promo_type": "price_test",
            "experiment_id": price_test_id,
        }
    )
    promotions = pd.concat([promo_tac, promo_test], ignore_index=True)
    key = items.promo_key.to_numpy()
    a_ = np.abs(np.where(key < 0, -key - 1, key))
    pid = np.where(
        key == -1,
        None,
        np.char.add(
            np.char.add(np.where(key < -1, "PX", "PT"), (a_ // 10_000_000).astype(str)),
            np.char.add(
                np.char.add("-", ((a_ // 100_000) % 100).astype(str)),
                np.char.add("-", (a_ % 100_000).astype(str)),
            ),
        ),
    )
    items["promo_id"] = pid
    # when only the tactical promo is on a price-test day with test depth 0, keep the test id
    return promotions


def _experiment_tables(truth: Truth, mk: _Market, camps: _Campaigns, od: _Orders
                       ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The experiments (campaigns and the price test), their assignments and the coupons."""
    cal, start, n_days, test_start, depths = truth.calendar, mk.start, mk.n_days, mk.test_start, mk.depths
    exp_rows, assign_rows, coupon_rows = camps.exp_rows, camps.assign_rows, camps.coupon_rows
    user_ids, coupon_ids, orders, order_id = od.user_ids, od.coupon_ids, od.orders, od.order_id
    price_test_id = "PRICE-TEST-DAILY-DEAL"
    if test_start < n_days:
        exp_rows.append(
            dict(
                experiment_id=price_test_id,
                name="Randomized daily-deal depth by store, category and day",
                kind="price_test",
                unit="store_category_day",
                start_time=start + pd.Timedelta(days=test_start),
                end_time=pd.Timestamp(cal.snapshot),
                arms=",".join(f"off{int(round(x * 100))}" for x in depths),
                outcome_window_days=0,
            )
        )
    experiments = pd.DataFrame(exp_rows)
    assign = pd.DataFrame(assign_rows, columns=["experiment_id", "u", "arm", "d0"])
    assignments = pd.DataFrame(
        {
            "experiment_id": assign.experiment_id,
            "unit_id": user_ids[assign.u.to_numpy(dtype=int)] if len(assign) else [],
            "arm": assign.arm,
            "assigned_time": start + pd.to_timedelta(assign.d0, "D") + pd.Timedelta(hours=6),
            "cluster_id": None,
        }
    )
    cp = pd.DataFrame(coupon_rows, columns=["campaign_id", "u", "arm", "depth", "d0", "d1", "redeemed"])
    redeemed_order = pd.Series(order_id[orders.coupon_id.notna().to_numpy()], index=orders.coupon_id.dropna().to_numpy())
    coupons = pd.DataFrame(
        {
            "coupon_id": coupon_ids,
            "user_id": user_ids[cp.u.to_numpy(dtype=int)] if len(cp) else [],
            "campaign_id": cp.campaign_id,
            "experiment_id": cp.campaign_id,
            "arm": cp.arm,
            "discount_depth": cp.depth.astype(float),
            "issue_time": start + pd.to_timedelta(cp.d0, "D") + pd.Timedelta(hours=6),
            "expire_time": start + pd.to_timedelta(cp.d1, "D") + pd.Timedelta(hours=6),
            "status": np.where(cp.redeemed, "redeemed", np.where(start + pd.to_timedelta(cp.d1, "D") > pd.Timestamp(cal.snapshot), "active", "expired")),
            "redeemed_order_id": pd.array(redeemed_order.reindex(coupon_ids).to_numpy(), dtype="Int64"),
        }
    )
    return experiments, assignments, coupons


def _users_table(rng: np.random.Generator, geo: Geography, mk: _Market, us: _Users,
                 orders: pd.DataFrame) -> pd.DataFrame:
    """The users table (channel, contact details); no registration after the user's first order."""
    start, n_users, reg_day, cell, seg = mk.start, us.n_users, us.reg_day, us.cell, us.seg
    user_ids = np.array([f"U{i + 1:07d}" for i in range(n_users)])
    chan = rng.choice(["organic", "referral", "paid_social", "store_flyer", "other"], n_users, p=[0.45, 0.2, 0.2, 0.1, 0.05])
    phones = np.char.add("+1-212-555-", rng.integers(1000, 9999, n_users).astype(str))
    users = pd.DataFrame(
        {
            "user_id": user_ids,
            "register_time": start + pd.to_timedelta(reg_day, "D") + pd.to_timedelta(rng.integers(0, 86400, n_users), "s"),
            "home_cell_id": geo.cells.cell_id.to_numpy()[cell].astype("int64"),
            "segment": np.array(SEGMENTS)[seg],
            "acquisition_channel": chan,
            "phone": np.where(rng.random(n_users) < 0.9, phones, None),
            "email": np.where(rng.random(n_users) < 0.7, np.char.add(np.char.lower(user_ids), "@example.com"), None),
        }
    )
    # first orders must not precede registration: move the registration before the first order
    first = orders.groupby("user_id").order_time.min()
    reg = users.set_index("user_id").register_time
    fix = first[first < reg.reindex(first.index)]
    users.loc[users.user_id.isin(fix.index), "register_time"] = (
        fix.reindex(users.loc[users.user_id.isin(fix.index), "user_id"]).to_numpy() - pd.Timedelta(minutes=30)
    )
    return users


def _planted_truth(truth: Truth, mk: _Market, us: _Users, occ: _Occasions, camps: _Campaigns,
                   od: _Orders) -> tuple[dict[str, pd.DataFrame], dict]:
    """Exact expectations the evaluations check against: campaign uplift per user, customer
    value, and the derived figures (calibrated rates, elasticities)."""
    cats, ratio, m, bound, cat_share, shares, elast = mk.cats, mk.ratio, mk.m, mk.bound, mk.cat_share, mk.shares, mk.elast
    seg, cell, lam, seg_rate, rate_scale = us.seg, us.cell, us.lam, us.seg_rate, us.rate_scale
    first_day, end_active, n_days, n_cand = occ.first_day, occ.end_active, mk.n_days, len(occ.cu)
    uplift_truth, user_ids, products, pw, q = camps.windows, od.user_ids, od.products, od.pw, od.q
    dem, test_start, items, ou, od_day = truth.demand, mk.test_start, od.items, od.ou, od.od
    truth_frames: dict[str, pd.DataFrame] = {}
    econ = _OrderEconomics.of(products, pw, cats, ratio, m, bound, cat_share, q)
    ut = None
    if uplift_truth:
        ut = pd.concat([_campaign_truth(w, truth, econ, seg, cell, shares, elast)
                        for w in uplift_truth], ignore_index=True)
        truth_frames["uplift_users"] = ut.assign(user_idx=user_ids[ut["user_idx"].to_numpy()]).rename(
            columns={"user_idx": "user_id"})
    windows = {w.campaign_id: (int(w.days[0]), int(w.days[-1]) + 1) for w in uplift_truth if len(w.days)}
    ct = _customer_truth(truth, econ, shares, _UserState(lam, seg, cell, first_day, end_active),
                         n_days, ut, windows)
    ct.insert(0, "user_id", user_ids[ct.pop("user_idx").to_numpy()])
    truth_frames["customer_users"] = ct

    derived = {
        "rate_scale": float(rate_scale),
        "segment_rate_calibrated": {s: float(seg_rate[i] * rate_scale) for i, s in enumerate(SEGMENTS)},
        "elasticity": {c: {s: float(elast[si, ki]) for si, s in enumerate(SEGMENTS)} for ki, c in enumerate(cats)},
        "addon_acceptance_scale": float(q),
        "price_test_start": str(dem.price_test_start),
        "n_candidates": int(n_cand),
    }
    derived.update(_elasticity_truth(items, seg[ou], od_day, test_start, cats, elast))
    return truth_frames, derived


def _elasticity_truth(items: pd.DataFrame, order_seg: np.ndarray, order_day: np.ndarray,
                      test_start: int, cats: list[str], elast: np.ndarray) -> dict:
    """Total own- and cross-price elasticities of category item demand (price-test period).

    A category's price moves its items directly (elasticity e[c, s]) and, through the number
    of orders its primary items create, the add-on items attached to those orders:
    d log Q[c'] / d log p[c] = 1[c = c'] e[c', s] + addon_share[c', s] * primary_share[c, s] * e[c, s],
    averaged over segments with each segment's share of c' items. This is what item data can
    identify and what a pricing decision moves.
    """
    oi = items.order_idx.to_numpy()
    keep = order_day[oi] >= test_start
    it = pd.DataFrame({"cat": items.category.to_numpy()[keep], "seg": order_seg[oi][keep],
                       "addon": items.is_addon.to_numpy()[keep]})
    n_cat = len(cats)
    total = np.zeros((n_cat, n_cat))
    direct = np.zeros(n_cat)
    weights = {}
    for ci, c in enumerate(cats):
        sub = it[it.cat == c]
        w = sub.seg.value_counts(normalize=True)
        weights[c] = {SEGMENTS[si]: float(w.get(si, 0.0)) for si in range(len(SEGMENTS))}
        for si in range(len(SEGMENTS)):
            ws = float(w.get(si, 0.0))
            seg_items = it[it.seg == si]
            n_c_seg = (seg_items.cat == c).sum()
            alpha = float((seg_items.addon & (seg_items.cat == c)).sum() / n_c_seg) if n_c_seg else 0.0
            prim = seg_items[~seg_items.addon].cat.value_counts(normalize=True)
            direct[ci] += ws * elast[si, ci]
            total[ci, ci] += ws * elast[si, ci]
            for cj, c2 in enumerate(cats):
                total[ci, cj] += ws * alpha * float(prim.get(c2, 0.0)) * elast[si, cj]
    return {
        "category_elasticity": {c: float(total[i, i]) for i, c in enumerate(cats)},
        "category_elasticity_direct": {c: float(direct[i]) for i, c in enumerate(cats)},
        "cross_elasticity": {c: {c2: float(total[i, j]) for j, c2 in enumerate(cats)} for i, c in enumerate(cats)},
        "segment_weights_price_test": weights,
        "elasticity_note": "category_elasticity includes the add-on channel; cross_elasticity[q][p] = "
                           "d log Q[q] / d log p[p]",
    }


@dataclass
class _WindowState:
    """What the campaign truth needs from the simulation: who, which arm, and their rates."""

    campaign_id: str
    users: np.ndarray  # eligible user indices
    arm: np.ndarray  # assigned arm name per user
    days: np.ndarray  # window days
    rate: np.ndarray  # users x days: occasion rate multiplier (lam x active state)


@dataclass
class _OrderEconomics:
    """Expected value (after promotions, before coupon) and margin of an order.

    Indexed segment x store x primary category x day; an order's add-on item follows the
    same rule as in the simulation (category by list-price mix, plain-price acceptance).
    """

    value: np.ndarray
    margin: np.ndarray
    base: np.ndarray  # category mix x plain demand multiplier: the plain order rate per (s,j,k,d)

    @staticmethod
    def of(products: pd.DataFrame, pw: dict, cats: list[str], ratio: np.ndarray, m: np.ndarray,
           bound: np.ndarray, cat_share: np.ndarray, q: float) -> _OrderEconomics:
        lp, uc = products.list_price.to_numpy(), products.unit_cost.to_numpy()
        e_list = np.array([lp[pw[c][0]] @ pw[c][1] for c in cats])
        e_cost = np.array([uc[pw[c][0]] @ pw[c][1] for c in cats])
        item_value = e_list[None, :, None] * ratio  # store x cat x day
        accept_add = q * m / bound[:, None, None, :]  # seg x store x cat x day
        add_value = np.einsum("k,sjkd,jkd->sjd", cat_share, accept_add, item_value)
        add_margin = add_value - np.einsum("k,sjkd,k->sjd", cat_share, accept_add, e_cost)
        value = item_value[None] + add_value[:, :, None, :]
        margin = item_value[None] - e_cost[None, None, :, None] + add_margin[:, :, None, :]
        return _OrderEconomics(value, margin, cat_share[None, None, :, None] * m)


def _campaign_truth(w: _WindowState, truth: Truth, econ: _OrderEconomics, seg: np.ndarray,
                    cell: np.ndarray, shares: np.ndarray, elast: np.ndarray) -> pd.DataFrame:
    """Each eligible user's expected window outcomes under every arm, in closed form.

    Occasions are Poisson; under a coupon the first occasion accepted at the coupon's higher
    probability redeems it and later ones follow the plain rule. So an arm differs from
    control only at that first coupon-accepted order: it costs the discount, and it is an
    extra order when plain prices would have lost it (probability 1 - 1/factor). With daily
    rates r_d, the first one falls on day d with probability exp(-sum_{d'<d} r) (1 - e^-r_d).
    Orders are completed with probability COMPLETED_SHARE, independently (the outcome counts
    completed orders only); a cancelled redemption leaves half that day's plain rate, which
    is exact up to the within-day timing (< 0.01 points).
    """
    camp = next(c for c in truth.uplift.campaigns if c.campaign_id == w.campaign_id)
    d = w.days
    sh = shares[d]  # day x cell x store
    base = econ.base[..., d]  # seg x store x cat x day
    cc = COMPLETED_SHARE
    s_u, c_u = seg[w.users], cell[w.users]

    def per_user(x: np.ndarray) -> np.ndarray:  # seg x store x cat x day -> users x day
        return np.einsum("dcj,sjkd->scd", sh, x)[s_u, c_u, :]

    r0 = w.rate * per_user(base)
    out = pd.DataFrame({"campaign_id": w.campaign_id, "user_idx": w.users, "arm": w.arm})
    m0 = (w.rate * per_user(base * econ.margin[..., d])).sum(axis=1)
    sal = truth.uplift.salience_array(SEGMENTS)
    for a_name, dep in camp.arms.items():
        if dep == 0:
            out[f"p_{a_name}"] = 1 - np.exp(-cc * r0.sum(axis=1))
            out[f"orders_{a_name}"] = cc * r0.sum(axis=1)
            out[f"margin_{a_name}"] = cc * m0
            continue
        fac = (sal[:, None] * (1 - dep) ** elast)[:, None, :, None]  # seg x 1 x cat x 1
        ra = w.rate * per_user(base * fac)
        before = np.cumsum(ra, axis=1) - ra
        first = np.exp(-before) * -np.expm1(-ra)  # first coupon-accepted order on day d
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(ra > 0, first / ra, 0.0)  # divides the per-user sums below
        extra = (share * w.rate * per_user(base * (fac - 1))).sum(axis=1)
        d_margin = (share * w.rate * per_user(
            base * ((fac - 1) * econ.margin[..., d] - fac * dep * econ.value[..., d]))).sum(axis=1)
        later = np.cumsum(r0[:, ::-1], axis=1)[:, ::-1] - r0 / 2  # plain rate left after day d
        out[f"p_{a_name}"] = (first * (cc + (1 - cc) * -np.expm1(-cc * later))).sum(axis=1)
        out[f"orders_{a_name}"] = cc * (r0.sum(axis=1) + extra)
        out[f"margin_{a_name}"] = cc * (m0 + d_margin)
    return out


@dataclass
class _UserState:
    """Each user's planted order rate and the days their state changes."""

    lam: np.ndarray  # occasion rate while active
    seg: np.ndarray
    cell: np.ndarray
    first_day: np.ndarray  # first accepted order (n_days + 1: none)
    end_active: np.ndarray  # from this day on the rate is the dormant level


def _customer_truth(truth: Truth, econ: _OrderEconomics, shares: np.ndarray, us: _UserState,
                    n_days: int, camp: pd.DataFrame | None,
                    windows: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """Per user and snapshot: P(no completed order in the horizon) and expected orders, in closed form.

    After the first order a user's plain order rate on day d is lam x state(d) x g[seg, cell, d]
    (state 1 before the end of the active lifetime, the dormant factor after; g the Huff shares
    times the day's price and shock multiplier): Poisson, so with completed share c the day has
    a completed order with probability 1 - exp(-c r_d) (an *occasion*, the report's unit) and
    no order in the horizon with probability exp(-c sum r_d). A campaign window inside the
    horizon takes the campaign truth of the user's arm (P(order in window), expected orders);
    its extra coupon orders are counted as extra occasions (exact for the control arm, an
    upper bound otherwise). Rows exist for users whose first order fell on or before the
    snapshot (the report's customers). Snapshot today's rows (``assumed_future``) carry the
    state forward exactly (lifetimes are planted) but hold g at its mean of the last
    ``future_rate_days`` days: prices, shocks and the store network are assumed unchanged,
    with no new campaign.
    """
    ct, pop = truth.customers, truth.population
    cc, dorm = COMPLETED_SHARE, pop.dormant_rate_factor
    today = n_days - 1
    g = np.einsum("dcj,sjkd->scd", shares, econ.base)  # seg x cell x day
    g_future = g[:, :, max(0, n_days - ct.future_rate_days):].mean(axis=2)
    frames = []
    plan = [(today - off, ct.horizon_days, False) for off in ct.snapshot_offsets_days]
    plan += [(today, ct.horizon_days, True), (today, ct.future_days, True)]
    for snap, horizon, future in plan:
        if snap < 0:
            continue
        users = np.nonzero(us.first_day <= snap)[0]
        lam_u, ea = us.lam[users], us.end_active[users]
        if future:
            rate_full = lam_u * g_future[us.seg[users], us.cell[users]]
            n_full = np.clip(ea - snap - 1, 0, horizon)
            n_dorm = horizon - n_full
            q_full, q_dorm = -np.expm1(-cc * rate_full), -np.expm1(-cc * dorm * rate_full)
            total_r = rate_full * (n_full + dorm * n_dorm)
            occ, occ_dorm = n_full * q_full + n_dorm * q_dorm, n_dorm * q_dorm
            var = n_full * q_full * (1 - q_full) + n_dorm * q_dorm * (1 - q_dorm)
            p_none = np.exp(-cc * total_r)
            orders = cc * total_r
        else:
            d = np.arange(snap + 1, min(snap + horizon, today) + 1)
            state = np.where(d[None, :] < ea[:, None], 1.0, dorm)
            r = lam_u[:, None] * state * g[us.seg[users][:, None], us.cell[users][:, None], d[None, :]]
            q = -np.expm1(-cc * r)
            occ, occ_dorm = q.sum(axis=1), (q * (state < 1)).sum(axis=1)
            var = (q * (1 - q)).sum(axis=1)
            log_none = -cc * r.sum(axis=1)
            orders = cc * r.sum(axis=1)
            if camp is not None:
                log_none, occ, orders = _with_campaigns(camp, windows, users, d, r, q, log_none,
                                                        occ, orders)
            p_none = np.exp(log_none)
        frames.append(pd.DataFrame({
            "user_idx": users, "snapshot": (pd.Timestamp(truth.calendar.start)
                                            + pd.Timedelta(days=int(snap))).date(),
            "horizon_days": horizon, "assumed_future": future,
            "active_at_snapshot": ea > snap, "p_no_order": p_none, "expected_occasions": occ,
            "expected_occasions_dormant": occ_dorm, "var_occasions": var,
            "expected_orders": orders,
        }))
    return pd.concat(frames, ignore_index=True)


def _with_campaigns(camp: pd.DataFrame, windows: dict[str, tuple[int, int]], users: np.ndarray,
                    d: np.ndarray, r: np.ndarray, q: np.ndarray, log_none: np.ndarray,
                    occ: np.ndarray, orders: np.ndarray):
    """Replace the plain rate by the campaign truth of the user's arm where a window lies in the
    horizon (windows partly inside are left at the plain rate: the coupon's timing within the
    window is not in the campaign truth)."""
    cc = COMPLETED_SHARE
    pos = pd.Series(np.arange(len(users)), index=users)
    for cid, (d0, d1) in windows.items():
        if not (d[0] <= d0 and d1 - 1 <= d[-1]):
            continue
        c = camp[camp["campaign_id"] == cid]
        c = c[c["user_idx"].isin(users)]
        i = pos.reindex(c["user_idx"]).to_numpy()
        inw = (d >= d0) & (d < d1)
        arm = c["arm"].to_numpy()
        p_arm, o_arm = np.zeros(len(c)), np.zeros(len(c))
        for a in np.unique(arm):
            p_arm[arm == a] = c[f"p_{a}"].to_numpy()[arm == a]
            o_arm[arm == a] = c[f"orders_{a}"].to_numpy()[arm == a]
        plain_orders = cc * r[i][:, inw].sum(axis=1)
        log_none[i] = log_none[i] + cc * r[i][:, inw].sum(axis=1) + np.log1p(-np.minimum(p_arm, 1 - 1e-15))
        occ[i] = occ[i] + (o_arm - plain_orders)
        orders[i] = orders[i] + (o_arm - plain_orders)
    return log_none, occ, orders
