"""The records the broker emits: their typed fields, their vocabularies and their order."""

from __future__ import annotations

from typing import Any

from broker_helpers import World, events, refused

from amqpsim.broker import Broker
from amqpsim.trace.events import (
    Acked,
    Bound,
    ChannelClosed,
    ChannelOpened,
    Confirmed,
    ConnectionClosed,
    ConnectionOpened,
    ConsumerCancelled,
    ConsumerStarted,
    DeadLettered,
    Delivered,
    Enqueued,
    EventLog,
    ExchangeDeclared,
    Lost,
    ProtocolError,
    Published,
    QosSet,
    QueueDeclared,
    QueueDeleted,
    QueuePurged,
    Requeued,
    Routed,
    Settled,
    Unbound,
)


def since(w: World, n: int) -> list[Any]:
    return w.broker.recorder.events[n:]


def test_a_broker_without_a_sink_keeps_an_event_log(w: World) -> None:
    assert isinstance(w.broker.recorder, EventLog) and w.broker.emit is w.broker.recorder
    assert w.broker.recorder.events == [ConnectionOpened(0.0, "conn-1", "conn-1"),
                                        ChannelOpened(0.0, "conn-1", "conn-1/ch-1")]


def test_an_injected_sink_gets_every_record_and_routes_only_if_it_asks() -> None:
    class Sink:
        def __init__(self, routes: bool) -> None:
            self.routes = routes
            self.got: list[Any] = []

        def __call__(self, event: Any) -> None:
            self.got.append(event)

    for routes in (True, False):
        sink = Sink(routes)
        b = Broker(sink)
        ch = b.channel_open(0, b.connection_open(0, "app"))
        b.queue_declare(0, ch, "q")
        b.basic_publish(0, ch, "", "q", b"body")
        kinds = [type(e) for e in sink.got]
        assert kinds == [ConnectionOpened, ChannelOpened, QueueDeclared, Published,
                         *([Routed] if routes else []), Enqueued]


def test_publish_route_enqueue_confirm_in_order(w: World) -> None:
    w.confirm_select()
    w.declare("a")
    w.declare("b")
    for q in ("a", "b"):
        w.queue_bind(q, "amq.fanout", "")
    n = len(w.broker.recorder.events)
    w.pub("k", "body", exchange="amq.fanout")
    assert since(w, n) == [
        Published(0.0, "conn-1", "conn-1/ch-1", 1, "amq.fanout", "k", 1, 4),
        Routed(0.0, 1, "amq.fanout", "k", ("a", "b"), False),
        Enqueued(0.0, 1, 1, "a", "amq.fanout", "k", 4),
        Enqueued(0.0, 1, 2, "b", "amq.fanout", "k", 4),
        Confirmed(0.0, "conn-1", "conn-1/ch-1", 1, 1, True),
    ]


def test_topology_records(w: World) -> None:
    w.exchange_declare("x", "topic")
    w.declare("qq", durable=True, arguments={"x-queue-type": "quorum"})
    w.declare("tmp", exclusive=True, auto_delete=True)
    w.queue_bind("qq", "x", "a.*")
    w.exchange_bind("x", "amq.direct", "k")
    w.queue_unbind("qq", "x", "a.*")
    w.pub("tmp")
    assert w.queue_purge("tmp") == 1
    w.queue_delete("tmp")
    a = "conn-1"
    assert [e for e in w.broker.recorder.events
            if type(e) in (ExchangeDeclared, QueueDeclared, Bound, Unbound, QueuePurged, QueueDeleted)] == [
        ExchangeDeclared(0.0, a, "x", "topic"),
        QueueDeclared(0.0, a, "qq", "quorum", True, False, False),
        QueueDeclared(0.0, a, "tmp", "classic", False, True, True),  # exclusive: never durable
        Bound(0.0, a, "x", "qq", "queue", "a.*"),
        Bound(0.0, a, "amq.direct", "x", "exchange", "k"),
        Unbound(0.0, a, "x", "qq", "queue", "a.*"),
        QueuePurged(0.0, a, "tmp", 1),
        QueueDeleted(0.0, a, "tmp", "client"),
    ]


def test_consumer_records(w: World) -> None:
    w.declare("q")
    w.basic_qos(prefetch_count=3)
    tag = w.basic_consume("q", consumer_tag="c1")
    w.basic_consume("q", consumer_tag="c2", no_ack=True)
    w.basic_cancel(tag)
    w.channel_close()
    ch = "conn-1/ch-1"
    assert [e for e in w.broker.recorder.events if type(e) in (QosSet, ConsumerStarted, ConsumerCancelled)] == [
        QosSet(0.0, "conn-1", ch, 3, False),
        ConsumerStarted(0.0, "conn-1", ch, "q", "c1", False, 3),
        ConsumerStarted(0.0, "conn-1", ch, "q", "c2", True, 3),
        ConsumerCancelled(0.0, "conn-1", ch, "q", "c1", "client"),
        ConsumerCancelled(0.0, "conn-1", ch, "q", "c2", "channel"),
    ]
    assert events(w.broker, ChannelClosed) == [ChannelClosed(0.0, "conn-1", ch, 200, "Normal shutdown")]
    w.ch = w.channel()
    w.basic_consume("q", consumer_tag="c3")
    w.queue_delete("q")
    assert events(w.broker, ConsumerCancelled)[-1].by == "broker"


