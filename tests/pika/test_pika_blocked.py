"""Resource alarms: Connection.Blocked/Unblocked callbacks, publishes held while blocked,
blocked_connection_timeout."""

from __future__ import annotations

import amqpsim.pika as pika


def operator(broker, alarm_at=1.0, clear_at=5.0):
    """A program that raises a memory alarm at ``alarm_at`` and clears it at ``clear_at``."""
    def run():
        clock = pika.BlockingConnection(pika.ConnectionParameters(port=5999))  # another node: a clock
        clock.sleep(alarm_at)
        broker.set_alarm(pika.clock(), True)
        clock.sleep(clear_at - alarm_at)
        broker.set_alarm(pika.clock(), False)
    return run


def test_publish_is_held_until_the_alarm_clears():
    log = []

    def publisher():
        conn = pika.BlockingConnection()
        conn.add_on_connection_blocked_callback(lambda c, f: log.append(("blocked", pika.clock(), f.method.reason)))
        conn.add_on_connection_unblocked_callback(lambda c, f: log.append(("unblocked", pika.clock())))
        ch = conn.channel()
        ch.queue_declare("q")
        conn.sleep(2)
        ch.basic_publish("", "q", "held")  # returns: the bytes sit in the socket
        log.append(("published", pika.clock()))
        count = ch.queue_declare("q", passive=True).method.message_count  # waits behind the publish
        log.append(("declare-ok", pika.clock(), count))
        conn.process_data_events()

    pika.run_concurrently(operator(pika.broker_for()), publisher)
    # RabbitMQ blocks a connection only once it publishes during the alarm (t=2, not t=1);
    # like pika's, the blocked/unblocked callbacks run from process_data_events.
    assert log == [("published", 2.0), ("declare-ok", 5.0, 1), ("blocked", 5.0, "low on memory"),
                   ("unblocked", 5.0)]
    publish = next(e for e in pika.broker_for().recorder.events if e.kind == "publish")
    assert publish.time == 5.0


def test_blocked_connection_timeout():
    def publisher():
        conn = pika.BlockingConnection(pika.ConnectionParameters(blocked_connection_timeout=2))
        ch = conn.channel()
        ch.queue_declare("q")
        conn.sleep(2)
        ch.basic_publish("", "q", "held")
        try:
            ch.queue_declare("q", passive=True)
        except pika.exceptions.ConnectionBlockedTimeout as exc:
            return str(exc), pika.clock(), conn.is_closed, ch.is_closed

    _, outcome = pika.run_concurrently(operator(pika.broker_for()), publisher)
    assert outcome == ("Blocked connection timeout expired.", 4.0, True, True)  # blocked at t=2 by its publish
    assert pika.broker_for().queues["q"].message_count() == 0


def test_consumers_are_not_held():
    got = []

    def consumer():
        conn = pika.BlockingConnection()
        ch = conn.channel()
        ch.queue_declare("q")
        ch.basic_publish("", "q", "before the alarm")
        conn.sleep(1)  # the alarm goes off at t=0.5
        ch.basic_consume("q", lambda c, m, p, b: (got.append(pika.clock()), c.basic_ack(m.delivery_tag)))
        conn.sleep(1)
        return ch.queue_declare("q", passive=True).method.message_count

    count, _ = pika.run_concurrently(consumer, operator(pika.broker_for(), alarm_at=0.5))
    assert got == [1.0] and count == 0
