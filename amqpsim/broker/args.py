"""Queue arguments: the effective settings of a queue (its validation is in :mod:`.rules`).

Effective settings merge the queue's ``x-`` arguments with the policy that applies
to it: numeric limits take the minimum of both, the dead-letter target and the
overflow mode take the argument over the policy (``web: queues.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .rules import QUEUE_TYPES, queue_type_name

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
    return s


def equivalence_args(arguments: dict[str, Any], qtype: str) -> dict[str, Any]:
    """The arguments a redeclare must repeat: those the existing queue's type accepts
    (``x-queue-type`` is compared on its own). Others, such as ``x-delivery-limit`` sent
    to a classic queue, are ignored on redeclare, as RabbitMQ 3.10.8 does."""
    known = QUEUE_TYPES[qtype].arguments if qtype in QUEUE_TYPES else frozenset()
    return {k: v for k, v in arguments.items() if k in known and k != "x-queue-type"}
