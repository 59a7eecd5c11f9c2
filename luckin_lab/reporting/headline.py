"""The headline of a leadership report: one decision, one figure with its interval, in metrics.json.

Every leadership report states the same four things on page one (decision, money, how sure,
what changed). The brief, the front page and the recommendation log read them from one small,
versioned block of ``metrics.json`` instead of each report's own keys:

```json
"headline": {
  "version": 1,
  "decision": "Apply the recommended prices in 4 categories.",
  "for_whom": "all stores",
  "figure": "weekly margin change",
  "value": 812.0, "low": 120.0, "high": 1490.0, "level": 0.95,
  "unit": "USD per week",
  "is_profit": true,
  "confidence": "clearly a gain (the 95 % interval excludes zero)",
  "follow_up_days": 28,
  "short_decision": "Apply the new prices in 4 categories",
  "short_note": "margin change against today's prices"
}
```

``short_decision`` and ``short_note`` (version 2) are what the brief's page one prints: the
report says its decision, and what its figure is, in at most ``SHORT_CHARS`` characters
itself, so no page ever cuts a sentence mid-phrase. A block without them (version 1) falls
back to the decision's first clause and the figure's name, printed whole.

``value``/``low``/``high`` may be null (no figure, no interval); ``unit`` starting with "USD"
marks money; ``is_profit`` is false for revenue or non-money figures, so no page calls revenue
profit. A report writes it with :func:`write_headline`. Runs written before the block existed
are read by :func:`headline_of`, which derives the same fields from that report's older keys
(``derive_headline``), or returns None ("no headline recorded").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from luckin_lab.reporting.certainty import Estimate, confidence_words, lead_figure
from luckin_lab.units import DAYS_PER_MONTH

HEADLINE_KEY = "headline"
HEADLINE_VERSION = 2  # 2: short_decision and short_note (page one's words, written by the report)
SHORT_CHARS = 64  # the most a short decision or short note may hold (a line of page one's row)

# Plain titles for readers (front page, brief); a report not listed reads as its words.
TITLES: dict[str, str] = {
    "brief": "Leadership brief",
    "coupon_uplift": "Coupon targeting",
    "customers": "Customers at risk and win-back",
    "iot_survival": "Equipment maintenance",
    "price_elasticity": "Menu prices",
    "site_selection": "Where to open next",
    "store_trends": "Store sales",
}


def title_of(report: str) -> str:
    return TITLES.get(report, report.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Headline:
    """What page one says, in numbers the brief can compare between runs (schema version 1)."""

    decision: str
    figure: str = ""
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str = ""
    is_profit: bool = False
    level: float = 0.95
    for_whom: str = ""
    confidence: str = ""
    follow_up_days: int | None = None
    short_decision: str = ""  # the decision in <= SHORT_CHARS characters ("Keep today's prices")
    short_note: str = ""  # what the figure is, in <= SHORT_CHARS characters
    version: int = HEADLINE_VERSION

    def __post_init__(self) -> None:
        if not self.decision.strip():
            raise ValueError("a headline needs a decision (what leadership should do)")
        for name in ("short_decision", "short_note"):
            text = getattr(self, name)
            if len(text) > SHORT_CHARS:
                raise ValueError(f"headline {name} has {len(text)} characters, at most {SHORT_CHARS} "
                                 f"fit a line of the brief: {text!r}")
        if (self.low is None) != (self.high is None):
            raise ValueError("a headline interval needs both low and high, or neither")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"headline interval low {self.low} is above high {self.high}")

    @property
    def is_money(self) -> bool:
        return self.unit.startswith("USD")

    @property
    def estimate(self) -> Estimate | None:
        if self.value is None or self.low is None or self.high is None:
            return None
        return Estimate(self.value, self.low, self.high, self.level)

    @property
    def significant(self) -> bool | None:
        """True/False when there is an interval; None when there is none to judge by."""
        est = self.estimate
        return None if est is None else est.significant

    @property
    def per_month(self) -> float | None:
        """The factor that turns ``value`` into money per month (None: not money, or no period).

        ``unit`` names the period: "USD per week", "USD per month", "USD per 7 days",
        "USD per 12 months"; a plain "USD" is a one-off total with no period.
        """
        m = _PERIOD.match(self.unit.strip())
        if not m or not m.group(2):
            return None
        days = float(m.group(1) or 1) * _DAYS[m.group(2)]
        return _DAYS["month"] / days

    @property
    def action(self) -> str:
        """The decision as page one prints it: the report's short decision, else the decision's
        first clause (whole: never cut mid-phrase)."""
        return self.short_decision or first_clause(self.decision)

    @property
    def what(self) -> str:
        """What the figure is, as page one prints it: the report's short note, else its name's
        first clause (a bracketed qualifier such as '(before staff)' kept)."""
        return self.short_note or first_clause(self.figure, brackets=False)

    def monthly(self) -> Headline | None:
        """The same headline in USD per month (None when it cannot be put so)."""
        k = self.per_month
        if k is None:
            return None
        def scale(x: float | None) -> float | None:
            return None if x is None else x * k
        return Headline(**{**self.to_dict(), "value": scale(self.value), "low": scale(self.low),
                           "high": scale(self.high), "unit": "USD per month"})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Headline:
        """Read a stored block; newer versions keep the version-1 fields, extra keys are ignored."""
        fields = {k: doc[k] for k in cls.__dataclass_fields__ if k in doc}
        for key in ("value", "low", "high"):
            v = fields.get(key)
            fields[key] = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
        return cls(**fields)


def fits(*options: str) -> str:
    """The first of ``options`` that fits a short field (the last one must): a report picks a
    shorter whole phrase instead of having its words cut."""
    for text in options:
        if len(text) <= SHORT_CHARS:
            return text
    raise ValueError(f"no option fits {SHORT_CHARS} characters: {options!r}")


def first_clause(text: str, brackets: bool = True) -> str:
    """'Keep today's prices: the gain is not clear.' -> "Keep today's prices" (a whole clause;
    with ``brackets`` a bracketed aside ends it too)."""
    stops = r"[:;]\s|\.\s|\s\(" if brackets else r"[:;]\s|\.\s"
    head = re.split(stops, str(text).strip(), maxsplit=1)[0]
    return head.rstrip(" .") or str(text).strip()


_DAYS = {"day": 1.0, "week": 7.0, "month": DAYS_PER_MONTH, "year": 365.25}
_PERIOD = re.compile(r"^USD(?: per (?:(\d+(?:\.\d+)?) )?(day|week|month|year)s?)?$")


def with_confidence(h: Headline) -> Headline:
    """Fill ``confidence`` in words from the interval (certainty rules), when it is empty."""
    if h.confidence:
        return h
    est = h.estimate
    words = ("no interval: a planning figure, not a measured effect" if est is None
             else confidence_words(est, positive="a gain", negative="a loss"))
    return Headline(**{**h.to_dict(), "confidence": words})


def write_headline(results: Any, headline: Headline) -> None:
    """Add the headline block to the run's metrics.json (``results`` is an ``nb.Results``)."""
    results.metrics({HEADLINE_KEY: with_confidence(headline).to_dict()})


