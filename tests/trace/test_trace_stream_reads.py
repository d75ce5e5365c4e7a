"""A stream's length, oldest and newest offsets, and each consumer's offset and lag in the summary,
from events alone."""

from __future__ import annotations

from amqpsim.trace.events import (
    Appended,
    ConsumerStarted,
    Enqueued,
    Published,
    QueueDeclared,
    StreamDelivered,
    Truncated,
)
from amqpsim.trace.streams import StreamReads
from amqpsim.trace.summary import summarize

#: offsets of the 6 messages: a new segment starts at the 4th (its tracking chunk takes offset 3)
OFFSETS = (0, 1, 2, 4, 5, 6)


def _log(reads: list[tuple[str, int]], truncated: int = 0) -> list:
    evs: list = [QueueDeclared(0.0, "app", "events", "stream", True, False, False),
                 QueueDeclared(0.0, "app", "jobs", "classic", True, False, False),
                 ConsumerStarted(0.5, "live#0", "1", "events", "live#0", False, 10),
                 ConsumerStarted(0.5, "audit#0", "2", "events", "audit#0", False, 10),
                 ConsumerStarted(0.5, "idle#0", "3", "events", "idle#0", False, 10)]
    for i, offset in enumerate(OFFSETS):
        evs += [Published(1.0 + i, "p#0", "1", i, "", "events", None, 10),
                Enqueued(1.0 + i, i, 100 + i, "events", "", "events", 10),
                Appended(1.0 + i, i, 100 + i, "events", offset)]
    t = 10.0
    for consumer, i in reads:
        evs.append(StreamDelivered(t, consumer, "1", consumer, i, 100 + i, "events", OFFSETS[i], 1))
        t += 0.1
    evs += [Truncated(t, i, 100 + i, "events", OFFSETS[i], "max-length-bytes") for i in range(truncated)]
    return evs


def test_length_offsets_and_lag():
    s = summarize(_log([("live#0", i) for i in range(6)] + [("audit#0", 0), ("audit#0", 1)]))
    q = s["queues"]["events"]
    assert q["type"] == "stream" and s["queues"]["jobs"]["type"] == "classic"
    assert (q["length"], q["first_offset"], q["last_offset"], q["final_depth"]) == (6, 0, 6, 6)
    assert q["consumers"] == {"audit#0": {"offset": 1, "lag": 5}, "idle#0": {"offset": None, "lag": 6},
                              "live#0": {"offset": 6, "lag": 0}}
    assert q["retained"] == 6 and s["messages"]["retained"] == 6 and s["invariants"]["conservation"]
    assert "length" not in s["queues"]["jobs"] and "consumers" not in s["queues"]["jobs"]


def test_a_consumer_that_goes_back_to_first_reads_old_offsets_again():
    s = summarize(_log([("audit#0", 4), ("audit#0", 5), ("audit#0", 0)]))
    assert s["queues"]["events"]["consumers"]["audit#0"] == {"offset": 0, "lag": 6}


def test_retention_moves_the_first_offset_past_the_skipped_one():
    s = summarize(_log([("live#0", 5)], truncated=3))
    q = s["queues"]["events"]
    assert (q["length"], q["first_offset"], q["last_offset"]) == (3, 4, 6)
    assert (q["truncated"], q["retained"]) == (3, 3) and s["invariants"]["conservation"]
    assert q["consumers"]["live#0"] == {"offset": 6, "lag": 0} and q["consumers"]["idle#0"]["lag"] == 3
    empty = summarize(_log([], truncated=6))["queues"]["events"]
    assert (empty["length"], empty["first_offset"], empty["last_offset"]) == (0, None, None)


def test_stream_reads_alone():
    reads = StreamReads("s")
    reads.offsets.extend((10, 11, 13))
    assert (reads.first, reads.last, reads.lag(None), reads.lag(11), reads.lag(13)) == (10, 13, 3, 2, 0)
    reads.truncate(11)
    assert (reads.first, reads.length) == (13, 1)
    reads.truncate(13)
    assert (reads.first, reads.last, reads.length, reads.lag(13)) == (None, None, 0, 0)
