"""Headers exchange: bindings' arguments are patterns over the message headers.

``x-match`` is ``all`` (default), ``any``, ``all-with-x`` or ``any-with-x`` (all four
exist in 3.10.8); in ``all``/``any`` arguments starting with ``x-`` are not tested. A
``None`` (AMQP void) argument tests presence; otherwise the header must be present
with an equal value. ``all`` with nothing to test matches every message, ``any``
with nothing to test matches none.

Value equality: RabbitMQ up to 3.12 compares the decoded values with Erlang ``==``
(:func:`erlang_term` builds them), which a learner would not guess in places
(conformance case ``headers_exchange_value_types``):

- integers of any width are equal (``1 == 1.0`` for a double), but a boolean never
  equals an integer and a string never equals a number;
- a string equals the same bytes (longstr and binary are both Erlang binaries);
- a timestamp *is* its integer seconds: ``datetime(1970, 1, 1, 0, 0, 5)`` matches ``5``;
- a decimal is a ``{Scale, Value}`` pair: ``Decimal("1")`` never matches ``1``, and
  ``Decimal("1.0")`` matches ``Decimal("1")`` (pika normalizes both to the same pair);
- inside arrays and tables every item keeps its field type and a table its key
  order: ``["a"]`` is not ``[b"a"]``, ``{"a": 1, "b": 2}`` is not ``{"b": 2, "a": 1}``;
  and an empty array equals an empty table (both ``[]``).

4.x compares exactly (``=:=``: ``1`` is not ``1.0``); the exchange's ``strict``
flag selects that rule (modelled by type classes, not checked against a 4.x broker).
"""

from __future__ import annotations

import calendar
import datetime
import decimal
from typing import Any

from ..validate import amqp_type
from .base import ExchangeType

X_MATCH_MODES = ("all", "any", "all-with-x", "any-with-x")


def _erlang(v: Any) -> str:
    """A value as RabbitMQ prints it (``~p``): ``<<"any">>``, ``false``, ``1``."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, bytes):
        return f'<<"{v.decode(errors="replace")}">>'
    return "undefined" if v is None else str(v)


def validate_x_match(arguments: dict[str, Any]) -> str | None:
    """An error text when the binding's x-match is invalid (RabbitMQ: 406).

    Only a longstr will do: ``b"any"`` (pika's binary) is refused (conformance case
    ``bytes_are_binary_not_strings``).
    """
    if "x-match" not in arguments:
        return None
    mode = arguments["x-match"]
    if not isinstance(mode, str):
        return f"Invalid x-match field type {amqp_type(mode)} (value {_erlang(mode)}); expected longstr"
    if mode not in X_MATCH_MODES:
        return f"Invalid x-match field value <<\"{mode}\">>; expected all, any, all-with-x, or any-with-x"
    return None


def type_class(v: Any) -> str:
    if v is None:
        return "void"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str | bytes):
        return "longstr"
    if isinstance(v, decimal.Decimal):
        return "decimal"
    if isinstance(v, datetime.datetime):
        return "timestamp"
    if isinstance(v, dict):
        return "table"
    if isinstance(v, list | tuple):
        return "array"
    return type(v).__name__


def _norm(v: Any) -> Any:
    return v.decode() if isinstance(v, bytes) else v



def _decimal(v: decimal.Decimal) -> tuple[int, int]:
    """``(scale, value)`` as pika encodes a Decimal (normalized first)."""
    v = v.normalize()
    exponent = v.as_tuple().exponent
    if isinstance(exponent, int) and exponent < 0:
        return -exponent, int(v * 10 ** -exponent)
    return 0, int(v)


_ATOM, _LIST = "atom", "list"


def erlang_term(v: Any) -> Any:
    """The Erlang term RabbitMQ 3.10 decodes a header value to, as a comparable Python value.

    Numbers stay numbers (Python's ``==`` across int and float is Erlang's); strings
    and bytes become bytes; booleans and void are atoms; a timestamp its seconds; a
    decimal a tagged ``(scale, value)``; arrays and tables lists of typed items.
    """
    if isinstance(v, bool) or v is None:
        return (_ATOM, "undefined" if v is None else str(v).lower())
    if isinstance(v, int | float):
        return v
    if isinstance(v, str):
        return v.encode()
    if isinstance(v, bytes):
        return bytes(v)
    if isinstance(v, decimal.Decimal):
        return ("decimal", *_decimal(v))
    if isinstance(v, datetime.datetime):
        return calendar.timegm(v.utctimetuple())
    if isinstance(v, dict):
        return (_LIST, tuple((str(k), amqp_type(x), erlang_term(x)) for k, x in v.items()))
    if isinstance(v, list | tuple):
        return (_LIST, tuple((amqp_type(x), erlang_term(x)) for x in v))
    return (type(v).__name__, repr(v))


def equal(pattern: Any, value: Any, strict: bool) -> bool:
    """Header value equality: Erlang ``=:=`` when ``strict`` (4.x), else ``==`` (3.x)."""
    if strict:
        tp, tv = type_class(pattern), type_class(value)
        return tp == tv and bool(_norm(pattern) == _norm(value))
    if type(pattern) is type(value) and type(value) in (str, int):  # the common case
        return bool(pattern == value)
    return bool(erlang_term(pattern) == erlang_term(value))


def matches(args: dict[str, Any], headers: dict[str, Any] | None, strict: bool = False) -> bool:
    mode = _norm(args.get("x-match", "all"))
    test_x = mode.endswith("-with-x")
    want_all = mode.startswith("all")
    headers = headers or {}
    for key, pattern in args.items():
        if key == "x-match" or (not test_x and key.startswith("x-")):
            continue
        if key in headers and (pattern is None or equal(pattern, headers[key], strict)):
            if not want_all:
                return True
        elif want_all:
            return False
    return want_all


class HeadersExchange(ExchangeType):
    name = "headers"
    strict = False  # 4.x exact value comparison (set by the topology)

    def route(self, routing_keys: tuple[str, ...], headers: dict | None) -> list[tuple[str, str]]:
        strict = self.strict
        return list(dict.fromkeys(b.dest for b in self.bindings if matches(b.arguments, headers, strict)))
