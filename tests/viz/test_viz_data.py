"""What the pictures accept: a run, its events (list or DataFrame), a broker; and its topology."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from amqpsim.broker import Broker
from amqpsim.trace.events import COLUMNS
from amqpsim.trace.io import to_frame
from amqpsim.viz.data import events_of, topology_of


def test_every_input_gives_the_same_frame(store):
    a = events_of(store)
    b = events_of(store.events)
    c = events_of(to_frame(store.events))
    d = events_of(store.broker)
    e = events_of(SimpleNamespace(events=to_frame(store.events)))
    assert list(a.columns) == list(COLUMNS) and len(a) == len(store.events)
    for other in (b, c, d, e):
        assert other["kind"].tolist() == a["kind"].tolist()
        assert other["seq"].tolist() == a["seq"].tolist()


def test_a_live_broker_is_read_afresh():
    b = Broker()
    ch = b.channel_open(0.0, b.connection_open(0.0, "app"))
    b.queue_declare(0.0, ch, "q")
    n = len(events_of(b))
    b.basic_publish(1.0, ch, "", "q", b"x")
    assert len(events_of(b)) > n


def test_a_frame_without_the_event_columns_is_refused():
    with pytest.raises(ValueError, match="to_frame"):
        events_of(pd.DataFrame({"time": [0.0], "kind": ["publish"]}))


def test_no_events_is_explained():
    with pytest.raises(ValueError, match="events=True"):
        events_of(SimpleNamespace(events=None))


def test_given_topology_wins_and_is_completed(store):
    given = {"exchanges": [{"name": "orders", "type": "topic", "arguments": {}}],
             "queues": [{"name": "warehouse", "arguments": {"x-max-length": 15}}],
             "bindings": [{"source": "orders", "destination": "warehouse", "destination_type": "queue",
                           "routing_key": "order.*", "arguments": {}}]}
    topo = topology_of(SimpleNamespace(events=store.events, topology=given))
    queues = {q["name"]: q for q in topo["queues"]}
    assert queues["warehouse"]["arguments"] == {"x-max-length": 15, "x-dead-letter-exchange": "dlx"}
    assert {"billing", "dead"} <= set(queues)  # declared during the run, beyond the given topology


def test_scenario_topology_is_used(sim_run):
    topo = topology_of(sim_run)
    declared = {q.name for q in sim_run.scenario.topology.queues}
    assert declared <= {q["name"] for q in topo["queues"]}
