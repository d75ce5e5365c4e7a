"""Validating a whole document: the model's shape checks plus the cross-checks.

:func:`validate_document` checks parsed data against a pydantic model (the shape of
each field) and :mod:`.checks` (what looks across fields and sections), and raises
one :class:`ScenarioError` listing every problem with its YAML path (and line, when
the lines are known); what is valid but likely a slip is a :class:`ScenarioWarning`. :func:`apply_overrides` re-validates a document with
dotted-path overrides.

The document's model is passed in (it is always :class:`~.model.Scenario`): the
model uses this module for :meth:`~.model.Scenario.with_overrides`, so this module
cannot import the model.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any, TypeVar

import yaml  # type: ignore[import-untyped]
from pydantic import BaseModel, ValidationError

from .checks import check_scenario
from .cluster_checks import cluster_warnings
from .errors import (
    MISSING,
    Issue,
    Problem,
    ScenarioError,
    ScenarioWarning,
    did_you_mean,
    format_path,
)
from .paths import allowed_keys, walk_loc
from .yamlsrc import LineMap, line_of

__all__ = ["apply_overrides", "validate_document"]

M = TypeVar("M", bound=BaseModel)

_CUSTOM = {"tagged", "unknown_tag", "uniform", "burst"}


def validate_document(model: type[M], data: Any, lines: LineMap, file: str | None = None) -> M:
    """Validate parsed data as a ``model``; ``lines`` maps paths to lines (may be empty)."""
    if data is None:
        raise ScenarioError(Problem(
            "empty scenario: expected a mapping with at least a 'name' key",
            line=1 if lines else None, file=file))
    if not isinstance(data, dict):
        raise ScenarioError(Problem(
            "a scenario must be a mapping (name: ..., topology: ...), "
            f"found {type(data).__name__}", line=line_of(lines, ()), file=file))
    # top-level keys starting with "x-" are free: a place for YAML anchors
    data = {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}
    document: M | None = None
    issues: list[Issue] = []
    try:
        document = model.model_validate(data)
    except ValidationError as exc:
        issues = [_from_pydantic(model, err, data) for err in exc.errors(include_url=False)]
    checked = check_scenario(data)
    overridden = {format_path(i.parts, data) for i in checked}
    issues = [i for i in issues if format_path(i.parts, data) not in overridden] + checked
    if issues:
        raise ScenarioError(_to_problems(issues, data, lines, file))
    for problem in _to_problems(cluster_warnings(data), data, lines, file):
        warnings.warn(ScenarioWarning(str(problem)), stacklevel=4)
    assert document is not None
    return document


def _to_problems(issues: list[Issue], data: Any, lines: LineMap, file: str | None
                 ) -> list[Problem]:
    problems: list[Problem] = []
    for issue in issues:
        problem = Problem(issue.message, format_path(issue.parts, data),
                          line_of(lines, issue.parts) if lines else None, file,
                          issue.value, issue.suggestion)
        if problem not in problems:
            problems.append(problem)
    return sorted(problems, key=lambda p: p.line if p.line is not None else 1 << 30)


def _from_pydantic(model: type[BaseModel], err: Any, data: dict[str, Any]) -> Issue:
    loc, kind = tuple(err["loc"]), err["type"]
    ctx = err.get("ctx") or {}
    parts = walk_loc(data, loc)
    if kind == "missing":
        return Issue(parts, f"missing required key {loc[-1]!r}")
    if kind == "extra_forbidden":
        keys = allowed_keys(model, loc[:-1]) or []
        return Issue(parts, f"unknown key {loc[-1]!r}", loc[-1], did_you_mean(loc[-1], keys))
    value = err.get("input", MISSING)
    message: str = err["msg"]
    hint = ctx.get("suggestion")
    if kind == "literal_error":
        message = f"expected {ctx.get('expected')}"
        hint = did_you_mean(value, re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
    if kind not in _CUSTOM and not isinstance(value, dict | list) and value is not MISSING:
        message += f", got {_show(value)}"
    if kind == "string_type" and isinstance(value, bool):
        message += " (YAML reads yes/no/on/off/true/false as booleans: quote the value)"
    if kind == "string_pattern_mismatch" and loc == ("name",):
        message = f"must match [a-z0-9-]+ (lowercase letters, digits, '-'), got {value!r}"
    return Issue(parts, message, value, hint)


def _show(value: Any) -> str:
    """A value as YAML users write it: ``null``, ``true``, ``'text'``, ``3``."""
    if value is None or isinstance(value, bool):
        return yaml.safe_dump(value).split("\n")[0]
    return repr(value)


def apply_overrides(document: M, overrides: Mapping[str, Any]) -> M:
    """A re-validated copy of ``document`` with dotted-path overrides applied:
    ``{"consumers.0.prefetch": 10, "broker.version": "4.3"}``."""
    model = type(document)
    data = document.model_dump(by_alias=True, exclude_unset=True)  # the compact YAML shape
    for dotted, value in overrides.items():
        _set_path(model, data, dotted, value)
    return validate_document(model, data, {}, None)


def _set_path(model: type[BaseModel], data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = [int(p) if p.isdigit() else p for p in dotted.split(".")]
    node: Any = data
    for i, part in enumerate(parts):
        here, last = tuple(parts[:i]), i == len(parts) - 1

        def fail(message: str, hint: str | None = None, at: int = i) -> ScenarioError:
            return ScenarioError(Problem(message, format_path(parts[: at + 1], data),
                                         suggestion=hint))

        if isinstance(node, list):
            if not isinstance(part, int) or part >= len(node):
                raise fail(f"no item {part!r} in a list of {len(node)} (override {dotted!r})")
        elif isinstance(node, dict):
            if part not in node:
                keys = allowed_keys(model, here)
                if keys is not None and part not in keys:
                    raise fail(f"unknown key {part!r} (override {dotted!r})",
                               did_you_mean(part, keys))
                if not last:
                    node[part] = [] if isinstance(parts[i + 1], int) else {}
        else:
            raise fail(f"cannot override inside a {type(node).__name__} (override {dotted!r})",
                       at=i - 1)
        if last:
            node[part] = value
        else:
            node = node[part]
