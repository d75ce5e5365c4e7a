"""Each case runs against the real broker (real pika) and amqpsim.pika; outcomes must match.

Where they disagree the real broker (RabbitMQ 3.10) is right.
AMQPSIM_CONFORMANCE_MODULE=pika compares the real broker with itself (checks that the
cases are deterministic).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path

import pytest


def _load_cases():
    """Import cases.py under a unique module name (a bare `import cases` could collide)."""
    path = Path(__file__).with_name("cases.py")
    spec = importlib.util.spec_from_file_location("amqpsim_conformance_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cases = _load_cases()
OTHER_MODULE = os.environ.get("AMQPSIM_CONFORMANCE_MODULE", "amqpsim.pika")


@pytest.mark.conformance
@pytest.mark.parametrize("name", list(cases.CASES))
def test_case_matches_rabbitmq(name, real_pika, params_for):
    expected = cases.run_case(name, real_pika, params_for(real_pika))

    sim_pika = importlib.import_module(OTHER_MODULE)  # fails until amqpsim.pika exists
    if sim_pika is not real_pika:
        sim_pika.reset_brokers()
    actual = cases.run_case(name, sim_pika, params_for(sim_pika))

    assert actual == expected
