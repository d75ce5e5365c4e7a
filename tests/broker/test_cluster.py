"""The broker in a 3-node cluster: node crashes and stops, partitions, and the three
queue types (classic, mirrored, quorum) reacting as RabbitMQ 3.10 does.

The facts come from ``rabbitmq-cluster-semantics.md`` (section 6, by number) and the
measurements on a real 3.10.8 cluster (``RUNNING-RABBITMQ-CLUSTER.md``); the cluster
conformance suite checks the same experiments against a real cluster.
"""

from __future__ import annotations

from typing import Any

import pytest
from broker_helpers import assert_conservation, events, inbox

from amqpsim.broker import AMQPError, Broker, Channel, Cluster, ConnectionError_, Properties
from amqpsim.trace.events import (
    Acked,
    Lost,
    NodeDown,
    PartitionChanged,
    QueuePlaced,
    Requeued,
)

PERSISTENT = Properties(delivery_mode=2)
NODES = ["rabbit1", "rabbit2", "rabbit3"]


class Lab:
    """A broker and its cluster; channels on named nodes; a clock that fires timers."""

    def __init__(self, mode: str = "ignore", tick: float = 10.0) -> None:
        self.broker = Broker()
        self.cluster = Cluster(self.broker, NODES, partition_handling=mode, net_ticktime=tick)
        self.now = 0.0

    def ch(self, node: str, confirm: bool = False) -> Channel:
        conn = self.broker.connection_open(self.now, f"client@{node}", node)
        ch = self.broker.channel_open(self.now, conn)
        if confirm:
            self.broker.confirm_select(self.now, ch)
        return ch

    def at(self, t: float) -> None:
        self.broker.advance(t)
        self.now = t

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self.broker, name)
        return lambda ch, *a, **k: fn(self.now, ch, *a, **k)

    def publish(self, ch: Channel, queue: str, n: int = 1, body: str = "m", props: Properties = PERSISTENT,
                **kw: Any) -> None:
        for i in range(n):
            self.broker.basic_publish(self.now, ch, "", queue, f"{body}{i}".encode(), props, **kw)

    def leader(self, queue: str) -> str | None:
        return self.cluster.describe()["queues"][queue]["leader"]

    def error(self, fn: Any, *args: Any, **kwargs: Any) -> AMQPError:
        with pytest.raises(AMQPError) as err:
            fn(*args, **kwargs)
        return err.value


def confirms(ch: Channel) -> list[tuple[int, bool]]:
    return [(tag, ok) for tag, ok, _multiple in inbox(ch, "confirm")]


@pytest.fixture
def lab():
    lab = Lab()
    yield lab
    assert_conservation(lab.broker)


# ============================================================================ classic
def test_classic_queue_home_down_404_and_unroutable_then_back_with_persistent(lab):
    """Facts 1, 2: 404 "home node ... is down or inaccessible"; a mandatory confirmed publish
    is returned (312) and acked; after the restart only the persistent messages are there."""
    a = lab.ch("rabbit1")
    lab.queue_declare(a, "orders", durable=True)
    lab.publish(a, "orders", 2, "p")
    lab.publish(a, "orders", 3, "t", Properties(delivery_mode=1))
    lab.cluster.crash(1.0, "rabbit1")
    lab.at(1.0)
    assert not a.is_open  # its node died
    b = lab.ch("rabbit2", confirm=True)
    text = "NOT_FOUND - home node 'rabbit1@localhost' of durable queue 'orders' in vhost '/' is down or inaccessible"
    for method, args in (("queue_declare", ("orders",)), ("basic_get", ("orders",)),
                         ("basic_consume", ("orders",))):
        err = lab.error(getattr(lab, method), b, *args)
        assert (err.reply_code, str(err.reply_text)) == (404, text)
        b = lab.ch("rabbit2", confirm=True)
    lab.publish(b, "orders", 1, mandatory=True)
    assert [r.reply_code for r in inbox(b, "return")] == [312]
    assert confirms(b) == [(1, True)]
    assert [e.reason for e in events(lab.broker, Lost)] == ["node_crash"] * 3
    lab.cluster.start(5.0, "rabbit1")
    lab.at(5.0)
    assert lab.queue_declare(b, "orders", durable=True)[1] == 2


def test_non_durable_classic_queue_goes_with_its_node(lab):
    a = lab.ch("rabbit1")
    lab.queue_declare(a, "scratch")
    lab.publish(a, "scratch", 2)
    lab.cluster.crash(1.0, "rabbit1")
    assert "scratch" not in lab.broker.queues
    assert [e.reason for e in events(lab.broker, Lost)] == ["node_crash"] * 2


