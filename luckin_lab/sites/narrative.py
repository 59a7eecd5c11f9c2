"""Computed wording of the site-selection report, kept here so it can be tested against the numbers.

Every sentence states what the run's own tables show (no hard-coded results): the only fixed
figure is the R² the customer quoted for their EXISTING model, which we label as theirs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from luckin_lab.reporting.nb import money
from luckin_lab.sites.huff import _BOUNDS_WEIGHT, HuffFit
from luckin_lab.sites.pipeline import SiteSelection

# quoted in the issue ("The existing model reports R² = 0.94"); in-sample, not ours
EXISTING_MODEL_CLAIMED_R2 = 0.94


def money_parts(sel: SiteSelection) -> dict[str, float]:
    """Own revenue - taken from our stores - taken from each other = the set's net gain.

    Each site is scored alone; the set is valued jointly, so the difference between the sum of
    the single-site net gains and the set's net gain is what the new sites take from each other.
    """
    ch = sel.chosen_table()
    own, taken = float(ch.standalone_revenue.sum()), float(ch.cannibalized_revenue.sum())
    total = float(sel.metrics["portfolio_net_gain_monthly"])
    return {"own": own, "taken_from_ours": taken, "taken_from_each_other": own - taken - total, "total": total}


def vs_ranking(sel: SiteSelection) -> tuple[float, bool]:
    """Extra monthly gain over the one-by-one top k, and whether it is small against one site's interval."""
    diff = float(sel.metrics["portfolio_net_gain_monthly"] - sel.metrics["ranking_net_gain_monthly"])
    ch = sel.chosen_table()
    half_width = float(np.median(ch.net_gain_high - ch.net_gain_low)) / 2
    return diff, diff < half_width


def kpi_items(sel: SiteSelection) -> dict[str, str]:
    """Page-one figures: the scoring model's held-out R² is the headline, not the best of the models."""
    m = sel.metrics
    diff, _ = vs_ranking(sel)
    n_rank = len(sel.ranked)
    return {
        "recommended new sites": f"{len(sel.chosen)}",
        "monthly net gain (all together)": money(m["portfolio_net_gain_monthly"]),
        f"a month vs picking the top {n_rank} one by one": money(diff, signed=True),
        (f"held-out R² of our scoring model (existing model's claimed {EXISTING_MODEL_CLAIMED_R2:.2f}: "
         "in-sample)"):
            f"{m['r2_huff_spatial_cv']:.2f}",
    }


def decision_text(sel: SiteSelection) -> str:
    """What to open and what it is worth, with the money adding up."""
    ch = sel.chosen_table()
    p = money_parts(sel)
    diff, small = vs_ranking(sel)
    n_rank = len(sel.ranked)
    sites = ", ".join(f"**{s}** ({b})" for s, b in zip(ch.site_id, ch.borough, strict=True))
    text = (
        f"**Decision.** Open {sites}. Their own sales would be about {money(p['own'])} a month; "
        f"{money(p['taken_from_ours'])} of that is taken from our existing stores and "
        f"{money(p['taken_from_each_other'])} from each other, so together they add an estimated "
        f"**{money(p['total'])} a month** to the chain. "
    )
    if diff < 0.5:
        text += f"Here the top {n_rank} of the one-by-one ranking is an equally good set. "
    elif small:
        text += (f"Choosing them together is slightly better than picking the top {n_rank} one by one "
                 f"(+{money(diff)} a month), well within the uncertainty of each site's figure. ")
    else:
        text += (f"Choosing them together is worth +{money(diff)} a month more than picking the top {n_rank} "
                 "one by one, because nearby candidates would share customers. ")
    return text


def confidence_text(sel: SiteSelection, level: str) -> str:
    """How sure we are: interval width, held-out accuracy of the scoring model, travel-distance risk."""
    m = sel.metrics
    text = (
        f"**Confidence.** Each site's {level} interval is wide (about ×/÷ {np.exp(sel.log_q):.1f} on its own "
        f"revenue): with {m['n_stores']} stores, how well a new store turns out is the main unknown. "
        f"The existing model's claimed R² of {EXISTING_MODEL_CLAIMED_R2:.2f} is in-sample; on stores it has not "
        f"seen, the store-choice model that scores the sites reaches R² {m['r2_huff_spatial_cv']:.2f} "
        f"(gradient boosting {m['r2_gbm_spatial_cv']:.2f})"
    )
    best = max(m["r2_gbm_spatial_cv"], m["r2_huff_spatial_cv"])
    text += (" — a store's own pull (the flagship draws far more than its location explains) cannot be predicted "
             "from where it is, so plan on the intervals, not the point figures. " if best < 0.5 else ". ")
    return text + sensitivity_text(sel)


