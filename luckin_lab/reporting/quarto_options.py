"""Quarto cell options (``#| key: value``) honoured without Quarto.

nbconvert ignores Quarto's options, so this preprocessor applies them to an executed notebook
the way Quarto would before the pip-only renderer turns it into HTML: code hidden, set-up
cells dropped, numbered figure and table captions, the parameters cells removed and the raw
front matter lifted out for the title block. Leadership must never see code or tracebacks.
"""

from __future__ import annotations

import html
import re
from typing import Any

import nbformat
import yaml
from nbconvert.preprocessors import Preprocessor

from luckin_lab.reporting.markdown import escape_money, raw_blocks

_OPTION_LINE = re.compile(r"^\s*#\|\s?(.*)$")
_XREF = re.compile(r"@((?:fig|tbl)-[A-Za-z0-9_-]+)")
HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell", "hide-cell"}


def split_options(source: str) -> tuple[dict[str, Any], str]:
    """Leading ``#|`` lines parsed as YAML, and the rest of the cell source."""
    lines = source.splitlines()
    opts: list[str] = []
    i = 0
    while i < len(lines) and (m := _OPTION_LINE.match(lines[i])):
        opts.append(m.group(1))
        i += 1
    if not opts:
        return {}, source
    try:
        parsed = yaml.safe_load("\n".join(opts)) or {}
    except yaml.YAMLError as err:
        raise ValueError(f"bad Quarto cell options {opts!r}: {err}") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"Quarto cell options must be 'key: value' lines, got {opts!r}")
    return parsed, "\n".join(lines[i:])


def front_matter(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """The YAML front matter of the first raw cell ('---' ... '---'), or {}."""
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.strip().startswith("---"):
            body = cell.source.strip().strip("-").strip()
            data = yaml.safe_load(body) or {}
            return data if isinstance(data, dict) else {}
        if cell.cell_type != "raw":
            break
    return {}


def _caption_html(kind: str, number: int, label: str, text: str) -> str:
    name = "Figure" if kind == "fig" else "Table"
    return (
        f"<div class='ll-caption ll-caption-{kind}' id='{html.escape(label)}'>"
        f"<span class='ll-caption-num'>{name} {number}:</span> {html.escape(text)}</div>"
    )


def _with_caption(outputs: list, kind: str, number: int, label: str, text: str) -> list:
    """Outputs with their numbered caption; a table's caption joins the table's own HTML.

    One element for caption and table is what keeps them on the same printed page: a short
    table (``ll-keep``) moves whole with its caption, a long one may break but never right
    after its caption.
    """
    caption = _caption_html(kind, number, label, text)
    if kind == "tbl":
        for i, out in enumerate(outputs):
            body = out.get("data", {}).get("text/html")
            if body is not None:
                body = "".join(body) if isinstance(body, list) else body
                keep = " ll-float-keep" if "ll-keep" in body or "ll-table" not in body else ""
                merged = nbformat.from_dict(dict(out))
                merged["data"] = {**out["data"],
                                  "text/html": f"<div class='ll-float{keep}'>{caption}{body}</div>"}
                return [*outputs[:i], merged, *outputs[i + 1:]]
        return [nbformat.v4.new_output("display_data", data={"text/html": caption}), *outputs]
    return [*outputs, nbformat.v4.new_output("display_data", data={"text/html": caption})]


def _html_from_markdown_form(output: dict) -> dict:
    """An output whose only rich form is Markdown with raw ``{=html}`` blocks (the form Quarto
    reads) is shown by its HTML blocks; raw blocks for other formats are dropped."""
    data = output.get("data") or {}
    md = data.get("text/markdown")
    if md is None or "text/html" in data:
        return output
    md = "".join(md) if isinstance(md, list) else md
    blocks = raw_blocks(md, "html")
    if not blocks:
        return output
    shown = nbformat.from_dict(dict(output))
    shown["data"] = {**data, "text/html": "\n".join(blocks)}
    return shown


class QuartoOptions(Preprocessor):
    """Apply Quarto's cell options and hide everything a reader must not see."""

    def preprocess(self, nb, resources):
        meta = front_matter(nb)
        execute = meta.get("execute") or {}
        default_echo = bool(execute.get("echo", False))
        default_warning = bool(execute.get("warning", False))
        resources.setdefault("front_matter", meta)
        numbers: dict[str, str] = {}
        counters = {"fig": 0, "tbl": 0}
        kept = []
        for cell in nb.cells:
            if cell.cell_type == "raw":
                continue  # front matter becomes the title block; other raw cells are not prose
            tags = set(cell.get("metadata", {}).get("tags", []))
            if tags & HIDDEN_TAGS:
                continue
            if cell.cell_type != "code":
                kept.append(cell)
                continue
            opts, source = split_options(cell.source)
            if opts.get("include") is False:
                continue
            cell.source = source
            echo = opts.get("echo", default_echo)
            if echo is not True:
                cell.metadata["transient"] = {"remove_source": True}
            outputs = [] if opts.get("output") is False else list(cell.get("outputs", []))
            if not opts.get("warning", default_warning):
                outputs = [o for o in outputs if not (o.get("name") == "stderr")]
            outputs = [o for o in outputs if o.get("output_type") != "error"]
            label = str(opts.get("label", ""))
            kind = label.split("-", 1)[0] if "-" in label else ""
            cap = opts.get(f"{kind}-cap") if kind in counters else None
            alt = opts.get("fig-alt") or (cap if kind == "fig" else None)
            if alt:
                cell.metadata["alt"] = str(alt)  # nbconvert's alt text for the figure image
            outputs = [_html_from_markdown_form(o) for o in outputs]
            if cap and outputs:
                counters[kind] += 1
                numbers[label] = f"{'Figure' if kind == 'fig' else 'Table'} {counters[kind]}"
                outputs = _with_caption(outputs, kind, counters[kind], label, str(cap))
            cell.outputs = outputs
            if not outputs and not echo:
                continue
            kept.append(cell)
        for cell in kept:
            if cell.cell_type == "markdown":
                cell.source = escape_money(cell.source)
                cell.source = _XREF.sub(
                    lambda m: f"[{numbers[m.group(1)]}](#{m.group(1)})"
                    if m.group(1) in numbers
                    else m.group(0),
                    cell.source,
                )
        nb.cells = kept
        resources["captions"] = numbers
        return nb, resources
