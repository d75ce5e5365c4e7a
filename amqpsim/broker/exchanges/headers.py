"""Headers exchange: bindings' arguments are patterns over the message headers.

``x-match`` is ``all`` (default), ``any``, ``all-with-x`` or ``any-with-x`` (all four
exist in 3.10.8); in ``all``/``any`` arguments starting with ``x-`` are not tested. A
``None`` (AMQP void) argument tests presence; otherwise the header must be present
with an equal value. ``all`` with nothing to test matches every message, ``any``
with nothing to test matches none.

Value equality: RabbitMQ up to 3.12 compares with Erlang ``==`` (integers of any
width equal, ``1 == 1.0``, but a string never equals a number and a boolean never
equals an integer); 4.x compares exactly (``=:=``: ``1`` is not ``1.0``). The
exchange's ``strict`` flag selects the 4.x rule.
"""

from __future__ import annotations

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


_NUMBERS = ("int", "float", "decimal")


def equal(pattern: Any, value: Any, strict: bool) -> bool:
    """Header value equality: Erlang ``=:=`` when ``strict`` (4.x), else ``==`` (3.x)."""
    tp, tv = type_class(pattern), type_class(value)
    if tp != tv and (strict or tp not in _NUMBERS or tv not in _NUMBERS):
        return False
    return bool(_norm(pattern) == _norm(value))


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
