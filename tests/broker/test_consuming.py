"""Consuming: prefetch, dispatch order, acks, requeue, delivery tags, errors, ack timeout."""

from __future__ import annotations

from broker_helpers import World, bodies, delivered, events, inbox, refused

from amqpsim.trace.events import Acked, Discarded, Dropped, Requeued, Settled


def fill(w: World, q: str, n: int, prefix: str = "m") -> None:
    for i in range(1, n + 1):
        w.pub(q, f"{prefix}{i}")


# ------------------------------------------------------------------ prefetch
def test_prefetch_is_per_consumer_and_fixed_at_consume(w: World) -> None:
    w.declare("q")
    w.basic_qos(prefetch_count=2)
    w.basic_consume("q", consumer_tag="a")
    w.basic_qos(prefetch_count=1)  # only for consumers created afterwards
    w.basic_consume("q", consumer_tag="b")
    fill(w, "q", 6)
    tags = [d.consumer_tag for d in delivered(w.ch)]
    assert sorted(tags) == ["a", "a", "b"] and w.count("q") == 3


def test_no_ack_and_get_ignore_prefetch(w: World) -> None:
    w.declare("q")
    fill(w, "q", 3)
    w.basic_qos(prefetch_count=1)
    assert w.get("q") and w.get("q")
    w.basic_consume("q", no_ack=True)
    fill(w, "q", 3, "n")
    assert bodies(w.ch) == ["m3", "n1", "n2", "n3"]


def test_global_qos_3_10_is_shared_by_the_channel(w: World) -> None:
    w.declare("q1")
    w.declare("q2")
    w.basic_qos(prefetch_count=3, global_qos=True)
    w.basic_qos(prefetch_count=2)
    w.basic_consume("q1", consumer_tag="a")
    w.basic_consume("q2", consumer_tag="b")
    fill(w, "q1", 5)
    fill(w, "q2", 5)
    got = [d.consumer_tag for d in delivered(w.ch)]
    assert got == ["a", "a", "b"]  # 2 for a (its own limit), 1 for b (channel limit 3)
    w.basic_ack(0, multiple=True)
    assert len(delivered(w.ch)) == 3


def test_global_qos_4x_is_per_consumer(w4: World) -> None:
    w4.declare("q")
    w4.basic_qos(prefetch_count=1, global_qos=True)
    w4.basic_consume("q", consumer_tag="a")
    w4.basic_consume("q", consumer_tag="b")
    fill(w4, "q", 4)
    assert [d.consumer_tag for d in delivered(w4.ch)] == ["a", "b"]


# ------------------------------------------------------------------ dispatch order
def test_round_robin(w: World) -> None:
    w.declare("q")
    for t in ("a", "b", "c"):
        w.basic_consume("q", consumer_tag=t, no_ack=True)
    fill(w, "q", 7)
    assert [d.consumer_tag for d in delivered(w.ch)] == list("abcabca")


def test_consumer_priorities(w: World) -> None:
    w.declare("q")
    w.basic_qos(prefetch_count=2)
    w.basic_consume("q", consumer_tag="low", arguments={"x-priority": 1})
    w.basic_consume("q", consumer_tag="high1", arguments={"x-priority": 10})
    w.basic_consume("q", consumer_tag="high2", arguments={"x-priority": 10})
    fill(w, "q", 7)
    got = [(d.consumer_tag, d.body.decode()) for d in delivered(w.ch)]
    assert got == [("high1", "m1"), ("high2", "m2"), ("high1", "m3"), ("high2", "m4"), ("low", "m5"),
                   ("low", "m6")]
    w.basic_ack(1)  # high1 has room again: it beats low
    assert [d.consumer_tag for d in delivered(w.ch)] == ["high1"]