def test_classic_consumer_elsewhere_is_cancelled_and_its_unacked_come_back_redelivered(lab):
    a = lab.ch("rabbit1")
    lab.queue_declare(a, "orders", durable=True)
    lab.publish(a, "orders", 3)
    c = lab.ch("rabbit2")
    lab.basic_consume(c, "orders", "w")
    held = inbox(c, "deliver")
    assert len(held) == 3
    lab.cluster.crash(1.0, "rabbit1")
    assert inbox(c, "cancel") == ["w"]
    lab.basic_ack(c, held[0].delivery_tag)  # the late ack is accepted and changes nothing
    assert not events(lab.broker, Acked)
    lab.cluster.start(2.0, "rabbit1")
    lab.at(2.0)
    got = [lab.basic_get(c, "orders", no_ack=True) for _ in range(3)]
    assert all(d is not None and d.redelivered for d in got)


def test_a_down_node_refuses_connections(lab):
    lab.cluster.crash(1.0, "rabbit2")
    with pytest.raises(ConnectionError_):
        lab.broker.connection_open(1.0, "late", "rabbit2")


# ============================================================================ quorum
def test_quorum_leader_crash_elects_a_new_leader_fast_and_loses_nothing(lab):
    """Measured on 3.10.8: a new leader 0.15-0.28 s after a kill -9; 0 lost; the consumer's
    unacked deliveries stay with it (not redelivered)."""
    a = lab.ch("rabbit1")
    lab.queue_declare(a, "qq", durable=True, arguments={"x-queue-type": "quorum"})
    pub = lab.ch("rabbit2", confirm=True)
    lab.publish(pub, "qq", 5)
    cons = lab.ch("rabbit3")
    lab.basic_qos(cons, 0, 2)
    lab.basic_consume(cons, "qq", "w")
    assert len(inbox(cons, "deliver")) == 2
    lab.cluster.crash(10.0, "rabbit1")
    lab.at(10.0)
    assert lab.leader("qq") is None
    lab.publish(pub, "qq", 1, "late")
    assert confirms(pub)[-1:] == [(5, True)]  # the first five
    lab.at(10.3)
    elected = [e for e in events(lab.broker, QueuePlaced) if e.reason == "election"]
    assert len(elected) == 1 and 10.15 <= elected[0].time <= 10.28
    assert elected[0].leader in ("rabbit2", "rabbit3")
    assert confirms(pub) == [(6, True)]  # held during the election, confirmed once after it
    assert not events(lab.broker, Requeued, Lost)


def test_quorum_without_a_majority_takes_nothing_and_confirms_nothing(lab):
    a = lab.ch("rabbit1")
    lab.queue_declare(a, "qq", durable=True, arguments={"x-queue-type": "quorum"})
    lab.cluster.crash(1.0, "rabbit2")
    lab.cluster.crash(1.0, "rabbit3")
    lab.at(1.0)
    pub = lab.ch("rabbit1", confirm=True)
    lab.publish(pub, "qq", 2)
    lab.at(30.0)
    assert confirms(pub) == []
    assert lab.broker.queues["qq"].message_count() == 0
    lab.cluster.start(31.0, "rabbit2")
    lab.at(31.0)
    assert confirms(pub) == [(1, True), (2, True)]
    assert lab.broker.queues["qq"].message_count() == 2


def test_quorum_consumer_on_a_dead_node_gives_its_messages_back_counted(lab):
    a = lab.ch("rabbit1")
    lab.queue_declare(a, "qq", durable=True, arguments={"x-queue-type": "quorum"})
    lab.publish(a, "qq", 2)
    c = lab.ch("rabbit3")
    lab.basic_consume(c, "qq", "w")
    lab.cluster.crash(1.0, "rabbit3")
    d = lab.basic_get(a, "qq")
    assert d.redelivered and d.properties.headers["x-delivery-count"] == 1


# ============================================================================ mirrored
def mirrored(lab: Lab, **policy: Any) -> Channel:
    lab.broker.set_policy(lab.now, "ha", "^mq$", {"ha-mode": "all", **policy})
    a = lab.ch("rabbit1")
    lab.queue_declare(a, "mq", durable=True)
    return a


