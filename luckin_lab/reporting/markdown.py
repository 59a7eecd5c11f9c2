"""Markdown text that renders the same in nbconvert and Quarto (kept import-light)."""

from __future__ import annotations

import re

_MONEY_DOLLAR = re.compile(r"(?<!\\)\$(?=[\d.,-]*\d)")


def escape_money(text: str) -> str:
    """``$3,267`` -> ``&#36;3,267``: two amounts in one paragraph must not become LaTeX math."""
    return _MONEY_DOLLAR.sub("&#36;", text)
