"""Load, validate, dump and override scenarios.

``load_scenario`` accepts a path, YAML text or an already-parsed mapping, checks
the whole document (pydantic shape checks plus :mod:`.checks`, see
:mod:`.validation`) and raises one :class:`ScenarioError` listing every problem
with file, line and YAML path. ``apply_overrides`` is :mod:`.validation`'s.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from .errors import Problem, ScenarioError
from .model import Scenario
from .validation import apply_overrides, validate_document
from .yamlsrc import LineMap, parse_yaml

__all__ = ["apply_overrides", "dump_yaml", "load_scenario", "validate_data"]

Source = str | os.PathLike[str] | Mapping[str, Any]

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
    return validate_document(Scenario, data, lines, file)


# --- dump ---------------------------------------------------------------------

def dump_yaml(scenario: Scenario, *, compact: bool = True) -> str:
    """YAML text that :func:`load_scenario` reads back to an equal scenario.
    ``compact`` writes only the keys that were set (not defaults)."""
    data = scenario.to_dict(compact=compact)
    text: str = yaml.safe_dump(data, sort_keys=False, allow_unicode=True,
                               default_flow_style=None)
    if yaml.safe_load(text) != data:  # PyYAML mangles a few characters (e.g. U+0085)
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None)
    return text