def test_mirrored_failover_to_a_synchronised_mirror_loses_nothing_and_redelivers_unacked(lab):
    """Fact 8, measured: the oldest mirror is promoted, nothing lost, every unacked message
    delivered again (redelivered); x-cancel-on-ha-failover consumers are cancelled."""
    a = mirrored(lab)
    lab.publish(a, "mq", 4)
    c = lab.ch("rabbit2")
    lab.basic_qos(c, 0, 2)
    lab.basic_consume(c, "mq", "w")
    first = inbox(c, "deliver")
    c2 = lab.ch("rabbit3")
    lab.basic_consume(c2, "mq", "x", arguments={"x-cancel-on-ha-failover": True})
    inbox(c2, "deliver")
    lab.cluster.crash(1.0, "rabbit1")
    assert lab.leader("mq") == "rabbit2"
    assert inbox(c2, "cancel") == ["x"]
    assert not events(lab.broker, Lost)
    assert {e.reason for e in events(lab.broker, Requeued)} == {"failover"}
    for d in first:
        lab.basic_ack(c, d.delivery_tag)  # acks of the old deliveries only free credit
    again = inbox(c, "deliver")
    assert len(again) == 2 and all(d.redelivered for d in again)


def test_promoting_an_unsynchronised_mirror_loses_confirmed_messages(lab):
    """Fact 4, measured (500 of 600 lost): mirrors that restarted come back empty; the
    master dies; the oldest mirror is promoted anyway (ha-promote-on-failure: always)."""
    mirrored(lab)
    pub = lab.ch("rabbit1", confirm=True)
    lab.publish(pub, "mq", 5, "old")
    for node in ("rabbit2", "rabbit3"):
        lab.cluster.crash(1.0, node)
        lab.cluster.start(2.0, node)
    lab.publish(pub, "mq", 2, "new")
    assert all(ok for _t, ok in confirms(pub))
    lab.cluster.crash(3.0, "rabbit1")
    assert lab.leader("mq") == "rabbit2"
    lost = events(lab.broker, Lost)
    assert len(lost) == 5 and {e.reason for e in lost} == {"unsynchronised_mirror"}
    b = lab.ch("rabbit2")
    assert lab.queue_declare(b, "mq", durable=True)[1] == 2


def test_when_synced_refuses_to_promote_queue_unavailable_publish_unconfirmed_then_nacked(lab):
    """Fact 5 and the cluster conformance case: declare and get fail (404 ... due to
    timeout), a confirmed publish gets no confirm while the master is away (its mirrors
    take it and never confirm it), then a nack; nothing is lost and everything is back
    with the master's node."""
    a = mirrored(lab, **{"ha-promote-on-failure": "when-synced"})
    lab.publish(a, "mq", 3)
    lab.cluster.crash(1.0, "rabbit2")
    lab.cluster.start(2.0, "rabbit2")
    lab.cluster.crash(3.0, "rabbit3")
    lab.cluster.start(4.0, "rabbit3")
    lab.cluster.crash(5.0, "rabbit1")
    lab.at(5.0)
    assert lab.leader("mq") is None
    b = lab.ch("rabbit2", confirm=True)
    lab.publish(b, "mq", 1, mandatory=True)
    lab.at(8.0)
    assert confirms(b) == [] and inbox(b, "return") == []
    probe = lab.ch("rabbit3")
    err = lab.error(lab.queue_declare, probe, "mq", durable=True)
    assert err.reply_text == "NOT_FOUND - failed to perform operation on queue 'mq' in vhost '/' due to timeout"
    lab.cluster.start(9.0, "rabbit1")
    assert confirms(b) == [(1, False)]
    c = lab.ch("rabbit3")
    assert lab.queue_declare(c, "mq", durable=True)[1] == 3
    assert not events(lab.broker, Lost)


def test_graceful_stop_with_only_unsynchronised_mirrors_keeps_the_queue_on_the_master(lab):
    """Fact 6: ha-promote-on-shutdown defaults to when-synced."""
    a = mirrored(lab)
    lab.publish(a, "mq", 3)
    lab.cluster.stop(1.0, "rabbit2")
    lab.cluster.start(2.0, "rabbit2")
    lab.cluster.stop(2.0, "rabbit3")
    lab.cluster.start(3.0, "rabbit3")
    lab.cluster.stop(4.0, "rabbit1")
    assert lab.leader("mq") is None
    lab.cluster.start(6.0, "rabbit1")
    assert lab.leader("mq") == "rabbit1"
    assert lab.broker.queues["mq"].message_count() == 3


