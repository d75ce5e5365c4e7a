"""The event record: one immutable row per thing that happened.

Everything that looks at a run (summary, ledger, plots, reports) reads only these
records. The broker and the simulation *emit* them through a :class:`Recorder`
injected at construction time; neither keeps its own log.

Fields of :class:`Event` (``None`` where a field does not apply):

==============  ==================================================================
``time``        simulated seconds (float) when it happened
``seq``         global sequence number, strictly increasing; orders same-time events
``kind``        an :class:`EventKind` value (a ``str``)
``actor``       who did it: a producer / consumer instance name (``worker#1``), a
                connection (``conn-1``), ``broker`` or ``fault``
``msg``         message id (int) assigned by the broker at ``basic.publish``; a
                dead-lettered message keeps its id
``copy``        routed-copy id (int), unique per (message, queue) enqueue; a copy
                that is dead-lettered and routed again yields *new* copy ids
``exchange``    exchange name (``""`` is the default exchange)
``queue``       queue name
``routing_key`` routing key of the publish (or of the dead-letter republish)
``consumer``    consumer tag
``delivery_tag`` channel delivery tag (deliver / ack / nack / reject) or the
                publisher-confirm sequence number (confirm / confirm_nack)
``reply_code``  AMQP reply code (312 on return, 404/406/... on errors)
``detail``      free text: the reason (``expired``, ``maxlen``, ``rejected``,
                ``delivery_limit``), a method name for ``method`` events, ...
``channel``     ``"conn-1/ch-1"`` style channel id, or ``None``
``size``        body size in bytes (publish / enqueue)
``redelivered`` the redelivered flag of a delivery
==============  ==================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, NamedTuple


class EventKind(StrEnum):
    # topology
    EXCHANGE_DECLARE = "exchange_declare"
    EXCHANGE_DELETE = "exchange_delete"
    QUEUE_DECLARE = "queue_declare"
    QUEUE_DELETE = "queue_delete"
    QUEUE_PURGE = "queue_purge"
    BIND = "bind"
    UNBIND = "unbind"
    # connections / channels / consumers
    CONNECTION_OPEN = "connection_open"
    CONNECTION_CLOSE = "connection_close"
    CHANNEL_OPEN = "channel_open"
    CHANNEL_CLOSE = "channel_close"
    CONSUME = "consume"
    CANCEL = "cancel"
    QOS = "qos"
    # messages
    PUBLISH = "publish"  # basic.publish accepted by the broker (msg, exchange, routing_key)
    ROUTE = "route"  # the routing result: detail = comma-separated queue names
    UNROUTABLE = "unroutable"  # a publish (or dead-letter) that reached no queue
    RETURN = "return"  # basic.return sent (312 NO_ROUTE)
    CONFIRM = "confirm"  # publisher-confirm basic.ack (delivery_tag = seq no)
    CONFIRM_NACK = "confirm_nack"  # publisher-confirm basic.nack
    ENQUEUE = "enqueue"  # a routed copy entered a queue (copy id assigned)
    DELIVER = "deliver"  # basic.deliver / basic.get-ok
    ACK = "ack"  # a copy acknowledged (fate: acked); auto-ack => emitted on delivery
    NACK = "nack"  # basic.nack of one copy (detail: requeue=...)
    REJECT = "reject"  # basic.reject of one copy (detail: requeue=...)
    REQUEUE = "requeue"  # a copy returned to its queue (detail: why)
    EXPIRE = "expire"  # a copy expired without a DLX (fate: expired)
    DEAD_LETTER = "dead_letter"  # a copy dead-lettered (detail: reason) (fate: dead_lettered)
    DROP = "drop"  # a copy dropped by overflow without a DLX (fate: dropped_overflow)
    DISCARD = "discard"  # a copy removed by a client action: reject w/o DLX, purge, queue delete
    LOSS = "loss"  # a copy vanished: restart, auto-ack crash (fate: lost)
    PROCESSED = "processed"  # a consumer finished processing a delivery (before its ack)
    # simulation
    FAULT_START = "fault_start"
    FAULT_END = "fault_end"
    BLOCKED = "blocked"  # connection.blocked
    UNBLOCKED = "unblocked"  # connection.unblocked
    METHOD = "method"  # an AMQP method frame: actor=connection, detail="C>S Basic.Publish" / "S>C Basic.Deliver"
    ERROR = "error"  # a channel/connection exception (reply_code, detail=reply text)


#: kinds that end a routed copy's life, and the fate each stands for
TERMINAL_FATES: dict[str, str] = {
    EventKind.ACK: "acked",
    EventKind.DEAD_LETTER: "dead_lettered",
    EventKind.EXPIRE: "expired",
    EventKind.DROP: "dropped_overflow",
    EventKind.DISCARD: "discarded",
    EventKind.LOSS: "lost",
}


class Event(NamedTuple):
    time: float
    seq: int
    kind: str
    actor: str | None = None
    msg: int | None = None
    copy: int | None = None
    exchange: str | None = None
    queue: str | None = None
    routing_key: str | None = None
    consumer: str | None = None
    delivery_tag: int | None = None
    reply_code: int | None = None
    detail: str | None = None
    channel: str | None = None
    size: int | None = None
    redelivered: bool | None = None


FIELDS: tuple[str, ...] = Event._fields
_new_tuple = tuple.__new__


class Recorder:
    """Collects events. The broker and the simulation call :meth:`emit`, and for the four
    events every message goes through :attr:`publish`, :attr:`enqueue`, :attr:`deliver`
    and :attr:`ack`."""

    __slots__ = ("events", "_seq", "listeners", "keep", "batch", "batch_listeners", "batch_size", "routes",
                 "publish", "enqueue", "deliver", "ack")

    def __init__(self, keep: bool = True, routes: bool = True) -> None:
        self.events: list[Event] = []
        self._seq = 0
        self.listeners: list = []  # callables(Event); e.g. a progress bar
        self.keep = keep
        #: whether ``route`` events are emitted: a run that keeps no log and only computes
        #: its summary (which learns the routing from the ``enqueue`` events) drops them
        self.routes = routes
        #: callables(list of rows) handed the events in batches of ``batch_size`` (and by
        #: :meth:`flush`): cheaper than a call per event, and the listener's code and data
        #: stay warm in the CPU caches while it works through a batch. A row is an
        #: :class:`Event`, or where nobody keeps or listens to single events a plain tuple of
        #: the same fields: batch listeners read rows by position
        self.batch_listeners: list = []
        self.batch_size = 512
        self.batch: list[tuple] = []  # rows not handed to the batch listeners yet
        #: the per-message events have their own callables, which take the fields each kind
        #: carries, in Event order and by position (in CPython 3.11 a call with keywords costs
        #: ~50 % more, and these run per message). They record as :meth:`emit` does, unless
        #: :meth:`feed` makes them write short rows for a ledger
        self.publish: Callable[..., None] = self.record_publish
        self.enqueue: Callable[..., None] = self.record_enqueue
        self.deliver: Callable[..., None] = self.record_deliver
        self.ack: Callable[..., None] = self.record_ack

    def emit(self, time: float, kind: str, actor: str | None = None, msg: int | None = None,
             copy: int | None = None, exchange: str | None = None, queue: str | None = None,
             routing_key: str | None = None, consumer: str | None = None, delivery_tag: int | None = None,
             reply_code: int | None = None, detail: str | None = None, channel: str | None = None,
             size: int | None = None, redelivered: bool | None = None) -> None:
        """Record one event; the parameters are the :class:`Event` fields after ``seq``, in order."""
        # The fields are spelled out (not ``**fields``) and the tuple is built directly:
        # this is the hottest function of a run, and this form is ~2.5x faster.
        seq = self._seq = self._seq + 1
        row = (time, seq, kind, actor, msg, copy, exchange, queue, routing_key, consumer,
               delivery_tag, reply_code, detail, channel, size, redelivered)
        if self.keep or self.listeners:
            row = _new_tuple(Event, row)
            if self.keep:
                self.events.append(row)
            for fn in self.listeners:
                fn(row)
        if self.batch_listeners:
            batch = self.batch
            batch.append(row)
            if len(batch) >= self.batch_size:
                self.flush()

    def record_publish(self, time: float, actor: str | None, msg: int, exchange: str, routing_key: str,
                       delivery_tag: int | None, channel: str | None, size: int) -> None:
        self.emit(time, EventKind.PUBLISH, actor, msg, None, exchange, None, routing_key, None, delivery_tag,
                  None, None, channel, size)

    def record_enqueue(self, time: float, msg: int, copy: int, exchange: str, queue: str, routing_key: str,
                       size: int) -> None:
        self.emit(time, EventKind.ENQUEUE, None, msg, copy, exchange, queue, routing_key, None, None, None, None,
                  None, size)

    def record_deliver(self, time: float, actor: str | None, msg: int, copy: int, exchange: str, queue: str,
                       routing_key: str, consumer: str | None, delivery_tag: int, detail: str | None,
                       channel: str | None, redelivered: bool) -> None:
        self.emit(time, EventKind.DELIVER, actor, msg, copy, exchange, queue, routing_key, consumer, delivery_tag,
                  None, detail, channel, None, redelivered)

    def record_ack(self, time: float, actor: str | None, msg: int, copy: int, queue: str, consumer: str | None,
                   delivery_tag: int, channel: str | None) -> None:
        self.emit(time, EventKind.ACK, actor, msg, copy, None, queue, None, consumer, delivery_tag, None, None,
                  channel)

    def feed(self, ledger: Any) -> None:
        """Hand every event to ``ledger`` (a :class:`~amqpsim.trace.live.LiveLedger`), in
        batches; call it after adding any other listener.

        When the ledger is the only one to see the events (no log kept, no listener), the
        per-message events go into the batch as *short rows*: cut after the last field the
        ledger reads of that kind, with ``seq`` 0 and None for the fields it skips. That
        makes a summary-only run's bookkeeping ~7 % faster. Every other event is a full row
        in the same batch, so the ledger still sees the events in order.
        """
        if not (self.keep or self.listeners or self.batch_listeners):
            batch, size, flush = self.batch, self.batch_size, self.flush
            PUBLISH, ENQUEUE, DELIVER, ACK = EventKind.PUBLISH, EventKind.ENQUEUE, EventKind.DELIVER, EventKind.ACK

            # (closures, not methods: a closure reads ``batch`` faster than a method reads
            # self.batch; the same signatures as record_publish() etc.)
            def publish(time: float, actor: str | None, msg: int, exchange: str, routing_key: str,
                        delivery_tag: int | None, channel: str | None, size_: int) -> None:
                batch.append((time, 0, PUBLISH, actor, msg))
                if len(batch) >= size:
                    flush()

            def enqueue(time: float, msg: int, copy: int, exchange: str, queue: str, routing_key: str,
                        size_: int) -> None:
                batch.append((time, 0, ENQUEUE, None, msg, copy, None, queue))
                if len(batch) >= size:
                    flush()

            def deliver(time: float, actor: str | None, msg: int, copy: int, exchange: str, queue: str,
                        routing_key: str, consumer: str | None, delivery_tag: int, detail: str | None,
                        channel: str | None, redelivered: bool) -> None:
                batch.append((time, 0, DELIVER, actor, msg, copy, None, queue, None, None, None, None, detail,
                              None, None, redelivered))
                if len(batch) >= size:
                    flush()

            def ack(time: float, actor: str | None, msg: int, copy: int, queue: str, consumer: str | None,
                    delivery_tag: int, channel: str | None) -> None:
                batch.append((time, 0, ACK, actor, msg, copy, None, queue))
                if len(batch) >= size:
                    flush()

            self.publish, self.enqueue, self.deliver, self.ack = publish, enqueue, deliver, ack
        self.batch_listeners.append(ledger.take)

    def flush(self) -> None:
        """Hand the events waiting in :attr:`batch` to the batch listeners."""
        batch = self.batch
        if batch:
            for fn in self.batch_listeners:
                fn(batch)
            batch.clear()

    def __len__(self) -> int:
        return len(self.events)

    def of_kind(self, *kinds: str) -> list[Event]:
        ks = set(kinds)
        return [e for e in self.events if e.kind in ks]


class NullRecorder(Recorder):
    """A recorder that keeps nothing (used where no log is wanted)."""

    def emit(self, *args: Any, **fields: Any) -> None:  # type: ignore[override]  # noqa: D102
        self._seq += 1
