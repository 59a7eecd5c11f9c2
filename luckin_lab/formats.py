"""Numbers as readers see them: dollars, percentages, counts.

Here rather than in the report layer because analyses word their own findings (the coupon
analysis names its outcome in the outcome's unit); report notebooks reach them as ``nb.money``.
"""

from __future__ import annotations

import math


def money(x: float, digits: int = 0, like: float | None = None, signed: bool = False) -> str:
    """USD for readers; ``like`` picks the unit of a figure it is compared with ($40.9K -> $5.0K);
    ``signed`` marks changes ("+$13"). A value that rounds to zero never carries a sign."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    scale = max(abs(x), abs(like)) if like is not None and not math.isnan(like) else abs(x)
    if scale >= 1e6:
        div, places, unit = 1e6, 2, "M"
    elif scale >= 1e4 and digits == 0:
        div, places, unit = 1e3, 1, "K"
    else:
        div, places, unit = 1.0, digits, ""
    shown = round(abs(x) / div, places)
    if shown == 0:
        return f"${0:.{digits}f}" if div == 1.0 else "$0"  # never "-$0"
    return f"{'-' if x < 0 else '+' if signed else ''}${shown:,.{places}f}{unit}"


def pct(x: float, digits: int = 1, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    text = f"{x * 100:.{digits}f}%"
    if float(text.lstrip("-")[:-1]) == 0:
        return text.lstrip("-")  # no "-0.0%" nor "+0.0%"
    return ("+" if signed and x > 0 else "") + text


def num(x: float, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.{digits}f}"
