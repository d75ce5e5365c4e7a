"""Optional arguments: queue ``x-`` arguments, exchange arguments, policy keys.

Each known key has a value check and the queue types it applies to, following
RabbitMQ (an argument of another queue type is refused with 406 there). An
unknown ``x-`` key, or any key that looks like a misspelt known one, is an error
with a "did you mean"; other custom arguments are allowed, as in RabbitMQ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import Issue, did_you_mean

__all__ = [
    "EXCHANGE_ARGS", "POLICY_KEYS", "PREDECLARED_EXCHANGES", "QUEUE_ARGS", "check_binding_arguments",
    "check_exchange_arguments", "check_policy_definition", "check_queue_arguments",
]

PREDECLARED_EXCHANGES: dict[str, str] = {
    "": "direct", "amq.direct": "direct", "amq.fanout": "fanout", "amq.topic": "topic",
    "amq.headers": "headers", "amq.match": "headers",
}
"""Exchanges every vhost has without declaring them (name -> type)."""

Check = Callable[[Any], str | None]
BOTH = frozenset({"classic", "quorum"})
CLASSIC = frozenset({"classic"})
QUORUM = frozenset({"quorum"})


def _int(lo: int | None = None, hi: int | None = None) -> Check:
    def check(v: Any) -> str | None:
        if not isinstance(v, int) or isinstance(v, bool):
            return "must be an integer"
        if lo is not None and v < lo:
            return f"must be >= {lo}"
        if hi is not None and v > hi:
            return f"must be <= {hi}"
        return None
    return check


def _enum(*values: str) -> Check:
    def check(v: Any) -> str | None:
        return None if v in values else "must be one of " + ", ".join(map(repr, values))
    return check


def _str(v: Any) -> str | None:
    return None if isinstance(v, str) else "must be a string"


def _bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be a boolean"


def _any(v: Any) -> str | None:
    return None


@dataclass(frozen=True)
class ArgSpec:
    check: Check
    types: frozenset[str] = BOTH


OVERFLOW = ("drop-head", "reject-publish", "reject-publish-dlx")

QUEUE_ARGS: dict[str, ArgSpec] = {
    "x-message-ttl": ArgSpec(_int(0)),
    "x-expires": ArgSpec(_int(1)),
    "x-max-length": ArgSpec(_int(0)),
    "x-max-length-bytes": ArgSpec(_int(0)),
    "x-overflow": ArgSpec(_enum(*OVERFLOW)),
    "x-dead-letter-exchange": ArgSpec(_str),
    "x-dead-letter-routing-key": ArgSpec(_str),
    "x-max-priority": ArgSpec(_int(0, 255), CLASSIC),
    "x-queue-type": ArgSpec(_enum("classic", "quorum")),
    "x-single-active-consumer": ArgSpec(_bool),
    "x-delivery-limit": ArgSpec(_int(-1), QUORUM),
    "x-dead-letter-strategy": ArgSpec(_enum("at-most-once", "at-least-once"), QUORUM),
    "x-quorum-initial-group-size": ArgSpec(_int(1), QUORUM),
    "x-queue-mode": ArgSpec(_enum("default", "lazy"), CLASSIC),
    "x-queue-version": ArgSpec(_int(1, 2), CLASSIC),
    "x-queue-master-locator": ArgSpec(_str),
    "x-queue-leader-locator": ArgSpec(_str),
    "x-consumer-timeout": ArgSpec(_int(1)),
}
STREAM_ARGS = frozenset({"x-max-age", "x-stream-max-segment-size-bytes",
                         "x-initial-cluster-size", "x-stream-filter-size-bytes"})

EXCHANGE_ARGS: dict[str, Check] = {"alternate-exchange": _str}

POLICY_KEYS: dict[str, Check] = {
    "message-ttl": _int(0),
    "expires": _int(1),
    "max-length": _int(0),
    "max-length-bytes": _int(0),
    "overflow": _enum(*OVERFLOW),
    "dead-letter-exchange": _str,
    "dead-letter-routing-key": _str,
    "alternate-exchange": _str,
    "delivery-limit": _int(-1),
    "dead-letter-strategy": _enum("at-most-once", "at-least-once"),
    "consumer-timeout": _int(1),
    "queue-mode": _enum("default", "lazy"),
    "queue-version": _int(1, 2),
    "queue-leader-locator": _str,
    "queue-master-locator": _str,
    # accepted so real exports load; they have no effect in the simulator
    **{k: _any for k in ("ha-mode", "ha-params", "ha-sync-mode", "ha-sync-batch-size",
                         "ha-promote-on-shutdown", "ha-promote-on-failure",
                         "federation-upstream", "federation-upstream-set", "max-age")},
}

X_MATCH = ("all", "any", "all-with-x", "any-with-x")


def _unknown(parts: tuple[Any, ...], key: Any, known: Mapping[str, Any], what: str,
             strict: bool) -> Issue | None:
    """An issue for an unknown key: always for ``strict``/``x-`` keys, else only
    when it is close to a known one (a likely typo)."""
    hint = did_you_mean(key, known)
    if not isinstance(key, str):
        return Issue((*parts, key), f"{what} names must be strings", key)
    if strict or key.startswith("x-") or hint is not None:
        return Issue((*parts, key), f"unknown {what} {key!r}", key, hint)
    return None


def check_queue_arguments(parts: tuple[Any, ...], args: Mapping[Any, Any],
                          queue_type: str) -> list[Issue]:
    """Issues with a queue's ``arguments`` (``parts`` is the path to that mapping)."""
    issues: list[Issue] = []
    for key, value in args.items():
        spec = QUEUE_ARGS.get(key)
        if spec is None:
            if key in STREAM_ARGS:
                issues.append(Issue((*parts, key), f"{key} is a stream argument; stream "
                                    "queues are not supported by amqpsim", value))
            elif (issue := _unknown(parts, key, QUEUE_ARGS, "queue argument", False)):
                issues.append(issue)
            continue
        if key == "x-queue-type":
            continue  # checked with the queue's `type`
        if (msg := spec.check(value)) is not None:
            issues.append(Issue((*parts, key), f"{key} {msg}, got {value!r}", value))
        elif queue_type not in spec.types:
            issues.append(Issue((*parts, key), f"{key} is not valid for a {queue_type} "
                                "queue (RabbitMQ refuses it with 406)", value))
    if "x-dead-letter-routing-key" in args and "x-dead-letter-exchange" not in args:
        issues.append(Issue((*parts, "x-dead-letter-routing-key"),
                            "x-dead-letter-routing-key requires x-dead-letter-exchange",
                            args["x-dead-letter-routing-key"]))
    return issues