def test_single_active_consumer(w: World) -> None:
    w.declare("q", arguments={"x-single-active-consumer": True})
    c1, c2 = w.channel(), w.channel()
    w.basic_consume("q", consumer_tag="first", ch=c1, arguments={"x-priority": 1})
    w.basic_consume("q", consumer_tag="later-high", ch=c2, arguments={"x-priority": 10})
    w.basic_consume("q", consumer_tag="later-low", ch=c2)
    fill(w, "q", 3)
    assert bodies(c1) == ["m1", "m2", "m3"] and bodies(c2) == []  # priorities do not preempt
    w.broker.channel_close(w.now, c1)  # unacked requeued, next active: highest priority
    assert [(d.consumer_tag, d.body.decode(), d.redelivered) for d in delivered(c2)] == [
        ("later-high", "m1", True), ("later-high", "m2", True), ("later-high", "m3", True)]
    assert refused(w, 403, "basic_consume", "q", exclusive=True) == (
        "ACCESS_REFUSED - queue 'q' in vhost '/' in exclusive use")


def test_exclusive_consumer(w: World) -> None:
    w.declare("q")
    w.basic_consume("q", exclusive=True)
    refused(w, 403, "basic_consume", "q")
    w.declare("q2")
    w.basic_consume("q2")
    refused(w, 403, "basic_consume", "q2", exclusive=True)


# ------------------------------------------------------------------ acks
def test_ack_multiple_and_zero(w: World) -> None:
    w.declare("q")
    fill(w, "q", 5)
    w.basic_consume("q")
    tags = [d.delivery_tag for d in delivered(w.ch)]
    assert tags == [1, 2, 3, 4, 5]
    w.basic_ack(3, multiple=True)
    assert sorted(w.ch.unacked) == [4, 5]
    w.basic_ack(0, multiple=True)
    assert not w.ch.unacked
    assert [(e.delivery_tag, e.multiple, e.auto) for e in events(w.broker, Acked)] == [
        (1, True, False), (2, True, False), (3, True, False), (4, True, False), (5, True, False)]


def test_nack_multiple_requeue_to_original_positions(w: World) -> None:
    w.declare("q")
    fill(w, "q", 5)
    got = [w.get("q") for _ in range(3)]
    w.basic_nack(got[1].delivery_tag, multiple=True, requeue=True)  # m1, m2 back
    w.basic_reject(got[2].delivery_tag, requeue=True)  # m3 back
    ds = []
    while (d := w.get("q", no_ack=True)) is not None:
        ds.append((d.body.decode(), d.redelivered))
    assert ds == [("m1", True), ("m2", True), ("m3", True), ("m4", False), ("m5", False)]


def test_reject_without_requeue_discards(w: World) -> None:
    w.declare("q")
    w.pub("q")
    w.basic_reject(w.get("q").delivery_tag, requeue=False)
    assert w.count("q") == 0 and [e.reason for e in events(w.broker, Discarded)] == ["rejected"]
    [s] = events(w.broker, Settled)
    assert (s.outcome, s.requeue, s.multiple, s.delivery_tag) == ("reject", False, False, 1)


def test_channel_close_requeues_cancel_does_not(w: World) -> None:
    w.declare("q")
    fill(w, "q", 3)
    c = w.channel()
    tag = w.basic_consume("q", ch=c)
    assert len(delivered(c)) == 3
    w.basic_cancel(tag, ch=c)
    assert w.count("q") == 0 and len(c.unacked) == 3
    w.basic_ack(1, ch=c)  # still ackable after cancel
    w.broker.channel_close(w.now, c)
    ds = [w.get("q", no_ack=True) for _ in range(2)]
    assert [(d.body, d.redelivered) for d in ds] == [(b"m2", True), (b"m3", True)]


def test_connection_close_requeues(w: World) -> None:
    w.declare("q")
    conn = w.connect()
    c = w.channel(conn)
    w.pub("q")
    w.get("q", ch=c)
    w.broker.close_connection(w.now, conn)
    assert w.get("q", no_ack=True).redelivered


def test_basic_recover_requeues(w: World) -> None:
    w.declare("q")
    fill(w, "q", 2)
    w.get("q")
    w.basic_recover(requeue=True)
    assert w.drain("q") == ["m1", "m2"]
    assert refused(w, 540, "basic_recover", requeue=False) == "NOT_IMPLEMENTED - requeue=false"


