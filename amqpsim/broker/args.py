"""Queue arguments: validation (as RabbitMQ 3.10 answers it), effective settings, and
the equivalence check of a redeclare.

Effective settings merge the queue's ``x-`` arguments with the policy that applies
to it: numeric limits take the minimum of both, the dead-letter target and the
overflow mode take the argument over the policy (``web: queues.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ChannelError, q_res
from .validate import amqp_type, equivalence_error

if TYPE_CHECKING:
    from .queue import Queue

OVERFLOW_MODES = ("drop-head", "reject-publish", "reject-publish-dlx")
QUEUE_TYPES = ("classic", "quorum")
MAX_TTL = 315_360_000_000

#: argument -> the queue types that know it
KNOWN_ARGS: dict[str, tuple[str, ...]] = {
    "x-expires": ("classic", "quorum"),
    "x-message-ttl": ("classic", "quorum"),
    "x-dead-letter-exchange": ("classic", "quorum"),
    "x-dead-letter-routing-key": ("classic", "quorum"),
    "x-max-length": ("classic", "quorum"),
    "x-max-length-bytes": ("classic", "quorum"),
    "x-overflow": ("classic", "quorum"),
    "x-max-priority": ("classic",),
    "x-queue-mode": ("classic",),
    "x-queue-type": ("classic", "quorum"),
    "x-single-active-consumer": ("classic", "quorum"),
    "x-delivery-limit": ("quorum",),
    "x-queue-master-locator": ("classic",),
    "x-queue-leader-locator": ("quorum",),
    "x-quorum-initial-group-size": ("quorum",),
    "x-dead-letter-strategy": ("quorum",),
    "x-max-in-memory-length": ("quorum",),
    "x-max-in-memory-bytes": ("quorum",),
}


def _bad(name: str, arg: str, why: str) -> ChannelError:
    return ChannelError(406, f"invalid arg '{arg}' for {q_res(name)}: {why}", "queue.declare")


def _int_arg(name: str, arg: str, v: Any, *, positive: bool = False, maximum: int | None = None) -> None:
    """RabbitMQ 3.10.8's wording: a wrong type, a negative, a zero or too large a value."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise _bad(name, arg, f'"expected integer, got {amqp_type(v)}"')
    if v < 0:
        raise _bad(name, arg, f"{{value_negative,{v}}}")
    if positive and v == 0:
        raise _bad(name, arg, "{value_zero,0}")
    if maximum is not None and v > maximum:
        raise _bad(name, arg, f"{{value_too_large,{v}}}")


def queue_type(arguments: dict[str, Any]) -> str:
    t = arguments.get("x-queue-type", "classic")
    return t.decode() if isinstance(t, bytes) else t


#: the order RabbitMQ checks the arguments in (the first failure is reported)
CHECK_ORDER = ("x-expires", "x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key",
               "x-max-length", "x-max-length-bytes", "x-max-priority", "x-overflow", "x-queue-mode",
               "x-single-active-consumer", "x-delivery-limit")


def validate_queue_args(name: str, arguments: dict[str, Any]) -> None:
    """Raise the 406 RabbitMQ 3.10.8 answers for invalid declare arguments (verified wording)."""
    qt = arguments.get("x-queue-type", "classic")
    if not isinstance(qt, str | bytes):
        raise _bad(name, "x-queue-type", f"{{unacceptable_type,{amqp_type(qt)}}}")
    qtype = queue_type(arguments)
    if qtype not in QUEUE_TYPES:
        raise _bad(name, "x-queue-type", f"\"unsupported queue type '{qtype}'\"")
    for arg in arguments:
        if arg in KNOWN_ARGS and qtype not in KNOWN_ARGS[arg]:
            raise ChannelError(
                406, f"invalid arg '{arg}' for {q_res(name)} of queue type rabbit_{qtype}_queue", "queue.declare"
            )
    for arg in CHECK_ORDER:
        if arg not in arguments:
            continue
        v = arguments[arg]
        if arg == "x-expires":
            _int_arg(name, arg, v, positive=True, maximum=MAX_TTL)
        elif arg == "x-message-ttl":
            _int_arg(name, arg, v, maximum=MAX_TTL)
        elif arg in ("x-max-length", "x-max-length-bytes"):
            _int_arg(name, arg, v)
        elif arg == "x-max-priority":
            _int_arg(name, arg, v)
            if v > 255:
                raise _bad(name, arg, f"{{max_value_exceeded,{v}}}")
        elif arg == "x-dead-letter-exchange" and not isinstance(v, str | bytes):
            raise ChannelError(406, f"invalid type '{amqp_type(v)}' for arg '{arg}' in {q_res(name)}",
                               "queue.declare")
        elif not isinstance(v, str | bytes) and arg in ("x-dead-letter-routing-key", "x-overflow", "x-queue-mode"):
            raise _bad(name, arg, f"{{unacceptable_type,{amqp_type(v)}}}")
        elif arg == "x-overflow" and _s(v) not in OVERFLOW_MODES:
            raise _bad(name, arg, "invalid_overflow")
        elif arg == "x-queue-mode" and _s(v) not in ("default", "lazy"):
            raise _bad(name, arg, f"\"unsupported queue mode '{_s(v)}'\"")
        elif arg == "x-single-active-consumer" and not isinstance(v, bool):
            raise _bad(name, arg, f"{{unacceptable_type,{amqp_type(v)}}}")
    if "x-dead-letter-routing-key" in arguments and "x-dead-letter-exchange" not in arguments:
        raise _bad(name, "x-dead-letter-routing-key", "routing_key_but_no_dlx_defined")


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


#: arguments compared on redeclare (everything the queue type knows)
def equivalence_args(arguments: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in arguments.items() if k in KNOWN_ARGS and k != "x-queue-type"}


# ---------------------------------------------------------------- redeclaring
_MISSING: Any = object()


def check_equivalent(q: Queue, durable: bool, auto_delete: bool, arguments: dict[str, Any]) -> None:
    """queue.declare of an existing queue: the same properties and arguments, or a 406."""
    for key, cur, req in (("durable", q.durable, durable), ("auto_delete", q.auto_delete, auto_delete)):
        if cur != req:
            raise equivalence_error(key, q_res(q.name), req, cur, plain=True)
    cur_args, req_args = equivalence_args(q.arguments), equivalence_args(arguments)
    for key in sorted(set(cur_args) | set(req_args)):
        if not _same_arg(cur_args.get(key, _MISSING), req_args.get(key, _MISSING)):
            raise equivalence_error(key, q_res(q.name), req_args.get(key, _MISSING),
                                    cur_args.get(key, _MISSING))
    if queue_type(q.arguments) != queue_type(arguments):
        raise equivalence_error("x-queue-type", q_res(q.name), arguments.get("x-queue-type", _MISSING),
                                q.arguments.get("x-queue-type", _MISSING))


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
