"""run_concurrently: programs on one simulated timeline, one running at a time."""

from __future__ import annotations

import pytest

import amqpsim.pika as pika


def test_programs_interleave_only_when_they_wait():
    log = []

    def a():
        conn = pika.BlockingConnection()
        log.append(("a", "start", pika.clock()))
        conn.sleep(2)
        log.append(("a", "woke", pika.clock()))
        return "A"

    def b():
        conn = pika.BlockingConnection()
        log.append(("b", "start", pika.clock()))
        conn.sleep(1)
        log.append(("b", "woke", pika.clock()))
        conn.sleep(5)
        return "B"

    assert pika.run_concurrently(a, b) == ["A", "B"]
    assert log == [("a", "start", 0.0), ("b", "start", 0.0), ("b", "woke", 1.0), ("a", "woke", 2.0)]
    assert pika.clock() == 6.0
    assert pika.run_concurrently() == []


def test_a_consumer_program_ends_when_the_others_are_done():
    got = []

    def consumer():
        conn = pika.BlockingConnection()
        ch = conn.channel()
        ch.queue_declare("jobs")
        ch.basic_consume("jobs", lambda c, m, p, b: got.append((b, pika.clock())), auto_ack=True)
        ch.start_consuming()
        return "consumer done"

    def producer():
        conn = pika.BlockingConnection()
        ch = conn.channel()
        for i in range(3):
            ch.basic_publish("", "jobs", f"job{i}")
            conn.sleep(1)
        conn.close()

    assert pika.run_concurrently(consumer, producer) == ["consumer done", None]
    assert got == [(b"job0", 0.0), (b"job1", 1.0), (b"job2", 2.0)]


def test_an_exception_is_raised_after_all_programs_ended():
    finished = []

    def bad():
        pika.BlockingConnection().sleep(1)
        raise RuntimeError("boom")

    def good():
        pika.BlockingConnection().sleep(3)
        finished.append(pika.clock())

    with pytest.raises(RuntimeError, match="boom"):
        pika.run_concurrently(bad, good)
    assert finished == [3.0]


def test_cannot_nest_or_reset_inside():
    def nested():
        with pytest.raises(RuntimeError):
            pika.run_concurrently(lambda: None)
        with pytest.raises(RuntimeError):
            pika.reset_brokers()
        return "checked"

    assert pika.run_concurrently(nested) == ["checked"]


def test_same_run_twice_gives_the_same_trace():
    def once():
        pika.reset_brokers()

        def consumer():
            conn = pika.BlockingConnection()
            ch = conn.channel()
            ch.queue_declare("", exclusive=True)
            ch.queue_bind("", "amq.fanout")
            ch.basic_consume("", lambda c, m, p, b: conn.sleep(0.5), auto_ack=True)
            ch.start_consuming()

        def producer():
            conn = pika.BlockingConnection()
            ch = conn.channel()
            for i in range(4):
                ch.basic_publish("amq.fanout", "", f"m{i}")
                conn.sleep(0.3)

        pika.run_concurrently(consumer, consumer, producer)
        return [(e.kind, *e) for e in pika.broker_for().recorder.events]

    assert once() == once()
