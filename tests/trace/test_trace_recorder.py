"""The recorder: what a summary-only run leaves out, and what it hands its listeners."""

from __future__ import annotations

from typing import Any

import amqpsim
from amqpsim.sim import Simulation
from amqpsim.trace.events import RECORDS, Acked, Delivered, Enqueued, Published, Routed
from amqpsim.trace.recorder import Recorder

SCENARIO = {
    "name": "fanout-and-direct",
    "topology": {"exchanges": [{"name": "fan", "type": "fanout"}],
                 "queues": [{"name": "a"}, {"name": "b", "arguments": {"x-max-length": 3}}],
                 "bindings": [{"source": "fan", "destination": "a"}, {"source": "fan", "destination": "b"}]},
    "producers": [{"name": "p", "exchange": "fan", "routing_key": "", "rate": {"poisson": 20}, "count": 300},
                  {"name": "d", "exchange": "", "routing_key": "a", "rate": {"constant": 5}, "count": 50}],
    "consumers": [{"name": "wa", "queue": "a", "instances": 2, "prefetch": 1,
                   "service_time": {"exponential": 0.08}},
                  {"name": "wb", "queue": "b", "prefetch": 2, "service_time": {"exponential": 0.3}}],
}


def _rows(recorder: Recorder) -> list[Any]:
    rows: list[Any] = []
    recorder.batch_listeners.append(rows.extend)
    Simulation(amqpsim.load_scenario(SCENARIO), 3, recorder).build().run()
    recorder.flush()
    return rows


def test_without_routes_the_log_is_the_full_log_minus_its_route_events():
    full = _rows(Recorder(keep=True))
    lean = _rows(Recorder(keep=False))
    assert any(type(e) is Routed for e in full)
    assert not any(type(e) is Routed for e in lean)
    assert lean == [e for e in full if type(e) is not Routed]


def test_the_log_the_listeners_and_the_batch_listeners_see_the_same_events_in_order():
    rec = Recorder(keep=True)
    seen: list[Any] = []
    rec.listeners.append(seen.append)
    rows = _rows(rec)
    assert rows and seen == rows == rec.events
    assert all(type(e) in RECORDS.values() for e in rows)


def test_the_log_is_complete_whenever_it_is_read():
    """Events wait in a batch; reading the log hands them over first."""
    rec = Recorder(keep=True)
    sim = Simulation(amqpsim.load_scenario(SCENARIO), 3, rec).build()
    sim.run(until=1.0)
    n = len(rec.events)
    assert n and n == len(rec.events)
    assert rec.events[-1].time <= 1.0


def test_a_summary_only_run_counts_what_a_logged_run_counts():
    logged = amqpsim.run(SCENARIO, seed=5, events=True).summary
    lean = amqpsim.run(SCENARIO, seed=5, events=False).summary
    assert lean["messages"] == logged["messages"] and lean["messages"]["dropped_overflow"] > 0
    for name, q in logged["queues"].items():
        same = {k: v for k, v in q.items() if k != "wait"}
        assert {k: v for k, v in lean["queues"][name].items() if k != "wait"} == same
    assert lean["queues"]["b"]["max_depth"] == 3


def test_the_per_message_events_carry_their_fields():
    rec = Recorder(keep=True)
    Simulation(amqpsim.load_scenario(SCENARIO), 3, rec).build().run()
    pub = next(e for e in rec.events if type(e) is Published and e.actor == "d#0")

    def of(cls: type) -> Any:
        return next(e for e in rec.events if type(e) is cls and e.msg == pub.msg)

    enq, dlv, ack = of(Enqueued), of(Delivered), of(Acked)
    assert (pub.exchange, pub.routing_key, pub.size, pub.delivery_tag) == ("", "a", 0, None)
    assert pub.channel.startswith("conn-")
    assert enq.copy and (enq.queue, enq.exchange, enq.routing_key, enq.size) == ("a", "", "a", 0)
    assert (dlv.copy, dlv.queue, dlv.exchange, dlv.routing_key, dlv.redelivered, dlv.auto_ack) == \
        (enq.copy, "a", "", "a", False, False)
    assert dlv.actor.startswith("wa#") and dlv.consumer and dlv.delivery_tag >= 1
    assert dlv.channel.startswith("conn-") and dlv.channel != pub.channel
    assert (ack.copy, ack.queue, ack.consumer, ack.delivery_tag, ack.channel, ack.actor) == \
        (enq.copy, "a", dlv.consumer, dlv.delivery_tag, dlv.channel, dlv.actor)
    assert (ack.multiple, ack.auto) == (False, False)
