"""Messages, their properties, and the per-queue copies the broker stores."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any


@dataclass(slots=True)
class Properties:
    """AMQP basic properties (the same fields and names as ``pika.BasicProperties``)."""

    content_type: str | None = None
    content_encoding: str | None = None
    headers: dict[str, Any] | None = None
    delivery_mode: int | None = None
    priority: int | None = None
    correlation_id: str | None = None
    reply_to: str | None = None
    expiration: str | None = None
    message_id: str | None = None
    timestamp: int | None = None
    type: str | None = None
    user_id: str | None = None
    app_id: str | None = None
    cluster_id: str | None = None

    def copy(self, **changes: Any) -> Properties:
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


EMPTY_PROPERTIES = Properties()


@dataclass(slots=True, init=False)
class Message:
    """One published message, shared by all the queues it was routed to."""

    id: int
    exchange: str
    routing_key: str
    body: bytes
    properties: Properties = field(default_factory=Properties)
    published_at: float = 0.0
    #: routing keys the message is routed with: RK + CC + BCC (BCC is stripped on delivery)
    routing_keys: tuple[str, ...] = ()
    #: the RK + CC list recorded in x-death (never BCC)
    death_keys: tuple[str, ...] = ()
    #: set by producers in the simulation: the logical message (kept across republishes)
    logical_id: Any = None
    #: the body's size in bytes
    size: int = field(default=0, repr=False, compare=False)

    def __init__(self, id: int, exchange: str, routing_key: str, body: bytes,  # noqa: A002
                 properties: Properties | None = None, published_at: float = 0.0,
                 routing_keys: tuple[str, ...] = (), death_keys: tuple[str, ...] = (),
                 logical_id: Any = None) -> None:
        # written out (not generated) so that ``size`` is set without a __post_init__ call
        self.id = id
        self.exchange = exchange
        self.routing_key = routing_key
        self.body = body
        self.properties = Properties() if properties is None else properties
        self.published_at = published_at
        self.routing_keys = routing_keys
        self.death_keys = death_keys
        self.logical_id = logical_id
        self.size = len(body)

    @property
    def persistent(self) -> bool:
        return self.properties.delivery_mode == 2

    @property
    def headers(self) -> dict[str, Any]:
        return self.properties.headers or {}


class Entry:
    """A routed copy of a message sitting in one queue (ready or unacknowledged)."""

    __slots__ = (
        "msg",
        "copy",
        "seq",
        "enqueued_at",
        "expires_at",
        "redelivered",
        "delivery_count",
        "priority",
        "first_delivered_at",
        # while delivered and unacknowledged (a channel's ``unacked`` maps tags to entries):
        "queue",
        "consumer",
        "delivered_at",
    )
    queue: Any  # Queue
    consumer: Any  # Consumer | None
    delivered_at: float

    def __init__(
        self, msg: Message, copy: int, seq: int, now: float, expires_at: float | None, priority: int
    ) -> None:
        self.msg = msg
        self.copy = copy
        self.seq = seq
        self.enqueued_at = now
        self.expires_at = expires_at
        self.redelivered = False
        self.delivery_count = 0
        self.priority = priority
        self.first_delivered_at: float | None = None
        # set by Channel.deliver when it is delivered unacknowledged (left unset until then:
        # this runs per copy): queue (the Queue it came from), consumer (the Consumer holding
        # it, None for basic.get) and delivered_at

    def __repr__(self) -> str:
        return f"Entry(msg={self.msg.id}, copy={self.copy}, seq={self.seq})"


@dataclass(slots=True)
class Delivery:
    """What a client receives: basic.deliver / basic.get-ok plus the content."""

    consumer_tag: str | None
    delivery_tag: int
    redelivered: bool
    exchange: str
    routing_key: str
    properties: Properties
    body: bytes
    queue: str
    msg_id: int
    copy: int
    message_count: int | None = None  # basic.get-ok only
    entry: Entry | None = field(default=None, repr=False)


@dataclass(slots=True)
class Returned:
    """A basic.return."""

    reply_code: int
    reply_text: str
    exchange: str
    routing_key: str
    properties: Properties
    body: bytes
    msg_id: int

