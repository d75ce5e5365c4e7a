"""amqpsim.trace.topology: the topology a run used, from its events alone."""

from __future__ import annotations

import pandas as pd

from amqpsim.trace.events import FIELDS
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
    df = pd.DataFrame.from_records(store.events, columns=list(FIELDS))
    assert topology_from_events(df) == topology_from_events(store.events)


def test_default_exchange_is_left_out_as_in_definitions(session):
    topo = topology_from_events(session.recorder.events)
    assert topo["exchanges"] == []
    assert [q["name"] for q in topo["queues"]] == ["hello"]
