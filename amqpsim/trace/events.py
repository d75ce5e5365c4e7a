"""The event records: one small immutable record per kind of thing that happened.

Everything that looks at a run (summary, ledger, pictures, reports) reads only these
records. The broker and the simulation *emit* them into a :class:`Sink` (any callable
taking one record) injected at construction; neither keeps a log of its own, and
neither imports anything concrete from :mod:`amqpsim.trace`.

Every record is a ``NamedTuple`` whose first field is ``time`` (simulated seconds)
and whose last field, ``kind`` (an :class:`EventKind`), names it; ``kind`` has its
default, so an emitter never passes it. Where
a field is a closed vocabulary its values are listed; no field carries meaning in
free text except ``reply_text`` (RabbitMQ's own words).

Fields that recur, with the same meaning in every record that has them:

=================  =============================================================
``time``           simulated seconds when it happened
``actor``          who did it: a producer or consumer instance (``worker#1``), a
                   pika connection (``conn-1``), or ``None`` for the broker itself
``channel``        the channel, ``"conn-1/ch-1"``
``msg``            message id, assigned by the broker at ``basic.publish``; a
                   dead-lettered message keeps its id
``copy``           routed-copy id, one per (message, queue) enqueue; a copy that is
                   dead-lettered and routed again yields *new* copy ids
``queue``          queue name; ``exchange`` exchange name (``""``: the default one)
``routing_key``    the routing key of the publish (or of the dead-letter republish)
``consumer``       consumer tag
``delivery_tag``   the channel's delivery tag
=================  =============================================================

The log of a run is the list of its records in emission order; an event's ``seq``
is its position in that list. :mod:`.io` writes it as JSONL or Parquet and reads it
back exactly; :func:`.io.to_frame` gives one row per event with the columns
:data:`COLUMNS` (``time``, ``seq``, ``kind`` and every field of every kind, ``None``
where the kind has no such field).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, NamedTuple, Protocol


class EventKind(StrEnum):
    # topology
    EXCHANGE_DECLARE = "exchange_declare"
    EXCHANGE_DELETE = "exchange_delete"
    QUEUE_DECLARE = "queue_declare"
    QUEUE_DELETE = "queue_delete"
    QUEUE_PURGE = "queue_purge"
    BIND = "bind"
    UNBIND = "unbind"
    # connections, channels, consumers
    CONNECTION_OPEN = "connection_open"
    CONNECTION_CLOSE = "connection_close"
    CHANNEL_OPEN = "channel_open"
    CHANNEL_CLOSE = "channel_close"
    CONSUME = "consume"
    CANCEL = "cancel"
    QOS = "qos"
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"
    ERROR = "error"
    # messages
    PUBLISH = "publish"
    ROUTE = "route"
    UNROUTABLE = "unroutable"
    RETURN = "return"
    CONFIRM = "confirm"
    ENQUEUE = "enqueue"
    DELIVER = "deliver"
    SETTLE = "settle"
    REQUEUE = "requeue"
    # the fates of a routed copy (each ends it)
    ACK = "ack"
    DEAD_LETTER = "dead_letter"
    EXPIRE = "expire"
    DROP = "drop"
    DISCARD = "discard"
    LOSS = "loss"
    TRUNCATE = "truncate"
    # streams: appending and reading are not fates
    APPEND = "append"
    STREAM_DELIVER = "stream_deliver"
    STREAM_ACK = "stream_ack"
    # the simulated clients and faults
    PROCESSED = "processed"
    REPUBLISH = "republish"
    IN_DOUBT = "in_doubt"
    LOST_IN_TRANSIT = "lost_in_transit"
    CLIENT_START = "client_start"
    FAULT_START = "fault_start"
    FAULT_END = "fault_end"
    # AMQP frames between a pika client and the broker (the sequence diagram)
    FRAME = "frame"


class Fate(StrEnum):
    """How a routed copy ended: exactly one fate each (SCENARIO-FORMAT.md)."""

    ACKED = "acked"  #: processing finished and was acknowledged (auto-ack: finished without a crash)
    DEAD_LETTERED = "dead_lettered"  #: republished to the queue's dead-letter exchange
    EXPIRED = "expired"  #: its TTL ran out and the queue has no dead-letter exchange
    DROPPED_OVERFLOW = "dropped_overflow"  #: refused by or pushed out of a full queue (or over its delivery limit)
    DISCARDED = "discarded"  #: removed by a client: reject/nack without requeue nor DLX, purge, queue delete
    LOST = "lost"  #: vanished: a restart took a transient copy, an auto-ack consumer crashed holding it
    TRUNCATED = "truncated"  #: a stream's retention removed it (its segment went)
    RETAINED = "retained"  #: still in a stream when the run ended (reading a stream removes nothing)
    REMAINING = "remaining"  #: still ready or unacknowledged when the run ended


#: the fates that end a copy during a run (every fate but ``remaining`` and ``retained``), in summary order
ENDING_FATES: tuple[Fate, ...] = tuple(f for f in Fate if f not in (Fate.REMAINING, Fate.RETAINED))
#: the fates only a stream's copies meet (a summary gives them when the run had a stream)
STREAM_FATES: tuple[Fate, ...] = (Fate.TRUNCATED, Fate.RETAINED)


# ---------------------------------------------------------------------------- topology
class ExchangeDeclared(NamedTuple):
    """exchange.declare created an exchange."""

    time: float
    actor: str | None
    exchange: str
    exchange_type: str  #: direct | fanout | topic | headers | x-...
    kind: EventKind = EventKind.EXCHANGE_DECLARE


class ExchangeDeleted(NamedTuple):
    """An exchange was deleted (exchange.delete, or auto-delete after its last binding went)."""

    time: float
    actor: str | None
    exchange: str
    kind: EventKind = EventKind.EXCHANGE_DELETE


class QueueDeclared(NamedTuple):
    """queue.declare created a queue (a redeclaration emits nothing)."""

    time: float
    actor: str | None
    queue: str
    queue_type: str  #: classic | quorum | stream
    durable: bool
    exclusive: bool
    auto_delete: bool
    kind: EventKind = EventKind.QUEUE_DECLARE


class QueueDeleted(NamedTuple):
    """A queue was deleted; its copies end ``discarded`` (or ``lost``) first."""

    time: float
    actor: str | None
    queue: str
    reason: str  #: client (queue.delete) | auto_delete | expires (x-expires) | exclusive (owner closed) | restart
    kind: EventKind = EventKind.QUEUE_DELETE


class QueuePurged(NamedTuple):
    """queue.purge removed ``messages`` ready copies (each ends ``discarded``)."""

    time: float
    actor: str | None
    queue: str
    messages: int
    kind: EventKind = EventKind.QUEUE_PURGE


class Bound(NamedTuple):
    """queue.bind or exchange.bind added a binding."""

    time: float
    actor: str | None
    source: str  #: the exchange bound from
    destination: str  #: the queue or exchange bound to
    destination_type: str  #: queue | exchange
    routing_key: str
    kind: EventKind = EventKind.BIND


class Unbound(NamedTuple):
    """queue.unbind or exchange.unbind removed a binding."""

    time: float
    actor: str | None
    source: str
    destination: str
    destination_type: str  #: queue | exchange
    routing_key: str
    kind: EventKind = EventKind.UNBIND


# ---------------------------------------------------------------------------- connections
class ConnectionOpened(NamedTuple):
    time: float
    actor: str | None
    connection: str  #: the broker's name for it, ``conn-1``
    kind: EventKind = EventKind.CONNECTION_OPEN


class ConnectionClosed(NamedTuple):
    time: float
    actor: str | None
    connection: str
    reply_code: int  #: 200 for a normal close; 320 when the broker shuts down; an error's code
    reply_text: str
    by_broker: bool  #: the broker closed it (an error, a restart), not the client
    kind: EventKind = EventKind.CONNECTION_CLOSE


class ChannelOpened(NamedTuple):
    time: float
    actor: str | None
    channel: str
    kind: EventKind = EventKind.CHANNEL_OPEN


class ChannelClosed(NamedTuple):
    time: float
    actor: str | None
    channel: str
    reply_code: int  #: 200 for a normal close, else the error's code
    reply_text: str
    kind: EventKind = EventKind.CHANNEL_CLOSE


class ConsumerStarted(NamedTuple):
    """basic.consume registered a consumer."""

    time: float
    actor: str | None
    channel: str
    queue: str
    consumer: str
    auto_ack: bool  #: no_ack mode: a delivery settles the copy
    prefetch: int  #: the consumer's prefetch limit (0: none)
    kind: EventKind = EventKind.CONSUME


class ConsumerCancelled(NamedTuple):
    """A consumer ended."""

    time: float
    actor: str | None
    channel: str
    queue: str
    consumer: str
    by: str  #: client (basic.cancel) | broker (queue deleted: basic.cancel sent to the client) | channel (closed)
    kind: EventKind = EventKind.CANCEL


class QosSet(NamedTuple):
    """basic.qos."""

    time: float
    actor: str | None
    channel: str
    prefetch_count: int
    global_qos: bool
    kind: EventKind = EventKind.QOS


class Blocked(NamedTuple):
    """A resource alarm went on: connections that publish are blocked (connection.blocked)."""

    time: float
    reason: str  #: RabbitMQ's reason, e.g. ``low on memory``
    kind: EventKind = EventKind.BLOCKED


class Unblocked(NamedTuple):
    """The alarm cleared (connection.unblocked)."""

    time: float
    kind: EventKind = EventKind.UNBLOCKED


class ProtocolError(NamedTuple):
    """The broker closed a channel or a connection with an AMQP error a client met."""

    time: float
    actor: str | None
    channel: str | None
    reply_code: int  #: 403, 404, 405, 406, 530, 541, ...
    reply_text: str  #: RabbitMQ's text, ``NOT_FOUND - no queue 'q' in vhost '/'``
    scope: str  #: channel | connection (what the error closed)
    method: str | None  #: the AMQP method that failed, ``basic.consume``
    kind: EventKind = EventKind.ERROR


# ---------------------------------------------------------------------------- messages
class Published(NamedTuple):
    """basic.publish accepted by the broker."""

    time: float
    actor: str | None
    channel: str | None
    msg: int
    exchange: str
    routing_key: str
    delivery_tag: int | None  #: the publisher-confirm sequence number (None: no confirms)
    size: int  #: body bytes
    kind: EventKind = EventKind.PUBLISH


class Routed(NamedTuple):
    """Where a publish (or a dead-letter republish) was routed; copies follow as ``Enqueued``.
    Emitted only when the log is kept (the summary learns the routing from ``Enqueued``)."""

    time: float
    msg: int
    exchange: str
    routing_key: str
    queues: tuple[str, ...]
    dead_letter: bool  #: a dead-letter republish, not a client's publish
    kind: EventKind = EventKind.ROUTE


class Unroutable(NamedTuple):
    """A publish or a dead-letter republish reached no queue."""

    time: float
    actor: str | None
    msg: int
    exchange: str
    routing_key: str
    dead_letter: bool
    reason: str  #: no_route | no_exchange (dead-letter exchange missing) | cycle (dead-letter cycle)
    kind: EventKind = EventKind.UNROUTABLE


class Returned(NamedTuple):
    """basic.return sent for a mandatory publish that reached no queue."""

    time: float
    actor: str | None
    channel: str | None
    msg: int
    exchange: str
    routing_key: str
    reply_code: int  #: 312 NO_ROUTE
    kind: EventKind = EventKind.RETURN


class Confirmed(NamedTuple):
    """A publisher confirm: basic.ack (``ack``) or basic.nack for a publish."""

    time: float
    actor: str | None
    channel: str | None
    msg: int
    delivery_tag: int  #: the publish's confirm sequence number
    ack: bool
    kind: EventKind = EventKind.CONFIRM


class Enqueued(NamedTuple):
    """A routed copy entered a queue (its copy id is new)."""

    time: float
    msg: int
    copy: int
    queue: str
    exchange: str
    routing_key: str
    size: int
    kind: EventKind = EventKind.ENQUEUE


class Delivered(NamedTuple):
    """basic.deliver, or basic.get-ok (``consumer`` None)."""

    time: float
    actor: str | None
    channel: str | None
    consumer: str | None
    msg: int
    copy: int
    queue: str
    exchange: str
    routing_key: str
    delivery_tag: int
    redelivered: bool
    auto_ack: bool  #: delivered in no_ack mode: the copy is settled by the delivery itself
    kind: EventKind = EventKind.DELIVER


class Settled(NamedTuple):
    """basic.nack or basic.reject of one unacknowledged copy (an ack ends it: ``Acked``).
    What became of the copy follows: ``Requeued``, ``DeadLettered``, ``Discarded`` or ``Dropped``."""

    time: float
    actor: str | None
    channel: str | None
    consumer: str | None
    msg: int
    copy: int
    queue: str
    delivery_tag: int
    outcome: str  #: nack | reject
    requeue: bool
    multiple: bool
    kind: EventKind = EventKind.SETTLE


class Requeued(NamedTuple):
    """A delivered copy went back to its queue, at its original position; redelivered next time."""

    time: float
    msg: int
    copy: int
    queue: str
    reason: str  #: rejected (nack/reject with requeue) | recover (basic.recover) | channel_closed (or its connection)
    kind: EventKind = EventKind.REQUEUE


class Acked(NamedTuple):
    """Fate ``acked``: basic.ack, or (``auto``) processing of an auto-ack delivery finished."""

    time: float
    actor: str | None
    channel: str | None
    consumer: str | None
    msg: int
    copy: int
    queue: str
    delivery_tag: int
    multiple: bool
    auto: bool
    kind: EventKind = EventKind.ACK


class DeadLettered(NamedTuple):
    """Fate ``dead_lettered``: republished to ``exchange``, the dead-letter exchange."""

    time: float
    msg: int
    copy: int
    queue: str
    exchange: str
    reason: str  #: rejected | expired | maxlen | delivery_limit (RabbitMQ's x-death reasons)
    kind: EventKind = EventKind.DEAD_LETTER


class Expired(NamedTuple):
    """Fate ``expired``: the message TTL ran out (no dead-letter exchange)."""

    time: float
    msg: int
    copy: int
    queue: str
    kind: EventKind = EventKind.EXPIRE


class Dropped(NamedTuple):
    """Fate ``dropped_overflow`` (no dead-letter exchange)."""

    time: float
    msg: int
    copy: int
    queue: str
    reason: str  #: reject-publish (refused by a full queue) | drop-head (pushed out) | delivery_limit
    kind: EventKind = EventKind.DROP


class Discarded(NamedTuple):
    """Fate ``discarded``: removed by a client action."""

    time: float
    msg: int
    copy: int
    queue: str
    reason: str  #: rejected (nack/reject, no requeue, no DLX) | purge | queue_deleted
    kind: EventKind = EventKind.DISCARD


class Lost(NamedTuple):
    """Fate ``lost``: the copy vanished."""

    time: float
    actor: str | None
    msg: int
    copy: int
    queue: str
    #: restart (the broker restarted: a transient copy, or a non-durable queue) | and, for a copy
    #: a simulated auto-ack consumer held (``actor``): crash (it crashed) | connection_lost (a
    #: network outage) | connection_closed (the broker closed its connection, e.g. a restart)
    #: | channel_closed (the broker closed its channel)
    reason: str
    kind: EventKind = EventKind.LOSS


# ---------------------------------------------------------------------------- streams
class Appended(NamedTuple):
    """A routed copy (its ``Enqueued`` came just before) was appended to a stream at ``offset``.

    A stream copy stays in the stream until retention truncates it (``Truncated``) or the
    stream is deleted (``Discarded``); at the end of a run it is ``retained``."""

    time: float
    msg: int
    copy: int
    queue: str
    offset: int  #: its stream offset (offsets skip one at each new segment: a tracking chunk)
    kind: EventKind = EventKind.APPEND


class StreamDelivered(NamedTuple):
    """basic.deliver of a stream copy to a consumer reading at ``offset``: not a fate (N consumers
    reading a message are N deliveries of one copy), and the delivery carries ``x-stream-offset``."""

    time: float
    actor: str | None
    channel: str | None
    consumer: str
    msg: int
    copy: int
    queue: str
    offset: int
    delivery_tag: int
    kind: EventKind = EventKind.STREAM_DELIVER


class StreamAcked(NamedTuple):
    """basic.ack of a stream delivery: it only gives the consumer credit back; nothing is removed."""

    time: float
    actor: str | None
    channel: str | None
    consumer: str | None
    msg: int
    copy: int
    queue: str
    offset: int
    delivery_tag: int
    multiple: bool
    kind: EventKind = EventKind.STREAM_ACK


class Truncated(NamedTuple):
    """Fate ``truncated``: retention removed the stream segment that held the copy."""

    time: float
    msg: int
    copy: int
    queue: str
    offset: int
    reason: str  #: max-length-bytes | max-age (the limit that removed its segment)
    kind: EventKind = EventKind.TRUNCATE


# ---------------------------------------------------------------------------- simulated clients
class Processed(NamedTuple):
    """A simulated consumer finished a delivery whose ack it could not send (its channel closed):
    the work was done, and the copy will be delivered again (a duplicate if it completes twice)."""

    time: float
    actor: str
    msg: int
    copy: int
    queue: str
    kind: EventKind = EventKind.PROCESSED


class Republished(NamedTuple):
    """A producer republished an in-doubt message: ``msg`` and ``original`` are one logical message."""

    time: float
    actor: str
    msg: int
    original: int
    kind: EventKind = EventKind.REPUBLISH


class InDoubt(NamedTuple):
    """A producer's connection died before ``msg`` was confirmed: it does not know if it arrived."""

    time: float
    actor: str
    msg: int
    kind: EventKind = EventKind.IN_DOUBT


