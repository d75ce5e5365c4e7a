"""Stream queues (``x-queue-type: stream``) in the broker: offsets, chunks, credit, retention, fates.

The rules are RabbitMQ 3.10.8's (conformance cases ``stream_*`` replay them against it).
"""

from __future__ import annotations

import datetime

from broker_helpers import World, bodies, delivered, events, refused

from amqpsim.trace.events import Appended, Discarded, StreamAcked, StreamDelivered, Truncated

STREAM = {"x-queue-type": "stream"}


def stream(w: World, name: str = "s", **args: object) -> str:
    return w.declare(name, durable=True, arguments={**STREAM, **args})


def consume(w: World, queue: str = "s", offset: object = None, prefetch: int = 100) -> object:
    ch = w.channel()
    w.basic_qos(prefetch_count=prefetch, ch=ch)
    w.basic_consume(queue, arguments=None if offset is None else {"x-stream-offset": offset}, ch=ch)
    return ch


def offsets(ch: object) -> list[tuple[str, int]]:
    return [(d.body.decode(), d.properties.headers["x-stream-offset"]) for d in delivered(ch)]


def publish(w: World, *names: str, confirm: bool = False) -> None:
    ch = w.channel()
    if confirm:
        w.confirm_select(ch=ch)
    for n in names:
        w.pub("s", n, ch=ch)


def test_declare_counts_the_stream_and_no_consumers(w: World) -> None:
    stream(w)
    publish(w, "a", "b")
    consume(w, offset="first")
    assert w.queue_declare("s", passive=True) == ("s", 2, 0)


def test_offsets_first_last_next_and_absolute(w: World) -> None:
    stream(w)
    publish(w, "a", "b", confirm=True)  # one chunk each
    publish(w, "c", "d", "e")  # one chunk
    assert offsets(consume(w, offset="first")) == [("a", 0), ("b", 1), ("c", 2), ("d", 3), ("e", 4)]
    assert offsets(consume(w, offset="last")) == [("c", 2), ("d", 3), ("e", 4)]
    assert offsets(consume(w, offset="next")) == []
    assert offsets(consume(w, offset=3)) == [("d", 3), ("e", 4)]
    assert offsets(consume(w, offset=-1)) == offsets(consume(w, offset="first")) != []


def test_an_offset_past_the_end_waits_for_that_offset(w: World) -> None:
    stream(w)
    publish(w, "a", confirm=True)
    ch = consume(w, offset=3)
    publish(w, "b", "c", "d", "e", confirm=True)
    assert offsets(ch) == [("d", 3), ("e", 4)]


def test_timestamps_and_intervals_pick_chunks_by_time(w: World) -> None:
    stream(w)
    publish(w, "old")
    w.at(3600.0)
    publish(w, "new")
    assert bodies(consume(w, offset="30m")) == ["new"]
    assert bodies(consume(w, offset="2h")) == ["old", "new"]
    epoch = w.broker.epoch
    at = datetime.datetime.fromtimestamp(epoch + 1800, tz=datetime.UTC)
    assert bodies(consume(w, offset=at)) == ["new"]
    assert bodies(consume(w, offset=datetime.datetime(2100, 1, 1))) == []


def test_reads_are_not_destructive(w: World) -> None:
    stream(w)
    publish(w, "a", "b")
    one, two = consume(w, offset="first"), consume(w, offset="first")
    assert bodies(one) == bodies(two) == ["a", "b"]
    assert len(events(w.broker, StreamDelivered)) == 4
    assert w.count("s") == 2


def test_credit_is_per_chunk_and_an_ack_only_gives_credit(w: World) -> None:
    stream(w)
    publish(w, "a", "b", "c", confirm=True)
    publish(w, "d", "e")  # one chunk of two
    ch = consume(w, offset="first", prefetch=2)
    got = delivered(ch)
    assert [d.body for d in got] == [b"a", b"b"]
    w.basic_ack(got[0].delivery_tag, ch=ch)
    got += delivered(ch)
    w.basic_ack(got[1].delivery_tag, ch=ch)
    w.basic_ack(got[2].delivery_tag, ch=ch)
    got += delivered(ch)
    assert [d.body for d in got] == [b"a", b"b", b"c", b"d", b"e"]  # a whole chunk past the prefetch
    assert not any(d.redelivered for d in got)
    assert len(events(w.broker, StreamAcked)) == 3 and w.count("s") == 5


