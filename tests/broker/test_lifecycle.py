"""Restart (stop/start), resource alarms, policies."""

from __future__ import annotations

import pytest
from broker_helpers import World, events

from amqpsim.broker import ConnectionError_
from amqpsim.trace.events import Blocked, Delivered, Lost, Unblocked


# ------------------------------------------------------------------ restart
def test_restart_keeps_durable_and_persistent(w: World) -> None:
    w.exchange_declare("dx", "direct", durable=True)
    w.exchange_declare("tx", "direct")
    w.declare("dq", durable=True)
    w.declare("tq")
    w.declare("qq", durable=True, arguments={"x-queue-type": "quorum"})
    w.queue_bind("dq", "dx", "k")
    w.queue_bind("dq", "tx", "k")
    w.pub("dq", "persistent", delivery_mode=2)
    w.pub("dq", "transient")
    w.pub("tq", "gone", delivery_mode=2)
    w.pub("qq", "qq-transient")
    w.pub("dq", "unacked", delivery_mode=2)
    w.get("dq")  # 'persistent' is out unacked and must come back
    conn = w.conn
    w.broker.stop(w.now)
    assert not conn.is_open and conn.inbox[-1][1] == 320
    with pytest.raises(ConnectionError_):
        w.broker.connection_open(w.now)
    w.broker.start(w.now + 1)
    w.now += 1
    w.conn = w.connect()
    w.ch = w.channel()
    assert set(w.broker.queues) == {"dq", "qq"}
    assert "dx" in w.broker.exchanges and "tx" not in w.broker.exchanges
    assert w.pub("k", exchange="dx").queues == ("dq",)
    assert w.drain("dq") == ["persistent", "unacked", "m"]
    assert w.drain("qq") == ["qq-transient"]
    assert [(e.actor, e.reason) for e in events(w.broker, Lost)] == [(None, "restart"), (None, "restart")]


def test_restart_rearms_ttl(w: World) -> None:
    w.declare("q", durable=True, arguments={"x-message-ttl": 1000})
    w.pub("q", delivery_mode=2)
    w.broker.stop(0.5)
    assert w.broker.next_deadline() is None
    w.broker.start(2.0)
    assert w.broker.queues["q"].message_count() == 0  # expired on start


# ------------------------------------------------------------------ alarms
def test_memory_alarm_blocks_only_connections_that_publish(w: World) -> None:
    """RabbitMQ 3.10.8 (checked with pika's blocked callbacks): connection.blocked reaches a
    connection only when it publishes during the alarm; a consume-only one never hears of it."""
    consumer = w.connect()
    w.broker.set_alarm(w.now, True)
    w.broker.set_alarm(w.now, True)  # no second alarm event
    assert not w.conn.blocked and not consumer.blocked and w.conn.inbox == []
    assert w.broker.reads_publish(w.now, w.conn) is False
    assert w.broker.reads_publish(w.now, w.conn) is False  # notified once
    assert w.conn.blocked and w.conn.inbox == [("blocked", "low on memory")]
    late = w.connect()
    assert not late.blocked
    w.broker.set_alarm(w.now, False)
    assert w.conn.inbox[-1] == ("blocked", None) and not w.conn.blocked
    assert consumer.inbox == [] and late.inbox == []
    assert w.broker.reads_publish(w.now, w.conn) is True
    assert [type(e) for e in events(w.broker, Blocked, Unblocked)] == [Blocked, Unblocked]
    assert events(w.broker, Blocked)[0].reason == "low on memory"


# ------------------------------------------------------------------ policies
def test_policy_numeric_min_and_overflow_argument_wins(w: World) -> None:
    w.broker.set_policy(w.now, "lim", "^q", {"max-length": 2, "overflow": "reject-publish"})
    w.declare("q-arg-big", arguments={"x-max-length": 5})
    w.declare("q-arg-small", arguments={"x-max-length": 1, "x-overflow": "drop-head"})
    s = w.broker.queues["q-arg-big"].settings
    assert (s.max_length, s.overflow) == (2, "reject-publish")
    s = w.broker.queues["q-arg-small"].settings
    assert (s.max_length, s.overflow) == (1, "drop-head")


def test_policy_apply_to_and_priority(w: World) -> None:
    w.declare("cq")
    w.declare("qq", durable=True, arguments={"x-queue-type": "quorum"})
    w.exchange_declare("x", "direct")
    w.broker.set_policy(w.now, "ex", ".*", {"message-ttl": 1}, apply_to="exchanges")
    assert w.broker.queues["cq"].settings.message_ttl is None
    w.broker.set_policy(w.now, "quorum", ".*", {"message-ttl": 2000}, apply_to="quorum_queues")
    w.broker.set_policy(w.now, "classic", ".*", {"message-ttl": 3000}, apply_to="classic_queues")
    assert w.broker.queues["cq"].settings.message_ttl == 3.0
    assert w.broker.queues["qq"].settings.message_ttl == 2.0
    w.broker.set_policy(w.now, "top", "^c", {"message-ttl": 4000}, priority=5, apply_to="queues")
    assert w.broker.queues["cq"].settings.message_ttl == 4.0


def test_policy_applied_retroactively(w: World) -> None:
    w.declare("q")
    for _ in range(4):
        w.pub("q")
    w.broker.set_policy(w.now, "p", "^q$", {"max-length": 1})
    assert w.count("q") == 1
    w.broker.set_policy(w.now, "p", "^q$", {"message-ttl": 0})
    w.pub("q", "new")  # TTL 0, but behind a head without expiry (fixed at enqueue): it waits
    assert w.count("q") == 2
    assert w.drain("q") == ["m"]  # 'new' expired on reaching the head
    w.broker.clear_policy(w.now, "p")
    w.pub("q")
    assert w.count("q") == 1


def test_quorum_delivery_limit_policy_min(w: World) -> None:
    w.broker.set_policy(w.now, "dl", ".*", {"delivery-limit": 3}, apply_to="quorum_queues")
    w.declare("qq", durable=True, arguments={"x-queue-type": "quorum", "x-delivery-limit": 5})
    assert w.broker.queues["qq"].settings.delivery_limit == 3


def test_stop_does_not_redeliver_to_consumers_that_are_going_down_too():
    """A node stop closes every connection; copies requeued from the first one closed must
    not be delivered to a consumer on a connection closed a moment later."""
    from amqpsim.broker import Broker

    b = Broker()
    conns = [b.connection_open(0) for _ in range(2)]
    chans = [b.channel_open(0, c) for c in conns]
    b.queue_declare(0, chans[0], "jobs", durable=True)
    for ch in chans:
        b.basic_qos(0, ch, prefetch_count=2)  # room for one more than each gets
        b.basic_consume(0, ch, "jobs")
    from amqpsim.broker import Properties

    for i in range(2):
        b.basic_publish(0, chans[0], "", "jobs", f"m{i}".encode(), Properties(delivery_mode=2))
    delivered_before = len(events(b, Delivered))
    b.stop(1.0)
    assert len(events(b, Delivered)) == delivered_before == 2
    b.start(2.0)
    assert b.queues["jobs"].message_count() == 2
