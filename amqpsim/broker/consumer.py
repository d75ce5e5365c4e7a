"""Channels and consumers: delivery tags, prefetch windows, acknowledgements.

Delivery tags are per channel, shared by all its consumers and ``basic.get``s.
Prefetch (``basic.qos``) is per consumer and fixed at consume time; RabbitMQ 3.10's
``global=true`` is an extra limit shared by the channel's consumers. In a
transaction (``tx.select``) acks, nacks and rejects take their tags off the
channel at once (so a second ack is a 406) but only act at ``tx.commit``.

The client side is reached through the channel's callbacks (``on_deliver``,
``on_return``, ``on_confirm``, ``on_cancel``, ``on_close``); by default they append
to ``channel.inbox`` so a client can poll.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..trace.events import Acked, Delivered, ProtocolError, Settled
from .errors import ChannelError
from .message import Delivery, Entry

if TYPE_CHECKING:
    from .connection import Connection
    from .core import BrokerCore as Broker
    from .queue import Queue


#: the Settled outcome of each settling method
_OUTCOMES = {"basic.nack": "nack", "basic.reject": "reject"}


class Consumer:
    __slots__ = ("tag", "channel", "queue", "no_ack", "prefetch", "priority", "exclusive", "arguments",
                 "unacked", "actor", "window")

    def __init__(self, tag: str, channel: Channel, queue: Queue, *, no_ack: bool, prefetch: int,
                 priority: int, exclusive: bool, arguments: dict[str, Any]) -> None:
        self.tag = tag
        self.channel = channel
        self.queue = queue
        self.no_ack = no_ack
        self.prefetch = prefetch
        self.priority = priority
        self.exclusive = exclusive
        self.arguments = arguments
        self.unacked = 0
        self.actor = channel.actor
        #: how many unacked deliveries it may hold (its prefetch; unlimited: no prefetch or no-ack)
        self.window = prefetch if prefetch and not no_ack else sys.maxsize

    def can_take(self) -> bool:
        """Whether its prefetch window (and the channel's global one, 3.10) has room."""
        if self.unacked >= self.window:
            return False
        ch = self.channel
        return self.no_ack or not ch.global_prefetch or ch.unacked_count < ch.global_prefetch

    def __repr__(self) -> str:
        return f"Consumer({self.tag!r} on {self.queue.name!r})"


def _append(inbox: list) -> Callable[..., None]:
    return lambda *item: inbox.append(item)


class Channel:
    def __init__(self, broker: Broker, connection: Connection, number: int) -> None:
        self.broker = broker
        self.connection = connection
        self.number = number
        self.id = f"{connection.name}/ch-{number}"
        self.actor = connection.actor
        self.is_open = True
        self.next_tag = 0
        self.unacked: dict[int, Entry] = {}
        self.unacked_count = 0  # manual-ack deliveries to consumers (for global prefetch)
        self.consumers: dict[str, Consumer] = {}
        self.prefetch_count = 0  # for consumers created after basic.qos(global=False)
        self.global_prefetch = 0
        self.confirm_mode = False
        self.publish_seq = 0
        self.tx_mode = False
        self.tx_publishes: list[tuple[Any, ...]] = []  # (message, ttl_ms, mandatory) until tx.commit
        #: (method, requeue, multiple, taken) until tx.commit
        self.tx_settles: list[tuple[str, bool, bool, list[tuple[int, Entry]]]] = []
        self.last_queue: str | None = None  # queue.declare "" remembers the last name
        self.timeout_armed: float | None = None
        self.opened_at = 0.0  # set by channel.open; the ack-timeout checks tick from here
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

    # ---------------------------------------------------------------- delivery
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
        self.broker.emit(Delivered(now, self.actor, self.id, ctag, msg.id, e.copy, queue.name, msg.exchange,
                                   msg.routing_key, tag, e.redelivered, no_ack))
        if no_ack:
            if self.broker.auto_ack_settles or consumer is None:
                self.broker.emit(Acked(now, self.actor, self.id, ctag, msg.id, e.copy, queue.name, tag, False, True))
        else:
            queue.unacked += 1
            e.queue = queue
            e.consumer = consumer
            e.delivered_at = now
            self.unacked[tag] = e
            if consumer is not None:
                consumer.unacked += 1
                self.unacked_count += 1
            if self.timeout_armed is None:
                self._arm_timeout(now)
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
        if multiple and tag == 0:
            tags = list(unacked)
        elif tag not in unacked:
            raise ChannelError(406, f"unknown delivery tag {tag}", method)
        elif multiple:
            tags = [t for t in unacked if t <= tag]
        else:
            tags = [tag]
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
        emit = self.broker.emit
        outcome = _OUTCOMES.get(method)
        by_queue: dict[Queue, list[Entry]] = {}
        for t, u in taken:
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
            elif requeue:
                q.requeue(now, entries, "rejected")
            else:
                q.reject(now, entries)
        self._after_settle(now, dict.fromkeys(by_queue))

    def _ack_one(self, now: float, tag: int, e: Entry, multiple: bool = False) -> None:
        """Settle one acked delivery: ``_settle`` for a single ack, without the grouping."""
        c = e.consumer
        if c is not None:  # self._free(e), inlined
            c.unacked -= 1
            self.unacked_count -= 1
        q = e.queue
        self.broker.emit(Acked(now, self.actor, self.id, c.tag if c else None, e.msg.id, e.copy, q.name, tag,
                               multiple, False))
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
        """tx.rollback: the deliveries acked in the transaction are unacked again (not requeued)."""
        pending, self.tx_settles = self.tx_settles, []
        for *_, taken in pending:
            self.unacked.update(taken)
        self.unacked = dict(sorted(self.unacked.items()))

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
            touched.update(dict.fromkeys(c.queue for c in self.consumers.values()))
        for q in touched:
            if not q.deleted and q.consumers:
                q.dispatch(now)

    # ---------------------------------------------------------------- ack timeout
    def _arm_timeout(self, now: float) -> None:
        timeout = self.broker.consumer_timeout
        if timeout is None or self.timeout_armed is not None:
            return
        first = next(iter(self.unacked.values()))
        self.timeout_armed = self._check_at(first.delivered_at + timeout)
        self.broker.schedule(self.timeout_armed, self._on_timeout, self._timeout_matters)

    def _check_at(self, due: float) -> float:
        """The channel tick at or after ``due``: RabbitMQ 3.10 checks the ack timeout on the
        channel's periodic tick (every 60 s, measured on 3.10.8: a 2 s timeout closed the
        channel 60 s after the delivery), not at the exact instant."""
        every = self.broker.consumer_timeout_interval
        if not every:
            return due
        ticks = math.ceil((due - self.opened_at) / every - 1e-9)
        return self.opened_at + max(ticks, 1) * every

    def _timeout_matters(self) -> bool:
        if self.is_open and self.unacked:
            return True
        self.timeout_armed = None  # dropped: the next delivery arms a fresh check
        return False

    def _on_timeout(self, now: float) -> None:
        self.timeout_armed = None
        timeout = self.broker.consumer_timeout
        if not self.is_open or not self.unacked or timeout is None:
            return
        oldest = min(u.delivered_at for u in self.unacked.values())
        if now >= oldest + timeout:
            err = ChannelError(406, f"delivery acknowledgement on channel {self.number} timed out. Timeout "
                                    f"value used: {int(timeout * 1000)} ms. This timeout value can be "
                                    "configured, see consumers doc guide to learn more")
            self.broker.emit(ProtocolError(now, self.actor, self.id, 406, err.reply_text, "channel", None))
            self.broker.close_channel_by_broker(now, self, err)
        else:
            self.timeout_armed = self._check_at(oldest + timeout)
            self.broker.schedule(self.timeout_armed, self._on_timeout, self._timeout_matters)
