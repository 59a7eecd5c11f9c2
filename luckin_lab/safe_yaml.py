"""YAML for files people edit by hand (params files, ``-p`` values): bounded and unambiguous.

PyYAML's ``safe_load`` is safe from code execution but not from three traps this loader
closes: an alias bomb (a few hundred bytes that expand to billions of nodes once a validator
or ``repr`` walks them), duplicate keys (the later one silently wins) and dates the parser
builds itself (``2026-13-45`` raises a bare ``ValueError`` with no file or key). Here dates
stay text, so the params model parses them and names the key; every refusal is a
:class:`YamlError` with the line, never an echo of the input.
"""

from __future__ import annotations

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_BYTES = 64 * 1024
MAX_NODES = 10_000  # after expanding aliases
MAX_ALIASES = 100
MAX_DEPTH = 40
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"


class YamlError(ValueError):
    """The text is not acceptable YAML; the message names the line and the rule."""


def _where(node_or_mark) -> str:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return f"line {mark.line + 1}" if mark is not None else "the document"


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader with depth, alias and size budgets, duplicate-key refusal, dates as text."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Node | None, index: object) -> Node:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YamlError(f"more than {MAX_ALIASES} aliases (*name) at "
                                f"{_where(self.peek_event())}; write the values out")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlError(f"nested deeper than {MAX_DEPTH} levels at {_where(self.peek_event())}")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self) -> Node:
        node = super().compose_document()
        if _expanded_size(node) > MAX_NODES:
            raise YamlError(f"the document expands to more than {MAX_NODES:,} values "
                            "(aliases repeat their anchor's content); refused before loading")
        return node

    def construct_mapping(self, node: Node, deep: bool = False) -> dict:
        if isinstance(node, MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == _MERGE or not isinstance(key_node, ScalarNode):
                    continue
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise YamlError(f"duplicate key '{str(key)[:60]}' at {_where(key_node)}; "
                                    "each key may appear once (the later one would win silently)")
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _expanded_size(root: Node) -> int:
    """Number of values once aliases are expanded (a shared node counts once per use)."""
    size: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:  # iterative post-order: the node graph is a DAG, possibly deep
        node, children_done = stack.pop()
        if children_done:
            size[id(node)] = min(1 + sum(size[id(c)] for c in _children(node)), MAX_NODES + 1)
            continue
        if id(node) in size:
            if size[id(node)] < 0:
                raise YamlError(f"recursive alias at {_where(node)}")
            continue
        size[id(node)] = -1  # in progress
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node))
    return size[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def load(text: str) -> object:
    """Parse one YAML document within the budgets; :class:`YamlError` otherwise."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise YamlError(f"larger than {MAX_BYTES // 1024} KiB; a params file is a few lines")
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except YamlError:
        raise
    except yaml.MarkedYAMLError as err:
        # PyYAML's own message quotes the offending line: keep only the problem and the line
        raise YamlError(f"{err.problem or err.context} at {_where(err.problem_mark)}") from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as err:
        raise YamlError(f"not valid YAML ({type(err).__name__})") from None
    finally:
        loader.dispose()
