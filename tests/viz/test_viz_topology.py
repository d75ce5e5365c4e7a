"""amqpsim.trace.topology: the topology a run used, from its events alone."""

from __future__ import annotations

from amqpsim.broker import Broker
from amqpsim.trace.io import to_frame
from amqpsim.trace.topology import topology_from_events


def test_declares_and_binds(store):
    topo = topology_from_events(store.events)
    assert {x["name"]: x["type"] for x in topo["exchanges"]} == {
        "unrouted": "fanout", "orders": "topic", "dlx": "fanout"}
    assert [q["name"] for q in topo["queues"]] == ["warehouse", "billing", "audit", "dead", "lost+found"]
    keys = {(b["source"], b["destination"], b["routing_key"]) for b in topo["bindings"]}
    assert ("orders", "warehouse", "order.*") in keys and ("dlx", "dead", "") in keys
    assert len(topo["bindings"]) == 5


def test_infers_dead_letter_and_alternate_exchanges(store):
    topo = topology_from_events(store.events)
    queues = {q["name"]: q for q in topo["queues"]}
    assert queues["warehouse"]["arguments"] == {"x-dead-letter-exchange": "dlx"}
    exchanges = {x["name"]: x for x in topo["exchanges"]}
    assert exchanges["orders"]["arguments"] == {"alternate-exchange": "unrouted"}
    assert exchanges["dlx"]["arguments"] == {}


def test_dataframe_input_gives_the_same(store):
    assert topology_from_events(to_frame(store.events)) == topology_from_events(store.events)


def test_default_exchange_is_left_out_as_in_definitions(session):
    topo = topology_from_events(session.recorder.events)
    assert topo["exchanges"] == []
    assert [q["name"] for q in topo["queues"]] == ["hello"]


def test_queue_flags_and_type_and_exchange_bindings():
    b = Broker()
    ch = b.channel_open(0.0, b.connection_open(0.0, "app"))
    b.exchange_declare(0.0, ch, "in", "topic")
    b.exchange_declare(0.0, ch, "out", "fanout", auto_delete=True)
    b.exchange_bind(0.0, ch, "out", "in", "a.#")
    b.queue_declare(0.0, ch, "tmp", durable=False, auto_delete=True)
    b.queue_declare(0.0, ch, "work", durable=True, arguments={"x-queue-type": "quorum"})
    b.queue_bind(0.0, ch, "tmp", "out", "")
    for topo in (topology_from_events(b.recorder.events), topology_from_events(to_frame(b.recorder.events))):
        queues = {q["name"]: q for q in topo["queues"]}
        assert (queues["tmp"]["durable"], queues["tmp"]["auto_delete"], queues["tmp"]["exclusive"]) == (
            False, True, False)
        assert queues["work"]["durable"] and queues["work"]["arguments"] == {"x-queue-type": "quorum"}
        assert {x["name"]: x["type"] for x in topo["exchanges"]} == {"in": "topic", "out": "fanout"}
        assert {(x["source"], x["destination"], x["destination_type"], x["routing_key"])
                for x in topo["bindings"]} == {("in", "out", "exchange", "a.#"), ("out", "tmp", "queue", "")}
