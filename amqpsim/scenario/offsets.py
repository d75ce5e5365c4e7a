"""Where a stream consumer starts reading: the ``offset`` of a consumer (``x-stream-offset``).

=================================  ===============================================
YAML                               meaning (RabbitMQ 3.10)
=================================  ===============================================
``first``                          the oldest message still in the stream
``last``                           the last chunk written (its first message)
``next``                           only what is appended from now on (the default)
``1234`` (an integer >= 0)         that offset (or the first retained after it)
``2026-01-01T00:00:30Z``           a timestamp (YAML reads it as one): the first
                                   message appended at or after it
``"30m"`` (digits and one unit)    an interval: what was appended in the last 30
                                   minutes; units ``Y`` ``M`` ``D`` ``h`` ``m`` ``s``
                                   (more than zero)
=================================  ===============================================

A run's simulated time 0 is the broker's epoch (2026-01-01T00:00:00Z), so
``2026-01-01T00:00:30Z`` is 30 simulated seconds into the run. A date alone
(``2026-01-01``) is its midnight, UTC; a timestamp without a zone is UTC. Which
strings are offsets is the broker's rule (:func:`amqpsim.broker.arg_checks.stream_offset`);
a negative offset, which RabbitMQ reads as ``first``, is refused here: write ``first``.
"""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from amqpsim.broker.arg_checks import stream_offset

from .errors import did_you_mean

__all__ = ["NAMED_OFFSETS", "StreamOffset"]

NAMED_OFFSETS = ("first", "last", "next")
_UNITS = ("Y", "M", "D", "h", "m", "s")
_EXPECTED = ("first, last, next, an offset (an integer >= 0), a timestamp "
             "(2026-01-01T00:00:30Z) or an interval such as '30m' (units Y M D h m s)")


_UNIT_WORDS = {"y": "Y", "yr": "Y", "year": "Y", "mo": "M", "mon": "M", "month": "M", "d": "D",
               "day": "D", "hr": "h", "hour": "h", "min": "m", "minute": "m", "sec": "s", "second": "s"}


def _as_interval(v: str) -> str | None:
    """``"30 min"`` -> ``"30m"``, ``"2 days"`` -> ``"2D"``: the interval it probably means."""
    m = re.match(r"^\s*(\d+)\s*([A-Za-z]+)\s*$", v)
    if m is None:
        return None
    n, unit = m.groups()
    if int(n) == 0:
        return None
    if unit in _UNITS:
        return n + unit
    unit = _UNIT_WORDS.get(unit.lower().removesuffix("s") or "s")
    return None if unit is None else n + unit


def _offset(v: Any) -> Any:
    if isinstance(v, bool):
        raise PydanticCustomError("stream_offset", f"expected {_EXPECTED}")
    if isinstance(v, int):
        if v < 0:
            raise PydanticCustomError("stream_offset", "an offset must be >= 0 (RabbitMQ reads a negative one as first: write first)")
        return v
    if isinstance(v, datetime.datetime):
        return v if v.tzinfo is not None else v.replace(tzinfo=datetime.UTC)
    if isinstance(v, datetime.date):
        return datetime.datetime(v.year, v.month, v.day, tzinfo=datetime.UTC)
    if isinstance(v, str):
        if stream_offset(v, {}) is None:
            return v
        raise PydanticCustomError("stream_offset", f"expected {_EXPECTED}",
                                  {"suggestion": did_you_mean(v, NAMED_OFFSETS) or _as_interval(v)})
    raise PydanticCustomError("stream_offset", f"expected {_EXPECTED}")


StreamOffset = Annotated[int | str | datetime.datetime, BeforeValidator(_offset)]
"""A consumer's ``offset``, checked as above (a date becomes its midnight, UTC)."""
