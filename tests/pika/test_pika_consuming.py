"""Consumers: when callbacks run, start/stop_consuming, broker-side cancel, basic_cancel,
the consume() generator, simulated work inside callbacks, the ack timeout."""

from __future__ import annotations

import pytest

import amqpsim.pika as pika
from amqpsim.pika import exceptions, spec


def fill(ch, queue, *bodies):
    ch.queue_declare(queue)
    for b in bodies:
        ch.basic_publish("", queue, b)


def test_callbacks_run_only_when_events_are_processed(conn, ch):
    fill(ch, "q", "m1", "m2")
    got = []
    tag = ch.basic_consume("q", lambda c, m, p, b: got.append((c is ch, m, p, b)), auto_ack=True)
    assert tag.startswith("ctag1.") and ch.consumer_tags == [tag]
    ch.queue_declare("q", passive=True)  # deliveries arrive, but no dispatch here
    ch.basic_publish("", "q", "m3")
    assert got == []
    conn.process_data_events()
    assert [b for *_x, b in got] == [b"m1", b"m2", b"m3"]
    same, method, props, _body = got[0]
    assert same and isinstance(method, spec.Basic.Deliver) and isinstance(props, pika.BasicProperties)
    assert (method.consumer_tag, method.delivery_tag, method.redelivered, method.exchange,
            method.routing_key) == (tag, 1, False, "", "q")


def test_start_consuming_until_stop_consuming(conn, ch):
    fill(ch, "q", "a", "b", "stop", "after")
    got = []

    def on_message(c, method, props, body):
        got.append(body)
        c.basic_ack(method.delivery_tag)
        if body == b"stop":
            c.stop_consuming()

    ch.basic_qos(prefetch_count=1)
    ch.basic_consume("q", on_message)
    ch.start_consuming()
    assert got == [b"a", b"b", b"stop"] and ch.consumer_tags == []
    assert ch.queue_declare("q", passive=True).method.message_count == 1


def test_start_consuming_returns_when_nothing_can_happen(conn, ch):
    fill(ch, "q", "only")
    got = []
    ch.basic_consume("q", lambda c, m, p, b: got.append(b), auto_ack=True)
    ch.start_consuming()
    assert got == [b"only"] and len(ch.consumer_tags) == 1


def test_start_consuming_is_not_reentrant(conn, ch):
    fill(ch, "q", "x")
    seen = []

    def cb(c, m, p, b):
        with pytest.raises(exceptions.ReentrancyError):
            c.start_consuming()
        seen.append(b)
        c.stop_consuming()

    ch.basic_consume("q", cb, auto_ack=True)
    ch.start_consuming()
    assert seen == [b"x"]


def test_simulated_work_in_callbacks(conn, ch):
    fill(ch, "q", "m1", "m2", "m3")
    log = []

    def work(c, m, p, b):
        log.append(("start", b, pika.clock()))
        conn.sleep(1.5)  # nested: advances the clock, dispatches nothing
        log.append(("end", b, pika.clock()))
        c.basic_ack(m.delivery_tag)

    ch.basic_qos(prefetch_count=1)
    ch.basic_consume("q", work)
    conn.sleep(10)
    assert log == [("start", b"m1", 0.0), ("end", b"m1", 1.5), ("start", b"m2", 1.5), ("end", b"m2", 3.0),
                   ("start", b"m3", 3.0), ("end", b"m3", 4.5)]
    assert pika.clock() == 10.0


def test_broker_cancel_notifies_and_ends_start_consuming(conn, ch):
    ch.queue_declare("q")
    cancelled = []
    ch.add_on_cancel_callback(lambda frame: cancelled.append((frame.method.NAME, frame.method.consumer_tag,
                                                               frame.channel_number)))
    ch.basic_consume("q", lambda *a: None, consumer_tag="mine")
    conn.channel().queue_delete("q")
    assert cancelled == [] and ch.consumer_tags == ["mine"]
    ch.start_consuming()  # dispatches the Basic.Cancel: no consumer left
    assert cancelled == [("Basic.Cancel", "mine", 1)] and ch.consumer_tags == []
    assert ch.basic_cancel("mine") == []


def test_basic_cancel_requeues_undispatched_messages_of_a_manual_ack_consumer(conn, ch):
    fill(ch, "q", "m0", "m1", "m2")
    tag = ch.basic_consume("q", lambda *a: None)
    ch.queue_declare("q", passive=True)  # the deliveries arrive, not dispatched
    assert ch.basic_cancel(tag) == []
    other = conn.channel()
    assert other.queue_declare("q", passive=True).method.message_count == 3
    assert [other.basic_get("q", auto_ack=True)[0].redelivered for _ in range(3)] == [True] * 3


