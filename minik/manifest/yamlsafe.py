"""YAML without alias bombs: a budget on what aliases may add to a document.

A YAML alias (``*a``) names a node defined earlier, so nine lines of
nested aliases stand for a billion values ("billion laughs"); anything
that walks the document as a tree (building it, validating it, writing it
as JSON) then runs for ever. PyYAML composes such a document quickly as a
graph of shared nodes; :func:`check_aliases` counts, in one pass over that
graph, how many values the tree would have, and refuses the document when
aliases would add more than :data:`MAX_ALIAS_VALUES` of them (or when an
alias names a node that contains it). go-yaml, which the API server uses,
refuses the same documents ("excessive aliasing"). Used by the CLI's
manifest loader and the API's YAML request bodies alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

MAX_ALIAS_VALUES = 100_000
"""Most values aliases may add to one document (beyond the values written out in it)."""

Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class AliasBomb(ValueError):
    """The document's aliases expand it past the budget, or refer to themselves."""


def _children(node: yaml.Node) -> Iterable[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value


def expanded_size(root: yaml.Node) -> tuple[int, int]:
    """(values of the document as a tree, distinct nodes in it); :class:`AliasBomb` on a cycle.

    Linear in the composed graph, however large the tree it stands for.
    """
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            visiting.discard(key)
            continue
        if key in sizes:
            continue
        if key in visiting:
            raise AliasBomb("the YAML document has an alias that refers to a node containing itself")
        visiting.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    return sizes[id(root)], len(sizes)


def check_aliases(root: yaml.Node, *, budget: int = MAX_ALIAS_VALUES) -> None:
    """:class:`AliasBomb` when aliases make ``root`` stand for more than ``budget`` extra values."""
    total, distinct = expanded_size(root)
    if total - distinct > budget:
        raise AliasBomb(
            f"the YAML document's aliases expand it to {total} values, more than the {budget} "
            "extra values aliases may add"
        )


def safe_load(text: str | bytes) -> Any:
    """``yaml.safe_load`` with the alias budget checked between composing and constructing."""
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_aliases(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()
