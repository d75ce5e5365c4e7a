"""What crosses the simulated wire: properties, header tables, method names.

Everything is copied on the way in and out, as the AMQP encoding would: a client
mutating its ``BasicProperties`` or headers after a publish changes nothing in
the broker. Field tables (headers, arguments) accept what pika can encode: str,
bytes, bool, int, Decimal, datetime, dict, list, None.
"""

from __future__ import annotations

import calendar
import datetime
import decimal
import re
import struct
from typing import Any

from ..broker.message import Delivery, Properties, Returned
from . import exceptions, spec
from .compat import long
from .delivery_mode import DeliveryMode

FIELDS = ("content_type", "content_encoding", "headers", "delivery_mode", "priority", "correlation_id",
          "reply_to", "expiration", "message_id", "timestamp", "type", "user_id", "app_id", "cluster_id")


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_INT32 = struct.Struct(">i")
_INT64 = struct.Struct(">q")
_DECIMAL = struct.Struct(">Bi")
_TIMESTAMP = struct.Struct(">Q")


def encode(value: Any) -> Any:
    """A field-table value as pika 1.4 would send it, decoded as pika would read it back.

    What pika encodes: str (longstr), bytes (binary), bool, int (32-bit 'I', else
    64-bit 'l': it comes back as :class:`.compat.long`), Decimal (normalized to a
    scale of 0-255 and a 32-bit value: ``Decimal("1.50")`` comes back as
    ``Decimal("1.5")``, ``Decimal("1E+2")`` as ``Decimal("100")``), datetime (whole
    seconds since 1970, a naive one taken as UTC; back as an aware UTC datetime), dict,
    list and None. pika's errors, raised before anything is sent (conformance case
    ``field_table_round_trip``): ``UnsupportedAMQPFieldException`` for a float, tuple,
    set, ...; ``struct.error`` for an integer beyond 64 bits, a decimal beyond 32 bits
    or 255 places, a datetime before 1970; ``ShortStringTooLong`` for a key over 255
    bytes of UTF-8.
    """
    if isinstance(value, str | bytes | bool) or value is None:
        return value
    if isinstance(value, long):
        _INT64.pack(value)
        return long(value)
    if isinstance(value, int):
        try:
            _INT32.pack(value)
            return value
        except struct.error:
            _INT64.pack(value)
            return long(value)
    if isinstance(value, decimal.Decimal):
        value = value.normalize()
        if value.as_tuple().exponent < 0:  # type: ignore[operator]  # NaN: TypeError, as in pika
            decimals = -value.as_tuple().exponent  # type: ignore[operator]
            raw = int(value * (decimal.Decimal(10) ** decimals))
        else:
            decimals, raw = 0, int(value)
        _DECIMAL.pack(decimals, raw)
        return decimal.Decimal(raw) * (decimal.Decimal(10) ** -decimals)
    if isinstance(value, datetime.datetime):
        seconds = calendar.timegm(value.utctimetuple())
        _TIMESTAMP.pack(seconds)
        return _EPOCH + datetime.timedelta(seconds=seconds)
    if isinstance(value, dict):
        return {_key(k): encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode(v) for v in value]
    raise exceptions.UnsupportedAMQPFieldException([], value)


def shortstr(value: Any) -> Any:
    """A short string as pika sends it (str or bytes): ``ShortStringTooLong`` over 255 bytes of UTF-8."""
    encoded = value if isinstance(value, bytes) else value.encode("UTF-8")
    if len(encoded) > 255:
        raise exceptions.ShortStringTooLong(encoded)
    return encoded


#: the short-string fields of the methods a client sends, in no particular order
METHOD_SHORTSTR = ("exchange", "type", "destination", "source", "queue", "routing_key", "consumer_tag")
#: the short-string properties, in pika's encoding order (headers come between the first two and the rest)
PROPERTY_SHORTSTR = ("content_type", "content_encoding", "correlation_id", "reply_to", "expiration", "message_id",
                     "type", "user_id", "app_id", "cluster_id")


def marshal(method: Any) -> Any:
    """Check ``method`` as pika's frame marshalling would: a short-string field over 255 bytes
    of UTF-8 raises ``ShortStringTooLong`` and nothing is sent (conformance case
    ``short_string_limits``). RabbitMQ never sees such a name, so it has no answer."""
    fields = vars(method)
    for name, value in fields.items():
        if name in METHOD_SHORTSTR and isinstance(value, str | bytes):
            shortstr(value)
    return method