# ============================================================================ partitions
def test_pause_minority_pauses_the_cut_off_node_after_detection_and_resumes_after_heal():
    lab = Lab("pause_minority", tick=10.0)
    a = lab.ch("rabbit1")
    lab.queue_declare(a, "qq", durable=True, arguments={"x-queue-type": "quorum"})
    lab.cluster.partition(20.0, [["rabbit1"], ["rabbit2", "rabbit3"]])
    lab.at(20.0)
    assert a.connection.is_open
    lab.at(40.0)
    detected = [e.time for e in events(lab.broker, PartitionChanged) if e.phase == "detected"]
    assert len(detected) == 1 and 27.5 <= detected[0] <= 32.5  # 0.75-1.25 x net_ticktime
    assert [(e.node, e.cause) for e in events(lab.broker, NodeDown)] == [("rabbit1", "pause")]
    assert a.connection.inbox[-1][:2] == ("close", 320)
    assert lab.leader("qq") in ("rabbit2", "rabbit3")
    lab.cluster.heal(50.0)
    lab.at(52.0)
    assert lab.cluster.state["rabbit1"] == "up"
    assert_conservation(lab.broker)


def test_quorum_minority_publisher_gets_no_confirm_until_the_heal():
    """Fact 14: no ack, no nack on the minority side; committed once after the heal."""
    lab = Lab("ignore", tick=10.0)
    a = lab.ch("rabbit2")
    lab.queue_declare(a, "qq", durable=True, arguments={"x-queue-type": "quorum"})
    lab.cluster.partition(1.0, [["rabbit1"], ["rabbit2", "rabbit3"]])
    minority = lab.ch("rabbit1", confirm=True)
    majority = lab.ch("rabbit3", confirm=True)
    lab.publish(minority, "qq", 2)
    lab.publish(majority, "qq", 2)
    assert confirms(majority) == [(1, True), (2, True)]
    lab.at(30.0)
    assert confirms(minority) == []
    lab.cluster.heal(40.0)
    assert confirms(minority) == [(1, True), (2, True)]
    assert lab.broker.queues["qq"].message_count() == 4
    assert_conservation(lab.broker)


def test_ignore_keeps_classic_queues_split_after_the_heal():
    """Fact 12: with ignore the split stays after the network heals."""
    lab = Lab("ignore", tick=10.0)
    a = lab.ch("rabbit1")
    lab.queue_declare(a, "cq", durable=True)
    lab.cluster.partition(1.0, [["rabbit1"], ["rabbit2", "rabbit3"]])
    lab.at(30.0)
    lab.cluster.heal(31.0)
    b = lab.ch("rabbit2")
    err = lab.error(lab.queue_declare, b, "cq", durable=True)
    assert err.reply_code == 404
    assert_conservation(lab.broker)


def test_ignore_splits_a_mirrored_queue_into_two_masters_both_confirming():
    """Fact 12: once the cut is noticed each side has its master; both take and confirm."""
    lab = Lab("ignore", tick=10.0)
    mirrored(lab)
    a = lab.ch("rabbit1", confirm=True)
    lab.publish(a, "mq", 2, "before")
    lab.cluster.partition(5.0, [["rabbit1"], ["rabbit2", "rabbit3"]])
    lab.at(20.0)
    placed = [(e.leader, e.reason) for e in events(lab.broker, QueuePlaced) if e.reason == "split"]
    assert placed == [("rabbit2", "split")]
    b = lab.ch("rabbit2", confirm=True)
    lab.publish(a, "mq", 1, "one")
    lab.publish(b, "mq", 3, "two")
    assert all(ok for _t, ok in confirms(a)) and confirms(b) == [(1, True), (2, True), (3, True)]
    assert lab.queue_declare(a, "mq", durable=True)[1] == 3  # the two before the split + one
    assert lab.queue_declare(b, "mq", durable=True)[1] == 5  # the mirror's two + three
    lab.cluster.heal(30.0)
    assert lab.queue_declare(b, "mq", durable=True)[1] == 5  # ignore: still split
    assert_conservation(lab.broker)


def test_autoheal_discards_the_losing_side_with_its_confirmed_messages():
    """Fact 11: the side with fewer client connections restarts; its copies are lost."""
    lab = Lab("autoheal", tick=10.0)
    mirrored(lab)
    a = lab.ch("rabbit1", confirm=True)
    lab.cluster.partition(5.0, [["rabbit1"], ["rabbit2", "rabbit3"]])
    lab.at(20.0)
    b, c = lab.ch("rabbit2", confirm=True), lab.ch("rabbit3")
    lab.publish(a, "mq", 4, "lonely")
    lab.publish(b, "mq", 2, "crowd")
    lab.cluster.heal(30.0)
    lost = events(lab.broker, Lost)
    assert len(lost) == 4 and {e.reason for e in lost} == {"autoheal"}
    assert lab.queue_declare(c, "mq", durable=True)[1] == 2
    assert lab.leader("mq") == "rabbit2"
    lab.at(33.0)
    assert lab.cluster.state["rabbit1"] == "up"
    assert_conservation(lab.broker)