def headline_of(report: str, metrics: Mapping[str, Any] | None,
                parameters: Mapping[str, Any] | None = None) -> Headline | None:
    """The run's headline: the written block, else derived from older keys, else None."""
    if not metrics:
        return None
    block = metrics.get(HEADLINE_KEY)
    if isinstance(block, Mapping) and block.get("decision"):
        return with_confidence(Headline.from_dict(block))
    derive = _DERIVE.get(report)
    if derive is None:
        return None
    try:
        h = derive(metrics, parameters or {})
    except (KeyError, TypeError, ValueError):
        return None  # an older run without the keys this derivation needs
    return None if h is None else with_confidence(h)


# -- headlines of runs written before the block existed (each report's own keys) ------------


def _f(m: Mapping[str, Any], key: str) -> float | None:
    v = m.get(key)
    return None if v is None else float(v)


def _coupon(m: Mapping[str, Any], p: Mapping[str, Any]) -> Headline:
    if "gain_vs_today" in m:
        return _coupon_v2(m, p)
    arm = p.get("current_arm") or "today's coupon"
    gain = Estimate(m["monthly_gain_vs_today"], m["monthly_gain_vs_today_ci_low"],
                    m["monthly_gain_vs_today_ci_high"])
    blanket = Estimate(m["monthly_today_vs_none"], m["monthly_today_vs_none_ci_low"],
                       m["monthly_today_vs_none_ci_high"])
    lead = lead_figure({"targeting": gain, "blanket": blanket})
    if gain.low > 0:
        decision = f"Target coupons by predicted response instead of sending {arm} to everyone."
    elif gain.high < 0:
        decision = "Keep today's coupon policy: targeting did worse on held-out users."
    elif blanket.high < 0:
        decision = (f"Stop sending {arm} to everyone: it loses margin against no coupon; "
                    "test the targeting on a fresh holdout.")
    else:
        decision = "Keep today's coupon policy for now; test the targeting on a fresh holdout."
    short = (fits(f"Target coupons instead of sending {arm} to everyone", "Target coupons by response")
             if gain.low > 0 else fits(f"Stop sending {arm} to everyone", "Stop today's blanket coupon")
             if gain.high >= 0 and blanket.high < 0 else "Keep today's coupon policy")
    if lead == "blanket":
        return Headline(decision, f"margin per month of sending {arm} to everyone vs no coupons",
                        blanket.value, blanket.low, blanket.high, "USD per month", True,
                        for_whom="app users in the campaign", follow_up_days=30, short_decision=short,
                        short_note=fits(f"margin of {arm} for everyone against no coupon",
                                        "margin of today's coupon against no coupon"))
    return Headline(decision, "margin per month vs today's coupons", gain.value, gain.low,
                    gain.high, "USD per month", True, for_whom="app users in the campaign",
                    follow_up_days=30, short_decision=short, short_note="margin of targeting against today's coupons")


