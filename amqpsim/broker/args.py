"""Queue arguments: the effective settings of a queue, and the equivalence check of a
redeclare (their validation is in :mod:`.rules`).

Effective settings merge the queue's ``x-`` arguments with the policy that applies
to it: numeric limits take the minimum of both, the dead-letter target and the
overflow mode take the argument over the policy (``web: queues.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import q_res
from .rules import QUEUE_TYPES, queue_type_name
from .stream import duration
from .validate import equivalence_error

if TYPE_CHECKING:
    from .queue import Queue

#: the queue type ``x-queue-type`` asks for (``classic`` when absent)
queue_type = queue_type_name


def _s(v: Any) -> Any:
    return v.decode() if isinstance(v, bytes) else v


@dataclass(slots=True)
class QueueSettings:
    qtype: str = "classic"
    message_ttl: float | None = None  # seconds
    expires: float | None = None  # seconds
    max_length: int | None = None
    max_length_bytes: int | None = None
    overflow: str = "drop-head"
    dlx: str | None = None
    dlrk: str | None = None
    max_priority: int | None = None
    single_active: bool = False
    delivery_limit: int | None = None
    #: quorum, reject-publish and a DLX: x-dead-letter-strategy at-least-once holds what it cannot route
    at_least_once: bool = False
    #: stream retention: ``x-max-age`` (seconds) and the segment size (``max_length_bytes`` too)
    max_age: float | None = None
    segment_bytes: int | None = None


def _int_or_none(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _min(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def effective_settings(arguments: dict[str, Any], policy: dict[str, Any] | None) -> QueueSettings:
    a = {k: _s(v) for k, v in arguments.items()}
    p = {k: _s(v) for k, v in (policy or {}).items()}
    s = QueueSettings(qtype=queue_type(a))
    ttl = _min(a.get("x-message-ttl"), p.get("message-ttl"))
    s.message_ttl = None if ttl is None else ttl / 1000.0
    exp = _min(a.get("x-expires"), p.get("expires"))
    s.expires = None if exp is None else exp / 1000.0
    s.max_length = _min(a.get("x-max-length"), p.get("max-length"))
    s.max_length_bytes = _min(a.get("x-max-length-bytes"), p.get("max-length-bytes"))
    s.overflow = a.get("x-overflow", p.get("overflow", "drop-head"))
    if s.qtype == "quorum" and s.overflow == "reject-publish-dlx":
        s.overflow = "drop-head"  # ignored by quorum queues
    # each of the two is taken from the argument if present, else from the policy
    s.dlx = a.get("x-dead-letter-exchange", p.get("dead-letter-exchange"))
    if s.dlx is not None:
        s.dlrk = a.get("x-dead-letter-routing-key", p.get("dead-letter-routing-key"))
    if "x-max-priority" in a and s.qtype == "classic":
        s.max_priority = max(1, min(255, a["x-max-priority"]))
    s.single_active = bool(a.get("x-single-active-consumer", False))
    if s.qtype == "quorum":  # 3.10.8 accepts a non-integer x-delivery-limit (and ignores it)
        s.delivery_limit = _min(_int_or_none(a.get("x-delivery-limit")), _int_or_none(p.get("delivery-limit")))
        # 3.10.8 falls back to at-most-once without reject-publish or without a dead-letter exchange
        # (conformance case quorum_dead_letter_strategy)
        strategy = a.get("x-dead-letter-strategy", p.get("dead-letter-strategy", "at-most-once"))
        s.at_least_once = strategy == "at-least-once" and s.overflow == "reject-publish" and s.dlx is not None
    if s.qtype == "stream":
        age = duration(a.get("x-max-age", p.get("max-age")))
        s.max_age = age
        s.segment_bytes = a.get("x-stream-max-segment-size-bytes", p.get("stream-max-segment-size-bytes"))
    return s


def equivalence_args(arguments: dict[str, Any], qtype: str) -> dict[str, Any]:
    """The arguments a redeclare must repeat: those the existing queue's type accepts
    (``x-queue-type`` is compared on its own). Others, such as ``x-delivery-limit`` sent
    to a classic queue, are ignored on redeclare, as RabbitMQ 3.10.8 does."""
    known = QUEUE_TYPES[qtype].arguments if qtype in QUEUE_TYPES else frozenset()
    return {k: v for k, v in arguments.items() if k in known and k != "x-queue-type"}


# ---------------------------------------------------------------- redeclaring
_MISSING: Any = object()


def check_equivalent(q: Queue, durable: bool, auto_delete: bool, arguments: dict[str, Any]) -> None:
    """queue.declare of an existing queue: the same properties and arguments, or a 406."""
    for key, cur, req in (("durable", q.durable, durable), ("auto_delete", q.auto_delete, auto_delete)):
        if cur != req:
            raise equivalence_error(key, q_res(q.name), req, cur, plain=True)
    qtype = queue_type(q.arguments)
    # the type first, then the other arguments (conformance case stream_declare_rules)
    if qtype != queue_type(arguments):
        raise equivalence_error("x-queue-type", q_res(q.name), arguments.get("x-queue-type", _MISSING),
                                q.arguments.get("x-queue-type", _MISSING))
    cur_args, req_args = equivalence_args(q.arguments, qtype), equivalence_args(arguments, qtype)
    for key in sorted(set(cur_args) | set(req_args)):
        if not _same_arg(cur_args.get(key, _MISSING), req_args.get(key, _MISSING)):
            raise equivalence_error(key, q_res(q.name), req_args.get(key, _MISSING),
                                    cur_args.get(key, _MISSING))


def _same_arg(a: Any, b: Any) -> bool:
    if a is _MISSING or b is _MISSING:
        return a is b
    if isinstance(a, bytes):
        a = a.decode()
    if isinstance(b, bytes):
        b = b.decode()
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return type(a) is type(b) and a == b
