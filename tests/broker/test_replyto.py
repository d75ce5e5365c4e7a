"""Direct reply-to (``amq.rabbitmq.reply-to``): the broker's side, events and the ledger.

What the client sees is proven against RabbitMQ 3.10.8 by the conformance cases
``direct_reply_to_*``; these tests check the records and conservation.
"""

from __future__ import annotations

from broker_helpers import World, delivered, events, inbox, refused

from amqpsim.trace.events import (
    Acked,
    ConsumerCancelled,
    ConsumerStarted,
    Delivered,
    Enqueued,
    Returned,
    Unroutable,
)
from amqpsim.trace.ledger import Ledger

RT = "amq.rabbitmq.reply-to"


def request(w: World, client, queue: str = "requests") -> str:
    """Publish a request from ``client``; the server reads it: its rewritten reply_to."""
    w.pub(queue, "req", ch=client, reply_to=RT, correlation_id="c1")
    d = w.get(queue, no_ack=True)
    assert d is not None
    return d.properties.reply_to


def test_reply_goes_to_the_requesting_channel_as_an_acked_pseudo_copy(w: World) -> None:
    w.declare("requests")
    client = w.channel(w.connect())
    assert w.basic_consume(RT, consumer_tag="rpc", no_ack=True, ch=client) == "rpc"
    name = request(w, client)
    assert name.startswith(RT + ".") and name != RT + "."
    out = w.pub(name, "reply", correlation_id="c1", mandatory=True)
    assert out.returned and not out.queues  # 3.10.8: a reply reaches no queue (312 to a mandatory one)
    [d] = delivered(client)
    assert (d.consumer_tag, d.delivery_tag, d.exchange, d.routing_key, d.body) == ("rpc", 1, "", name, b"reply")
    assert d.properties.correlation_id == "c1"
    [dev] = events(w.broker, Delivered)[-1:]
    assert (dev.queue, dev.consumer, dev.auto_ack, dev.channel) == (RT, "rpc", True, client.id)
    [enq] = [e for e in events(w.broker, Enqueued) if e.queue == RT]
    [ack] = [e for e in events(w.broker, Acked) if e.queue == RT]
    assert enq.copy == dev.copy == ack.copy and ack.auto
    assert [e.msg for e in events(w.broker, Returned)] == [dev.msg]
    assert not [e for e in events(w.broker, Unroutable) if e.msg == dev.msg]  # it was delivered
    ledger = Ledger(w.broker.recorder.events)
    assert ledger.conservation and ledger.violations == 0
    assert ledger.copies[dev.copy].fate == "acked"


def test_reply_tag_is_not_taken(w: World) -> None:
    w.declare("requests")
    w.basic_consume(RT, no_ack=True)
    name = request(w, w.ch)  # the get-ok took tag 1
    w.pub(name, "r1")
    w.pub(name, "r2")
    w.pub("requests", "m")
    d = w.get("requests")
    assert [x.delivery_tag for x in delivered(w.ch)] == [2, 2] and d is not None and d.delivery_tag == 2


def test_gone_consumer_makes_the_reply_unroutable(w: World) -> None:
    w.declare("requests")
    client = w.channel(w.connect())
    w.basic_consume(RT, consumer_tag="rpc", no_ack=True, ch=client)
    name = request(w, client)
    w.basic_cancel("rpc", ch=client)
    out = w.pub(name, "late", mandatory=True)
    assert out.returned and [r.reply_code for r in inbox(w.ch, "return")] == [312]
    assert not delivered(client)
    assert events(w.broker, Unroutable)[-1].routing_key == name
    assert events(w.broker, ConsumerCancelled)[-1].by == "client"
    refused(w, 406, "pub", "requests", ch=client, reply_to=RT)


def test_channel_close_ends_the_reply_consumer(w: World) -> None:
    w.declare("requests")
    client = w.channel(w.connect())
    w.basic_consume(RT, consumer_tag="rpc", no_ack=True, ch=client)
    name = request(w, client)
    w.broker.channel_close(w.now, client)
    assert events(w.broker, ConsumerCancelled)[-1][3:6] == (RT, "rpc", "channel")
    assert not w.pub(name, "late").returned
    assert not w.broker.replies.by_name  # the stale name was dropped


def test_misuse(w: World) -> None:
    assert "reply consumer cannot acknowledge" in refused(w, 406, "basic_consume", RT)
    w.basic_consume(RT, no_ack=True, consumer_tag="a")
    assert "reply consumer already set" in refused(w, 406, "basic_consume", RT, no_ack=True)
    assert "fast reply consumer does not exist" in refused(w, 406, "pub", "q", reply_to=RT)
    refused(w, 404, "basic_get", RT)
    assert w.queue_declare(RT, passive=True) == (RT, 0, 1)
    w.basic_consume(RT, no_ack=True, consumer_tag="own")
    w.declare("requests")
    name = request(w, w.ch)
    other = w.channel()
    assert w.queue_declare(name, passive=True, ch=other) == (name, 0, 1)
    refused(w, 541, "queue_declare", name, passive=True)  # from its own channel: 3.10.8 crashes
    assert [e.queue for e in events(w.broker, ConsumerStarted)] == [RT, RT]


def test_dead_letter_to_the_default_exchange_reaches_a_reply_consumer(w: World) -> None:
    w.declare("requests")
    client = w.channel(w.connect())
    w.basic_consume(RT, consumer_tag="rpc", no_ack=True, ch=client)
    name = request(w, client)
    w.declare("dead", arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": name})
    w.pub("dead", "d")
    d = w.get("dead")
    assert d is not None
    w.basic_reject(d.delivery_tag, requeue=False)
    [r] = delivered(client)
    assert r.body == b"d" and r.properties.headers["x-death"][0]["reason"] == "rejected"
    ledger = Ledger(w.broker.recorder.events)
    assert ledger.conservation and ledger.violations == 0