class LostInTransit(NamedTuple):
    """A producer's publish was lost on a dead connection before it reached the broker."""

    time: float
    actor: str
    routing_key: str
    size: int
    kind: EventKind = EventKind.LOST_IN_TRANSIT


class ClientStarted(NamedTuple):
    """A simulated producer or consumer instance started (before it opens its connection), so
    a client that never got to publish or consume still appears in the summary."""

    time: float
    actor: str  #: the instance, ``worker#1``
    role: str  #: producer | consumer
    kind: EventKind = EventKind.CLIENT_START


class FaultStarted(NamedTuple):
    """A scenario fault began."""

    time: float
    fault: str  #: consumer_crash | slow_consumer | connection_loss | broker_restart | memory_alarm
    target: str | None  #: the client it hits (a name or ``name#i``), None for the broker
    kind: EventKind = EventKind.FAULT_START


class FaultEnded(NamedTuple):
    """A scenario fault ended (the worker restarted, the connection came back, the alarm cleared)."""

    time: float
    fault: str
    target: str | None
    kind: EventKind = EventKind.FAULT_END


class Frame(NamedTuple):
    """An AMQP method frame between a pika client and the broker (the sequence diagram)."""

    time: float
    actor: str  #: the connection, ``conn-1``
    channel: str
    direction: str  #: C>S (client to server) | S>C
    method: str  #: pika's name, ``Basic.Publish``
    exchange: str | None
    queue: str | None
    routing_key: str | None
    consumer: str | None
    delivery_tag: int | None
    reply_code: int | None
    kind: EventKind = EventKind.FRAME


