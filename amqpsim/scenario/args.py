"""Misspelt optional arguments: the one argument check that is the scenario's own.

RabbitMQ accepts a queue or exchange argument it does not know and ignores it, so
a misspelt ``x-max-lenght`` is declared without complaint and has no effect. A
scenario treats an unknown ``x-`` argument, and any key close to a known one, as
an error with a suggestion. Other custom arguments are allowed, as in
RabbitMQ.

Every *value* and queue-type rule is RabbitMQ's own: it lives in the broker's
table (:mod:`amqpsim.broker.rules`, :mod:`amqpsim.broker.policy_rules`) and is
applied to a scenario by :mod:`.broker_check`; the known argument names below
come from that table too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from amqpsim.broker.rules import KNOWN_ARGUMENTS

from .errors import Issue, did_you_mean

__all__ = ["EXCHANGE_ARGUMENTS", "PREDECLARED_EXCHANGES", "misspelt_exchange_arguments", "misspelt_queue_arguments"]

PREDECLARED_EXCHANGES: dict[str, str] = {
    "": "direct", "amq.direct": "direct", "amq.fanout": "fanout", "amq.topic": "topic",
    "amq.headers": "headers", "amq.match": "headers",
}
"""Exchanges every vhost has without declaring them (name -> type)."""

#: the exchange arguments RabbitMQ acts on
EXCHANGE_ARGUMENTS = ("alternate-exchange",)


def _unknown(parts: tuple[Any, ...], key: Any, known: list[str], what: str) -> Issue | None:
    """An issue for an unknown key: always for an ``x-`` key (the prefix of RabbitMQ's
    own arguments), else only when it is close to a known one (a likely typo)."""
    if not isinstance(key, str):
        return Issue((*parts, key), f"{what} names must be strings", key)
    hint = did_you_mean(key, known)
    if key.startswith("x-") or hint is not None:
        return Issue((*parts, key), f"unknown {what} {key!r}", key, hint)
    return None


def misspelt_queue_arguments(parts: tuple[Any, ...], args: Mapping[Any, Any]) -> list[Issue]:
    """Unknown ``x-`` keys and near misses among a queue's ``arguments`` (at ``parts``)."""
    known = sorted(KNOWN_ARGUMENTS)
    return [i for key in args if key not in KNOWN_ARGUMENTS
            if (i := _unknown(parts, key, known, "queue argument")) is not None]


def misspelt_exchange_arguments(parts: tuple[Any, ...], args: Mapping[Any, Any]) -> list[Issue]:
    """Near misses of ``alternate-exchange`` among an exchange's ``arguments``."""
    return [i for key in args if key not in EXCHANGE_ARGUMENTS
            if (i := _unknown(parts, key, list(EXCHANGE_ARGUMENTS), "exchange argument")) is not None]
