"""Direct reply-to: the pseudo-queue ``amq.rabbitmq.reply-to``, as RabbitMQ 3.10.8 does it.

An RPC client consumes from ``amq.rabbitmq.reply-to`` in no-ack mode (one such
consumer per channel), publishes its request with ``reply_to='amq.rabbitmq.reply-to'``
from that channel, and the broker rewrites ``reply_to`` to the channel's opaque name
``amq.rabbitmq.reply-to.<opaque>`` (new at each basic.consume). The server replies by
publishing to the default exchange with that name as routing key: the reply goes
straight to the requesting channel as a basic.deliver (``redelivered`` false,
exchange "", that routing key); it is never queued. Its delivery tag is the channel's
next one, *not taken*: 3.10.8 does not advance the tags for a reply, so replies and
the channel's next basic.deliver or get-ok share that tag (harmless: a reply is never
acknowledged).

What the real broker answers (checked on 3.10.8; conformance cases ``direct_reply_to_*``):

- basic.consume with manual ack: channel error 406
  ``PRECONDITION_FAILED - reply consumer cannot acknowledge``; a second reply consumer
  on the channel: 406 ``PRECONDITION_FAILED - reply consumer already set`` (the ack
  check comes first; a tag in use by a regular consumer is the usual 530 before both).
- basic.publish with ``reply_to='amq.rabbitmq.reply-to'`` from a channel without a
  reply consumer: 406 ``PRECONDITION_FAILED - fast reply consumer does not exist``.
- A reply is routed by the default exchange as a *side effect*: it reaches no queue,
  so a ``mandatory`` reply is delivered **and** returned (312 NO_ROUTE), and in confirm
  mode acked. A reply to a name whose consumer is gone (cancelled, channel or connection
  closed) or that never existed is simply unroutable: dropped silently, or returned
  312 NO_ROUTE if mandatory; the publishing channel stays open. Through any other
  exchange the name is an ordinary routing key (nothing is delivered). The name works
  as a CC key too (the delivery keeps the publish's routing key), and as the
  dead-letter routing key of a queue whose dead-letter exchange is "" (the reply
  carries its x-death headers).
- queue.declare of ``amq.rabbitmq.reply-to`` (passive or not, whatever the flags):
  declare-ok with 0 messages and 1 consumer, from any channel. A passive declare of
  a live opaque name: the same (its name, 0, 1) from another channel; from the channel
  that consumes it, the channel process calls itself and crashes: the connection
  closes with 541 ``INTERNAL_ERROR``. Of a dead or bogus name, the usual 404.
- basic.get on ``amq.rabbitmq.reply-to`` (or an opaque name): 404, no such queue.

The ledger. A reply is modelled as a copy of a pseudo-queue named
``amq.rabbitmq.reply-to``, acknowledged at once: ``Enqueued`` (a fresh copy id),
``Delivered`` (``auto_ack``) and ``Acked`` (``auto``), in that order, at the instant of
the publish. Every ``Delivered`` then names a copy that was enqueued and ends with
exactly one fate, so conservation (published -> copies -> one fate each) holds with
no special case in any fold; the pseudo-queue never holds a ready copy. (Leaving the
reply out of the copies would leave a ``Delivered`` of no copy, which the folds count
as a violation.) A delivered reply has no ``Unroutable`` record (it did reach its
consumer), but a mandatory one still has its ``Returned``, as the client sees it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..trace.events import Acked, ConsumerCancelled, ConsumerStarted, Delivered, Enqueued, Routed
from .errors import ChannelError, ConnectionError_
from .message import Delivery, Message

if TYPE_CHECKING:
    from collections.abc import Callable

    from .channel import Channel

__all__ = ["REPLY_QUEUE", "REPLY_PREFIX", "DirectReplyTo", "ReplyConsumer"]

#: the pseudo-queue a client consumes from and names in ``reply_to``
REPLY_QUEUE = "amq.rabbitmq.reply-to"
#: how the opaque per-consumer name starts
REPLY_PREFIX = REPLY_QUEUE + "."


class ReplyHost(Protocol):
    """What direct reply-to needs from the broker."""

    emit: Callable[[Any], None]

    def next_copy_id(self) -> int: ...

    def token(self, prefix: str) -> str: ...


class ReplyConsumer:
    """A channel's consumer of ``amq.rabbitmq.reply-to``: its tag and its opaque name."""

    __slots__ = ("tag", "name", "channel")

    def __init__(self, tag: str, name: str, channel: Channel) -> None:
        self.tag = tag
        self.name = name
        self.channel = channel

    def __repr__(self) -> str:
        return f"ReplyConsumer({self.tag!r}, {self.name!r})"


