"""Queue declaration, exclusivity, auto-delete, x-expires, purge and delete."""

from __future__ import annotations

import pytest
from broker_helpers import World, events, inbox, refused

from amqpsim.trace.events import Discarded, QueueDeleted, Requeued


# ------------------------------------------------------------------ declare
def test_server_named_queue_and_last_queue_shortcuts(w: World) -> None:
    name, count, consumers = w.queue_declare("")
    assert name.startswith("amq.gen-") and len(name) == len("amq.gen-") + 22
    assert (count, consumers) == (0, 0)
    w.queue_bind("", "amq.direct")  # "" = last declared queue, and the key defaults to its name
    assert w.pub(name, exchange="amq.direct").queues == (name,)
    assert w.get("").body == b"m"
    assert w.queue_purge("") == 0
    assert w.queue_delete("") == 0
    assert name not in w.broker.queues
    fresh = w.channel()
    assert refused(w, 404, "basic_get", "", ch=fresh) == "NOT_FOUND - no previously declared queue"


def test_reserved_prefix_and_quorum_rules(w: World) -> None:
    assert "reserved prefix" in refused(w, 403, "queue_declare", "amq.q")
    qq = {"x-queue-type": "quorum"}
    assert refused(w, 406, "queue_declare", "", durable=True, arguments=qq) == (
        "PRECONDITION_FAILED - Cannot declare a server-named queue for type rabbit_quorum_queue")
    for kwargs, prop in (({}, "non-durable"), ({"durable": True, "exclusive": True}, "exclusive-owner"),
                         ({"durable": True, "auto_delete": True}, "auto-delete")):
        text = refused(w, 406, "queue_declare", "qq", arguments=qq, **kwargs)
        assert text == f"PRECONDITION_FAILED - invalid property '{prop}' for queue 'qq' in vhost '/'"


@pytest.mark.parametrize("args,detail", [
    ({"x-max-length": -1}, "invalid arg 'x-max-length' for queue 'q' in vhost '/': {value_negative,-1}"),
    ({"x-expires": 0}, "invalid arg 'x-expires' for queue 'q' in vhost '/': {value_zero,0}"),
    ({"x-max-priority": 300}, "invalid arg 'x-max-priority' for queue 'q' in vhost '/': {max_value_exceeded,300}"),
    ({"x-overflow": "foo"}, "invalid arg 'x-overflow' for queue 'q' in vhost '/': invalid_overflow"),
    ({"x-dead-letter-routing-key": "k"},
     "invalid arg 'x-dead-letter-routing-key' for queue 'q' in vhost '/': routing_key_but_no_dlx_defined"),
    ({"x-delivery-limit": 3}, "invalid arg 'x-delivery-limit' for queue 'q' in vhost '/' of queue type "
                              "rabbit_classic_queue"),
    ({"x-message-ttl": "10"}, "invalid arg 'x-message-ttl' for queue 'q' in vhost '/': \"expected integer, got longstr\""),
    ({"x-message-ttl": 315360000001}, "invalid arg 'x-message-ttl' for queue 'q' in vhost '/': {value_too_large,315360000001}"),
    ({"x-single-active-consumer": 1}, "invalid arg 'x-single-active-consumer' for queue 'q' in vhost '/': "
                                      "{unacceptable_type,signedint}"),
    ({"x-dead-letter-exchange": 5}, "invalid type 'signedint' for arg 'x-dead-letter-exchange' in queue 'q' in vhost '/'"),
    ({"x-queue-type": "foo"}, "invalid arg 'x-queue-type' for queue 'q' in vhost '/': \"unsupported queue type 'foo'\""),
    ({"x-queue-mode": "foo"}, "invalid arg 'x-queue-mode' for queue 'q' in vhost '/': \"unsupported queue mode 'foo'\""),
])
def test_argument_validation_406(w: World, args: dict, detail: str) -> None:
    """Wordings checked against RabbitMQ 3.10.8."""
    assert refused(w, 406, "queue_declare", "q", arguments=args) == "PRECONDITION_FAILED - " + detail


def test_quorum_rejects_classic_only_args(w: World) -> None:
    text = refused(w, 406, "queue_declare", "qq", durable=True,
                   arguments={"x-queue-type": "quorum", "x-max-priority": 5})
    assert text.endswith("of queue type rabbit_quorum_queue")


