"""Consumers: basic.consume and basic.cancel, a channel's consumers, a queue's.

A :class:`Consumer` owns its prefetch window and how many deliveries it holds
unacknowledged; its channel owns the delivery tags. A channel keeps its consumers
by tag in :class:`ChannelConsumers`, which starts and ends them. A queue keeps its
consumers in a :class:`DispatchOrder`, which decides who gets the next message: the
highest priority first, round-robin within a priority level, or with
``x-single-active-consumer`` only the one active consumer.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from ..trace.events import ConsumerCancelled, ConsumerStarted
from .errors import ChannelError, ConnectionError_, q_res
from .rules import consume_crash, consume_refusals, stream_consume_refusal

if TYPE_CHECKING:
    from .channel import Channel
    from .queue import Queue

__all__ = ["ChannelConsumers", "Consumer", "DispatchOrder"]


class Consumer:
    """One subscription of a channel to a queue: its tag, ack mode, priority and
    prefetch window, and the number of its deliveries not yet settled."""

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


class ChannelConsumers(dict[str, Consumer]):
    """A channel's consumers by tag. basic.consume starts one (:meth:`start`), basic.cancel
    ends one (:meth:`cancel`); so does the broker when the queue is deleted (the client
    gets a basic.cancel), and the channel's close ends them all (:meth:`close`)."""

    __slots__ = ("channel",)

    def __init__(self, channel: Channel) -> None:
        super().__init__()
        self.channel = channel

    def start(self, now: float, q: Queue, consumer_tag: str, no_ack: bool, exclusive: bool,
              arguments: dict | None) -> str:
        """basic.consume on ``q``: a new :class:`Consumer` with the channel's prefetch; returns its tag."""
        ch = self.channel
        if consumer_tag in self:
            raise ConnectionError_(530, f"attempt to reuse consumer tag '{consumer_tag}'")
        arguments = dict(arguments or {})
        if refusals := consume_refusals(q.name, q.settings.qtype, arguments):
            raise refusals[0].error("basic.consume")
        if q.is_stream:
            if (refusal := stream_consume_refusal(q.name, no_ack, ch.prefetch_count)) is not None:
                raise refusal.error("basic.consume")
            exclusive = False  # streams ignore the flag (conformance case stream_consume_rules)
        elif q.is_quorum:
            if ch.global_prefetch:
                raise ConnectionError_(540, f"{q_res(q.name)} does not support global qos")
            exclusive = False  # quorum queues ignore the flag
        elif (exclusive and (q.consumers or q.settings.single_active)) or any(c.exclusive for c in q.consumers):
            raise ChannelError(403, f"{q_res(q.name)} in exclusive use")
        if (crash := consume_crash(arguments)) is not None:
            raise crash.error("basic.consume")
        tag = consumer_tag or ch.host.token("amq.ctag-")
        c = Consumer(tag, ch, q, no_ack=no_ack, prefetch=ch.prefetch_count,
                     priority=int(arguments.get("x-priority", 0)), exclusive=exclusive, arguments=arguments)
        self[tag] = c
        ch.host.emit(ConsumerStarted(now, ch.actor, ch.id, q.name, tag, no_ack, c.prefetch))
        q.add_consumer(now, c)
        return tag

    def cancel(self, now: float, consumer_tag: str) -> None:
        """basic.cancel (an unknown tag is no error)."""
        c = self.get(consumer_tag)
        if c is not None:
            self._end(now, c, by_broker=False)

    def cancel_by_broker(self, now: float, c: Consumer) -> None:
        """The broker cancels ``c`` (its queue was deleted): the client is told (basic.cancel)."""
        self._end(now, c, by_broker=True)

    def _end(self, now: float, c: Consumer, by_broker: bool) -> None:
        ch = self.channel
        self.pop(c.tag, None)
        ch.host.emit(ConsumerCancelled(now, ch.actor, ch.id, c.queue.name, c.tag, "broker" if by_broker else "client"))
        if by_broker:
            ch.on_cancel(c.tag)
        if not c.queue.deleted:
            c.queue.remove_consumer(now, c)

    def close(self, now: float) -> dict[Queue, None]:
        """The channel closes: every consumer ends and leaves its queue's dispatch order.
        Returns those queues; the channel tells them once its deliveries are back."""
        ch = self.channel
        queues: dict[Queue, None] = {}
        for c in list(self.values()):
            self.pop(c.tag, None)
            ch.host.emit(ConsumerCancelled(now, ch.actor, ch.id, c.queue.name, c.tag, "channel"))
            if c in c.queue.consumers:
                c.queue.detach_consumer(c)
                queues[c.queue] = None
        return queues

    def queues(self) -> dict[Queue, None]:
        """The queues its consumers consume from (each once, in order)."""
        return dict.fromkeys(c.queue for c in self.values())


class DispatchOrder(list):  # type: ignore[type-arg]
    """A queue's consumers in the order the next message is offered to them.

    By priority (highest first), round-robin within a level: the consumer served
    goes to the back of its level (:meth:`rotate`). With single active consumer
    (``single_active``) only :attr:`active` is ever served: the first registered,
    then, when it leaves, the highest-priority earliest one (:meth:`promote`).

    A ``list`` (of :class:`Consumer`), so that ``len``, truth tests and iteration
    cost no Python call: the queue asks for every message.
    """

    __slots__ = ("single_active", "active")

    def __init__(self, single_active: bool) -> None:
        super().__init__()
        self.single_active = single_active
        self.active: Consumer | None = None  # the single active consumer

    def add(self, c: Consumer) -> None:
        """Register ``c`` behind the consumers of its priority and above."""
        level = [i for i, x in enumerate(self) if x.priority >= c.priority]
        self.insert(level[-1] + 1 if level else 0, c)
        if self.single_active and self.active is None:
            self.active = c  # the first one registered; priorities do not preempt (classic)

    def detach(self, c: Consumer) -> None:
        """Take ``c`` out of the order (no new active consumer yet: :meth:`promote`)."""
        if c in self:
            self.remove(c)
        if self.active is c:
            self.active = None

    def promote(self) -> None:
        """With single active consumer and none active: the next one is (highest priority, then earliest)."""
        if self.single_active and self.active is None:
            self.active = self[0]

    def pick(self) -> Consumer | None:
        """The consumer the next message goes to (None: nobody can take one now)."""
        if self.single_active:
            c = self.active
            return c if c is not None and c.can_take() else None
        for c in self:  # can_take(), its first test inlined (this runs per message)
            if c.unacked < c.window and (not c.channel.global_prefetch or c.can_take()):
                return c
        return None

    def rotate(self, c: Consumer) -> None:
        """``c`` was served: behind the others of its priority."""
        if len(self) < 2 or self.single_active:
            return
        self.remove(c)
        i = len(self)
        while i > 0 and self[i - 1].priority < c.priority:
            i -= 1
        self.insert(i, c)
