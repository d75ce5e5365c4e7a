"""Shared helpers for the scenario tests (a plain module: imported by name)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from amqpsim.scenario import Problem, ScenarioError, load_scenario

HERE = Path(__file__).parent
FULL_EXAMPLE = HERE / "online-store.yaml"

MINIMAL = """\
name: minimal
"""

BASE = """\
name: shop
topology:
  exchanges:
    - {name: orders, type: topic}
  queues:
    - name: warehouse
  bindings:
    - {source: orders, destination: warehouse, routing_key: "order.*"}
producers:
  - {name: web, exchange: orders, routing_key: order.created, rate: {poisson: 5}}
consumers:
  - {name: worker, queue: warehouse, instances: 3, service_time: {exponential: 0.5}}
"""


def problems_of(text: str) -> list[Problem]:
    """The problems reported for a YAML text (which must be invalid)."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(textwrap.dedent(text))
    return info.value.problems


def only(problems: list[Problem], path: str) -> Problem:
    """The single problem at ``path``."""
    found = [p for p in problems if p.path == path]
    assert len(found) == 1, f"expected one problem at {path!r}, got {problems}"
    return found[0]
