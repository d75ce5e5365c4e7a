"""What the pictures accept: a run, its view, its events (list or DataFrame), a broker; and its topology."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

import amqpsim
from amqpsim.broker import Broker
from amqpsim.trace.io import to_frame
from amqpsim.trace.views import RunView
from amqpsim.viz.data import topology_of, view_of


def _same(a: RunView, b: RunView) -> None:
    assert a.summary == b.summary
    assert (a.outcomes, a.flows, a.time, a.queues, a.consumers) == (b.outcomes, b.flows, b.time, b.queues,
                                                                     b.consumers)


def test_every_input_gives_the_same_view(store):
    a = view_of(store)
    assert isinstance(a, RunView) and a.summary["messages"]["published"] > 0
    for other in (store.events, to_frame(store.events), store.broker, SimpleNamespace(events=to_frame(store.events))):
        _same(a, view_of(other))


def test_a_run_is_drawn_from_its_own_view(sim_run, lean_run):
    assert view_of(sim_run) is sim_run.view
    assert view_of(lean_run) is lean_run.folded_view is not None
    assert view_of(lean_run.view) is lean_run.view


def test_a_view_is_folded_once_per_object(store):
    assert view_of(store) is view_of(store)


def test_a_live_broker_is_read_afresh():
    b = Broker()
    ch = b.channel_open(0.0, b.connection_open(0.0, "app"))
    b.queue_declare(0.0, ch, "q")
    assert view_of(b).summary["messages"]["published"] == 0
    b.basic_publish(1.0, ch, "", "q", b"x")
    assert view_of(b).summary["messages"]["published"] == 1


def test_a_frame_without_the_event_columns_is_refused():
    with pytest.raises(ValueError, match="to_frame"):
        view_of(pd.DataFrame({"time": [0.0], "kind": ["publish"]}))


def test_no_events_is_explained(sim_run):
    with pytest.raises(ValueError, match="pictures=True"):
        view_of(SimpleNamespace(events=None))
    bare = amqpsim.run(sim_run.scenario, events=False, pictures=False)
    with pytest.raises(ValueError, match="pictures=True"):
        view_of(bare)


def test_given_topology_wins_and_is_completed(store):
    given = {"exchanges": [{"name": "orders", "type": "topic", "arguments": {}}],
             "queues": [{"name": "warehouse", "arguments": {"x-max-length": 15}}],
             "bindings": [{"source": "orders", "destination": "warehouse", "destination_type": "queue",
                           "routing_key": "order.*", "arguments": {}}]}
    topo = topology_of(SimpleNamespace(events=store.events, topology=given))
    queues = {q["name"]: q for q in topo["queues"]}
    assert queues["warehouse"]["arguments"] == {"x-max-length": 15, "x-dead-letter-exchange": "dlx"}
    assert {"billing", "dead"} <= set(queues)  # declared during the run, beyond the given topology


def test_flows_complete_the_derived_topology(store):
    """The view keeps the declares; its flows tell the dead-letter and alternate exchanges."""
    topo = topology_of(store)
    assert {x["name"]: x["arguments"] for x in topo["exchanges"]}["orders"] == {"alternate-exchange": "unrouted"}
    assert {q["name"]: q["arguments"] for q in topo["queues"]}["warehouse"] == {"x-dead-letter-exchange": "dlx"}


def test_scenario_topology_is_used(lean_run):
    topo = topology_of(lean_run)
    queues = {q["name"]: q for q in topo["queues"]}
    for q in lean_run.scenario.topology.queues:
        assert queues[q.name]["arguments"] == q.arguments  # x-dead-letter-exchange and all