def check_exchange_arguments(parts: tuple[Any, ...], args: Mapping[Any, Any]) -> list[Issue]:
    issues: list[Issue] = []
    for key, value in args.items():
        check = EXCHANGE_ARGS.get(key)
        if check is None:
            if (issue := _unknown(parts, key, EXCHANGE_ARGS, "exchange argument", False)):
                issues.append(issue)
        elif (msg := check(value)) is not None:
            issues.append(Issue((*parts, key), f"{key} {msg}, got {value!r}", value))
    return issues


def check_policy_definition(parts: tuple[Any, ...], definition: Mapping[Any, Any]
                            ) -> list[Issue]:
    issues: list[Issue] = []
    for key, value in definition.items():
        check = POLICY_KEYS.get(key)
        if check is None:
            hint = did_you_mean(key.removeprefix("x-") if isinstance(key, str) else key,
                                POLICY_KEYS)
            issues.append(Issue((*parts, key), f"unknown policy key {key!r}", key, hint))
        elif (msg := check(value)) is not None:
            issues.append(Issue((*parts, key), f"{key} {msg}, got {value!r}", value))
    if "dead-letter-routing-key" in definition and "dead-letter-exchange" not in definition:
        issues.append(Issue((*parts, "dead-letter-routing-key"),
                            "dead-letter-routing-key requires dead-letter-exchange",
                            definition["dead-letter-routing-key"]))
    return issues


def check_binding_arguments(parts: tuple[Any, ...], args: Mapping[Any, Any],
                            source_type: str) -> list[Issue]:
    if source_type != "headers" or "x-match" not in args:
        return []
    value = args["x-match"]
    if value in X_MATCH:
        return []
    return [Issue((*parts, "x-match"), "x-match must be one of " + ", ".join(map(repr, X_MATCH))
                  + f", got {value!r}", value, did_you_mean(value, X_MATCH))]
