"""Read YAML as plain data (``yaml.safe_load`` semantics) and remember lines.

The document is *composed* first with :class:`yaml.SafeLoader`, so every node
keeps its position. We walk the node tree to (a) refuse tags that would build
Python objects, (b) catch duplicate mapping keys (PyYAML silently keeps the last
one) and (c) build a map from path to 1-based line. Only then is the tree
constructed into dicts, lists and scalars.
"""

from __future__ import annotations

from typing import Any

import yaml  # type: ignore[import-untyped]
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode  # type: ignore[import-untyped]

from .errors import Problem, ScenarioError

__all__ = ["LineMap", "line_of", "parse_yaml"]

LineMap = dict[tuple[str, ...], int]
"""Path (every part as ``str``: keys and list indices) -> 1-based line."""

_SAFE_TAGS = frozenset(t for t in yaml.SafeLoader.yaml_constructors if t is not None)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_NODES = 200_000  # guards against alias bombs ("billion laughs")


def _show_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") \
        else tag


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Walker:
    def __init__(self, loader: yaml.SafeLoader, file: str | None) -> None:
        self.loader = loader
        self.file = file
        self.lines: LineMap = {}
        self.problems: list[Problem] = []
        self.visited = 0
        self.stack: set[int] = set()

    def problem(self, node: Node, message: str) -> None:
        self.problems.append(Problem(message, line=_line(node), file=self.file))

    def walk(self, node: Node, path: tuple[str, ...]) -> None:
        self.visited += 1
        if self.visited > _MAX_NODES:
            if self.visited == _MAX_NODES + 1:
                self.problem(node, "document too large (too many nodes after alias expansion)")
            return
        if id(node) in self.stack:
            self.problem(node, "recursive YAML alias (a node that contains itself)")
            return
        if node.tag not in _SAFE_TAGS:
            self.problem(node, f"YAML tag {_show_tag(node.tag)!r} is not allowed: a scenario "
                               "is plain data (mappings, lists, strings, numbers, booleans)")
            return
        self.stack.add(id(node))
        if isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                self.lines.setdefault((*path, str(i)), _line(item))
                self.walk(item, (*path, str(i)))
        elif isinstance(node, MappingNode):
            self.walk_mapping(node, path)
        self.stack.discard(id(node))

    def walk_mapping(self, node: MappingNode, path: tuple[str, ...]) -> None:
        seen: dict[str, int] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            key = self.key(key_node)
            if key is None:
                continue
            if key in seen:
                self.problem(key_node, f"duplicate key {key!r} (first at line {seen[key]})")
            seen[key] = _line(key_node)
            self.lines.setdefault((*path, key), _line(key_node))
            self.walk(value_node, (*path, key))
        for merged in merges:  # explicit keys win over merged ones: setdefault
            for m in merged.value if isinstance(merged, SequenceNode) else [merged]:
                if isinstance(m, MappingNode):
                    self.walk_mapping(m, path)

    def key(self, node: Node) -> str | None:
        if not isinstance(node, ScalarNode):
            self.problem(node, "mapping keys must be plain scalars")
            return None
        if node.tag not in _SAFE_TAGS:
            self.walk(node, ())
            return None
        return str(self.loader.construct_object(node))


def _syntax_problem(exc: yaml.YAMLError, file: str | None, size: int) -> Problem:
    text = getattr(exc, "problem", None) or str(exc)
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    mark = getattr(exc, "problem_mark", None) or context_mark
    if context_mark is not None and mark is not None and mark.index >= size - 1:
        mark = context_mark  # "unexpected end of file": point where the open thing began
    if context:
        where = f" at line {context_mark.line + 1}" if context_mark else ""
        text += f" ({context}{where})"
    return Problem(f"YAML syntax error: {text}", line=mark.line + 1 if mark else None,
                   file=file)


def parse_yaml(text: str, file: str | None = None) -> tuple[Any, LineMap]:
    """Parse one YAML document into plain data and its line map.

    Raises :class:`ScenarioError` for a syntax error, an empty document, an unsafe
    tag or a duplicate key.
    """
    label = file or "<string>"
    loader = yaml.SafeLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise ScenarioError(_syntax_problem(exc, label, len(text))) from None
        if root is None:
            raise ScenarioError(Problem(
                "empty scenario: expected a mapping with at least a 'name' key",
                line=1, file=label))
        walker = _Walker(loader, label)
        walker.lines[()] = _line(root)
        walker.walk(root, ())
        if walker.problems:
            raise ScenarioError(walker.problems)
        try:
            data = loader.construct_document(root)
        except yaml.YAMLError as exc:
            raise ScenarioError(_syntax_problem(exc, label, len(text))) from None
    finally:
        loader.dispose()
    return data, walker.lines


def line_of(lines: LineMap, parts: tuple[Any, ...]) -> int | None:
    """Line of the deepest known node on ``parts`` (a path of keys/indices)."""
    key = tuple(str(p) for p in parts)
    while key not in lines and key:
        key = key[:-1]
    return lines.get(key)