# ---------------------------------------------------------------------------- the vocabulary
Event = (ExchangeDeclared | ExchangeDeleted | QueueDeclared | QueueDeleted | QueuePurged | Bound | Unbound
         | ConnectionOpened | ConnectionClosed | ChannelOpened | ChannelClosed | ConsumerStarted
         | ConsumerCancelled | QosSet | Blocked | Unblocked | ProtocolError | Published | Routed | Unroutable
         | Returned | Confirmed | Enqueued | Delivered | Settled | Requeued | Acked | DeadLettered | Expired
         | Dropped | Discarded | Lost | Truncated | Appended | StreamDelivered | StreamAcked | Processed | Republished | InDoubt | LostInTransit | ClientStarted | FaultStarted
         | FaultEnded | Frame)

#: Build a record from a tuple of *all* its fields, ``kind`` last, without a Python call:
#: ``new_record(Enqueued, (now, msg, copy, queue, exchange, routing_key, size, EventKind.ENQUEUE))``.
#: The broker's four per-message events (publish, enqueue, deliver, ack) are built this way:
#: a NamedTuple's own constructor is a Python function, ~0.2 us more per event (measured:
#: 7 % of a summary-only run). Everywhere else, call the class.
new_record: Callable[[type, tuple[Any, ...]], Any] = tuple.__new__  # type: ignore[assignment]


