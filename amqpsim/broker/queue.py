"""A queue: ready store, consumers, TTL, length limits, overflow, dead-lettering.

The queue never reads a clock: every method that depends on time takes ``now``.
What it needs from outside itself it asks of its :class:`QueueHost` (the broker):
where events go, a copy id, timers (message TTL at the head, queue expiry), the
dead-lettering of a copy, and its own deletion (auto-delete, expiry).

Copies in a queue are *ready* (in ``store``) or *unacknowledged* (held by a
channel). A published copy goes straight to an idle consumer when the queue is
empty (it then never counts toward the length limits, and a TTL of 0 does not
expire it); otherwise it is enqueued, the length limits are enforced from the
head, and only the head is checked for expiry (classic-queue semantics).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..trace.events import (
    DeadLettered,
    Discarded,
    Dropped,
    Enqueued,
    EventKind,
    Expired,
    Lost,
    Requeued,
    new_record,
)
from .args import QueueSettings, effective_settings
from .consumer import Consumer, DispatchOrder
from .message import Entry, Message
from .store import FifoStore, PriorityStore, QuorumStore
from .timeouts import QueueTimeouts

#: the kind of a per-message record, read once (an enum member costs ~0.14 us a lookup)
_ENQUEUE = EventKind.ENQUEUE


class QueueHost(Protocol):
    """What a queue needs from the rest of the broker."""

    emit: Callable[[Any], None]  # where its events go (the sink's ``emit``)
    running: bool  # False while the node stops: nothing is delivered

    def next_copy_id(self) -> int:
        """A new copy id (unique in the broker) for a copy routed to a queue."""
        ...

    def schedule(self, when: float, fn: Callable[[float], None],
                 alive: Callable[[], bool] | None = None) -> None: ...

    def dead_letter(self, now: float, source: Queue, e: Entry, reason: str) -> bool:
        """Republish ``e`` to ``source``'s dead-letter exchange; True when a queue took it."""
        ...

    def delete_queue(self, now: float, q: Queue, reason: str) -> int:
        """Delete ``q`` (auto-delete, expiry) as queue.delete does."""
        ...


