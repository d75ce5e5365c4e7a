"""RabbitMQ's "inequivalent arg" errors, worded as ``rabbit_misc:equivalence_fail``."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from .errors import ChannelError


def amqp_type(v: Any) -> str:
    """The AMQP field type pika encodes a Python value as (RabbitMQ's names).

    ``bytes`` go out as 'x', which RabbitMQ calls ``binary`` (and never takes
    for a string: conformance case ``bytes_are_binary_not_strings``).
    """
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "long" if type(v).__name__ == "long" or not -(2**31) <= v < 2**31 else "signedint"
    if isinstance(v, float):
        return "double"
    if isinstance(v, str):
        return "longstr"
    if isinstance(v, bytes):
        return "binary"
    if isinstance(v, decimal.Decimal):
        return "decimal"
    if isinstance(v, datetime.datetime):
        return "timestamp"
    if isinstance(v, dict):
        return "table"
    if isinstance(v, list | tuple):
        return "array"
    return "void"


def _plain(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, bytes):
        v = v.decode()
    return str(v)


def _val(v: Any, typed: bool) -> str:
    if v is None or type(v).__name__ == "object":  # absent
        return "none"
    if typed:
        return f"the value '{_plain(v)}' of type '{amqp_type(v)}'"
    return f"'{_plain(v)}'"


def equivalence_error(key: str, resource: str, received: Any, current: Any, plain: bool = False) -> ChannelError:
    """406 for a redeclare that differs in ``key``: a property (``plain``) or an argument."""
    missing = [x is None or type(x).__name__ == "object" for x in (received, current)]
    typed = not plain and any(missing)
    return ChannelError(
        406,
        f"inequivalent arg '{key}' for {resource}: received {_val(received, typed)} "
        f"but current is {_val(current, typed)}",
        field=(key,) if plain else ("arguments", key),
    )