def test_redeclare_equivalence(w: World) -> None:
    w.declare("q", arguments={"x-message-ttl": 100, "custom": 1})
    w.declare("q", arguments={"x-message-ttl": 100, "custom": 2, "x-queue-type": "classic"})
    text = refused(w, 406, "queue_declare", "q", arguments={"x-message-ttl": 200})
    assert text == ("PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue 'q' in vhost '/': "
                    "received '200' but current is '100'")
    text = refused(w, 406, "queue_declare", "q")
    assert "received none but current is the value '100' of type 'signedint'" in text
    refused(w, 406, "queue_declare", "q", durable=True, arguments={"x-message-ttl": 100})
    assert w.queue_declare("q", passive=True) == ("q", 0, 0)
    refused(w, 404, "queue_declare", "missing", passive=True)


def test_declare_ok_counts_ready_messages_only(w: World) -> None:
    w.declare("q")
    for _ in range(3):
        w.pub("q")
    w.get("q")
    c = w.channel()
    w.basic_consume("q", ch=c)  # takes the remaining two, unacked
    w.pub("q")  # delivered straight to the consumer
    assert w.queue_declare("q") == ("q", 0, 1)


# ------------------------------------------------------------------ exclusive
def test_exclusive_queue_locked_to_its_connection(w: World) -> None:
    w.declare("ex", exclusive=True, durable=True)
    q = w.broker.queues["ex"]
    assert not q.durable  # exclusive forces durable=False
    other = w.channel(w.connect())
    for method, args in (("queue_declare", ("ex",)), ("basic_consume", ("ex",)), ("basic_get", ("ex",)),
                         ("queue_purge", ("ex",)), ("queue_delete", ("ex",)), ("queue_bind", ("ex", "amq.fanout", "")),
                         ("queue_declare", ("ex",))):
        text = refused(w, 405, method, *args, ch=other)
        assert text.startswith("RESOURCE_LOCKED - cannot obtain exclusive access to locked queue 'ex'")
        other = w.channel(other.connection)
    refused(w, 405, "queue_declare", "ex", passive=True, ch=other)
    other = w.channel(other.connection)
    assert w.pub("ex", ch=other).queues == ("ex",)  # publishing is not exclusive use
    refused(w, 405, "queue_declare", "ex")  # the owner, without exclusive=True


def test_exclusive_queue_lives_with_its_connection_not_channel(w: World) -> None:
    conn = w.connect()
    ch = w.channel(conn)
    w.declare("ex", ch=ch, exclusive=True)
    w.pub("ex")
    w.broker.channel_close(w.now, ch)
    assert "ex" in w.broker.queues
    w.broker.close_connection(w.now, conn)
    assert "ex" not in w.broker.queues
    assert [(type(e), e.queue, e.reason) for e in events(w.broker, Discarded, QueueDeleted)] == [
        (Discarded, "ex", "queue_deleted"), (QueueDeleted, "ex", "exclusive")]


# ------------------------------------------------------------------ auto-delete
def test_auto_delete_only_after_a_first_consumer(w: World) -> None:
    w.declare("ad", auto_delete=True)
    w.pub("ad")
    w.pub("ad")
    d = w.get("ad")
    w.basic_ack(d.delivery_tag)
    assert "ad" in w.broker.queues  # basic.get is not a consumer
    t1 = w.basic_consume("ad")
    t2 = w.basic_consume("ad")
    w.basic_cancel(t1)
    assert "ad" in w.broker.queues
    w.basic_cancel(t2)  # the last consumer leaves: deleted, its unacked message stays on the channel
    assert "ad" not in w.broker.queues
    [(tag, u)] = w.ch.unacked.items()
    w.basic_ack(tag)  # accepted although the queue is gone (as RabbitMQ does)


def test_auto_delete_on_channel_close_discards_requeued(w: World) -> None:
    w.declare("ad", auto_delete=True)
    c = w.channel()
    w.basic_consume("ad", ch=c)
    w.pub("ad")
    w.broker.channel_close(w.now, c)
    assert "ad" not in w.broker.queues
    assert [(type(e), e.reason) for e in events(w.broker, Requeued, Discarded, QueueDeleted)] == [
        (Requeued, "channel_closed"), (Discarded, "queue_deleted"), (QueueDeleted, "auto_delete")]


