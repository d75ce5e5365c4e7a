"""Policy validation as RabbitMQ 3.10.8 answers ``rabbitmqctl set_policy`` (verified wording).

A policy is not set over AMQP, so a refusal has no reply code: RabbitMQ answers
``Validation failed`` followed by one line per failing part, in this order:

1. the definition: empty (``no policy provided``), else the first key whose value
   is invalid, in key order (``-1 is not a valid message TTL``; the value is printed
   as an Erlang term: ``<<"text">>``, ``true``, ``null``), else every key no
   validator knows: ``[{<<"x-message-ttl">>,1}] are not recognised policy settings``;
2. ``apply-to``: 3.10 knows ``queues``, ``exchanges`` and ``all`` only (the per-type
   values ``classic_queues``, ``quorum_queues`` and ``streams`` came with 3.12);
3. the pattern must compile as a regular expression.

Policies are validated whole, whatever their pattern matches: a key a queue type
ignores (``delivery-limit`` for a classic queue) is accepted and has no effect.
Unlike queue arguments, policy values have no upper bound (a ``message-ttl``
above ten years is accepted) and ``dead-letter-routing-key`` needs no
``dead-letter-exchange``. ``federation-upstream`` and ``federation-upstream-set``
are accepted as they are where the federation plugin is enabled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .rules import LEADER_LOCATORS, MASTER_LOCATORS, OVERFLOW_MODES

__all__ = ["POLICY_RULES", "PolicyError", "PolicyRefusal", "PolicyRule", "apply_to_values",
           "erlang_term", "policy_error", "policy_refusals"]


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One policy key: its value check and RabbitMQ's refusal (``{}``: the value)."""

    key: str
    valid: Callable[[Any], bool]
    message: str
    values: tuple[str, ...] = ()  # the valid values of an enum


@dataclass(frozen=True, slots=True)
class PolicyRefusal:
    """One reason RabbitMQ refuses a policy; ``field`` is ``("definition", key)``,
    ``("definition",)``, ``("apply-to",)`` or ``("pattern",)``."""

    text: str
    field: tuple[str, ...]


class PolicyError(ValueError):
    """A policy RabbitMQ refuses; ``str()`` is rabbitmqctl's message."""

    def __init__(self, refusals: list[PolicyRefusal]) -> None:
        self.refusals = refusals
        super().__init__("Validation failed\n\n" + "\n".join(r.text for r in refusals))