def test_delivery_tags_per_channel(w: World) -> None:
    w.declare("q")
    fill(w, "q", 4)
    c2 = w.channel()
    assert w.get("q", no_ack=True).delivery_tag == 1  # no-ack deliveries take tags too
    assert w.get("q").delivery_tag == 2
    assert w.get("q", ch=c2).delivery_tag == 1
    w.basic_consume("q")
    assert [d.delivery_tag for d in delivered(w.ch)] == [3]
    # a tag of another channel (or a no-ack one) is unknown here
    assert refused(w, 406, "basic_ack", 1) == "PRECONDITION_FAILED - unknown delivery tag 1"


def test_unknown_tag_closes_channel_and_requeues(w: World) -> None:
    w.declare("q")
    fill(w, "q", 2)
    d = w.get("q")
    w.basic_ack(d.delivery_tag)
    w.get("q")
    refused(w, 406, "basic_ack", d.delivery_tag)  # double ack
    assert w.get("q", no_ack=True).redelivered  # m2 was requeued by the channel close
    refused(w, 406, "basic_nack", 7, multiple=True)
    refused(w, 406, "basic_reject", 0)


def test_basic_get_message_count(w: World) -> None:
    w.declare("q")
    assert w.get("q") is None
    fill(w, "q", 3)
    assert [w.get("q", no_ack=True).message_count for _ in range(3)] == [2, 1, 0]


# ------------------------------------------------------------------ priority queues
def test_priority_queue(w: World) -> None:
    w.declare("q", arguments={"x-max-priority": 5})
    for body, prio in (("p0", None), ("p3a", 3), ("p9", 9), ("p3b", 3), ("p5", 5)):
        w.pub("q", body, priority=prio)
    first = w.get("q")
    assert first.body == b"p9"  # 9 clamped to 5, before p5 (FIFO within the level)
    w.basic_nack(first.delivery_tag)  # back to its own level
    assert w.drain("q") == ["p9", "p5", "p3a", "p3b", "p0"]


def test_priority_ignored_without_max(w: World) -> None:
    w.declare("q")
    w.pub("q", "a", priority=1)
    w.pub("q", "b", priority=9)
    assert w.drain("q") == ["a", "b"]


# ------------------------------------------------------------------ quorum queues
QQ = {"x-queue-type": "quorum"}


def test_quorum_delivery_count_header(w: World) -> None:
    w.declare("qq", durable=True, arguments=QQ)
    w.pub("qq")
    counts = []
    for _ in range(3):
        d = w.get("qq")
        counts.append((d.properties.headers["x-delivery-count"], d.redelivered))
        w.basic_nack(d.delivery_tag)
    assert counts == [(0, False), (1, True), (2, True)]  # basic.get shows 0 the first time (3.10.8)
    w.pub("qq", "fresh", headers={"h": 1})
    c = w.channel()
    w.basic_qos(prefetch_count=1, ch=c)
    w.basic_consume("qq", ch=c)
    d = delivered(c)[0]
    assert d.properties.headers == {"x-delivery-count": 3}
    w.basic_ack(d.delivery_tag, ch=c)
    d = delivered(c)[0]
    assert d.properties.headers == {"h": 1}  # basic.deliver: no header on the first delivery


def test_quorum_requeue_order(w: World) -> None:
    w.declare("plain", durable=True, arguments=QQ)
    fill(w, "plain", 3)
    w.basic_nack(w.get("plain").delivery_tag)
    assert w.drain("plain") == ["m2", "m3", "m1"]  # no delivery limit: to the back
    w.declare("lim", durable=True, arguments={**QQ, "x-delivery-limit": 5})
    fill(w, "lim", 3)
    a, b = w.get("lim"), w.get("lim")
    w.basic_nack(b.delivery_tag)
    w.basic_nack(a.delivery_tag)
    assert w.drain("lim") == ["m2", "m1", "m3"]  # returns first, in the order returned


def test_quorum_delivery_limit_drops_without_dlx(w: World) -> None:
    w.declare("qq", durable=True, arguments={**QQ, "x-delivery-limit": 2})
    w.pub("qq")
    for _ in range(3):
        w.basic_reject(w.get("qq").delivery_tag, requeue=True)
    assert w.count("qq") == 0 and [e.reason for e in events(w.broker, Dropped)] == ["delivery_limit"]
    assert [e.reason for e in events(w.broker, Requeued)] == ["rejected"] * 3  # the third one over the limit


