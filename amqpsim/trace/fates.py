"""The fate of every routed copy and every published message, kept by the fold when asked.

:class:`~amqpsim.trace.live.LiveLedger` (the summary's fold) decides when a copy
ends and how; with ``copies=True`` (or after its ``keep_copies()``) it also keeps,
in a :class:`Kept` (``fold.kept``), one :class:`CopyRecord` per routed copy, made
when the fold ends the copy (``remaining`` ones when the run finishes), and one
:class:`MessageRecord` per publish. Nothing here decides a fate: the records copy
what the fold did.

When the option is off the fold's handlers are the summary's own, untouched, and the
fold has no attribute more (``kept`` is a class attribute, None): keeping the records
wraps the handlers (:func:`keep`), so a summary-only run pays nothing for it.

A *logical message* is a publish and its republishes (see :mod:`.logical`);
``logical`` is its first publish's id, the same in the records and the Jepsen view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .events import (
    FATE_OF,
    Acked,
    Confirmed,
    DeadLettered,
    Delivered,
    Discarded,
    Dropped,
    Enqueued,
    Expired,
    Fate,
    Lost,
    Published,
    Republished,
    Returned,
    StreamDelivered,
    Truncated,
    Unroutable,
)

__all__ = ["COPY_COLUMNS", "MESSAGE_COLUMNS", "CopyRecord", "Kept", "MessageRecord", "close", "keep"]


class CopyRecord(NamedTuple):
    """One routed copy (one ``enqueue``) and how it ended."""

    copy: int
    msg: int
    logical: int  #: the logical message (the first publish of a message and its republishes)
    queue: str
    enqueued_at: float
    first_delivered_at: float | None  #: None: never delivered
    deliveries: int  #: basic.deliver / basic.get-ok of this copy, redeliveries included
    redeliveries: int
    consumer: str | None  #: the actor of its last delivery
    fate: Fate
    #: the ending record's ``reason`` (``maxlen``, ``restart``, ...); ``manual`` or ``auto`` for an
    #: ack; None for ``expired`` and ``remaining``
    reason: str | None
    fate_at: float | None  #: when it ended (None: ``remaining``)


class MessageRecord(NamedTuple):
    """One published message (``basic.publish`` accepted by the broker)."""

    msg: int
    logical: int
    actor: str | None
    exchange: str
    routing_key: str
    published_at: float
    confirm: str | None  #: ack | nack | None (no confirm)
    returned: bool  #: basic.return sent (mandatory, no route)
    unroutable: bool  #: reached no queue
    copies: int  #: routed copies, dead-letter ones included


COPY_COLUMNS: tuple[str, ...] = CopyRecord._fields
MESSAGE_COLUMNS: tuple[str, ...] = MessageRecord._fields
_ENDINGS = (Acked, DeadLettered, Expired, Dropped, Discarded, Lost, Truncated)
# the slots a kept copy adds to the fold's live copy list ([Msg, QueueStats, t_enq, state, holder,
# deliveries]): first delivery time, redeliveries, the last delivery's actor
_FIRST, _REDELIVERED, _CONSUMER = 6, 7, 8


class Kept:
    """The records a fold keeps (``fold.kept``)."""

    __slots__ = ("copies", "messages", "links", "duplicated", "published", "retained")

    def __init__(self) -> None:
        #: copy -> its record, made when the fold ended it; after ``finish`` every copy, in copy order
        self.copies: dict[int, CopyRecord] = {}
        #: msg -> its record, in publish order (made at ``finish``: a confirm may come after the last copy)
        self.messages: dict[int, MessageRecord] = {}
        #: republished msg -> its logical message
        self.links: dict[int, int] = {}
        #: (logical message, queue) pairs processed more than once (the fold's Jepsen view adds them)
        self.duplicated: set[tuple[int, str]] = set()
        #: msg -> [actor, exchange, routing_key, time, confirm, returned, unroutable, copies]
        self.published: dict[int, list[Any]] = {}
        #: copy -> its live copy list, for the copies the fold found in a stream at ``finish``
        self.retained: dict[int, list[Any]] = {}


def keep(copies: dict[int, list[Any]], handlers: dict[type, Any]) -> Kept:
    """Wrap a fold's ``handlers`` so that they keep the records; ``copies`` is the fold's live
    copy map (``[Msg, QueueStats, t_enq, state, holder, deliveries]``, extended here)."""
    kept = Kept()
    records, links, published = kept.copies, kept.links, kept.published

    def wrap(cls: type, make: Callable[[Any], Callable[[Any], None]]) -> None:
        handlers[cls] = make(handlers.get(cls) or _nothing)

    def publish(inner: Any) -> Callable[[Any], None]:
        def take(ev: Published) -> None:
            inner(ev)
            published[ev.msg] = [ev.actor, ev.exchange, ev.routing_key, ev.time, None, False, False, 0]
        return take

    def enqueue(inner: Any) -> Callable[[Any], None]:
        def take(ev: Enqueued) -> None:
            inner(ev)
            copies[ev.copy].extend((None, 0, None))
            m = published.get(ev.msg)
            if m is not None:
                m[7] += 1
        return take

    def deliver(inner: Any) -> Callable[[Any], None]:
        def take(ev: Delivered | StreamDelivered) -> None:
            cp = copies.get(ev.copy)
            inner(ev)
            if cp is not None:
                if cp[_FIRST] is None:
                    cp[_FIRST] = ev.time
                if getattr(ev, "redelivered", False):
                    cp[_REDELIVERED] += 1
                cp[_CONSUMER] = ev.actor
        return take

    def end(inner: Any) -> Callable[[Any], None]:
        def take(ev: Any) -> None:
            cp = copies.get(ev.copy)
            inner(ev)
            if cp is not None:  # the fold ended it (else: a violation, counted there)
                cls = type(ev)
                reason = ("auto" if ev.auto else "manual") if cls is Acked else \
                    None if cls is Expired else ev.reason
                mid = cp[0].id
                records[ev.copy] = CopyRecord(ev.copy, mid, links.get(mid, mid), cp[1].name, cp[2],
                                              cp[_FIRST], cp[5], cp[_REDELIVERED], cp[_CONSUMER],
                                              FATE_OF[cls], reason, ev.time)
        return take

    def confirm(inner: Any) -> Callable[[Any], None]:
        def take(ev: Confirmed) -> None:
            inner(ev)
            m = published.get(ev.msg)
            if m is not None:
                m[4] = "ack" if ev.ack else "nack"
        return take

    def returned(inner: Any) -> Callable[[Any], None]:
        def take(ev: Returned) -> None:
            inner(ev)
            m = published.get(ev.msg)
            if m is not None:
                m[5] = True
        return take

    def unroutable(inner: Any) -> Callable[[Any], None]:
        def take(ev: Unroutable) -> None:
            inner(ev)
            m = published.get(ev.msg)
            if m is not None and not ev.dead_letter:
                m[6] = True
        return take

    def republished(inner: Any) -> Callable[[Any], None]:
        def take(ev: Republished) -> None:
            inner(ev)
            links[ev.msg] = links.get(ev.original, ev.original)
        return take

    wrapped: tuple[tuple[type, Callable[[Any], Callable[[Any], None]]], ...] = (
        (Published, publish), (Enqueued, enqueue), (Delivered, deliver), (StreamDelivered, deliver),
        (Confirmed, confirm),
        (Returned, returned), (Unroutable, unroutable), (Republished, republished),
        *((cls, end) for cls in _ENDINGS))
    for cls, make in wrapped:
        wrap(cls, make)
    for cp in copies.values():  # copies already live (a fold asked late): no delivery details
        cp.extend((None, 0, None))

    return kept


def close(kept: Kept, copies: dict[int, list[Any]]) -> None:
    """At ``finish``: the copies still live are ``remaining`` (``retained`` in a stream); every
    record gets its final logical message (a republish may be linked after its first copies ended)."""
    records, links = kept.copies, kept.links
    for fate, live in ((Fate.REMAINING, copies), (Fate.RETAINED, kept.retained)):
        for cid, cp in live.items():
            mid = cp[0].id
            records[cid] = CopyRecord(cid, mid, links.get(mid, mid), cp[1].name, cp[2], cp[_FIRST], cp[5],
                                      cp[_REDELIVERED], cp[_CONSUMER], fate, None, None)
    ordered = sorted(records.items())  # (in place: the handlers hold this dict)
    records.clear()
    records.update(ordered)
    if links:
        for cid, rec in ordered:
            lg = links.get(rec.msg, rec.msg)
            if lg != rec.logical:
                records[cid] = rec._replace(logical=lg)
    kept.messages = {mid: MessageRecord(mid, links.get(mid, mid), *m) for mid, m in kept.published.items()}


def _nothing(ev: Any) -> None:
    return None
