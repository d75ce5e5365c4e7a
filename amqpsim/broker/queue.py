"""A queue: ready store, consumers, TTL, length limits, overflow, dead-lettering.

The queue never reads a clock: every method that depends on time takes ``now``;
timers (message TTL at the head, queue expiry) are requested from the broker with
``broker.schedule(when, callback)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..trace.events import EventKind as K
from .args import QueueSettings, effective_settings
from .message import Entry, Message
from .store import FifoStore, PriorityStore

if TYPE_CHECKING:
    from .broker import Broker
    from .consumer import Consumer


class Queue:
    def __init__(
        self,
        broker: Broker,
        name: str,
        *,
        durable: bool,
        exclusive_owner: Any,
        auto_delete: bool,
        arguments: dict[str, Any],
        now: float,
    ) -> None:
        self.broker = broker
        self.name = name
        self.durable = durable
        self.exclusive_owner = exclusive_owner
        self.auto_delete = auto_delete
        self.arguments = arguments
        self.settings: QueueSettings = effective_settings(arguments, None)
        self.store: FifoStore | PriorityStore = self._new_store()
        self.ready_bytes = 0
        self.unacked = 0
        self.consumers: list[Consumer] = []
        self.had_consumer = False
        self.deleted = False
        self.next_seq = 0
        self.armed_ttl: float | None = None
        self.last_used = now
        self.has_msg_ttl = self.settings.message_ttl is not None

    # ---------------------------------------------------------------- settings
    def _new_store(self) -> FifoStore | PriorityStore:
        mp = self.settings.max_priority
        return PriorityStore(mp) if mp is not None else FifoStore()

    def apply_policy(self, now: float, policy: dict[str, Any] | None) -> None:
        self.settings = effective_settings(self.arguments, policy)
        self.has_msg_ttl = self.has_msg_ttl or self.settings.message_ttl is not None
        self._arm_expires(now)
        self._enforce_limits(now)
        self._expire_head(now)

    @property
    def is_quorum(self) -> bool:
        return self.settings.qtype == "quorum"

    def message_count(self) -> int:
        return len(self.store)

    # ---------------------------------------------------------------- enqueue
    def would_overflow(self, size: int) -> bool:
        s = self.settings
        return (s.max_length is not None and len(self.store) >= s.max_length) or (
            s.max_length_bytes is not None and self.ready_bytes + size > s.max_length_bytes
        )

    def offer(self, now: float, msg: Message, ttl_ms: int | None) -> bool:
        """Enqueue a routed copy; False when refused by reject-publish overflow."""
        b = self.broker
        copy = b.new_copy_id()
        b.emit(now, K.ENQUEUE, msg=msg.id, copy=copy, queue=self.name, exchange=msg.exchange,
               routing_key=msg.routing_key, size=msg.size)
        s = self.settings
        overflow = s.overflow
        if overflow != "drop-head" and (s.max_length is not None or s.max_length_bytes is not None) \
                and self.would_overflow(msg.size):
            probe = Entry(msg, copy, -1, now, None, 0)
            if overflow == "reject-publish-dlx" and s.dlx is not None:
                self.dead_letter(now, probe, "maxlen")
            else:
                b.emit(now, K.DROP, msg=msg.id, copy=copy, queue=self.name, detail="reject-publish")
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
        self.store.push(e)
        self.ready_bytes += msg.size
        if self.consumers:
            self.dispatch(now)
        if s.max_length is not None or s.max_length_bytes is not None:
            self._enforce_limits(now)
        if self.has_msg_ttl:
            self._expire_head(now)
        return True

    def _enforce_limits(self, now: float) -> None:
        s = self.settings
        if s.max_length is None and s.max_length_bytes is None:
            return
        while self.store and (
            (s.max_length is not None and len(self.store) > s.max_length)
            or (s.max_length_bytes is not None and self.ready_bytes > s.max_length_bytes)
        ):
            e = self._pop()
            if s.dlx is not None:
                self.dead_letter(now, e, "maxlen")
            else:
                self.broker.emit(now, K.DROP, msg=e.msg.id, copy=e.copy, queue=self.name, detail="drop-head")

    # ---------------------------------------------------------------- removal
    def _pop(self) -> Entry:
        e = self.store.pop()
        self.ready_bytes -= e.msg.size
        return e

    def _expire_head(self, now: float) -> None:
        """Classic-queue TTL: only the head is examined; expired heads are removed."""
        store = self.store
        while True:
            head = store.peek()
            if head is None or head.expires_at is None or head.expires_at > now:
                break
            self._pop()
            self.expire(now, head)
        self._arm_ttl(now)

    def expire(self, now: float, e: Entry) -> None:
        if self.settings.dlx is not None:
            self.dead_letter(now, e, "expired")
        else:
            self.broker.emit(now, K.EXPIRE, msg=e.msg.id, copy=e.copy, queue=self.name)

    def _arm_ttl(self, now: float) -> None:
        head = self.store.peek()
        if head is None or head.expires_at is None:
            return
        when = head.expires_at
        if self.armed_ttl is None or when < self.armed_ttl:
            self.armed_ttl = when
            self.broker.schedule(when, self._on_ttl_timer)

    def _on_ttl_timer(self, now: float) -> None:
        if self.armed_ttl is not None and now >= self.armed_ttl:
            self.armed_ttl = None
        if not self.deleted:
            self._expire_head(now)

    def dead_letter(self, now: float, e: Entry, reason: str) -> None:
        self.broker.emit(now, K.DEAD_LETTER, msg=e.msg.id, copy=e.copy, queue=self.name, detail=reason,
                         exchange=self.settings.dlx)
        self.broker.dead_letter_publish(now, self, e, reason)

    # ---------------------------------------------------------------- consumers
    def add_consumer(self, now: float, c: Consumer) -> None:
        level = [i for i, x in enumerate(self.consumers) if x.priority >= c.priority]
        self.consumers.insert(level[-1] + 1 if level else 0, c)
        self.had_consumer = True
        self.dispatch(now)

    def remove_consumer(self, now: float, c: Consumer) -> None:
        if c in self.consumers:
            self.consumers.remove(c)
        if not self.consumers:
            self.last_used = now
            if self.auto_delete and self.had_consumer:
                self.broker.delete_queue(now, self, reason="auto_delete")
                return
            self._arm_expires(now)
        else:
            self.dispatch(now)

    def _pick(self) -> Consumer | None:
        consumers = self.consumers
        if self.settings.single_active:
            c = consumers[0]
            return c if c.can_take() else None
        for c in consumers:
            if c.can_take():
                return c
        return None

    def _rotate(self, c: Consumer) -> None:
        consumers = self.consumers
        if len(consumers) < 2 or self.settings.single_active:
            return
        consumers.remove(c)
        i = len(consumers)
        while i > 0 and consumers[i - 1].priority < c.priority:
            i -= 1
        consumers.insert(i, c)

    def dispatch(self, now: float) -> None:
        store = self.store
        while store and self.consumers:
            c = self._pick()
            if c is None:
                return
            e = self._pop()
            if e.expires_at is not None and e.expires_at <= now:
                self.expire(now, e)
                continue
            c.channel.deliver(now, self, c, e)
            self._rotate(c)
        if self.has_msg_ttl:
            self._arm_ttl(now)

    def get(self, now: float) -> Entry | None:
        self.last_used = now
        self._arm_expires(now)
        if self.has_msg_ttl:
            self._expire_head(now)
        return self._pop() if self.store else None

    # ---------------------------------------------------------------- settlement
    def requeue(self, now: float, entries: list[Entry], why: str) -> None:
        """Return unacknowledged copies to the queue (redelivered=True)."""
        limit = self.settings.delivery_limit if self.is_quorum else None
        for e in sorted(entries, key=lambda x: x.seq, reverse=limit is not None):
            self.unacked -= 1
            e.redelivered = True
            self.broker.emit(now, K.REQUEUE, msg=e.msg.id, copy=e.copy, queue=self.name, detail=why)
            if self.is_quorum:
                e.delivery_count += 1
                if limit is not None and e.delivery_count > limit:
                    self._delivery_limit(now, e)
                    continue
                if limit is not None:
                    self.store.push_front(e)
                else:
                    self.store.push(e)
            else:
                self.store.insert_by_seq(e)
            self.ready_bytes += e.msg.size
        self._enforce_limits(now)
        if self.has_msg_ttl:
            self._expire_head(now)
        self.dispatch(now)

    def _delivery_limit(self, now: float, e: Entry) -> None:
        if self.settings.dlx is not None:
            self.dead_letter(now, e, "delivery_limit")
        else:
            self.broker.emit(now, K.DROP, msg=e.msg.id, copy=e.copy, queue=self.name, detail="delivery_limit")

    def purge(self, now: float) -> int:
        gone = self.store.clear()
        self.ready_bytes = 0
        for e in gone:
            self.broker.emit(now, K.DISCARD, msg=e.msg.id, copy=e.copy, queue=self.name, detail="purge")
        return len(gone)

    # ---------------------------------------------------------------- queue expiry
    def _arm_expires(self, now: float) -> None:
        if self.settings.expires is not None and not self.consumers:
            self.broker.schedule(self.last_used + self.settings.expires, self._on_expires_timer)

    def _on_expires_timer(self, now: float) -> None:
        exp = self.settings.expires
        if self.deleted or exp is None or self.consumers:
            return
        if now >= self.last_used + exp:
            self.broker.delete_queue(now, self, reason="expires")

    def touch(self, now: float) -> None:
        """A declare or get: the queue counts as used (x-expires)."""
        self.last_used = now
        self._arm_expires(now)
