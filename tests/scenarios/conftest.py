"""Options for the scenario-library tests.

``pytest tests/scenarios --regen-goldens`` rewrites the golden summaries instead
of comparing them (the same as ``python -m tests.scenarios.regen``).
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-goldens", action="store_true", default=False,
                     help="rewrite tests/scenarios/golden/*.json instead of comparing them")


@pytest.fixture(scope="session")
def regen_goldens(request: pytest.FixtureRequest) -> bool:
    try:
        return bool(request.config.getoption("--regen-goldens"))
    except ValueError:  # the option is registered only when this conftest is loaded early
        return False
