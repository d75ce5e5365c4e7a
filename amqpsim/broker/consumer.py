"""Consumers: one ``basic.consume`` each, and a queue's consumers in dispatch order.

A :class:`Consumer` owns its prefetch window and how many deliveries it holds
unacknowledged; its channel owns the delivery tags. A queue keeps its consumers in
a :class:`DispatchOrder`, which decides who gets the next message: the highest
priority first, round-robin within a priority level, or with
``x-single-active-consumer`` only the one active consumer.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .channel import Channel
    from .queue import Queue

__all__ = ["Consumer", "DispatchOrder"]


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