class Queue:
    """Owns its ready copies (``store``, ``ready_bytes``), its consumers in dispatch
    order (``consumers``), its effective settings (arguments merged with the policy),
    the publish order a requeue restores (``next_seq``) and its TTL and expiry timers
    (``timeouts``). ``unacked`` counts its copies that channels hold unacknowledged:
    the channel delivering one counts it in, and out again when it is acked; a
    requeue or a reject counts it out here."""

    #: a stream (:class:`~.stream_queue.StreamQueue`) reads and settles its own way
    is_stream = False

    def __init__(self, host: QueueHost, name: str, *, durable: bool, exclusive_owner: Any, auto_delete: bool,
                 arguments: dict[str, Any], now: float) -> None:
        self.host = host
        self.name = name
        self.durable = durable
        self.exclusive_owner = exclusive_owner
        self.auto_delete = auto_delete
        self.arguments = arguments
        self.settings: QueueSettings = effective_settings(arguments, None)
        self.store: FifoStore | PriorityStore | QuorumStore = self._new_store()
        self.ready_bytes = 0
        self.unacked = 0
        self.consumers = DispatchOrder(self.settings.single_active)
        self.had_consumer = False
        self.deleted = False
        self.next_seq = 0
        self.timeouts = QueueTimeouts(self, now)
        self.has_msg_ttl = self.settings.message_ttl is not None
        #: quorum reject-publish: each publishing channel (an "enqueuer") and whether it is blocked
        self.enqueuers: dict[Any, bool] = {}
        #: quorum at-least-once: dead-lettered copies no queue took, held (count, bytes)
        self.held = 0
        self.held_bytes = 0
        #: quorum: basic.get deliveries not yet settled (each counts as a consumer)
        self.get_unacked = 0

    def __repr__(self) -> str:
        return f"Queue({self.name!r})"

    # ---------------------------------------------------------------- settings
    def _new_store(self) -> FifoStore | PriorityStore | QuorumStore:
        if self.settings.qtype == "quorum":
            return QuorumStore()
        mp = self.settings.max_priority
        return PriorityStore(mp) if mp is not None else FifoStore()

    def apply_policy(self, now: float, policy: dict[str, Any] | None) -> None:
        self.settings = effective_settings(self.arguments, policy)
        self.has_msg_ttl = self.has_msg_ttl or self.settings.message_ttl is not None
        self.timeouts.arm_expiry(now)
        self._enforce_limits(now)
        self.expire_head(now)  # (which evaluates a quorum queue's enqueuers)

    @property
    def is_quorum(self) -> bool:
        return self.settings.qtype == "quorum"

    def message_count(self) -> int:
        """Ready messages (what queue.declare-ok and basic.get-ok report)."""
        return len(self.store)

    def consumer_count(self) -> int:
        """What queue.declare-ok reports: the consumers and, for a quorum queue, each
        basic.get delivery not yet settled (RabbitMQ 3.10.8 registers one consumer per
        basic.get without auto-ack; conformance case ``quorum_counts_with_unacked``)."""
        return len(self.consumers) + self.get_unacked

    # ---------------------------------------------------------------- enqueue
    def would_overflow(self, size: int) -> bool:
        s = self.settings
        return (s.max_length is not None and len(self.store) >= s.max_length) or (
            s.max_length_bytes is not None and self.ready_bytes + size > s.max_length_bytes
        )

    def offer(self, now: float, msg: Message, ttl_ms: int | None, enqueuer: Any = None) -> bool:
        """Enqueue a routed copy; False when refused by reject-publish overflow.

        ``enqueuer`` is the publishing channel (None: a dead-letter republish); a quorum
        queue decides per channel (:meth:`_enqueuer_blocked`)."""
        host = self.host
        copy = host.next_copy_id()  # only offer() assigns copy ids
        size = msg.size
        host.emit(new_record(Enqueued, (now, msg.id, copy, self.name, msg.exchange, msg.routing_key, size,
                                        _ENQUEUE)))
        s = self.settings
        limited = s.max_length is not None or s.max_length_bytes is not None
        if limited and s.overflow != "drop-head" and (
                self._enqueuer_blocked(enqueuer) if self.is_quorum else self.would_overflow(size)):
            probe = Entry(msg, copy, -1, now, None, 0)
            if s.overflow == "reject-publish-dlx" and s.dlx is not None:
                self.dead_letter(now, probe, "maxlen")
            else:
                host.emit(Dropped(now, msg.id, copy, self.name, "reject-publish"))
            return False
        qttl = s.message_ttl
        ttl = qttl if ttl_ms is None else (ttl_ms / 1000.0 if qttl is None else min(qttl, ttl_ms / 1000.0))
        if ttl is not None:
            self.has_msg_ttl = True
        prio = 0
        if s.max_priority is not None:
            prio = min(msg.properties.priority or 0, s.max_priority)
        self.next_seq += 1
        e = Entry(msg, copy, self.next_seq, now, None if ttl is None else now + ttl, prio)
        if self.consumers and not self.store:  # straight to an idle consumer
            c = self.consumers.pick()
            if c is not None:
                c.channel.deliver(now, self, c, e)
                self.consumers.rotate(c)
                return True
        self.store.push(e)
        self.ready_bytes += size
        if limited:
            self._enforce_limits(now)
            if self.enqueuers:
                self._evaluate_limit()
        if self.has_msg_ttl:
            self.expire_head(now)
        return True

    # ------------------------------------------------- quorum reject-publish
    def _over_limit(self) -> bool:
        """Quorum: more than the limit, counting the copies at-least-once holds."""
        s = self.settings
        return (s.max_length is not None and len(self.store) + self.held > s.max_length) or (
            s.max_length_bytes is not None and self.ready_bytes + self.held_bytes > s.max_length_bytes)

    def _below_soft_limit(self) -> bool:
        """Quorum: at most 80% of each limit (``trunc(0.8 * limit)``)."""
        s = self.settings
        return (s.max_length is None or len(self.store) + self.held <= int(s.max_length * 0.8)) and (
            s.max_length_bytes is None or self.ready_bytes + self.held_bytes <= int(s.max_length_bytes * 0.8))

    def _enqueuer_blocked(self, enqueuer: Any) -> bool:
        """Whether a quorum queue with reject-publish refuses this channel's publish.

        RabbitMQ 3.10.8 does not check the limit before it appends a message. It keeps
        the publishing channels (enqueuers): a channel's first publish to the queue
        registers it, blocked only if the queue is already *over* its limit; every
        change of the queue then blocks all of them once it is over the limit (ready
        messages > ``x-max-length``, or ready bytes > ``x-max-length-bytes``; the copies
        at-least-once holds count too) and unblocks all of them once it is back at 80%
        of it. So a queue of limit 2 takes 3 messages; one of limit 10 that took 11
        refuses again until it is down to 8; yet a *new* channel may publish as soon
        as the queue is not over its limit (and so overshoot again), and a requeue
        that takes the queue over its limit blocks at once. Unacknowledged messages do
        not count. Conformance cases ``quorum_max_length_overshoot`` and
        ``quorum_reject_publish_recovery``. (The broker tells the channel
        asynchronously: a burst of publishes faster than that all get in. Not
        modelled: amqpsim's channel learns at once.) A dead-letter republish
        (``enqueuer`` None) is never refused, however far over the limit the queue
        is (conformance case ``quorum_reject_publish_dead_letter_target``).
        """
        if enqueuer is None:
            return False
        blocked = self.enqueuers.get(enqueuer)
        if blocked is None:
            blocked = self.enqueuers[enqueuer] = self._over_limit()
        return blocked

    def _evaluate_limit(self) -> None:
        """After a change of a quorum queue with enqueuers: block or unblock them all."""
        if self._over_limit():
            blocked = True
        elif self._below_soft_limit():
            blocked = False
        else:
            return
        enqueuers = self.enqueuers
        for k in enqueuers:
            enqueuers[k] = blocked

    def _enforce_limits(self, now: float) -> None:
        """drop-head: remove (or dead-letter) from the head until within the limits.

        With reject-publish(-dlx) nothing is ever dropped: a requeue or a lowered
        limit may leave the queue over its limit (verified on 3.10.8).
        """
        s = self.settings
        if (s.max_length is None and s.max_length_bytes is None) or s.overflow != "drop-head":
            return
        while self.store and (
            (s.max_length is not None and len(self.store) > s.max_length)
            or (s.max_length_bytes is not None and self.ready_bytes > s.max_length_bytes)
        ):
            e = self._pop()
            if s.dlx is not None:
                self.dead_letter(now, e, "maxlen")
            else:
                self.host.emit(Dropped(now, e.msg.id, e.copy, self.name, "drop-head"))

    # ---------------------------------------------------------------- removal
    def _pop(self) -> Entry:
        e = self.store.pop()
        self.ready_bytes -= e.msg.size
        return e

    def expire_head(self, now: float) -> None:
        """Classic-queue TTL: only the head is examined; expired heads are removed."""
        store = self.store
        while True:
            head = store.peek()
            if head is None or head.expires_at is None or head.expires_at > now:
                break
            self._pop()
            self.expire(now, head)
        if head is not None and head.expires_at is not None:
            self.timeouts.arm_ttl(head.expires_at)
        if self.enqueuers:
            self._evaluate_limit()

    def expire(self, now: float, e: Entry) -> None:
        if self.settings.dlx is not None:
            self.dead_letter(now, e, "expired")
        else:
            self.host.emit(Expired(now, e.msg.id, e.copy, self.name))

    def dead_letter(self, now: float, e: Entry, reason: str) -> None:
        """Republish ``e`` to the dead-letter exchange.

        A quorum queue with ``x-dead-letter-strategy: at-least-once`` (and reject-publish,
        else it is at-most-once) *holds* a copy no queue took (no such exchange, no
        binding): it is no longer ready (neither counted nor purged) but counts toward
        the length limits (conformance case ``quorum_dead_letter_strategy``). RabbitMQ
        retries it later (not within seconds); amqpsim holds it until the queue goes.
        """
        dlx = self.settings.dlx
        assert dlx is not None
        self.host.emit(DeadLettered(now, e.msg.id, e.copy, self.name, dlx, reason))
        if not self.host.dead_letter(now, self, e, reason) and self.settings.at_least_once:
            self.held += 1
            self.held_bytes += e.msg.size

    def drop_transient(self, now: float) -> None:
        """A restart of a durable classic queue: transient messages are lost."""
        kept = []
        for e in self.store.clear():
            if e.msg.persistent:
                kept.append(e)
            else:
                self.host.emit(Lost(now, None, e.msg.id, e.copy, self.name, "restart"))
        self.ready_bytes = 0
        for e in kept:
            self.store.push(e)
            self.ready_bytes += e.msg.size

    def delete(self, now: float, lost: bool) -> int:
        """The queue is deleted: its ready copies are discarded (``lost``: a node stop
        loses them); returns how many. Its unacked copies stay with their channels."""
        self.deleted = True
        entries = self.store.clear()
        self.ready_bytes = 0
        self.held = self.held_bytes = 0
        self.enqueuers.clear()
        emit = self.host.emit
        for e in entries:
            if lost:
                emit(Lost(now, None, e.msg.id, e.copy, self.name, "restart"))
            else:
                emit(Discarded(now, e.msg.id, e.copy, self.name, "queue_deleted"))
        return len(entries)

    # ---------------------------------------------------------------- consumers
    def add_consumer(self, now: float, c: Consumer) -> None:
        self.consumers.add(c)
        self.had_consumer = True
        self.dispatch(now)

    def detach_consumer(self, c: Consumer) -> None:
        """Take ``c`` out of the dispatch order (no dispatch, no auto-delete yet)."""
        self.consumers.detach(c)

    def consumers_changed(self, now: float) -> None:
        """After consumers left: auto-delete, arm the expiry timer, or dispatch again."""
        if not self.consumers:
            if self.auto_delete and self.had_consumer:
                self.host.delete_queue(now, self, reason="auto_delete")
                return
            self.timeouts.touch(now)
            return
        self.consumers.promote()
        self.dispatch(now)

    def remove_consumer(self, now: float, c: Consumer) -> None:
        self.detach_consumer(c)
        self.consumers_changed(now)

    def dispatch(self, now: float) -> None:
        store = self.store
        if not self.host.running:  # a stopping node delivers nothing
            return
        consumers = self.consumers
        while store and consumers:
            c = consumers.pick()
            if c is None:
                break
            e = self._pop()
            if e.expires_at is not None and e.expires_at <= now:
                self.expire(now, e)
                continue
            c.channel.deliver(now, self, c, e)
            consumers.rotate(c)
        if self.has_msg_ttl:
            self.expire_head(now)
        elif self.enqueuers:
            self._evaluate_limit()

    def get(self, now: float) -> Entry | None:
        """basic.get: the head; expired messages at the new head go before the count is read."""
        self.touch(now)
        if not self.has_msg_ttl:
            e = self._pop() if self.store else None
            if self.enqueuers:
                self._evaluate_limit()
            return e
        self.expire_head(now)
        if not self.store:
            return None
        e = self._pop()
        self.expire_head(now)
        return e

    # ---------------------------------------------------------------- settlement
    def requeue(self, now: float, entries: list[Entry], why: str, dispatch: bool = True) -> None:
        """Return unacknowledged copies to the queue (redelivered=True); ``why`` is
        :class:`~amqpsim.trace.events.Requeued`'s reason (to a deleted queue: discarded).

        Classic: back to their original positions. Quorum: every return counts as a
        delivery attempt; past ``x-delivery-limit`` the copy is dead-lettered.
        """
        self.unacked -= len(entries)
        self.settled(entries)
        if self.deleted:
            for e in entries:
                self.host.emit(Discarded(now, e.msg.id, e.copy, self.name, "queue_deleted"))
            return
        limit = self.settings.delivery_limit if self.is_quorum else None
        store = self.store
        for e in entries:
            e.redelivered = True
            self.host.emit(Requeued(now, e.msg.id, e.copy, self.name, why))
            if isinstance(store, QuorumStore):
                e.delivery_count += 1
                if limit is not None and e.delivery_count > limit:
                    self._delivery_limit(now, e)
                    continue
                if limit is not None:
                    store.push_return(e)
                else:
                    store.push(e)
            else:
                store.insert_by_seq(e)
            self.ready_bytes += e.msg.size
        self._enforce_limits(now)
        if self.has_msg_ttl:
            self.expire_head(now)
        elif self.enqueuers:
            self._evaluate_limit()
        if dispatch:
            self.dispatch(now)

    def reject(self, now: float, entries: list[Entry]) -> None:
        """basic.reject / basic.nack with requeue=false: dead-letter (reason rejected) or discard."""
        self.unacked -= len(entries)
        self.settled(entries)
        dlx = None if self.deleted else self.settings.dlx
        for e in entries:
            if dlx is not None:
                self.dead_letter(now, e, "rejected")
            else:
                self.host.emit(Discarded(now, e.msg.id, e.copy, self.name,
                                           "queue_deleted" if self.deleted else "rejected"))
        if self.enqueuers:
            self._evaluate_limit()

    def settled(self, entries: list[Entry]) -> None:
        """Unacknowledged copies of this queue were settled: basic.get ones stop counting as consumers."""
        if self.get_unacked:
            self.get_unacked -= sum(1 for e in entries if e.consumer is None)

    def _delivery_limit(self, now: float, e: Entry) -> None:
        if self.settings.dlx is not None:
            self.dead_letter(now, e, "delivery_limit")
        else:
            self.host.emit(Dropped(now, e.msg.id, e.copy, self.name, "delivery_limit"))

    def purge(self, now: float) -> int:
        gone = self.store.clear()
        self.ready_bytes = 0
        for e in gone:
            self.host.emit(Discarded(now, e.msg.id, e.copy, self.name, "purge"))
        if self.enqueuers:
            self._evaluate_limit()
        return len(gone)

    # ---------------------------------------------------------------- timers
    def touch(self, now: float) -> None:
        """A declare or get: the queue counts as used (x-expires)."""
        self.timeouts.touch(now)

    def restart(self, now: float) -> None:
        """The node is back: the TTL and expiry timers are armed again."""
        self.timeouts.restart(now)
        self.expire_head(now)
