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
from typing import Any

from ..broker.message import Delivery, Properties, Returned
from . import exceptions, spec
from .delivery_mode import DeliveryMode

FIELDS = ("content_type", "content_encoding", "headers", "delivery_mode", "priority", "correlation_id",
          "reply_to", "expiration", "message_id", "timestamp", "type", "user_id", "app_id", "cluster_id")


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def encode(value: Any) -> Any:
    """A field-table value as pika would send it (a copy), or pika's ``UnsupportedAMQPFieldException``.

    pika encodes str, bytes, bool, int, Decimal, datetime, dict, list and None;
    anything else (float, tuple, set, ...) fails in ``basic_publish`` / declare.
    """
    if value is None or isinstance(value, str | bytes | bool | int):
        return value
    if isinstance(value, decimal.Decimal):
        return value.normalize()
    if isinstance(value, datetime.datetime):
        return _timestamp(value)
    if isinstance(value, dict):
        return {_key(k): encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode(v) for v in value]
    raise exceptions.UnsupportedAMQPFieldException([], value)


def _key(key: Any) -> str:
    if isinstance(key, bytes):
        return key.decode()
    if not isinstance(key, str):
        raise exceptions.UnsupportedAMQPFieldException([], key)
    return key


def _timestamp(value: datetime.datetime) -> datetime.datetime:
    """An AMQP timestamp: whole seconds; pika 1.4 decodes it as an aware UTC datetime
    (a naive datetime is taken as UTC, like the broker's x-death ``time``)."""
    return _EPOCH + datetime.timedelta(seconds=calendar.timegm(value.utctimetuple()))


def decode(value: Any) -> Any:
    """A deep copy of a field-table value coming from the broker."""
    if isinstance(value, dict):
        return {str(k): decode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [decode(v) for v in value]
    if isinstance(value, datetime.datetime):
        return _timestamp(value)
    return value


def to_broker(props: Any) -> Properties | None:
    """Client properties (ours, real pika's, anything with the fields) -> broker Properties."""
    if props is None:
        return None
    values = {f: getattr(props, f, None) for f in FIELDS}
    if isinstance(values["delivery_mode"], DeliveryMode):
        values["delivery_mode"] = values["delivery_mode"].value
    if values["headers"] is not None:
        values["headers"] = encode(values["headers"])
    return Properties(**values)


def to_client(props: Properties) -> spec.BasicProperties:
    values = {f: getattr(props, f) for f in FIELDS}
    if values["headers"] is not None:
        values["headers"] = decode(values["headers"])
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
