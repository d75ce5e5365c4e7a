"""The recorder: what a summary-only run leaves out, and what it hands its listeners."""

from __future__ import annotations

from pathlib import Path

import pytest

import amqpsim
from amqpsim.sim import Simulation
from amqpsim.trace.events import FIELDS, Event, EventKind, Recorder

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


def _rows(recorder: Recorder) -> list[tuple]:
    rows: list[tuple] = []
    recorder.batch_listeners.append(rows.extend)
    Simulation(amqpsim.load_scenario(SCENARIO), 3, recorder).build().run()
    recorder.flush()
    return rows


def test_without_routes_the_log_is_the_full_log_minus_its_route_events():
    full = _rows(Recorder(keep=True))
    lean = _rows(Recorder(keep=False, routes=False))
    assert any(r[2] == EventKind.ROUTE for r in full)
    assert not any(r[2] == EventKind.ROUTE for r in lean)

    def without_seq(rows: list[tuple]) -> list[tuple]:
        return [(r[0], *r[2:]) for r in rows if r[2] != EventKind.ROUTE]

    assert without_seq(lean) == without_seq(full)
    assert [r[1] for r in lean] == list(range(1, len(lean) + 1))  # still numbered without gaps


def test_rows_are_plain_tuples_unless_someone_keeps_or_listens():
    lean = _rows(Recorder(keep=False))
    assert lean and all(type(r) is tuple and len(r) == len(FIELDS) for r in lean)
    kept = _rows(Recorder(keep=True))
    assert all(type(r) is Event for r in kept)
    listened = Recorder(keep=False)
    seen: list[Event] = []
    listened.listeners.append(seen.append)
    rows = _rows(listened)
    assert seen == rows and all(type(r) is Event for r in seen)


def test_a_summary_only_run_counts_what_a_logged_run_counts():
    logged = amqpsim.run(SCENARIO, seed=5, events=True).summary
    lean = amqpsim.run(SCENARIO, seed=5, events=False).summary
    assert lean["messages"] == logged["messages"] and lean["messages"]["dropped_overflow"] > 0
    for name, q in logged["queues"].items():
        same = {k: v for k, v in q.items() if k != "wait"}
        assert {k: v for k, v in lean["queues"][name].items() if k != "wait"} == same
    assert lean["queues"]["b"]["max_depth"] == 3


def test_the_per_message_events_carry_their_fields_by_name():
    """The publish, enqueue, deliver and ack call sites pass their fields by position."""
    rec = Recorder(keep=True)
    Simulation(amqpsim.load_scenario(SCENARIO), 3, rec).build().run()
    pub = next(e for e in rec.events if e.kind == EventKind.PUBLISH and e.actor == "d#0")

    def of(kind: str) -> Event:
        return next(e for e in rec.events if e.kind == kind and e.msg == pub.msg)

    enq, dlv, ack = of(EventKind.ENQUEUE), of(EventKind.DELIVER), of(EventKind.ACK)
    assert (pub.exchange, pub.routing_key, pub.size, pub.copy, pub.queue, pub.delivery_tag) == \
        ("", "a", 0, None, None, None)
    assert pub.channel.startswith("conn-")
    assert enq.copy and (enq.queue, enq.exchange, enq.routing_key, enq.size, enq.actor, enq.channel) == \
        ("a", "", "a", 0, None, None)
    assert (dlv.copy, dlv.queue, dlv.exchange, dlv.routing_key, dlv.redelivered, dlv.detail) == \
        (enq.copy, "a", "", "a", False, None)
    assert dlv.actor.startswith("wa#") and dlv.consumer and dlv.delivery_tag >= 1
    assert dlv.channel.startswith("conn-") and dlv.channel != pub.channel
    assert (ack.copy, ack.queue, ack.consumer, ack.delivery_tag, ack.channel, ack.actor) == \
        (enq.copy, "a", dlv.consumer, dlv.delivery_tag, dlv.channel, dlv.actor)
    assert (ack.exchange, ack.routing_key, ack.size, ack.detail, ack.redelivered) == (None, None, None, None, None)


def test_a_null_recorder_takes_events_in_either_form_and_keeps_nothing():
    from amqpsim.trace import NullRecorder

    rec = NullRecorder(keep=False)
    rec.emit(1.0, EventKind.PUBLISH, "p", 1, None, "", None, "k")  # by position, as the hot call sites do
    rec.emit(2.0, EventKind.METHOD, actor="p", detail="x")
    assert len(rec) == 0 and not rec.batch


def _summary_fed(sc, short: bool) -> dict:
    from amqpsim.trace.summary import Summarizer

    rec = Recorder(keep=False, routes=False)
    ledger = Summarizer(exact=False, retain=5.0)
    if short:
        rec.feed(ledger)
        assert not hasattr(rec.publish, "__self__")  # the short-row writers are in place
    else:
        rec.batch_listeners.append(ledger.take)
    sim = Simulation(sc, 2, rec).build()
    sim.run()
    rec.flush()
    ledger.finish(sim.env.now)
    return ledger.summary(sc.name, 2, sim.env.now)


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_a_ledger_fed_short_rows_sums_up_as_one_fed_full_rows(path: Path) -> None:
    sc = amqpsim.load_scenario(path)
    assert _summary_fed(sc, short=True) == _summary_fed(sc, short=False)


def test_feed_writes_full_rows_when_anyone_else_wants_the_events():
    kept = Recorder(keep=True)
    kept.feed(object.__new__(_Sink))
    assert kept.publish == kept.record_publish
    watched = Recorder(keep=False)
    watched.listeners.append(lambda ev: None)
    watched.feed(object.__new__(_Sink))
    assert watched.ack == watched.record_ack


class _Sink:
    def take(self, rows: list) -> None:
        return None
