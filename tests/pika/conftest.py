"""Every test starts with fresh simulated brokers and the clock at 0."""

from __future__ import annotations

import pytest

import amqpsim.pika as pika
from amqpsim.trace.events import EventKind


@pytest.fixture(autouse=True)
def fresh_brokers():
    pika.reset_brokers()
    yield
    pika.reset_brokers()


@pytest.fixture
def conn():
    c = pika.BlockingConnection(pika.ConnectionParameters("localhost"))
    yield c
    if c.is_open:
        c.close()


@pytest.fixture
def ch(conn):
    return conn.channel()


@pytest.fixture
def methods():
    """methods(host='localhost') -> the frames logged, ``"C>S Basic.Publish"``, in order."""
    return lambda host="localhost": [f"{e.direction} {e.method}" for e in pika.broker_for(host).recorder.events
                                     if e.kind == EventKind.FRAME]