def _coupon_v2(m: Mapping[str, Any], p: Mapping[str, Any]) -> Headline:
    """The experiment report's keys since its decision rules (summary.headline)."""
    per = str(m.get("figures_per") or "per month")
    unit = "USD " + per
    who = f"{m.get('unit_noun') or 'users'} in the experiment"
    today = str(m.get("today_policy") or "")
    if m.get("recommended_policy") != today:
        return Headline(f"Switch to {m['recommended_label']}.", "margin vs today's policy",
                        m["gain_vs_today"], m["gain_vs_today_ci_low"], m["gain_vs_today_ci_high"],
                        unit, True, for_whom=who, follow_up_days=30,
                        short_decision=fits(f"Switch to {m['recommended_label']}", "Switch to the recommended policy"),
                        short_note="margin gained against today's policy")
    value = next((c for c, u in (m.get("outcome_units") or {}).items() if u == "usd"), None)
    e = m.get(f"effect_{value}_{today.removeprefix('everyone ')}") if value else None
    label = m.get("recommended_label") or today
    decision = f"Keep today's policy ({label}): no change is supported."
    short = fits(f"Keep today's policy ({label})", "Keep today's policy")
    if not isinstance(e, Mapping):
        return Headline(decision, for_whom=who, follow_up_days=30, short_decision=short)
    k = float(e.get("page_one_factor") or 1.0)
    return Headline(decision, "margin of today's policy against none", e["effect"] * k,
                    e["ci_low"] * k, e["ci_high"] * k, unit, True, for_whom=who, follow_up_days=30,
                    short_decision=short, short_note="margin of today's policy against no offer")


def _price_moves(m: Mapping[str, Any], noun: str = "category prices") -> str:
    """'raise 6 of 8 category prices' from the run's today/recommended prices ('' if not recorded)."""
    today, new = m.get("today_price") or {}, m.get("recommended_price") or {}
    if not today or not new:
        return ""
    moves = [round(float(new[g]), 2) - round(float(today[g]), 2) for g in today if g in new]
    up, down = sum(d > 0 for d in moves), sum(d < 0 for d in moves)
    parts = ([f"raise {up}"] if up else []) + ([f"lower {down}"] if down else [])
    return f"{' and '.join(parts)} of {len(moves)} {noun}" if parts else ""


PRICE_MODEL = "range from the price test's model"


def _pricing(m: Mapping[str, Any], p: Mapping[str, Any]) -> Headline:
    lo, hi = m["weekly_margin_change_low"], m["weekly_margin_change_high"]
    moves = _price_moves(m)
    if lo == hi == m["weekly_margin_change"] == 0:
        decision = "Keep today's prices: no price change is worth making."
        short = "Keep today's prices: no change is worth making"
    elif lo > 0:
        decision = (f"Apply the recommended prices ({moves}): margin rises." if moves else
                    "Apply the recommended prices: margin rises.")
        few = _price_moves(m, "category prices")
        short = fits(few[:1].upper() + few[1:] + " as recommended", "Apply the recommended prices") if few \
            else "Apply the recommended prices"
    elif hi < 0:
        decision = "Keep today's prices: the recommended changes would lose margin."
        short = "Keep today's prices: the changes would lose margin"
    else:
        decision = "Keep today's prices until the margin gain is clear."
        short = "Keep today's prices until the gain is clear"
    est = Estimate(m["weekly_margin_change"], lo, hi, 0.95)
    return Headline(decision, f"margin change per week at the recommended prices, {PRICE_MODEL}",
                    m["weekly_margin_change"], lo, hi, "USD per week", True,
                    for_whom="menu prices in every store", follow_up_days=28,
                    confidence=confidence_words(est, positive="a gain", negative="a loss"),
                    short_decision=short, short_note="margin change at the new prices (price test)")


