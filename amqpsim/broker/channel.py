"""A channel: delivery tags, unacknowledged deliveries, prefetch, consumers, modes.

Delivery tags are per channel, shared by all its consumers and ``basic.get``s.
Prefetch (``basic.qos``) is per consumer and fixed at consume time; RabbitMQ 3.10's
``global=true`` is an extra limit shared by the channel's consumers. In a
transaction (``tx.select``) acks, nacks and rejects take their tags off the channel
at once (so a second ack is a 406) but only act at ``tx.commit``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..trace.events import (
    Acked,
    ChannelClosed,
    ConsumerCancelled,
    Delivered,
    EventKind,
    QosSet,
    Settled,
    new_record,
)
from .consumer import ChannelConsumers, Consumer
from .errors import AMQPError, ChannelError, ConnectionError_, q_res
from .message import Delivery, Entry, Message
from .rules import stream_not_supported
from .timeouts import AckTimeout

if TYPE_CHECKING:
    from .connection import Connection
    from .queue import Queue
    from .replyto import ReplyConsumer

__all__ = ["Channel", "ChannelHost"]

#: the kind of a per-message record, read once (an enum member costs ~0.14 us a lookup)
_DELIVER = EventKind.DELIVER
_ACK = EventKind.ACK

#: the Settled outcome of each settling method
_OUTCOMES = {"basic.nack": "nack", "basic.reject": "reject"}


class ChannelHost(Protocol):
    """What a channel needs from the broker: where events go, the options that shape
    delivery and the ack timeout, timers, and server-generated consumer tags."""

    emit: Callable[[Any], None]  # where events go (the sink's ``emit``)
    version: str
    auto_ack_settles: bool
    consumer_timeout: float | None
    consumer_timeout_interval: float

    def schedule(self, when: float, fn: Callable[[float], None],
                 alive: Callable[[], bool] | None = None) -> None: ...

    def token(self, prefix: str) -> str: ...


class Channel:
    """Owns what RabbitMQ keeps per channel: the delivery tags and the deliveries not
    yet settled (``unacked``, tag -> copy), the prefetch settings, its consumers by tag,
    confirm or transaction mode with what waits for tx.commit, the queue name ""
    stands for (``last_queue``) and the ack-timeout check.

    It reaches the rest of the broker only through its :class:`ChannelHost`, and the
    client through its callbacks (``on_deliver``, ``on_return``, ``on_confirm``,
    ``on_cancel``, ``on_close``); by default they append to ``inbox`` so a client can poll.
    """

    def __init__(self, host: ChannelHost, connection: Connection, number: int, now: float = 0.0) -> None:
        self.host = host
        self.connection = connection
        self.number = number
        self.id = f"{connection.name}/ch-{number}"
        self.actor = connection.actor
        self.is_open = True
        self.next_tag = 0
        self.unacked: dict[int, Entry] = {}
        self.unacked_count = 0  # manual-ack deliveries to consumers (for global prefetch)
        self.consumers = ChannelConsumers(self)
        #: its consumer of ``amq.rabbitmq.reply-to`` (:mod:`.replyto`), if any
        self.reply_consumer: ReplyConsumer | None = None
        self.prefetch_count = 0  # for consumers created after basic.qos(global=False)
        self.global_prefetch = 0
        self.confirm_mode = False
        self.publish_seq = 0
        self.tx_mode = False
        self.tx_publishes: list[tuple[Message, int | None, bool]] = []  # (message, ttl_ms, mandatory)
        #: (method, requeue, multiple, taken) until tx.commit
        self.tx_settles: list[tuple[str, bool, bool, list[tuple[int, Entry]]]] = []
        self.last_queue: str | None = None  # queue.declare "" remembers the last name
        self.ack_timeout = AckTimeout(self, now)
        self.inbox: list = []
        self.on_deliver: Callable[[Delivery], None] = lambda d: self.inbox.append(("deliver", d))
        self.on_return: Callable[..., None] = lambda r: self.inbox.append(("return", r))
        self.on_confirm: Callable[[int, bool, bool], None] = (
            lambda tag, ack, multiple: self.inbox.append(("confirm", tag, ack, multiple)))
        self.on_cancel: Callable[[str], None] = lambda tag: self.inbox.append(("cancel", tag))
        self.on_close: Callable[[int, str], None] = lambda code, text: self.inbox.append(("close", code, text))

    def __repr__(self) -> str:
        return f"Channel({self.id!r})"

    def outstanding(self) -> list[Entry]:
        """Every copy this channel holds: unacked, and settled in an uncommitted transaction."""
        out = list(self.unacked.values())
        for *_, taken in self.tx_settles:
            out += [u for _t, u in taken]
        return out

    # ---------------------------------------------------------------- modes
    def qos(self, now: float, prefetch_size: int, prefetch_count: int, global_qos: bool) -> None:
        """basic.qos. RabbitMQ 3.x: ``global_qos`` sets a limit shared by the channel's
        consumers; 4.x ignores the flag (the prefetch of consumers created after it)."""
        if prefetch_size:
            raise ConnectionError_(540, f"prefetch_size!=0 ({prefetch_size})")
        if global_qos and self.host.version.startswith("3."):
            self.global_prefetch = prefetch_count
            for q in self.consumers.queues():
                q.dispatch(now)
        else:
            self.prefetch_count = prefetch_count
        self.host.emit(QosSet(now, self.actor, self.id, prefetch_count, global_qos))

    def select_confirm(self) -> None:
        if self.tx_mode:
            raise ChannelError(406, "cannot switch from tx to confirm mode")
        self.confirm_mode = True

    def next_publish_seq(self) -> int:
        """The publisher-confirm sequence number of the next publish (confirm mode)."""
        self.publish_seq += 1
        return self.publish_seq

    def select_tx(self) -> None:
        if self.confirm_mode:
            raise ChannelError(406, "cannot switch from confirm to tx mode")
        self.tx_mode = True

    def buffer_publish(self, msg: Message, ttl_ms: int | None, mandatory: bool) -> None:
        """In a transaction: a publish waits for tx.commit."""
        self.tx_publishes.append((msg, ttl_ms, mandatory))

    def take_publishes(self) -> list[tuple[Message, int | None, bool]]:
        """tx.commit: the buffered publishes, in order (the buffer is emptied)."""
        if not self.tx_mode:
            raise ChannelError(406, "channel is not transactional")
        pending, self.tx_publishes = self.tx_publishes, []
        return pending

    def rollback(self) -> None:
        """tx.rollback: drop the buffered publishes; buffered acks are undone (the deliveries stay unacked)."""
        if not self.tx_mode:
            raise ChannelError(406, "channel is not transactional")
        self.tx_publishes = []
        self.rollback_settlements()

    # ---------------------------------------------------------------- delivery
    def get(self, now: float, q: Queue, no_ack: bool) -> Delivery | None:
        """basic.get: the head of ``q`` (None: basic.get-empty)."""
        if q.is_quorum and q.settings.single_active:
            raise ChannelError(405, f"cannot obtain access to locked {q_res(q.name)}. basic.get operations "
                                    "are not supported by quorum queues with single active consumer")
        e = q.get(now)
        if e is None:
            return None
        return self.deliver(now, q, None, e, message_count=q.message_count(), get_no_ack=no_ack)

    def deliver(self, now: float, queue: Queue, consumer: Consumer | None, e: Entry,
                message_count: int | None = None, get_no_ack: bool = False) -> Delivery:
        """basic.deliver to ``consumer``, or basic.get-ok when ``consumer`` is None."""
        self.next_tag += 1
        tag = self.next_tag
        msg = e.msg
        no_ack = consumer.no_ack if consumer is not None else get_no_ack
        if e.first_delivered_at is None:
            e.first_delivered_at = now
        props = msg.properties
        if (consumer is None or e.delivery_count > 0) and queue.is_quorum:
            # 3.10.8: basic.get-ok always carries x-delivery-count, basic.deliver from the 2nd time on
            headers = dict(props.headers or {})
            headers["x-delivery-count"] = e.delivery_count
            props = props.copy(headers=headers)
        if props.headers and "BCC" in props.headers:
            props = props.copy(headers={k: v for k, v in props.headers.items() if k != "BCC"})
        ctag = consumer.tag if consumer else None
        d = Delivery(ctag, tag, e.redelivered, msg.exchange, msg.routing_key,
                     props, msg.body, queue.name, msg.id, e.copy, message_count, e)
        host = self.host
        host.emit(new_record(Delivered, (now, self.actor, self.id, ctag, msg.id, e.copy, queue.name,
                                         msg.exchange, msg.routing_key, tag, e.redelivered, no_ack, _DELIVER)))
        if no_ack:
            if host.auto_ack_settles or consumer is None:
                host.emit(Acked(now, self.actor, self.id, ctag, msg.id, e.copy, queue.name, tag, False, True))
        else:
            queue.unacked += 1
            e.queue = queue
            e.consumer = consumer
            e.delivered_at = now
            self.unacked[tag] = e
            if consumer is not None:
                consumer.unacked += 1
                self.unacked_count += 1
            elif queue.is_quorum:
                queue.get_unacked += 1
            if self.ack_timeout.armed is None:
                self.ack_timeout.arm(now)
        if consumer is not None:
            self.on_deliver(d)
        return d

    # ---------------------------------------------------------------- settlement
    def _take(self, tag: int, multiple: bool, method: str) -> list[tuple[int, Entry]]:
        """Take the tags off the channel (406 for an unknown tag); prefetch is not freed yet."""
        unacked = self.unacked
        if not multiple:  # the common case
            u = unacked.pop(tag, None)
            if u is None:
                raise ChannelError(406, f"unknown delivery tag {tag}", method)
            return [(tag, u)]
        if tag == 0:  # multiple: everything
            tags = list(unacked)
        elif tag not in unacked:
            raise ChannelError(406, f"unknown delivery tag {tag}", method)
        else:  # multiple: up to and including tag
            tags = [t for t in unacked if t <= tag]
        return [(t, unacked.pop(t)) for t in tags]

    def _free(self, u: Entry) -> None:
        """The delivery no longer counts toward its consumer's (and the channel's) prefetch."""
        if u.consumer is not None:
            u.consumer.unacked -= 1
            self.unacked_count -= 1

    def ack(self, now: float, tag: int, multiple: bool) -> None:
        if not multiple and not self.tx_mode:  # the common case: one delivery, settled at once
            u = self.unacked.pop(tag, None)
            if u is None:
                raise ChannelError(406, f"unknown delivery tag {tag}", "basic.ack")
            self._ack_one(now, tag, u)
            return
        taken = self._take(tag, multiple, "basic.ack")
        if self.tx_mode:
            self.tx_settles.append(("basic.ack", False, multiple, taken))
        else:
            self._settle(now, "basic.ack", False, multiple, taken)

    def nack(self, now: float, tag: int, multiple: bool, requeue: bool, method: str = "basic.nack") -> None:
        u = self.unacked.get(tag)
        if u is not None and u.queue.is_stream:  # 3.10.8: a connection error
            raise stream_not_supported("basic.nack and basic.reject", u.queue.name).error(method)
        taken = self._take(tag, multiple, method)
        if self.tx_mode:
            self.tx_settles.append((method, requeue, multiple, taken))
        else:
            self._settle(now, method, requeue, multiple, taken)

    def _settle(self, now: float, method: str, requeue: bool, multiple: bool,
                taken: list[tuple[int, Entry]]) -> None:
        """Settle the copies ``taken`` by one basic.ack, basic.nack or basic.reject: an
        ``Acked`` or a ``Settled`` event each, then what becomes of the nacked copies."""
        if method == "basic.ack" and len(taken) == 1:  # the common case, without the grouping
            self._ack_one(now, *taken[0], multiple)
            return
        emit = self.host.emit
        outcome = _OUTCOMES.get(method)
        by_queue: dict[Queue, list[Entry]] = {}
        for t, u in taken:
            if u.queue.is_stream and outcome is None:
                u.queue.acked(now, self, t, u, multiple)
                continue
            self._free(u)
            ctag = u.consumer.tag if u.consumer else None
            if outcome is None:
                emit(Acked(now, self.actor, self.id, ctag, u.msg.id, u.copy, u.queue.name, t, multiple, False))
            else:
                emit(Settled(now, self.actor, self.id, ctag, u.msg.id, u.copy, u.queue.name, t, outcome, requeue,
                             multiple))
            by_queue.setdefault(u.queue, []).append(u)
        for q, entries in by_queue.items():
            if outcome is None:
                q.unacked -= len(entries)
                q.settled(entries)
            elif requeue:
                q.requeue(now, entries, "rejected")
            else:
                q.reject(now, entries)
        self._after_settle(now, dict.fromkeys(by_queue))

    def _ack_one(self, now: float, tag: int, e: Entry, multiple: bool = False) -> None:
        """Settle one acked delivery: ``_settle`` for a single ack, without the grouping."""
        c = e.consumer
        q = e.queue
        if q.is_stream:
            q.acked(now, self, tag, e, multiple)
            return
        if c is not None:  # self._free(e), inlined
            c.unacked -= 1
            self.unacked_count -= 1
        elif q.get_unacked:
            q.get_unacked -= 1
        self.host.emit(new_record(Acked, (now, self.actor, self.id, c.tag if c else None, e.msg.id, e.copy,
                                          q.name, tag, multiple, False, _ACK)))
        q.unacked -= 1
        if self.global_prefetch:
            self._after_settle(now, {q: None})
        elif not q.deleted and q.consumers:
            q.dispatch(now)

    def commit_settlements(self, now: float) -> None:
        pending, self.tx_settles = self.tx_settles, []
        for method, requeue, multiple, taken in pending:
            self._settle(now, method, requeue, multiple, taken)

    def rollback_settlements(self) -> None:
        """The deliveries acked in the transaction are unacked again (not requeued)."""
        pending, self.tx_settles = self.tx_settles, []
        for *_, taken in pending:
            self.unacked.update(taken)
        self.unacked = dict(sorted(self.unacked.items()))

    def recover(self, now: float, requeue: bool) -> None:
        """basic.recover: only requeue=true is supported (as in RabbitMQ)."""
        if not requeue:
            raise ConnectionError_(540, "requeue=false")
        if any(u.queue.is_stream for u in self.unacked.values()):
            raise ConnectionError_(541, "")  # 3.10.8 crashes (conformance case stream_refused_operations)
        self.requeue_all(now, "recover")

    def requeue_all(self, now: float, why: str, dispatch: bool = True) -> None:
        """basic.recover(requeue=True), channel close: every unacked copy goes back
        (``why``: the Requeued reason, ``recover`` or ``channel_closed``)."""
        self.rollback_settlements()
        by_queue: dict[Queue, list[Entry]] = {}
        for t in list(self.unacked):
            u = self.unacked.pop(t)
            self._free(u)
            by_queue.setdefault(u.queue, []).append(u)
        for q, entries in by_queue.items():
            q.requeue(now, sorted(entries, key=lambda x: x.seq), why, dispatch=dispatch)
        if dispatch:
            self._after_settle(now, {})

    def _after_settle(self, now: float, touched: dict) -> None:
        if self.global_prefetch:
            touched.update(self.consumers.queues())
        for q in touched:
            if not q.deleted and q.consumers:
                q.dispatch(now)

    # ---------------------------------------------------------------- closing
    def close(self, now: float, code: int = 200, text: str = "Normal shutdown") -> None:
        """Cancel the channel's consumers, requeue its unacked messages, leave the
        connection; ``code`` and ``text`` are the close's (200 for a normal close).

        As in RabbitMQ the queues first learn that the channel is gone (its consumers
        leave, its deliveries return to their original positions) and only then
        dispatch again to the remaining consumers, or auto-delete.
        """
        if not self.is_open:
            return
        self.is_open = False
        self.connection.forget(self)
        queues = self.consumers.close(now)
        if (rc := self.reply_consumer) is not None:
            self.reply_consumer = None
            self.host.emit(ConsumerCancelled(now, self.actor, self.id, "amq.rabbitmq.reply-to", rc.tag, "channel"))
        self.requeue_all(now, "channel_closed", dispatch=False)
        for q in queues:
            if not q.deleted:
                q.consumers_changed(now)
        self.host.emit(ChannelClosed(now, self.actor, self.id, code, text))

    def close_by_broker(self, now: float, err: AMQPError) -> None:
        """The broker closes the channel for ``err`` (a soft error); the client is told."""
        if self.is_open:
            self.close(now, err.reply_code, err.reply_text)
            self.on_close(err.reply_code, err.reply_text)
