"""Load, validate, dump and override scenarios.

``load_scenario`` accepts a path, YAML text or an already-parsed mapping, checks
the whole document (pydantic shape checks plus :mod:`.checks`) and raises one
:class:`ScenarioError` listing every problem with file, line and YAML path.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]
from pydantic import ValidationError

from .checks import check_scenario
from .errors import MISSING, Issue, Problem, ScenarioError, did_you_mean, format_path
from .model import Scenario
from .paths import allowed_keys, walk_loc
from .yamlsrc import LineMap, line_of, parse_yaml

__all__ = ["apply_overrides", "dump_yaml", "load_scenario", "validate_data"]

Source = str | os.PathLike[str] | Mapping[str, Any]

_CUSTOM = {"tagged", "unknown_tag", "uniform", "burst"}


def _looks_like_path(text: str) -> bool:
    return "\n" not in text and text.strip().endswith((".yaml", ".yml"))


def load_scenario(source: Source, *, file: str | None = None) -> Scenario:
    """Read and validate a scenario.

    ``source`` is a path (``Path`` or a ``str`` ending in ``.yaml``/``.yml``),
    YAML text, or a mapping. ``file`` names the source in messages. Raises
    :class:`ScenarioError` (a ``ValueError``) listing every problem found.
    """
    if isinstance(source, Mapping):
        return validate_data(copy.deepcopy(dict(source)), {}, file)
    if isinstance(source, os.PathLike) or _looks_like_path(source):
        path = Path(source)
        label = file or str(source)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ScenarioError(Problem("no such scenario file", file=label)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(Problem(f"cannot read scenario: {exc}", file=label)) from None
        return load_text(text, label)
    return load_text(source, file)


def load_text(text: str, file: str | None = None) -> Scenario:
    data, lines = parse_yaml(text, file)
    return validate_data(data, lines, file or "<string>")


def validate_data(data: Any, lines: LineMap, file: str | None = None) -> Scenario:
    """Validate parsed data; ``lines`` maps paths to lines (may be empty)."""
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
    scenario: Scenario | None = None
    issues: list[Issue] = []
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        issues = [_from_pydantic(err, data) for err in exc.errors(include_url=False)]
    checked = check_scenario(data)
    overridden = {format_path(i.parts, data) for i in checked}
    issues = [i for i in issues if format_path(i.parts, data) not in overridden] + checked
    if issues:
        raise ScenarioError(_to_problems(issues, data, lines, file))
    assert scenario is not None
    return scenario


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


def _from_pydantic(err: Any, data: dict[str, Any]) -> Issue:
    loc, kind = tuple(err["loc"]), err["type"]
    ctx = err.get("ctx") or {}
    parts = walk_loc(data, loc)
    if kind == "missing":
        return Issue(parts, f"missing required key {loc[-1]!r}")
    if kind == "extra_forbidden":
        keys = allowed_keys(Scenario, loc[:-1]) or []
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


# --- dump and overrides ------------------------------------------------------

def dump_yaml(scenario: Scenario, *, compact: bool = True) -> str:
    """YAML text that :func:`load_scenario` reads back to an equal scenario.
    ``compact`` writes only the keys that were set (not defaults)."""
    data = scenario.to_dict(compact=compact)
    text: str = yaml.safe_dump(data, sort_keys=False, allow_unicode=True,
                               default_flow_style=None)
    if yaml.safe_load(text) != data:  # PyYAML mangles a few characters (e.g. U+0085)
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None)
    return text


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A re-validated copy of ``scenario`` with dotted-path overrides applied:
    ``{"consumers.0.prefetch": 10, "broker.version": "4.3"}``."""
    data = scenario.to_dict(compact=True)
    for dotted, value in overrides.items():
        _set_path(data, dotted, value)
    return validate_data(data, {}, None)


def _set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
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
                keys = allowed_keys(Scenario, here)
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