def test_quorum_channel_close_counts_as_delivery(w: World) -> None:
    w.declare("qq", durable=True, arguments=QQ)
    w.pub("qq")
    c = w.channel()
    w.get("qq", ch=c)
    w.broker.channel_close(w.now, c)
    assert w.get("qq").properties.headers["x-delivery-count"] == 1


def test_quorum_consume_errors(w: World) -> None:
    w.declare("sac", durable=True, arguments={**QQ, "x-single-active-consumer": True})
    assert refused(w, 405, "basic_get", "sac").startswith("RESOURCE_LOCKED - cannot obtain access to locked")
    w.basic_qos(prefetch_count=5, global_qos=True)
    text = refused(w, 540, "basic_consume", "sac")
    assert text == "NOT_IMPLEMENTED - queue 'sac' in vhost '/' does not support global qos"
    w.basic_consume("sac", exclusive=True)  # the flag is ignored by quorum queues
    w.basic_consume("sac")


# ------------------------------------------------------------------ error scopes
def test_connection_errors(w: World) -> None:
    w.declare("q")
    w.basic_consume("q", consumer_tag="t")
    other = w.channel()
    w.basic_consume("q", consumer_tag="t", ch=other)  # another channel: fine
    text = refused(w, 530, "basic_consume", "q", consumer_tag="t")
    assert text == "NOT_ALLOWED - attempt to reuse consumer tag 't'"
    assert not other.is_open  # the whole connection went
    refused(w, 540, "basic_qos", prefetch_size=10)


def test_consume_missing_queue_404(w: World) -> None:
    assert refused(w, 404, "basic_consume", "nope") == "NOT_FOUND - no queue 'nope' in vhost '/'"


# ------------------------------------------------------------------ ack timeout
def test_consumer_ack_timeout(w: World) -> None:
    w.declare("q")
    fill(w, "q", 2)
    c = w.channel()
    w.basic_consume("q", ch=c)
    assert len(delivered(c)) == 2
    w.at(1799)
    assert c.is_open
    w.at(1800)
    assert not c.is_open
    [(code, text)] = inbox(c, "close")
    assert code == 406 and text.startswith("PRECONDITION_FAILED - delivery acknowledgement on channel 2 timed out")
    assert "1800000 ms" in text
    assert w.count("q") == 2


def test_ack_timeout_counts_from_the_oldest_unacked(w: World) -> None:
    w.broker.consumer_timeout = 10.0
    w.broker.consumer_timeout_interval = 0  # checked at the exact instant
    w.declare("q")
    w.pub("q")
    d = w.get("q")
    w.at(5)
    w.pub("q")
    w.get("q")
    w.basic_ack(d.delivery_tag)
    w.at(14.9)
    assert w.ch.is_open
    w.at(15)
    assert not w.ch.is_open


def test_ack_timeout_is_checked_on_the_channel_tick(w: World) -> None:
    """RabbitMQ 3.10.8 checks the ack timeout every 60 s on the channel's tick: measured with a
    2 s consumer_timeout, the channel closed 60 s after the delivery."""
    w.broker.consumer_timeout = 2.0
    w.declare("q")
    w.pub("q")
    w.at(1)
    w.get("q")
    w.at(59.9)
    assert w.ch.is_open
    w.at(60)  # the first tick after delivery + 2 s (the channel opened at 0)
    assert not w.ch.is_open
    w.ch = w.broker.channel_open(w.now, w.conn)
    w.get("q")  # redelivered; due at 62, the channel's first tick is at 120
    w.at(119.9)
    assert w.ch.is_open
    w.at(120)
    assert not w.ch.is_open


def test_no_ack_timeout_when_disabled() -> None:
    from broker_helpers import World as W

    w = W(consumer_timeout=None)
    w.declare("q")
    w.pub("q")
    w.get("q")
    w.at(10**6)
    assert w.ch.is_open