class DirectReplyTo:
    """The broker's reply consumers by opaque name (a channel holds its own as
    ``channel.reply_consumer``; it is cleared when the channel closes)."""

    def __init__(self, host: ReplyHost) -> None:
        self.host = host
        self.by_name: dict[str, ReplyConsumer] = {}

    def _live(self, name: str) -> ReplyConsumer | None:
        rc = self.by_name.get(name)
        if rc is None:
            return None
        ch = rc.channel
        if not ch.is_open or ch.reply_consumer is not rc:
            del self.by_name[name]  # its channel closed (or it was cancelled)
            return None
        return rc

    # ------------------------------------------------------------ basic.consume / basic.cancel
    def consume(self, now: float, ch: Channel, consumer_tag: str, no_ack: bool) -> str:
        """basic.consume from ``amq.rabbitmq.reply-to``; returns the consumer tag."""
        if consumer_tag in ch.consumers:
            raise ConnectionError_(530, f"attempt to reuse consumer tag '{consumer_tag}'")
        if not no_ack:
            raise ChannelError(406, "reply consumer cannot acknowledge")
        if ch.reply_consumer is not None:
            raise ChannelError(406, "reply consumer already set")
        host = self.host
        tag = consumer_tag or host.token("amq.ctag-")
        name = host.token(REPLY_PREFIX)
        while name in self.by_name:  # (a clash of 22 random characters: never, but be sure)
            name = host.token(REPLY_PREFIX)
        rc = ch.reply_consumer = ReplyConsumer(tag, name, ch)
        self.by_name[name] = rc
        host.emit(ConsumerStarted(now, ch.actor, ch.id, REPLY_QUEUE, tag, True, 0))
        return tag

    def cancel(self, now: float, ch: Channel, consumer_tag: str) -> bool:
        """basic.cancel of the reply consumer (False: ``consumer_tag`` is not it)."""
        rc = ch.reply_consumer
        if rc is None or rc.tag != consumer_tag:
            return False
        ch.reply_consumer = None
        self.by_name.pop(rc.name, None)
        self.host.emit(ConsumerCancelled(now, ch.actor, ch.id, REPLY_QUEUE, rc.tag, "client"))
        return True

    # ------------------------------------------------------------ queue.declare
    def declare(self, ch: Channel, queue: str, passive: bool) -> tuple[str, int, int] | None:
        """queue.declare of the pseudo-queue or (passive) of a live opaque name: its
        declare-ok; None for any other name (the usual 404 follows)."""
        if queue == REPLY_QUEUE:
            return REPLY_QUEUE, 0, 1
        if passive and queue.startswith(REPLY_PREFIX) and (rc := self._live(queue)) is not None:
            if rc.channel is ch:  # 3.10.8: the channel process calls itself and crashes
                raise ConnectionError_(541, "")  # the text is the bare name
            return queue, 0, 1
        return None

    # ------------------------------------------------------------ basic.publish
    @staticmethod
    def request_reply_to(ch: Channel) -> str:
        """The opaque name a request's ``reply_to='amq.rabbitmq.reply-to'`` becomes."""
        rc = ch.reply_consumer
        if rc is None:
            raise ChannelError(406, "fast reply consumer does not exist")
        return rc.name

    def deliver(self, now: float, msg: Message, routes: bool) -> bool:
        """Deliver ``msg``, published to the default exchange, to every live reply consumer
        its routing keys name (RK + CC + BCC). Whether any got it."""
        delivered = False
        for rk in dict.fromkeys(msg.routing_keys):
            if rk.startswith(REPLY_PREFIX) and (rc := self._live(rk)) is not None:
                self._deliver(now, msg, rc, routes)
                delivered = True
        return delivered

    def _deliver(self, now: float, msg: Message, rc: ReplyConsumer, routes: bool) -> None:
        ch, emit = rc.channel, self.host.emit
        copy = self.host.next_copy_id()
        tag = ch.next_tag + 1  # 3.10.8 does not advance the channel's tags for a reply
        props = msg.properties
        if props.headers and "BCC" in props.headers:
            props = props.copy(headers={k: v for k, v in props.headers.items() if k != "BCC"})
        if routes:
            emit(Routed(now, msg.id, msg.exchange, msg.routing_key, (REPLY_QUEUE,), False))
        emit(Enqueued(now, msg.id, copy, REPLY_QUEUE, msg.exchange, msg.routing_key, msg.size))
        emit(Delivered(now, ch.actor, ch.id, rc.tag, msg.id, copy, REPLY_QUEUE, msg.exchange, msg.routing_key,
                       tag, False, True))
        emit(Acked(now, ch.actor, ch.id, rc.tag, msg.id, copy, REPLY_QUEUE, tag, False, True))
        ch.on_deliver(Delivery(rc.tag, tag, False, msg.exchange, msg.routing_key, props, msg.body, REPLY_QUEUE,
                               msg.id, copy))