def _iot(m: Mapping[str, Any], p: Mapping[str, Any]) -> Headline | None:
    days = int(p.get("plan_horizon_days") or 7)
    if "crew_expected_profit_usd" in m:
        k, w = int(m["recommended_technicians"]), int(m["crew_weeks"])
        return Headline(
            f"Send {k} technician{'s' if k != 1 else ''} for each of the next {w} weeks.",
            f"profit the crew keeps against sending nobody: drink margin kept minus technician cost, next {w} weeks",
            _f(m, "crew_expected_profit_usd"),
            _f(m, "crew_profit_low_usd"), _f(m, "crew_profit_high_usd"), unit=f"USD per {w * 7} days",
            is_profit=True, level=float(m.get("profit_interval_level") or 0.9), for_whom="store technicians",
            confidence=("if the failure and lost-sales models hold, 9 in 10 simulated futures "
                        "fall in the range"), follow_up_days=w * 7,
            short_decision=f"Send {k} technician{'s' if k != 1 else ''} a week for the next {w} weeks",
            short_note="drink margin kept minus technician cost, vs no visits")
    if "expected_profit_usd" in m:
        k = int(m["recommended_technicians"])
        return Headline(
            f"Send {k} technician{'s' if k != 1 else ''} on the {m.get('plan_visits', 0)} planned "
            f"visits over the next {days} days.",
            "profit kept vs no action, after technician cost",
            _f(m, "expected_profit_usd"),
            _f(m, "profit_low_usd"), _f(m, "profit_high_usd"), unit=f"USD per {days} days", is_profit=True,
            level=float(m.get("profit_interval_level") or 0.95), for_whom="store technicians",
            confidence=("if the failure and lost-sales models hold, 9 in 10 simulated weeks fall "
                        "in the range" if "profit_low_usd" in m else
                        "a plan figure from the failure model (no interval)"), follow_up_days=days,
            short_decision=fits(f"Send {k} technician{'s' if k != 1 else ''} on {int(m.get('plan_visits') or 0):,} visits "
                                f"over the next {days} days", f"Send {k} technicians over the next {days} days"),
            short_note="profit kept vs no action, after technician cost")
    if "plan_visits" in m:
        return Headline(
            f"Send technicians on the {m['plan_visits']} planned visits over the next {days} days.",
            f"lost cups avoided over {days} days vs repairing after failures",
            _f(m, "lost_cups_avoided_vs_run_to_failure"), unit="cups", is_profit=False,
            for_whom="store technicians",
            confidence="a plan figure from the failure model (no interval)", follow_up_days=days,
            short_decision=f"Send technicians on {int(m['plan_visits']):,} visits over the next {days} days",
            short_note="lost cups avoided vs repairing after failures")
    service = m.get("service")
    if isinstance(service, Mapping):
        horizon = int(p.get("horizon_long_days") or 30)
        return Headline(f"Service the {service.get('services', 0)} units listed in the report.",
                        "saving vs running to failure", _f(service, "saving_usd"),
                        unit=f"USD per {horizon} days", is_profit=True, for_whom="the maintenance team",
                        follow_up_days=int(p.get("horizon_long_days") or 30),
                        short_decision=f"Service the {service.get('services', 0)} units listed",
                        short_note="saving vs running to failure")
    return None


def _sites(m: Mapping[str, Any], p: Mapping[str, Any]) -> Headline:
    from luckin_lab.sites.summary import (  # the report's own wording
        set_profit,
        short_decision,
        short_note,
        site_decision,
    )

    names = [str(s) for s in m.get("chosen_site_names") or m["chosen_sites"]]
    est = set_profit(m)
    strength, decision = site_decision(names, est, bool(m.get("decision_robust_to_decay", True)))
    if est is not None:
        staffed = bool(m.get("staff_cost_per_store_monthly"))
        figure = f"all {len(names)} sites together, " + (
            "profit per month after cost of goods, rent and staff" if staffed
            else "profit per month after cost of goods and rent (before staff)")
        return Headline(decision, figure, est.value, _f(m, "portfolio_profit_low"), _f(m, "portfolio_profit_high"),
                        "USD per month", True, level=est.level, for_whom="the expansion committee",
                        short_decision=short_decision(strength, len(names)),
                        short_note=short_note(len(names), staffed))
    return Headline(decision, "added revenue per month, net of sales taken from our stores (revenue, not profit)",
                    _f(m, "portfolio_net_gain_monthly"), unit="USD per month", is_profit=False,
                    for_whom="the expansion committee",
                    confidence="a model estimate; the report gives each site's range",
                    short_decision=short_decision(strength, len(names), False),
                    short_note="added sales net of sales taken from our stores")


def _stores(m: Mapping[str, Any], p: Mapping[str, Any]) -> Headline:
    from luckin_lab.trends.narrative import store_headline  # the report's own definition

    return store_headline(m, bool(m.get("profit_available")))


_DERIVE: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], Headline | None]] = {
    "coupon_uplift": _coupon,
    "iot_survival": _iot,
    "price_elasticity": _pricing,
    "site_selection": _sites,
    "store_trends": _stores,
}