def erlang_term(v: Any) -> str:
    """A JSON value as RabbitMQ prints it (``~p``): ``<<"a">>``, ``true``, ``null``, ``[1]``."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, str):
        return '<<"' + v.replace("\\", "\\\\").replace('"', '\\"') + '">>'
    if isinstance(v, list | tuple):
        return "[" + ",".join(map(erlang_term, v)) + "]"
    if isinstance(v, dict):
        return "#{" + ",".join(f"{erlang_term(k)} => {erlang_term(x)}" for k, x in v.items()) + "}"
    return repr(v)


def _int_at_least(n: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= n


def _string(v: Any) -> bool:
    return isinstance(v, str)


def _max_age(v: Any) -> bool:
    m = re.fullmatch(r"([0-9]+)([YMDhms])", v) if isinstance(v, str) else None
    return m is not None and int(m.group(1)) > 0


def _enum(key: str, values: tuple[str, ...], message: str) -> PolicyRule:
    return PolicyRule(key, lambda v: v in values, message, values)


POLICY_RULES: dict[str, PolicyRule] = {r.key: r for r in (
    PolicyRule("alternate-exchange", _string, "{} is not a valid alternate exchange name"),
    PolicyRule("dead-letter-exchange", _string, "{} is not a valid dead letter exchange name"),
    PolicyRule("dead-letter-routing-key", _string, "{} is not a valid dead letter routing key"),
    _enum("dead-letter-strategy", ("at-most-once", "at-least-once"),
          "{} is not a valid dead letter strategy"),
    PolicyRule("delivery-limit", _int_at_least(0), "{} is not a valid delivery limit"),
    PolicyRule("expires", _int_at_least(1), "{} is not a valid queue expiry"),
    PolicyRule("initial-cluster-size", _int_at_least(0), "{} is not a valid cluster size"),
    PolicyRule("max-age", _max_age, "{} is not a valid max age"),
    PolicyRule("max-in-memory-bytes", _int_at_least(0), "{} is not a valid maximum memory in bytes"),
    PolicyRule("max-in-memory-length", _int_at_least(0), "{} is not a valid maximum memory in bytes"),
    PolicyRule("max-length", _int_at_least(0), "{} is not a valid maximum length"),
    PolicyRule("max-length-bytes", _int_at_least(0), "{} is not a valid maximum length in bytes"),
    PolicyRule("message-ttl", _int_at_least(0), "{} is not a valid message TTL"),
    _enum("overflow", OVERFLOW_MODES, "{} is not a valid overflow value"),
    _enum("queue-leader-locator", LEADER_LOCATORS, "{} is not a valid queue leader locator value"),
    _enum("queue-master-locator", MASTER_LOCATORS, "{} invalid queue-master-locator value"),
    _enum("queue-mode", ("default", "lazy"), "{} is not a valid queue-mode value"),
    PolicyRule("queue-version", lambda v: type(v) is int and v in (1, 2),
               "{} is not a valid queue-version value"),
    PolicyRule("stream-max-segment-size-bytes", _int_at_least(0), "{} is not a valid segment size"),
)}
HA_KEYS = ("ha-mode", "ha-params", "ha-sync-mode", "ha-sync-batch-size", "ha-promote-on-shutdown",
           "ha-promote-on-failure")
PLUGIN_KEYS = ("federation-upstream", "federation-upstream-set")


def _ha_refusals(d: Mapping[str, Any]) -> list[PolicyRefusal]:
    """Classic mirroring keys (not simulated, but validated as 3.10.8 does)."""
    def at(key: str, text: str) -> list[PolicyRefusal]:
        return [PolicyRefusal(text, ("definition", key))]

    mode, params = d.get("ha-mode"), d.get("ha-params")
    if "ha-mode" not in d:
        others = [k for k in HA_KEYS if k in d]
        return at(others[0], "ha-mode must be specified to specify ha-params, ha-sync-mode or "
                             "ha-promote-on-shutdown") if others else []
    if mode not in ("all", "exactly", "nodes"):
        return at("ha-mode", f"{erlang_term(mode)} is not a valid ha-mode value")
    shown = "none" if params is None else erlang_term(params)
    if mode == "all" and "ha-params" in d:
        return at("ha-params", 'ha-mode="all" does not take parameters')
    if mode == "exactly" and not (_int_at_least(1)(params)):
        return at("ha-params" if "ha-params" in d else "ha-mode",
                  f'ha-mode="exactly" takes an integer, {shown} given')
    if mode == "nodes" and not isinstance(params, list):
        return at("ha-params" if "ha-params" in d else "ha-mode",
                  f'ha-mode="nodes" takes a list, {shown} given')
    for key, allowed in (("ha-sync-mode", ("manual", "automatic")),
                         ("ha-promote-on-shutdown", ("always", "when-synced")),
                         ("ha-promote-on-failure", ("always", "when-synced"))):
        if key in d and d[key] not in allowed:
            return at(key, f'{key} must be "{allowed[0]}" or "{allowed[1]}", got {erlang_term(d[key])}')
    size = d.get("ha-sync-batch-size", 1)
    if not _int_at_least(1)(size):
        return at("ha-sync-batch-size", "ha-sync-batch-size takes an integer greater than 0, "
                                        f"{erlang_term(size)} given")
    return []


def apply_to_values(version: str) -> tuple[str, ...]:
    """The ``apply-to`` values a RabbitMQ version knows."""
    if version.startswith("3."):
        return ("queues", "exchanges", "all")
    return ("queues", "classic_queues", "quorum_queues", "streams", "exchanges", "all")


def policy_refusals(pattern: str, definition: Mapping[str, Any], apply_to: str = "all",
                    version: str = "3.10") -> list[PolicyRefusal]:
    """Every reason RabbitMQ refuses this policy, in the order it reports them.

    In the definition each invalid value is listed (RabbitMQ prints the first of
    them) and each unknown key separately (RabbitMQ prints them as one list).
    """
    out: list[PolicyRefusal] = []
    if not definition:
        out.append(PolicyRefusal("no policy provided", ("definition",)))
    for key in sorted(k for k in definition if k in POLICY_RULES):
        rule, value = POLICY_RULES[key], definition[key]
        if not rule.valid(value):
            out.append(PolicyRefusal(rule.message.format(erlang_term(value)), ("definition", key)))
    out += _ha_refusals(definition)
    out += [PolicyRefusal(f"[{{{erlang_term(k)},{erlang_term(definition[k])}}}] are not recognised "
                          "policy settings", ("definition", k))
            for k in sorted(definition, key=str) if _unknown(k)]
    allowed = apply_to_values(version)
    if apply_to not in allowed:
        names = ", ".join(f"'{v}'" for v in allowed[:-1])
        out.append(PolicyRefusal(f"apply-to '{apply_to}' unrecognised; should be {names} or "
                                 f"'{allowed[-1]}'", ("apply-to",)))
    try:
        re.compile(pattern)
    except re.error as exc:
        out.append(PolicyRefusal("pattern should be regular expression but is invalid: "
                                 f'{{"{exc.msg}",{exc.pos}}}', ("pattern",)))
    return out


def policy_error(pattern: str, definition: Mapping[str, Any], apply_to: str = "all",
                 version: str = "3.10") -> PolicyError | None:
    """The error ``rabbitmqctl set_policy`` reports, or ``None`` for a valid policy: the
    definition's first refusal (or all its unknown keys as one list), then apply-to and
    the pattern."""
    refusals = policy_refusals(pattern, definition, apply_to, version)
    if not refusals:
        return None
    ours = [r for r in refusals if r.field[:1] == ("definition",)]
    shown = [r for r in refusals if r.field[:1] != ("definition",)]
    unknown = [r.field[1] for r in ours if len(r.field) == 2 and _unknown(r.field[1])]
    if ours and len(unknown) == len(ours):
        items = ",".join(f"{{{erlang_term(k)},{erlang_term(definition[k])}}}" for k in unknown)
        shown.insert(0, PolicyRefusal(f"[{items}] are not recognised policy settings",
                                      ("definition",)))
    elif ours:
        shown.insert(0, ours[0])
    return PolicyError(shown)


def _unknown(key: Any) -> bool:
    return key not in POLICY_RULES and key not in HA_KEYS and key not in PLUGIN_KEYS
