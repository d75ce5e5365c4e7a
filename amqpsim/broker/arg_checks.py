"""Value checks of queue arguments, answering as RabbitMQ 3.10.8's ``rabbit_amqqueue`` does.

A check takes the value and all the declare's arguments and returns ``None`` when
RabbitMQ accepts the value, else the Erlang term RabbitMQ prints after ``invalid
arg 'K' for queue 'q' in vhost '/': `` -- ``{value_negative,-1}``, ``"expected
integer, got longstr"`` (quoted: a string term), ``invalid_overflow`` -- or
:data:`CRASH` where the value crashes RabbitMQ's own check (541 INTERNAL_ERROR).
Which argument gets which check, and in which order, is the table in :mod:`.rules`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from typing import Any

from .validate import amqp_type

MAX_TTL = 315_360_000_000  # ten years in ms: RabbitMQ's rabbit_misc:check_expiry/1


class Crash:
    """A check verdict: the value crashes RabbitMQ's code (541 INTERNAL_ERROR)."""

    def __repr__(self) -> str:
        return "CRASH"


CRASH = Crash()
Verdict = str | Crash | None  # None: accepted; str: the Erlang term of the 406 detail
Check = Callable[[Any, Mapping[str, Any]], Verdict]


def text(v: Any) -> Any:
    return v.decode() if isinstance(v, bytes) else v


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _integer(v: Any) -> Verdict:
    return None if _is_int(v) else f'"expected integer, got {amqp_type(v)}"'


def integer(v: Any, _args: Mapping[str, Any] | None = None) -> Verdict:
    """Any integer, of any size."""
    return _integer(v)


def non_negative(v: Any, _args: Mapping[str, Any] | None = None) -> Verdict:
    return _integer(v) or (f"{{value_negative,{v}}}" if v < 0 else None)


def positive(v: Any, args: Mapping[str, Any]) -> Verdict:
    return non_negative(v) or ("{value_zero,0}" if v == 0 else None)


def _expiry(v: int) -> Verdict:
    if v < 0:
        return f"{{value_negative,{v}}}"
    return f"{{value_too_large,{v}}}" if v > MAX_TTL else None


def message_ttl(v: Any, _args: Mapping[str, Any]) -> Verdict:
    return _integer(v) or _expiry(v)


def expires(v: Any, _args: Mapping[str, Any]) -> Verdict:
    return _integer(v) or ("{value_zero,0}" if v == 0 else _expiry(v))


def max_priority(v: Any, _args: Mapping[str, Any]) -> Verdict:
    return non_negative(v) or (f"{{max_value_exceeded,{v}}}" if v > 255 else None)


def string(v: Any, _args: Mapping[str, Any]) -> Verdict:
    """A longstr: ``bytes`` (pika's 'x', RabbitMQ's ``binary``) are refused."""
    return None if isinstance(v, str) else f"{{unacceptable_type,{amqp_type(v)}}}"


def dlx_routing_key(v: Any, args: Mapping[str, Any]) -> Verdict:
    if "x-dead-letter-exchange" in args:
        return string(v, args)
    return string(v, args) or "routing_key_but_no_dlx_defined"


def boolean(v: Any, _args: Mapping[str, Any]) -> Verdict:
    return None if isinstance(v, bool) else f"{{unacceptable_type,{amqp_type(v)}}}"


def queue_version(v: Any, _args: Mapping[str, Any]) -> Verdict:
    return _integer(v) or (None if v in (1, 2) else f"\"unsupported queue version '{v}'\"")


_MAX_AGE = re.compile(r"([0-9]*)(.*)", re.DOTALL)


def max_age(v: Any, args: Mapping[str, Any]) -> Verdict:
    """``<positive integer><unit>``, unit one of Y M D h m s; no digits at all crashes 3.10.8."""
    if (bad := string(v, args)) is not None:
        return bad
    digits, unit = _MAX_AGE.fullmatch(text(v)).groups()  # type: ignore[union-attr]
    if not digits:
        return CRASH
    return None if int(digits) > 0 and unit in ("Y", "M", "D", "h", "m", "s") else "invalid_max_age"


def stream_offset(v: Any, _args: Mapping[str, Any]) -> Verdict:
    """``x-stream-offset``: first | last | next, an integer (negative: first), a timestamp, or an
    interval ``<positive integer><unit>`` (Y M D h m s). Like ``x-max-age``, a string without
    leading digits (``bogus``, ``""``, ``-5m``) or a boolean crashes 3.10.8 (541); digits with a
    bad unit or zero are a 406 (conformance case ``stream_offset_values``)."""
    if isinstance(v, bool):
        return CRASH
    if isinstance(v, int) or isinstance(v, datetime.datetime):
        return None
    if not isinstance(v, str | bytes):
        return CRASH
    s = text(v)
    if s in ("first", "last", "next"):
        return None
    digits, unit = _MAX_AGE.fullmatch(s).groups()  # type: ignore[union-attr]
    if not digits:
        return CRASH
    if int(digits) > 0 and unit in ("Y", "M", "D", "h", "m", "s"):
        return None
    return f'{{invalid_stream_offset_arg,{{{amqp_type(v)},<<"{s}">>}}}}'


def one_of(values: tuple[str, ...], error: Callable[[str], str]) -> Check:
    def check(v: Any, args: Mapping[str, Any]) -> Verdict:
        if (bad := string(v, args)) is not None:
            return bad
        return None if text(v) in values else error(text(v))
    return check
