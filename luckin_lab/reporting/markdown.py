"""Output forms that render the same in the pip-only renderer and in Quarto (kept import-light).

A report output reaches three readers: JupyterLab and the pip-only renderer read ``text/html``;
Quarto reads ``text/markdown`` (for Typst it has no other choice, and an output without a
Markdown form reaches the PDF as its repr, ``<IPython.core.display.HTML object>``). So every
``nb`` helper returns a :class:`Block` (or :class:`Prose`) whose Markdown form carries the very
same HTML as a raw ``{=html}`` block beside a raw ``{=typst}`` block drawn by the house Typst
template, and whose ``text/plain`` form is readable text, never a repr.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_MONEY_DOLLAR = re.compile(r"(?<!\\)\$(?=[\d.,-]*\d)")
NO_TABLE_PROCESSING = "<!--| quarto-html-table-processing: none -->"
_FENCE = re.compile(r"^(`{3,})\{=(html|typst)\}[ \t]*\n(.*?)\n\1[ \t]*$", re.S | re.M)


def escape_money(text: str) -> str:
    """``$3,267`` -> ``&#36;3,267``: two amounts in one paragraph must not become LaTeX math."""
    return _MONEY_DOLLAR.sub("&#36;", text)


def raw_block(fmt: str, body: str) -> str:
    """A Pandoc raw block (```` ```{=html} ````), fenced longer than any backtick run inside."""
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{{={fmt}}}\n{body}\n{fence}"


def raw_blocks(markdown: str, fmt: str) -> list[str]:
    """The bodies of the raw ``{=fmt}`` blocks of a Markdown form (what a renderer keeps)."""
    return [m.group(3) for m in _FENCE.finditer(markdown) if m.group(2) == fmt]


def typst_string(text: object) -> str:
    """A Typst string literal: shown as plain text, so ``#``, ``$``, ``*`` and ``@`` are safe."""
    body = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{body}"'


@dataclass(frozen=True)
class Block:
    """A styled output (KPI cards, a table, a callout) in HTML, Typst and plain text."""

    html: str
    typst: str
    text: str

    @property
    def data(self) -> str:
        """The HTML, as ``IPython.display.HTML(...).data`` gave it (callers and tests use it)."""
        return self.html

    def markdown(self) -> str:
        # Quarto would turn an HTML table into a second, unstyled table in the PDF
        html = (NO_TABLE_PROCESSING + self.html) if "<table" in self.html else self.html
        return raw_block("html", html) + "\n\n" + raw_block("typst", self.typst)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/markdown": self.markdown(), "text/html": self.html, "text/plain": self.text}

    def __repr__(self) -> str:  # what a stray print() shows: the text, never an object repr
        return self.text


@dataclass(frozen=True)
class Prose:
    """Computed Markdown prose; both renderers read the Markdown itself."""

    text: str

    @property
    def data(self) -> str:
        return self.text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/markdown": self.text, "text/plain": self.text}

    def __repr__(self) -> str:
        return self.text