def reply_text(text: str) -> str:
    """A broker's reply text as the client gets it: RabbitMQ cuts one over 255 bytes to its first
    252 bytes and ``...`` (``rabbit_binary_generator``), which may split a UTF-8 character; pika
    then keeps the bytes, and its ChannelClosed / ConnectionClosed hold ``str()`` of them."""
    raw = text.encode()
    if len(raw) <= 255:
        return text
    raw = raw[:252] + b"..."
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return str(raw)


def _key(key: Any) -> str | bytes:
    """A table key: a short string, read back as str (bytes if not UTF-8)."""
    encoded = shortstr(key)
    try:
        return str(encoded.decode("utf8"))
    except UnicodeDecodeError:
        return bytes(encoded)


def _timestamp(value: datetime.datetime) -> datetime.datetime:
    """An AMQP timestamp: whole seconds; pika 1.4 decodes it as an aware UTC datetime
    (a naive datetime is taken as UTC, like the broker's x-death ``time``)."""
    return _EPOCH + datetime.timedelta(seconds=calendar.timegm(value.utctimetuple()))


def _int(value: int) -> int:
    return long(value) if isinstance(value, long) or not -(2**31) <= value < 2**31 else value


def decode(value: Any) -> Any:
    """A deep copy of a field-table value coming from the broker, typed as pika decodes it."""
    if isinstance(value, dict):
        return {k if isinstance(k, str | bytes) else str(k): decode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [decode(v) for v in value]
    if isinstance(value, datetime.datetime):
        return _timestamp(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _int(value)
    return value


def decode_headers(headers: dict[str, Any]) -> dict[str, Any]:
    """Message headers as pika decodes them: RabbitMQ sends x-death's ``count`` and the quorum
    queues' ``x-delivery-count`` as 64-bit integers, which pika reads as ``long``."""
    out = decode(headers)
    if isinstance(out.get("x-delivery-count"), int):
        out["x-delivery-count"] = long(out["x-delivery-count"])
    for death in out.get("x-death") or ():
        if isinstance(death, dict) and isinstance(death.get("count"), int):
            death["count"] = long(death["count"])
    return out


def to_broker(props: Any) -> Properties | None:
    """Client properties (ours, real pika's, anything with the fields) -> broker Properties."""
    if props is None:
        return None
    values = {f: getattr(props, f, None) for f in FIELDS}
    if isinstance(values["delivery_mode"], DeliveryMode):
        values["delivery_mode"] = values["delivery_mode"].value
    for f in PROPERTY_SHORTSTR[:2]:
        if isinstance(values[f], str | bytes):
            shortstr(values[f])
    if values["headers"] is not None:
        values["headers"] = encode(values["headers"])
    for f in PROPERTY_SHORTSTR[2:]:
        if isinstance(values[f], str | bytes):
            shortstr(values[f])
    return Properties(**values)


def to_client(props: Properties) -> spec.BasicProperties:
    values = {f: getattr(props, f) for f in FIELDS}
    if values["headers"] is not None:
        values["headers"] = decode_headers(values["headers"])
    return spec.BasicProperties(**values)


def deliver(d: Delivery) -> tuple[Any, spec.BasicProperties, bytes]:
    method = spec.Basic.Deliver(consumer_tag=d.consumer_tag, delivery_tag=d.delivery_tag,
                                redelivered=d.redelivered, exchange=d.exchange, routing_key=d.routing_key)
    return method, to_client(d.properties), bytes(d.body)


def get_ok(d: Delivery) -> tuple[Any, spec.BasicProperties, bytes]:
    method = spec.Basic.GetOk(delivery_tag=d.delivery_tag, redelivered=d.redelivered, exchange=d.exchange,
                              routing_key=d.routing_key, message_count=d.message_count)
    return method, to_client(d.properties), bytes(d.body)


def returned(r: Returned) -> tuple[Any, spec.BasicProperties, bytes]:
    method = spec.Basic.Return(reply_code=r.reply_code, reply_text=r.reply_text, exchange=r.exchange,
                               routing_key=r.routing_key)
    return method, to_client(r.properties), bytes(r.body)


_SUFFIX = re.compile(r"(?<=[a-z])(Ok|Empty|Async)$")


def method_name(method: Any) -> str:
    """AMQP spelling of a pika method: ``Queue.DeclareOk`` -> ``Queue.Declare-Ok``."""
    return _SUFFIX.sub(r"-\1", method.NAME)


def delivery_fields(d: Delivery) -> dict[str, Any]:
    """The ``Frame`` fields of a Basic.Deliver / Basic.Get-Ok (the broker's ``Delivered``
    event has the message and copy ids)."""
    return {"consumer": d.consumer_tag, "delivery_tag": d.delivery_tag, "exchange": d.exchange,
            "routing_key": d.routing_key, "queue": d.queue}
