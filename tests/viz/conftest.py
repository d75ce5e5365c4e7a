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


SHOP = """
name: viz-shop
description: A small shop for the picture tests (used until scenarios/online-store.yaml exists).
duration: 40
topology:
  exchanges:
    - {name: orders, type: topic, arguments: {alternate-exchange: unrouted}}
    - {name: unrouted, type: fanout}
    - {name: dlx, type: fanout}
  queues:
    - {name: warehouse, arguments: {x-max-length: 25, x-dead-letter-exchange: dlx}}
    - {name: billing}
    - {name: lost-and-found}
    - {name: dead}
  bindings:
    - {source: orders, destination: warehouse, routing_key: "order.*"}
    - {source: orders, destination: billing, routing_key: order.created}
    - {source: unrouted, destination: lost-and-found}
    - {source: dlx, destination: dead}
producers:
  - {name: web, exchange: orders, instances: 2, rate: {poisson: 3}, confirms: true,
     routing_key: {choice: {order.created: 0.8, order.cancelled: 0.15, misc.ping: 0.05}}}
consumers:
  - {name: worker, queue: warehouse, instances: 3, prefetch: 5, service_time: {exponential: 0.7},
     reject: {probability: 0.05, requeue: false}}
  - {name: accountant, queue: billing, ack: auto, service_time: {exponential: 0.1}}
faults:
  - {at: 12, kind: consumer_crash, target: "worker#1", downtime: 6}
  - {at: 25, until: 30, kind: memory_alarm}
"""


@pytest.fixture(scope="session")
def sim_run():
    """A run of the simulation engine: scenarios/online-store.yaml, else a small inline shop."""
    import amqpsim

    if not hasattr(amqpsim, "run"):
        pytest.skip("amqpsim.run not available yet")
    path = ROOT / "scenarios" / "online-store.yaml"
    return amqpsim.run(path if path.exists() else amqpsim.load_scenario(SHOP))


@pytest.fixture(params=["broker", "sim"])
def run(request, store):
    """Each picture is checked on broker events and on a real simulation run."""
    return store if request.param == "broker" else request.getfixturevalue("sim_run")
