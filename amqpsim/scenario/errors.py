"""Scenario problems and the one exception that carries them.

A :class:`Problem` names where (file, line, YAML path), what (message), the bad
value and, when there is a close valid alternative, a suggestion. A
:class:`ScenarioError` carries every problem found in a document, so one run of
``amqpsim validate`` reports them all.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MISSING", "Issue", "Problem", "ScenarioError", "ScenarioWarning", "did_you_mean",
           "format_path"]


class _Missing:
    """Sentinel: a problem that has no bad value (e.g. a missing key)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")


def format_path(parts: Sequence[str | int], data: Any = None) -> str:
    """Render a path like ``consumers[1].prefetch``.

    ``parts`` holds mapping keys and list indices. When ``data`` (the raw
    document) is given, an ``int`` key of a mapping is told apart from a list
    index; otherwise ints are list indices.
    Keys that are not plain words are quoted: ``choice["order.created"]``.
    """
    out = ""
    node = data
    for part in parts:
        is_index = isinstance(part, int) and not isinstance(part, bool)
        if isinstance(node, dict):
            is_index = False
        if is_index:
            out += f"[{part}]"
        elif isinstance(part, str) and _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]" if not isinstance(part, str) else f'["{part}"]'
        node = _child(node, part)
    return out


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def did_you_mean(word: object, candidates: Iterable[object]) -> str | None:
    """The closest candidate to ``word`` (difflib), or ``None``."""
    if not isinstance(word, str):
        return None
    names = [c for c in candidates if isinstance(c, str)]
    matches = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    if not matches:
        lowered = {n.lower(): n for n in names}
        matches = [lowered[word.lower()]] if word.lower() in lowered else []
    return matches[0] if matches else None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario."""

    message: str
    path: str = ""
    line: int | None = None
    file: str | None = None
    value: Any = field(default=MISSING, compare=False)
    suggestion: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None or self.line is not None:
            where = f"{self.file or '<string>'}:{self.line}: " if self.line else f"{self.file}: "
        text = f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"
        if self.suggestion is not None:
            text += f" (did you mean {self.suggestion!r}?)"
        return text


@dataclass(frozen=True)
class Issue:
    """A problem found in raw data, before file and line are attached.

    ``parts`` is the path as keys and list indices, e.g. ``("consumers", 1, "queue")``.
    """

    parts: tuple[Any, ...]
    message: str
    value: Any = MISSING
    suggestion: str | None = None


class ScenarioError(ValueError):
    """A scenario is invalid. ``problems`` lists everything that is wrong."""

    def __init__(self, problems: Sequence[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class ScenarioWarning(UserWarning):
    """Something RabbitMQ accepts that the scenario probably did not mean; the
    message is a :class:`Problem`'s text (file, line, path)."""
