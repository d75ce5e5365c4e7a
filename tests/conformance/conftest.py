"""Fixtures for the conformance suite: a reachable real broker and module parameters."""

from __future__ import annotations

import os
import socket
from typing import Any

import pytest

BROKER_HOST = os.environ.get("AMQPSIM_BROKER_HOST", "127.0.0.1")
BROKER_PORT = int(os.environ.get("AMQPSIM_BROKER_PORT", "5672"))


@pytest.fixture(scope="session")
def params_for() -> Any:
    """Build ConnectionParameters from a module (real pika or amqpsim.pika)."""
    return lambda module: module.ConnectionParameters(host=BROKER_HOST, port=BROKER_PORT)


def _broker_reachable() -> bool:
    try:
        socket.create_connection((BROKER_HOST, BROKER_PORT), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def real_pika() -> Any:
    """The real pika module, once a broker answers on BROKER_HOST:BROKER_PORT.

    Without a broker the tests are skipped, or fail if AMQPSIM_REQUIRE_BROKER=1.
    """
    if not _broker_reachable():
        reason = f"no RabbitMQ reachable on {BROKER_HOST}:{BROKER_PORT}"
        if os.environ.get("AMQPSIM_REQUIRE_BROKER") == "1":
            pytest.fail(f"{reason} (AMQPSIM_REQUIRE_BROKER=1)")
        pytest.skip(reason)
    import pika

    return pika