# ------------------------------------------------------------------ x-expires
def test_queue_expires_when_unused(w: World) -> None:
    w.declare("e", arguments={"x-expires": 1000, "x-dead-letter-exchange": "amq.fanout"})
    w.pub("e")
    w.at(0.5)
    w.pub("e")  # publishing does not count as use
    w.at(0.999)
    assert "e" in w.broker.queues
    w.at(1.0)
    assert "e" not in w.broker.queues
    # not dead-lettered
    assert [(type(e), e.reason) for e in events(w.broker, Discarded, QueueDeleted)] == [
        (Discarded, "queue_deleted"), (Discarded, "queue_deleted"), (QueueDeleted, "expires")]
    assert events(w.broker, QueueDeleted)[-1].actor is None


@pytest.mark.parametrize("use", ["declare", "passive", "get"])
def test_queue_expiry_renewed_by_use(w: World, use: str) -> None:
    w.declare("e", arguments={"x-expires": 1000})
    w.at(0.8)
    if use == "declare":
        w.declare("e", arguments={"x-expires": 1000})
    elif use == "passive":
        w.queue_declare("e", passive=True)
    else:
        w.get("e")
    w.at(1.5)
    assert "e" in w.broker.queues
    w.at(1.8)
    assert "e" not in w.broker.queues


def test_queue_does_not_expire_while_consumed(w: World) -> None:
    w.declare("e", arguments={"x-expires": 1000})
    tag = w.basic_consume("e")
    w.at(5)
    assert "e" in w.broker.queues
    w.basic_cancel(tag)
    w.at(5.9)
    assert "e" in w.broker.queues
    w.at(6)
    assert "e" not in w.broker.queues
    assert inbox(w.ch, "cancel") == []  # cancelled by the client: no notification


# ------------------------------------------------------------------ purge, delete
def test_purge_removes_ready_only(w: World) -> None:
    w.declare("q")
    for _ in range(3):
        w.pub("q")
    d = w.get("q")
    assert w.queue_purge("q") == 2
    assert w.count("q") == 0
    w.basic_nack(d.delivery_tag)  # the unacked one survived the purge
    assert w.count("q") == 1


def test_delete_conditions(w: World) -> None:
    assert w.queue_delete("missing") == 0
    w.declare("q")
    w.pub("q")
    assert refused(w, 406, "queue_delete", "q", if_empty=True) == "PRECONDITION_FAILED - queue 'q' in vhost '/' not empty"
    c = w.channel()
    tag = w.basic_consume("q", ch=c)
    assert refused(w, 406, "queue_delete", "q", if_unused=True) == "PRECONDITION_FAILED - queue 'q' in vhost '/' in use"
    w.pub("q")  # goes to the consumer (unacked)
    w.basic_cancel(tag, ch=c)
    w.pub("q")
    assert w.queue_delete("q") == 1
    assert "q" not in w.broker.queues
    w.broker.channel_close(w.now, c)  # the delivery of the deleted queue is discarded, not requeued
    assert not events(w.broker, Requeued)
    assert [(type(e), e.reason, e.actor if type(e) is QueueDeleted else e.copy)
            for e in events(w.broker, Discarded, QueueDeleted)] == [
        (Discarded, "queue_deleted", 3), (QueueDeleted, "client", w.ch.actor),
        (Discarded, "queue_deleted", 1), (Discarded, "queue_deleted", 2)]


def test_delete_cancels_consumers_with_notification(w: World) -> None:
    w.declare("q")
    tag = w.basic_consume("q")
    w.queue_delete("q")
    assert inbox(w.ch, "cancel") == [tag]
    assert not w.ch.consumers


def test_quorum_delete_if_unused_or_empty_540(w: World) -> None:
    w.declare("qq", durable=True, arguments={"x-queue-type": "quorum"})
    text = refused(w, 540, "queue_delete", "qq", if_unused=True)
    assert text == ("NOT_IMPLEMENTED - cannot delete queue 'qq' in vhost '/'. queue.delete operations with "
                    "if-unused flag set are not supported by quorum queues")
    refused(w, 540, "queue_delete", "qq", if_empty=True)
    assert w.queue_delete("qq") == 0
