"""A stream queue (``x-queue-type: stream``) over AMQP 0-9-1, as RabbitMQ 3.10.8 serves it.

A :class:`StreamQueue` is a :class:`~.queue.Queue` whose copies live in a
:class:`~.stream.StreamLog` instead of a ready store: a routed copy is appended at
the next offset and stays there until retention truncates it; each consumer reads
from a position of its own (its ``x-stream-offset``), so N consumers get N
deliveries of one copy, and an ack only gives a consumer credit back.

What 3.10.8 answers (conformance cases ``stream_consume_rules`` and
``stream_refused_operations``): a consumer needs a prefetch (406) and manual acks
(540); ``basic.get``, ``queue.purge``, ``basic.nack`` and ``basic.reject`` are 540s
(connection errors), ``basic.recover`` crashes the channel (541);
``queue.declare-ok`` counts no consumers, ``queue.delete-ok`` no messages, and
``if-unused`` / ``if-empty`` never refuse. A consumer gets whole chunks while it has
credit (``prefetch`` minus its unacked deliveries): one chunk may take it past its
prefetch. Every delivery carries the header ``x-stream-offset`` and is never
``redelivered``; a channel that closes forgets its deliveries (nothing is requeued)
and a new consumer starts again from its own offset argument.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from ..trace.events import (
    Appended,
    Discarded,
    Enqueued,
    EventKind,
    Lost,
    StreamAcked,
    StreamDelivered,
    Truncated,
    new_record,
)
from .errors import ConnectionError_
from .message import Delivery, Entry, Message
from .queue import Queue
from .rules import stream_not_supported
from .stream import StreamLog, duration

if TYPE_CHECKING:
    from .channel import Channel
    from .consumer import Consumer

__all__ = ["StreamQueue"]

_ENQUEUE = EventKind.ENQUEUE


class StreamQueue(Queue):
    """A stream: its copies in ``log`` (a :class:`~.stream.StreamLog`), each consumer's next
    offset in ``positions``. The ready store of a classic queue stays empty."""

    is_stream = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s = self.settings
        self.log = StreamLog(s.segment_bytes, s.max_length_bytes, s.max_age)
        #: each consumer's next offset
        self.positions: dict[Consumer, int] = {}

    def apply_policy(self, now: float, policy: dict[str, Any] | None) -> None:
        super().apply_policy(now, policy)
        log = getattr(self, "log", None)
        if log is not None:
            s = self.settings
            log.max_bytes, log.max_age = s.max_length_bytes, s.max_age
            if s.segment_bytes is not None:
                log.segment_bytes = s.segment_bytes

    def message_count(self) -> int:
        """The messages in the stream. (3.10.8 reports a counter it refreshes every few
        seconds: 0 just after the publishes; conformance case ``stream_declare_counts``.)"""
        return len(self.log)

    def consumer_count(self) -> int:
        """0: 3.10.8 counts no consumers of a stream (conformance case ``stream_declare_counts``)."""
        return 0

    # ---------------------------------------------------------------- appending
    def offer(self, now: float, msg: Message, ttl_ms: int | None, enqueuer: Any = None) -> bool:
        """Append a routed copy (a stream never refuses one: no length limit, no TTL)."""
        host = self.host
        copy = host.next_copy_id()
        emit = host.emit
        emit(new_record(Enqueued, (now, msg.id, copy, self.name, msg.exchange, msg.routing_key, msg.size,
                                   _ENQUEUE)))
        e = Entry(msg, copy, 0, now, None, 0)
        dropped = self.log.append(now, e, seal=bool(getattr(enqueuer, "confirm_mode", False)))
        emit(Appended(now, msg.id, copy, self.name, e.seq))
        for old, why in dropped:
            emit(Truncated(now, old.msg.id, old.copy, self.name, old.seq, why))
        self.dispatch(now)
        return True

    # ---------------------------------------------------------------- reading
    def add_consumer(self, now: float, c: Consumer) -> None:
        self.positions[c] = self.start_offset(now, c.arguments.get("x-stream-offset", "next"))
        super().add_consumer(now, c)

    def detach_consumer(self, c: Consumer) -> None:
        super().detach_consumer(c)
        self.positions.pop(c, None)

    def lag(self, c: Consumer) -> int:
        """Offsets ``c`` has still to read (0: caught up; tracking offsets count too)."""
        pos = self.positions.get(c)
        return 0 if pos is None else max(0, self.log.next_offset - max(pos, self.log.first_offset))

    def unread(self) -> bool:
        """Whether a consumer has something left to read (the simulation's "idle" test)."""
        return any(self.log.read(pos)[1] for pos in self.positions.values())

    def start_offset(self, now: float, spec: Any) -> int:
        """Where a consumer with ``x-stream-offset: spec`` starts (checked by the rules already)."""
        log = self.log
        if isinstance(spec, bytes):
            spec = spec.decode()
        if spec == "first":
            return log.first_offset
        if spec == "last":
            return log.last_chunk_offset
        if spec == "next":
            return log.next_offset
        if isinstance(spec, datetime.datetime):
            if spec.tzinfo is None:
                spec = spec.replace(tzinfo=datetime.UTC)
            return log.offset_at(spec.timestamp() - getattr(self.host, "epoch", 0.0))
        if isinstance(spec, int):
            return max(spec, log.first_offset) if spec >= 0 else log.first_offset
        seconds = duration(spec)
        return log.offset_at(now - seconds) if seconds is not None else log.next_offset

    def dispatch(self, now: float) -> None:
        """Every consumer with credit reads whole chunks from its position."""
        if not self.host.running:
            return
        log = self.log
        for c in list(self.consumers):
            while c.unacked < c.window:
                pos = self.positions.get(c)
                if pos is None:
                    break
                end, entries = log.read(pos)
                if not entries:
                    break
                self.positions[c] = end
                if end >= log.chunks[-1].end:
                    log.seal()  # read: the chunk is written, later copies start another
                for e in entries:
                    self._deliver(now, c, e)

    def _deliver(self, now: float, c: Consumer, e: Entry) -> None:
        ch: Channel = c.channel
        ch.next_tag += 1
        tag = ch.next_tag
        msg = e.msg
        d = Entry(msg, e.copy, e.seq, e.enqueued_at, None, 0)  # this delivery (many per copy)
        d.queue, d.consumer, d.delivered_at = self, c, now
        ch.unacked[tag] = d
        c.unacked += 1
        ch.unacked_count += 1
        self.unacked += 1
        headers = {k: v for k, v in (msg.properties.headers or {}).items() if k != "BCC"}
        headers["x-stream-offset"] = e.seq
        props = msg.properties.copy(headers=headers)
        self.host.emit(StreamDelivered(now, ch.actor, ch.id, c.tag, msg.id, e.copy, self.name, e.seq, tag))
        if ch.ack_timeout.armed is None:
            ch.ack_timeout.arm(now)
        ch.on_deliver(Delivery(c.tag, tag, False, msg.exchange, msg.routing_key, props, msg.body, self.name,
                               msg.id, e.copy, None, d))

    def acked(self, now: float, ch: Channel, tag: int, d: Entry, multiple: bool) -> None:
        """basic.ack of a delivery ``d``: credit back to its consumer, nothing removed."""
        c = d.consumer
        if c is not None:
            c.unacked -= 1
            ch.unacked_count -= 1
        self.unacked -= 1
        self.host.emit(StreamAcked(now, ch.actor, ch.id, c.tag if c else None, d.msg.id, d.copy, self.name,
                                   d.seq, tag, multiple))
        if not self.deleted and self.consumers:
            self.dispatch(now)

    # ---------------------------------------------------------------- refused
    def get(self, now: float) -> Entry | None:
        raise stream_not_supported("basic.get", self.name).error("basic.get")

    def purge(self, now: float) -> int:
        raise stream_not_supported("queue.purge", self.name).error("queue.purge")

    def requeue(self, now: float, entries: list[Entry], why: str, dispatch: bool = True) -> None:
        """Its consumer's channel closed: the deliveries are forgotten (the copies never left)."""
        self.unacked -= len(entries)
        if dispatch and not self.deleted:
            self.dispatch(now)

    def reject(self, now: float, entries: list[Entry]) -> None:  # pragma: no cover - refused before
        raise ConnectionError_(540, "basic.nack and basic.reject not supported by stream queues")

    # ---------------------------------------------------------------- lifecycle
    def drop_transient(self, now: float) -> None:
        """A restart: a stream keeps everything (it is durable and replicated)."""

    def delete(self, now: float, lost: bool) -> int:
        """The stream is deleted: its copies are discarded (lost in a node stop); queue.delete-ok
        reports 0 messages, as 3.10.8 does."""
        self.deleted = True
        emit = self.host.emit
        for e in self.log.clear():
            if lost:
                emit(Lost(now, None, e.msg.id, e.copy, self.name, "restart"))
            else:
                emit(Discarded(now, e.msg.id, e.copy, self.name, "queue_deleted"))
        return 0