def test_a_closed_channel_forgets_and_a_new_consumer_starts_again(w: World) -> None:
    stream(w)
    publish(w, "a", "b")
    ch = consume(w, offset="first")
    assert bodies(ch) == ["a", "b"]
    w.channel_close(ch=ch)
    assert bodies(consume(w, offset="first")) == ["a", "b"]
    assert w.count("s") == 2


def test_consume_rules(w: World) -> None:
    stream(w)
    assert "consumer prefetch count is not set" in refused(w, 406, "basic_consume", "s")
    w.basic_qos(prefetch_count=1)
    assert refused(w, 540, "basic_consume", "s", no_ack=True) == (
        "NOT_IMPLEMENTED - automatic acknowledgement not supported by stream queues queue 's' in vhost '/'")
    w.basic_qos(prefetch_count=1)
    text = refused(w, 406, "basic_consume", "s", arguments={"x-stream-offset": "30x"})
    assert text.endswith('{invalid_stream_offset_arg,{longstr,<<"30x">>}}')
    w.basic_qos(prefetch_count=1)
    assert refused(w, 541, "basic_consume", "s", arguments={"x-stream-offset": "bogus"}) == "INTERNAL_ERROR"
    w.basic_qos(prefetch_count=1)
    w.basic_consume("s", exclusive=True)
    w.basic_consume("s", exclusive=True)  # ignored


def test_refused_operations(w: World) -> None:
    stream(w)
    publish(w, "a")
    assert refused(w, 540, "basic_get", "s").startswith("NOT_IMPLEMENTED - basic.get not supported")
    assert refused(w, 540, "queue_purge", "s").startswith("NOT_IMPLEMENTED - queue.purge not supported")
    ch = consume(w, offset="first")
    tag = delivered(ch)[0].delivery_tag
    assert "basic.nack and basic.reject" in refused(w, 540, "basic_nack", tag, ch=ch)
    w.conn = w.connect()
    ch = consume(w, offset="first")
    delivered(ch)
    assert refused(w, 541, "basic_recover", ch=ch) == "INTERNAL_ERROR"
    w.conn = w.connect()
    w.ch = w.channel()
    consume(w, offset="first")
    assert w.queue_delete("s", if_unused=True, if_empty=True) == 0
    assert len(events(w.broker, Discarded)) == 1


def test_segments_skip_an_offset_and_retention_drops_whole_segments(w: World) -> None:
    stream(w, **{"x-stream-max-segment-size-bytes": 1500, "x-max-length-bytes": 1})
    ch = w.channel()
    w.confirm_select(ch=ch)
    for i in range(10):
        w.pub("s", f"m{i}" + "x" * 998, ch=ch)
    assert [e.offset for e in events(w.broker, Appended)] == [0, 1, 3, 4, 6, 7, 9, 10, 12, 13]
    assert [(d.body[:2], d.properties.headers["x-stream-offset"])
            for d in delivered(consume(w, offset="first"))] == [(b"m8", 12), (b"m9", 13)]
    gone = events(w.broker, Truncated)
    assert [t.offset for t in gone] == [0, 1, 3, 4, 6, 7, 9, 10]
    assert {t.reason for t in gone} == {"max-length-bytes"} and w.count("s") == 2


def test_max_age_drops_old_segments_when_a_segment_rolls(w: World) -> None:
    stream(w, **{"x-stream-max-segment-size-bytes": 1, "x-max-age": "10s"})
    publish(w, "a")
    w.at(5.0)
    publish(w, "b")
    w.at(30.0)
    publish(w, "c")
    assert [(t.offset, t.reason) for t in events(w.broker, Truncated)] == [(0, "max-age"), (2, "max-age")]
    assert bodies(consume(w, offset="first")) == ["c"]


def test_a_reader_behind_the_retention_starts_at_the_first_offset(w: World) -> None:
    stream(w, **{"x-stream-max-segment-size-bytes": 1, "x-max-length-bytes": 1})
    publish(w, "a", "b", confirm=True)
    publish(w, "c", confirm=True)
    assert offsets(consume(w, offset=0)) == [("c", 4)]  # a and b were truncated


def test_lag_and_unread_say_what_consumers_have_left(w: World) -> None:
    stream(w)
    publish(w, "a", "b", "c", confirm=True)
    ch = consume(w, offset="first", prefetch=1)
    q = w.broker.queues["s"]
    c = next(iter(ch.consumers.values()))
    assert q.lag(c) == 2 and q.unread()
    w.basic_ack(delivered(ch)[0].delivery_tag, ch=ch)
    w.basic_ack(delivered(ch)[0].delivery_tag, ch=ch)
    assert q.lag(c) == 0 and not q.unread()
