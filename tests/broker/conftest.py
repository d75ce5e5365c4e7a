"""Fixtures: ``w`` is a fresh :class:`World` whose event log must conserve every copy."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from broker_helpers import World, assert_conservation  # noqa: E402


@pytest.fixture
def w() -> Iterator[World]:
    world = World()
    yield world
    assert_conservation(world.broker)


@pytest.fixture
def w4() -> Iterator[World]:
    world = World(version="4.3")
    yield world
    assert_conservation(world.broker)