def test_basic_cancel_returns_undispatched_messages_of_an_auto_ack_consumer(conn, ch):
    fill(ch, "q", "m0", "m1")
    tag = ch.basic_consume("q", lambda *a: None, auto_ack=True)
    pending = ch.basic_cancel(tag)
    assert [(m.NAME, b) for m, _p, b in pending] == [("Basic.Deliver", b"m0"), ("Basic.Deliver", b"m1")]


def test_duplicate_consumer_tag_is_refused_by_the_client(ch):
    ch.queue_declare("q")
    ch.basic_consume("q", lambda *a: None, consumer_tag="t")
    with pytest.raises(exceptions.DuplicateConsumerTag):
        ch.basic_consume("q", lambda *a: None, consumer_tag="t")
    assert ch.is_open
    with pytest.raises(TypeError):
        ch.basic_consume("q", None)
    with pytest.raises(TypeError):
        ch.basic_consume(5, lambda *a: None)


def test_consume_errors_raise_from_basic_consume(conn, ch):
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.basic_consume("missing", lambda *a: None)
    assert info.value.reply_code == 404 and ch.consumer_tags == []


def test_consume_generator_with_inactivity_timeout(conn, ch):
    fill(ch, "q", "m0", "m1", "m2")
    seen = []
    for method, _props, body in ch.consume("q", inactivity_timeout=2):
        if method is None:
            seen.append(("idle", pika.clock()))
            break
        seen.append((body, ch.get_waiting_message_count()))
        ch.basic_ack(method.delivery_tag)
    assert seen == [(b"m0", 2), (b"m1", 1), (b"m2", 0), ("idle", 2.0)]
    assert ch.cancel() == 0 and ch.consumer_tags == []
    assert ch.cancel() == 0


def test_consume_generator_cancel_requeues_waiting_messages(conn, ch):
    fill(ch, "q", "m0", "m1", "m2", "m3")
    gen = ch.consume("q")
    _m, _p, body = next(gen)
    assert (body, ch.get_waiting_message_count()) == (b"m0", 3)
    ch.cancel()
    conn.channel()  # the first message is still unacked on ch
    assert ch.queue_declare("q", passive=True).method.message_count == 3


def test_consume_generator_ends_when_nothing_can_happen(conn, ch):
    fill(ch, "q", "a")
    assert [b for _m, _p, b in ch.consume("q", auto_ack=True)] == [b"a"]
    with pytest.raises(ValueError, match="different params"):
        next(ch.consume("other"))


def test_consume_generator_ends_on_broker_cancel(conn, ch):
    fill(ch, "q", "a")
    out = []
    for _m, _p, body in ch.consume("q", auto_ack=True):
        out.append(body)
        conn.channel().queue_delete("q")
    assert out == [b"a"]
    assert len(ch.consumer_tags) == 1  # as in pika: the generator's consumer info stays behind


def test_forgotten_ack_hits_the_ack_timeout(conn, ch):
    fill(ch, "q", "m")
    ch.basic_consume("q", lambda *a: None)  # never acks
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.start_consuming()
    assert info.value.reply_code == 406 and "delivery acknowledgement on channel 1 timed out" in info.value.reply_text
    assert pika.clock() == 1800.0
    assert conn.channel().queue_declare("q", passive=True).method.message_count == 1


def test_message_ttl_expires_while_consumer_is_busy(conn, ch):
    ch.queue_declare("q", arguments={"x-message-ttl": 2000})
    for b in ("m0", "m1"):
        ch.basic_publish("", "q", b)
    got = []

    def slow(c, m, p, b):
        got.append(b)
        conn.sleep(3)
        c.basic_ack(m.delivery_tag)

    ch.basic_qos(prefetch_count=1)
    ch.basic_consume("q", slow)
    conn.sleep(10)
    assert got == [b"m0"]  # m1 expired at t=2 while m0 was being worked on


def test_start_consuming_returns_when_idle_without_waiting_for_dead_timers():
    """Once every delivery is acked, the ack-timeout check no longer matters: the simulated
    clock must not jump to it (1800 s) before start_consuming returns."""
    pika.reset_brokers()
    conn = pika.BlockingConnection(pika.ConnectionParameters("localhost"))
    ch = conn.channel()
    ch.queue_declare("idle", arguments={"x-expires": 60_000})
    ch.queue_declare("idle", arguments={"x-expires": 60_000})  # re-arms x-expires: the first timer is stale
    for i in range(3):
        ch.basic_publish("", "idle", f"m{i}")
    got = []

    def on_message(channel, method, properties, body):
        got.append(body)
        channel.basic_ack(method.delivery_tag)

    ch.basic_consume("idle", on_message)
    ch.start_consuming()
    assert got == [b"m0", b"m1", b"m2"]
    assert pika.clock() == 0.0