def _same_block(s: pd.DataFrame, k: int) -> tuple[float, float]:
    """The decays next to the estimate (inclusive) at which the same sites are chosen."""
    same = (s.same_sites_as_base == k).to_numpy()
    i0 = i1 = int(np.argmin(np.abs(s.offset.to_numpy())))
    while i0 > 0 and same[i0 - 1]:
        i0 -= 1
    while i1 < len(s) - 1 and same[i1 + 1]:
        i1 += 1
    return float(s.decay.iloc[i0]), float(s.decay.iloc[i1])


def sensitivity_text(sel: SiteSelection) -> str:
    """What the decay table shows: where the choice changes against the CI, and how the money moves."""
    s = sel.sensitivity
    k = len(sel.chosen)
    ci_lo, ci_hi = sel.metrics["distance_decay_ci"]
    ci = f"{sel.metrics['distance_decay']:.2f}, 95% CI {ci_lo:.2f}–{ci_hi:.2f}"
    lo, hi = _same_block(s, k)
    changed = s[s.same_sites_as_base != k]
    if changed.empty:
        text = (f"The same sites are chosen at every distance decay tested ({s.decay.min():.2f} to "
                f"{s.decay.max():.2f}; estimate {ci}). ")
    else:
        where = ", ".join(f"{d:.2f} ({n} of {k} sites kept)" for d, n in
                          zip(changed.decay, changed.same_sites_as_base, strict=True))
        if changed.decay.between(ci_lo, ci_hi).any():
            text = f"The choice is not settled within the plausible range (distance decay {ci}): "
        elif lo <= ci_lo + 1e-9 and hi >= ci_hi - 1e-9:
            text = ("The same sites are chosen across the plausible range of how far customers travel "
                    f"(distance decay {ci}) and at every tested decay from {lo:.2f} to {hi:.2f}; ")
        else:
            text = f"The same sites are chosen at the tested decays from {lo:.2f} to {hi:.2f} (estimate {ci}); "
        text += (f"the choice changes only at {where}, where keeping ours would cost up to "
                 f"{money(max(changed.regret_of_base_choice.max(), 0.0))} a month. ")
    g = s.net_gain_of_base_choice
    return text + (f"The recommended set's net gain moves from {money(g.min())} to {money(g.max())} a month "
                   f"across the decays tested ({s.decay.min():.2f} to {s.decay.max():.2f}).")


def sensitivity_note(sel: SiteSelection) -> str:
    """The negative-cost caveat, only when the table has a negative cost."""
    neg = sel.sensitivity.regret_of_base_choice < -0.5
    if not neg.any():
        return ""
    return ("A negative cost means our set is slightly better than the re-optimised one: costs use the full "
            "store-choice model while the optimiser works with pairwise overlaps.")


def opening_text(fit: HuffFit) -> str:
    """The opening boost in one consistent unit (+x% = ×(1+x)) and its fade in plain weeks."""
    return (
        f"Estimated opening effect: +{fit.boost:.0%} attraction on opening day (×{1 + fit.boost:.1f} the mature "
        f"pull), halving about every {np.log(2) * fit.boost_weeks:.1f} weeks and down to a third of it after "
        f"{fit.boost_weeks:.1f} weeks, net of the opening discount's own effect on sales. Plan a new store's "
        "first two months above its mature revenue."
    )


def params_view(fit: HuffFit) -> tuple[pd.DataFrame, bool]:
    """Parameter table for readers; an estimate stuck at its lower bound gets no interval.

    A Wald interval assumes the estimate is interior; at a bound the curvature there says nothing
    about the uncertainty, so the interval is left blank rather than shown as [0, 0].
    """
    p = fit.params.copy()
    plain = {"grand-opening boost": f"opening boost: extra pull on opening day (+{fit.boost:.0%}, "
                                    f"×{1 + fit.boost:.1f})",
             "boost e-folding weeks": "weeks for the opening boost to fade to a third",
             "price elasticity": "revenue response to a store's price vs the chain's (opening discounts)"}
    name = p.parameter.map(lambda n: plain.get(n, n))
    name = name.where(p.store_name.isna(), "attraction: " + p.store_name.astype(str))
    at_bound = name.str.startswith("demand weight") & (p.estimate <= 1.5 * np.exp(_BOUNDS_WEIGHT[0]))
    name = name.where(~at_bound, name + ": 0 (at lower bound)")
    view = pd.DataFrame({"parameter": name, "estimate": p.estimate.where(~at_bound, 0.0),
                         "95% CI low": p.ci_low.where(~at_bound), "95% CI high": p.ci_high.where(~at_bound)})
    return view, bool(at_bound.any())
