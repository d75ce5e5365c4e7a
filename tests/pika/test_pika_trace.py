"""The Frame events: one per AMQP method frame, with direction, channel and fields."""

from __future__ import annotations

import amqpsim.pika as pika
from amqpsim.trace.events import EventKind


def method_events():
    return [e for e in pika.broker_for().recorder.events if e.kind == EventKind.FRAME]


def frame(events, direction, method):
    return next(e for e in events if (e.direction, e.method) == (direction, method))


def test_a_consumer_session(methods):
    conn = pika.BlockingConnection(pika.ConnectionParameters(client_properties={"connection_name": "app"}))
    ch = conn.channel()
    ch.queue_declare("q")
    ch.basic_publish("", "q", "m")
    ch.basic_qos(prefetch_count=1)
    ch.basic_consume("q", lambda c, m, p, b: c.basic_ack(m.delivery_tag), consumer_tag="t")
    conn.process_data_events()
    conn.close()
    assert methods()[6:] == [
        "C>S Channel.Open", "S>C Channel.Open-Ok",
        "C>S Queue.Declare", "S>C Queue.Declare-Ok",
        "C>S Basic.Publish",
        "C>S Basic.Qos", "S>C Basic.Qos-Ok",
        "C>S Basic.Consume", "S>C Basic.Consume-Ok", "S>C Basic.Deliver",
        "C>S Basic.Ack",
        "C>S Basic.Cancel", "S>C Basic.Cancel-Ok",
        "C>S Channel.Close", "S>C Channel.Close-Ok",
        "C>S Connection.Close", "S>C Connection.Close-Ok",
    ]
    events = method_events()
    assert {e.actor for e in events} == {"app"}
    assert {e.channel for e in events} == {"conn-1/ch-0", "conn-1/ch-1"}
    deliver = frame(events, "S>C", "Basic.Deliver")
    assert (deliver.queue, deliver.exchange, deliver.routing_key, deliver.consumer, deliver.delivery_tag) == (
        "q", "", "q", "t", 1)
    publish = next(e for e in pika.broker_for().recorder.events if e.kind == "publish")
    delivered = next(e for e in pika.broker_for().recorder.events if e.kind == "deliver")
    assert (delivered.channel, delivered.consumer, delivered.delivery_tag, delivered.msg, delivered.redelivered) == (
        deliver.channel, "t", 1, publish.msg, False)
    assert frame(events, "C>S", "Basic.Publish")[4:] == ("Basic.Publish", "", None, "q", None, None, None)
    assert frame(events, "S>C", "Queue.Declare-Ok").queue == "q"


def test_errors_confirms_and_returns(methods):
    conn = pika.BlockingConnection()
    ch = conn.channel()
    ch.confirm_delivery()
    try:
        ch.basic_publish("", "nowhere", "x", mandatory=True)
    except pika.exceptions.UnroutableError:
        pass
    try:
        ch.queue_declare("missing", passive=True)
    except pika.exceptions.ChannelClosedByBroker:
        pass
    assert methods()[8:] == [
        "C>S Confirm.Select", "S>C Confirm.Select-Ok",
        "C>S Basic.Publish", "S>C Basic.Return", "S>C Basic.Ack",
        "C>S Queue.Declare", "S>C Channel.Close", "C>S Channel.Close-Ok",
    ]
    events = method_events()
    close = frame(events, "S>C", "Channel.Close")
    ret = frame(events, "S>C", "Basic.Return")
    ack = frame(events, "S>C", "Basic.Ack")
    assert (close.reply_code, ret.reply_code, ret.routing_key, ack.delivery_tag) == (404, 312, "nowhere", 1)


def test_connection_error_and_get(methods):
    conn = pika.BlockingConnection()
    ch = conn.channel()
    ch.queue_declare("q")
    ch.basic_get("q")
    ch.basic_publish("", "q", "x")
    ch.basic_get("q", auto_ack=True)
    try:
        ch.basic_qos(prefetch_size=1)
    except pika.exceptions.ConnectionClosedByBroker:
        pass
    assert methods()[10:] == [
        "C>S Basic.Get", "S>C Basic.Get-Empty", "C>S Basic.Publish", "C>S Basic.Get", "S>C Basic.Get-Ok",
        "C>S Basic.Qos", "S>C Connection.Close", "C>S Connection.Close-Ok",
    ]
    assert method_events()[-2].reply_code == 540 and method_events()[-2].channel == "conn-1/ch-0"


def test_events_are_in_time_order():
    conn = pika.BlockingConnection()
    ch = conn.channel()
    ch.queue_declare("q", arguments={"x-message-ttl": 1000})
    ch.basic_publish("", "q", "x")
    conn.sleep(2)
    ch.basic_publish("", "q", "y")
    events = pika.broker_for().recorder.events
    assert [e.time for e in events] == sorted(e.time for e in events)
    assert [e.time for e in events if e.kind == "expire"] == [1.0]
    assert [e.time for e in method_events() if (e.direction, e.method) == ("C>S", "Basic.Publish")] == [0.0, 2.0]


def test_a_binding_frame_names_its_source_as_the_exchange():
    conn = pika.BlockingConnection()
    ch = conn.channel()
    ch.exchange_declare("src", "fanout")
    ch.exchange_declare("dst", "fanout")
    ch.exchange_bind(destination="dst", source="src", routing_key="k")
    ch.queue_declare("q")
    ch.queue_bind("q", "dst", routing_key="k2")
    events = method_events()
    bind = frame(events, "C>S", "Exchange.Bind")
    assert (bind.exchange, bind.queue, bind.routing_key) == ("src", None, "k")
    qbind = frame(events, "C>S", "Queue.Bind")
    assert (qbind.exchange, qbind.queue, qbind.routing_key) == ("dst", "q", "k2")
    assert frame(events, "S>C", "Exchange.Bind-Ok").exchange is None