def kind_of(cls: type) -> EventKind:
    """The kind of a record class (``kind_of(Acked)`` is ``EventKind.ACK``)."""
    return cls._field_defaults["kind"]  # type: ignore[attr-defined, no-any-return]


def fields_of(cls: type) -> tuple[str, ...]:
    """A record class's own fields, ``time`` first (``kind`` left out)."""
    return cls._fields[:-1]  # type: ignore[attr-defined, no-any-return]


#: every record class, by kind
RECORDS: dict[str, type] = {kind_of(cls): cls for cls in Event.__args__}  # type: ignore[attr-defined]
assert set(RECORDS) == set(EventKind), "one record class per kind"

#: the record class that ends a copy with each fate
FATE_OF: dict[type, Fate] = {Acked: Fate.ACKED, DeadLettered: Fate.DEAD_LETTERED, Expired: Fate.EXPIRED,
                             Dropped: Fate.DROPPED_OVERFLOW, Discarded: Fate.DISCARDED, Lost: Fate.LOST,
                             Truncated: Fate.TRUNCATED}


def _columns() -> tuple[str, ...]:
    cols = ["time", "seq", "kind"]
    for cls in RECORDS.values():
        for f in fields_of(cls):
            if f not in cols:
                cols.append(f)
    return tuple(cols)


#: the columns of the flat view of the log (one row per event)
COLUMNS: tuple[str, ...] = _columns()


def as_row(seq: int, ev: Any) -> dict[str, Any]:
    """One event as a flat row: ``time``, ``seq``, ``kind`` and its own fields."""
    row = dict(zip(ev._fields, ev, strict=True))
    row["seq"] = seq
    row["kind"] = ev.kind.value
    return row


def from_row(row: dict[str, Any]) -> Any:
    """The record a flat row stands for (the inverse of :func:`as_row`; extra keys ignored)."""
    cls = RECORDS[row["kind"]]
    return cls(*(row.get(f) for f in fields_of(cls)))


class Sink(Protocol):
    """What the broker and the simulation emit into: ``emit(record)``, once per event.

    ``routes`` says whether ``Routed`` events are wanted (a run that keeps no log
    does without them)."""

    routes: bool

    def emit(self, event: Any, /) -> None: ...


class EventLog:
    """The simplest sink that keeps what it is given: every event, in order, in :attr:`events`
    (a broker made without a sink uses one, so that a test can read what it did)."""

    routes = True

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.emit = self.events.append
