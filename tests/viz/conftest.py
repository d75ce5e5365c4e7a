"""Fixtures for the pictures: real broker events (a small event loop over the pure broker), a short
client session with errors, and — when the simulation engine is there — a real scenario run."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import pytest

matplotlib.use("Agg")
sys.path.insert(0, str(Path(__file__).parent))

from viz_minisim import store_run  # noqa: E402

from amqpsim.broker import Broker, ChannelError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def store() -> SimpleNamespace:
    """An online-store-like run: topic exchange, alternate exchange, DLX, TTL, max-length, a crash."""
    return store_run()


@pytest.fixture(scope="session")
def session() -> Broker:
    """A hello-world session: declare, consume, publish (one routed, one returned), ack, a 404."""
    b = Broker()
    pub = b.channel_open(0.0, b.connection_open(0.0, "publisher"))
    wrk = b.channel_open(0.0, b.connection_open(0.0, "worker"))
    b.queue_declare(0.01, pub, "hello")
    b.confirm_select(0.01, pub)
    b.basic_qos(0.02, wrk, prefetch_count=1)
    b.basic_consume(0.02, wrk, "hello")
    b.basic_publish(0.03, pub, "", "hello", b"Hello World!")
    b.basic_publish(0.04, pub, "", "nowhere", b"x", mandatory=True)
    b.basic_ack(0.05, wrk, 1)
    with pytest.raises(ChannelError):
        b.basic_publish(0.06, pub, "missing", "k", b"x")
    b.close_connection(0.07, wrk.connection)
    return b


@pytest.fixture(scope="session")
def sim_run():
    """A run of the simulation engine: scenarios/online-store.yaml."""
    import amqpsim

    return amqpsim.run(ROOT / "scenarios" / "online-store.yaml")


@pytest.fixture(params=["broker", "sim"])
def run(request, store):
    """Each picture is checked on broker events and on a real simulation run."""
    return store if request.param == "broker" else request.getfixturevalue("sim_run")


@pytest.fixture(scope="session")
def lean_run():
    """online-store without its event log: the pictures come from the view folded during the run."""
    import amqpsim

    return amqpsim.run(ROOT / "scenarios" / "online-store.yaml", events=False, pictures=True)


@pytest.fixture(scope="session")
def locked_run():
    """Two instances of a consumer on an exclusive queue: the second meets 405 RESOURCE_LOCKED."""
    import amqpsim

    return amqpsim.run(Path(__file__).parent / "scenarios" / "exclusive-405.yaml", events=False, pictures=True)
