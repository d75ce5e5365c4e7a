"""Lessons about streams: reading removes nothing, a late reader starts from what retention left."""

from __future__ import annotations

from collections import defaultdict

from library_helpers import of, result


def _reads(events) -> dict[str, list[tuple[float, int]]]:
    out: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for e in of(events, "stream_deliver", queue="events"):
        out[e.actor].append((e.time, e.offset))
    return out


def test_stream_replay_reading_removes_nothing():
    r = result("stream-replay")
    s, ev = r.summary, r.event_list
    q, m = s["queues"]["events"], s["messages"]
    offsets = [e.offset for e in of(ev, "append", queue="events")]
    assert len(offsets) == m["published"] == q["enqueued"] == 900
    reads = _reads(ev)
    # live subscribed from next before the first publish: it reads every event, once, in order
    assert [o for _, o in reads["live#0"]] == offsets
    # reading is not a fate: the 900 + 650 deliveries are of 900 copies, and acks remove nothing
    assert m["delivered"] == len(reads["live#0"]) + len(reads["audit#0"]) > m["routed_copies"]
    assert m["acked"] == 0 and s["consumers"]["live#0"]["acked"] == 900
    # every appended event ends truncated or retained; the retained ones are the stream's length
    assert q["truncated"] + q["retained"] == m["routed_copies"] == 900 and s["invariants"]["conservation"]
    assert q["truncated"] > 0 and q["retained"] == q["length"] == q["final_depth"]
    assert q["last_offset"] == offsets[-1] and q["first_offset"] == offsets[q["truncated"]]


def test_stream_replay_a_late_reader_gets_what_retention_left():
    r = result("stream-replay")
    ev = r.event_list
    audit = _reads(ev)["audit#0"]
    offsets = [e.offset for e in of(ev, "append", queue="events")]
    gone = {e.offset for e in of(ev, "truncate", queue="events") if e.time <= 50}
    assert audit[0][0] == 50.0  # it joins at t=50 (start: 50)
    # from first: the oldest event still in the stream at t=50, then every later one, in order
    left = [o for o in offsets if o not in gone]
    assert audit[0][1] == left[0] and [o for _, o in audit] == left
    assert len(gone) >= 200 and len(audit) < len(offsets)  # it never saw what retention had removed


def test_stream_replay_both_readers_catch_up():
    q = result("stream-replay").summary["queues"]["events"]
    assert q["consumers"] == {"audit#0": {"offset": q["last_offset"], "lag": 0},
                              "live#0": {"offset": q["last_offset"], "lag": 0}}
    view = result("stream-replay").view.streams["events"]
    audit = [o for o in view.readers["audit#0"] if o is not None]
    lags = [last - o for last, o in zip(view.last[-len(audit):], audit, strict=True)]
    assert max(lags) > 100 and lags[-1] == 0  # it starts far behind and catches up