def test_auto_ack_and_get_deliveries(w: World) -> None:
    w.declare("q")
    w.pub("q")
    w.pub("q")
    n = len(w.broker.recorder.events)
    d = w.get("q")
    w.basic_consume("q", consumer_tag="auto", no_ack=True)
    ch = "conn-1/ch-1"
    assert since(w, n) == [
        Delivered(0.0, "conn-1", ch, None, 1, 1, "q", "", "q", 1, False, False),
        ConsumerStarted(0.0, "conn-1", ch, "q", "auto", True, 0),
        Delivered(0.0, "conn-1", ch, "auto", 2, 2, "q", "", "q", 2, False, True),
        Acked(0.0, "conn-1", ch, "auto", 2, 2, "q", 2, False, True),
    ]
    w.basic_ack(d.delivery_tag)
    assert events(w.broker, Acked)[-1] == Acked(0.0, "conn-1", ch, None, 1, 1, "q", 1, False, False)


def test_settle_and_requeue_reasons(w: World) -> None:
    w.declare("q")
    for _ in range(4):
        w.pub("q")
    tags = [w.get("q").delivery_tag for _ in range(4)]
    w.basic_nack(tags[1], multiple=True, requeue=True)
    assert [(e.delivery_tag, e.outcome, e.requeue, e.multiple) for e in events(w.broker, Settled)] == [
        (1, "nack", True, True), (2, "nack", True, True)]
    w.basic_recover(requeue=True)  # tags 3 and 4
    c = w.channel()
    w.get("q", ch=c)
    w.broker.channel_close(w.now, c)
    assert [(e.copy, e.reason) for e in events(w.broker, Requeued)] == [
        (1, "rejected"), (2, "rejected"), (3, "recover"), (4, "recover"), (1, "channel_closed")]


def test_acks_in_a_transaction_keep_their_multiple_flag(w: World) -> None:
    w.declare("q")
    for _ in range(3):
        w.pub("q")
    tags = [w.get("q").delivery_tag for _ in range(3)]
    w.tx_select()
    w.basic_ack(tags[0])
    w.basic_ack(tags[2], multiple=True)
    assert not events(w.broker, Acked)
    w.tx_commit()
    assert [(e.delivery_tag, e.multiple) for e in events(w.broker, Acked)] == [(1, False), (2, True), (3, True)]


def test_errors_name_their_scope_and_method(w: World) -> None:
    text = refused(w, 404, "basic_consume", "missing")
    soft = [ProtocolError(0.0, "conn-1", "conn-1/ch-1", 404, text, "channel", "basic.consume"),
            ChannelClosed(0.0, "conn-1", "conn-1/ch-1", 404, text)]
    assert [e for e in w.broker.recorder.events if type(e) in (ProtocolError, ChannelClosed)] == soft
    n = len(w.broker.recorder.events)
    text = refused(w, 540, "basic_qos", prefetch_size=10)
    assert [e for e in since(w, n) if type(e) in (ProtocolError, ChannelClosed, ConnectionClosed)] == [
        ProtocolError(0.0, "conn-1", "conn-1/ch-2", 540, text, "connection", "basic.qos"),
        ChannelClosed(0.0, "conn-1", "conn-1/ch-2", 540, text),
        ConnectionClosed(0.0, "conn-1", "conn-1", 540, text, True),
    ]


def test_ack_timeout_is_a_channel_error_of_no_method() -> None:
    w = World(consumer_timeout=2.0, consumer_timeout_interval=0)
    w.declare("q")
    w.pub("q")
    w.get("q")
    w.at(2.0)
    [err] = events(w.broker, ProtocolError)
    assert (err.time, err.reply_code, err.scope, err.method) == (2.0, 406, "channel", None)
    assert "delivery acknowledgement on channel 1 timed out" in err.reply_text


def test_dead_letter_is_routed_as_a_dead_letter(w: World) -> None:
    w.declare("dlq")
    w.declare("src", arguments={"x-message-ttl": 0, "x-dead-letter-exchange": "",
                                "x-dead-letter-routing-key": "dlq"})
    w.pub("src")
    assert [e for e in w.broker.recorder.events if type(e) in (Routed, DeadLettered)] == [
        Routed(0.0, 1, "", "src", ("src",), False),
        DeadLettered(0.0, 1, 1, "src", "", "expired"),
        Routed(0.0, 1, "", "dlq", ("dlq",), True),
    ]


def test_a_restart_closes_connections_and_loses_transient_copies(w: World) -> None:
    w.declare("t")
    w.declare("d", durable=True)
    w.pub("t")
    w.pub("d")
    w.broker.stop(1.0)
    text = "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'"
    assert events(w.broker, ConnectionClosed) == [ConnectionClosed(1.0, "conn-1", "conn-1", 320, text, True)]
    assert events(w.broker, Lost) == [Lost(1.0, None, 1, 1, "t", "restart"), Lost(1.0, None, 2, 2, "d", "restart")]
    assert [(e.queue, e.actor, e.reason) for e in events(w.broker, QueueDeleted)] == [("t", None, "restart")]
    w.broker.start(2.0)
    w.now = 2.0
    w.conn = w.connect()
    w.ch = w.channel()
