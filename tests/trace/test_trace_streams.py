"""The fold of a stream's records: reads are not fates; a copy ends ``retained`` or ``truncated``."""

from __future__ import annotations

from oracle import check_ledger

from amqpsim.broker import Broker
from amqpsim.trace.events import Fate
from amqpsim.trace.ledger import Ledger
from amqpsim.trace.summary import Summarizer


def stream_run() -> tuple[Broker, float]:
    b = Broker()
    conn = b.connection_open(0.0, "app")
    ch = b.channel_open(0.0, conn)
    b.queue_declare(0.0, ch, "s", durable=True, arguments={
        "x-queue-type": "stream", "x-stream-max-segment-size-bytes": 1, "x-max-length-bytes": 0})
    b.queue_declare(0.0, ch, "c")
    b.confirm_select(0.0, ch)
    for i in range(4):
        b.basic_publish(float(i), ch, "", "s", f"m{i}".encode())
    b.basic_publish(4.0, ch, "", "c", b"classic")
    for name in ("r1", "r2"):
        rc = b.channel_open(5.0, b.connection_open(5.0, name))
        b.basic_qos(5.0, rc, prefetch_count=10)
        b.basic_consume(5.0, rc, "s", arguments={"x-stream-offset": "first"})
        for _kind, d in list(rc.inbox):
            b.basic_ack(6.0, rc, d.delivery_tag)
    return b, 7.0


def test_reads_are_deliveries_of_one_copy_and_copies_end_retained_or_truncated() -> None:
    b, end = stream_run()
    fold = Summarizer(retain=float("inf"), copies=True)
    fold.take(b.recorder.events)
    s = fold.summary("t", 0, end)
    m = s["messages"]
    assert m["routed_copies"] == 5 and m["truncated"] == 3 and m["retained"] == 1 and m["remaining"] == 1
    assert m["delivered"] == 2 and m["acked"] == 0  # one copy read by two consumers; acks are not fates
    assert s["invariants"]["conservation"] and s["invariants"]["fate_sum"] == 5
    assert s["queues"]["s"]["final_depth"] == 1 and s["queues"]["s"]["retained"] == 1
    assert s["consumers"]["r1"]["acked"] == 1 and s["consumers"]["r2"]["delivered"] == 1
    assert fold.queues["s"].stream and fold.queues["s"].last_offset == 6
    assert fold.consumers["r1"].offsets == {"s": 6}
    ledger = Ledger(fold=fold)
    check_ledger(ledger, b.recorder.events)  # the simple reference ledger agrees
    fates = [(c.queue, c.fate) for c in ledger.copies.values()]
    assert fates == [("s", Fate.TRUNCATED)] * 3 + [("s", Fate.RETAINED), ("c", Fate.REMAINING)]


def test_a_run_without_streams_has_no_stream_fates() -> None:
    b = Broker()
    ch = b.channel_open(0.0, b.connection_open(0.0))
    b.queue_declare(0.0, ch, "c")
    b.basic_publish(0.0, ch, "", "c", b"x")
    s = Summarizer().summary("t", 0, 1.0)
    assert "retained" not in s["messages"] and "truncated" not in s["messages"]
