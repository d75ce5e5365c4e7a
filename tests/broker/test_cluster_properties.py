"""Properties of the cluster model under random node failures and partitions
(Hypothesis): every routed copy ends in exactly one fate, the same program gives the
same event log, and a quorum queue never loses a copy (confirmed or not) while a
majority of its replicas survives."""

from __future__ import annotations

from typing import Any

from broker_helpers import assert_conservation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amqpsim.broker import AMQPError, Broker, Channel, Cluster, ConnectionError_, Properties
from amqpsim.trace.events import Lost, QueuePlaced

NODES = ["rabbit1", "rabbit2", "rabbit3"]
QUEUES = ["cq", "mq", "qq"]

step = st.one_of(
    st.tuples(st.just("publish"), st.sampled_from(NODES), st.sampled_from(QUEUES), st.booleans()),
    st.tuples(st.just("get"), st.sampled_from(NODES), st.sampled_from(QUEUES), st.booleans()),
    st.tuples(st.just("consume"), st.sampled_from(NODES), st.sampled_from(QUEUES), st.integers(1, 5)),
    st.tuples(st.just("ack"), st.sampled_from(NODES), st.just(""), st.booleans()),
    st.tuples(st.sampled_from(["crash", "stop"]), st.sampled_from(NODES), st.just(""), st.just(0)),
    st.tuples(st.just("start"), st.sampled_from(NODES), st.just(""), st.just(0)),
    st.tuples(st.just("partition"), st.sampled_from(NODES), st.just(""), st.just(0)),
    st.tuples(st.just("heal"), st.just(""), st.just(""), st.just(0)),
    st.tuples(st.just("wait"), st.just(""), st.just(""), st.floats(0.05, 30.0)),
)
program = st.tuples(st.sampled_from(["ignore", "pause_minority", "autoheal"]),
                    st.sampled_from(["manual", "automatic"]), st.sampled_from(["always", "when-synced"]),
                    st.lists(step, max_size=40))


def run(mode: str, sync: str, promote: str, steps: list[tuple[str, str, str, Any]]) -> Broker:
    broker = Broker(seed=1)
    cluster = Cluster(broker, NODES, partition_handling=mode, net_ticktime=10.0, seed=2)
    now = 0.0
    channels: dict[str, Channel] = {}

    def on(node: str) -> Channel | None:
        ch = channels.get(node)
        if ch is not None and ch.is_open:
            return ch
        try:
            ch = broker.channel_open(now, broker.connection_open(now, node, node))
        except ConnectionError_:
            return None
        broker.confirm_select(now, ch)
        channels[node] = ch
        return ch

    broker.set_policy(now, "ha", "^mq$", {"ha-mode": "all", "ha-sync-mode": sync, "ha-promote-on-failure": promote})
    admin = on("rabbit1")
    assert admin is not None
    broker.queue_declare(now, admin, "cq", durable=True)
    broker.queue_declare(now, admin, "mq", durable=True)
    broker.queue_declare(now, admin, "qq", durable=True, arguments={"x-queue-type": "quorum"})
    for kind, node, queue, arg in steps:
        try:
            if kind == "publish" and (ch := on(node)) is not None:
                broker.basic_publish(now, ch, "", queue, b"m", Properties(delivery_mode=2 if arg else 1))
            elif kind == "get" and (ch := on(node)) is not None:
                broker.basic_get(now, ch, queue, no_ack=arg)
            elif kind == "consume" and (ch := on(node)) is not None:
                broker.basic_qos(now, ch, 0, arg)
                broker.basic_consume(now, ch, queue)
            elif kind == "ack" and (ch := on(node)) is not None and ch.unacked:
                broker.basic_ack(now, ch, max(ch.unacked), multiple=arg)
            elif kind == "crash":
                cluster.crash(now, node)
            elif kind == "stop":
                cluster.stop(now, node)
            elif kind == "start":
                cluster.start(now, node)
            elif kind == "partition" and cluster.side is None:
                cluster.partition(now, [[node], [n for n in NODES if n != node]])
            elif kind == "heal":
                cluster.heal(now)
            elif kind == "wait":
                now += arg
                broker.advance(now)
        except AMQPError:
            pass  # a 404 of a queue whose node is down or cut off, recorded; the channel is gone
    return broker


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program)
def test_every_copy_has_one_fate_and_runs_repeat(prog):
    mode, sync, promote, steps = prog
    broker = run(mode, sync, promote, steps)
    assert_conservation(broker)
    assert run(mode, sync, promote, steps).recorder.events == broker.recorder.events


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program)
def test_a_quorum_queue_loses_nothing(prog):
    """Only crashes, stops and partitions here, none permanent past a majority: the quorum
    queue ``qq`` (3 replicas on 3 nodes) never loses a copy it took."""
    mode, sync, promote, steps = prog
    broker = run(mode, sync, promote, steps)
    assert not [e for e in broker.recorder.events if type(e) is Lost and e.queue == "qq"]
    leaders = [e.leader for e in broker.recorder.events if type(e) is QueuePlaced and e.queue == "qq"]
    assert leaders[0] == "rabbit1"
