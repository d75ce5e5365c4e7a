"""RabbitMQ 3.10.8's declare-time rules in one table: the broker enforces it, validators read it.

Every rule and every reply text below was checked against a running RabbitMQ
3.10.8 (``tests/conformance`` replays the refused combinations against it). A new
queue is checked in RabbitMQ's order, and RabbitMQ replies with the *first*
failure (:func:`queue_refusals` lists them all, first first):

1. ``x-dead-letter-exchange`` must be a string; the channel checks it before
   anything else: ``invalid type 'signedint' for arg 'x-dead-letter-exchange' in
   queue 'q' in vhost '/'``.
2. ``x-queue-type`` must name a type of :data:`QUEUE_TYPES`.
3. The arguments that queue type accepts are value-checked in :data:`ARGUMENT_RULES`
   order (RabbitMQ's ``rabbit_amqqueue:declare_args/0``): ``invalid arg
   'x-max-length' for queue 'q' in vhost '/': {value_negative,-1}``; the detail is
   the Erlang term RabbitMQ prints. An accepted argument without a rule
   (``x-delivery-limit``, ``x-queue-master-locator``) takes any value here.
4. An argument that only *another* queue type accepts is refused, in the client's
   argument order: ``invalid arg 'x-max-priority' for queue 'q' in vhost '/' of
   queue type rabbit_quorum_queue`` (whatever its value). Arguments no type knows
   (``x-foo``, ``x-consumer-timeout`` on 3.10) are kept and ignored.
5. A replicated type (quorum, stream) must be durable, not exclusive and not
   auto-delete: ``invalid property 'auto-delete'`` (checked first), then
   ``'exclusive-owner'``, then ``'non-durable'``, ``for queue 'q' in vhost '/'``.
6. A classic queue reads ``x-queue-master-locator`` when its process starts; a
   value other than ``min-masters``, ``client-local`` or ``random`` crashes it:
   541 INTERNAL_ERROR, a connection error, and no queue.

All refusals are 406 PRECONDITION_FAILED channel errors unless marked otherwise.
Where a string is expected only a longstr will do: pika sends ``bytes`` as the
field type ``binary``, refused everywhere (conformance case ``bytes_are_binary_not_strings``).
A redeclare of an existing queue is only compared, not validated (see
:func:`.args.equivalence_args`). The value checks themselves are in :mod:`.arg_checks`,
the exchange rules at the end of this module, the policy keys in :mod:`.policy_rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .arg_checks import (
    MAX_TTL,
    Check,
    Crash,
    boolean,
    dlx_routing_key,
    expires,
    integer,
    max_age,
    max_priority,
    message_ttl,
    non_negative,
    one_of,
    positive,
    queue_version,
    stream_offset,
    string,
    text,
)
from .errors import AMQPError, ChannelError, ConnectionError_, q_res, x_res
from .exchanges import TYPES as _EXCHANGE_CLASSES
from .validate import amqp_type

__all__ = [
    "ARGUMENT_RULES", "CONSUMER_ARGUMENT_RULES", "DEFAULT_EXCHANGE", "EXCHANGE_TYPES", "KNOWN_ARGUMENTS", "MAX_TTL", "OVERFLOW_MODES",
    "QUEUE_TYPES", "ArgRule", "QueueType", "Refusal", "consume_crash", "consume_refusals", "exchange_refusals", "queue_refusals",
    "queue_type_name", "reserved_name", "stream_consume_refusal", "stream_not_supported",
]

OVERFLOW_MODES = ("drop-head", "reject-publish", "reject-publish-dlx")
EXCHANGE_TYPES = tuple(_EXCHANGE_CLASSES)  # direct, fanout, topic, headers


@dataclass(frozen=True, slots=True)
class ArgRule:
    """The value check of one queue argument; ``values`` lists the valid ones of an enum."""

    key: str
    check: Check
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueType:
    """A queue type: the arguments it accepts and the flags it insists on.

    ``module`` is RabbitMQ's name for it in replies; ``replicated`` types must be
    durable, non-exclusive and not auto-delete and cannot be server-named;
    ``simulated`` says whether amqpsim implements it.
    """

    name: str
    module: str
    arguments: frozenset[str]
    replicated: bool
    simulated: bool
    #: the basic.consume arguments it accepts (3.10's ``consumer_arguments`` capability)
    consumer_arguments: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why RabbitMQ refuses a declaration: its reply and the field to blame.

    ``field`` uses the AMQP method's field names, e.g. ``("arguments", "x-overflow")``
    or ``("durable",)``; ``hard`` refusals close the connection, not the channel.
    """

    code: int
    detail: str
    field: tuple[str, ...] = ()
    hard: bool = False

    @property
    def reply_text(self) -> str:
        """``"PRECONDITION_FAILED - invalid arg ..."``, as the client receives it."""
        return self.error("").reply_text

    def error(self, method: str) -> AMQPError:
        cls = ConnectionError_ if self.hard else ChannelError
        return cls(self.code, self.detail, method, field=self.field)


def _rule(key: str, check: Check | None = None, values: tuple[str, ...] = (),
          error: Callable[[str], str] | None = None) -> ArgRule:
    if values:
        assert error is not None
        check = one_of(values, error)
    assert check is not None
    return ArgRule(key, check, values)


LEADER_LOCATORS = ("client-local", "balanced", "random", "least-leaders")
MASTER_LOCATORS = ("min-masters", "client-local", "random")
QUEUE_TYPE_NAMES = ("classic", "quorum", "stream")

#: every value-checked queue argument, in RabbitMQ 3.10.8's checking order
ARGUMENT_RULES: dict[str, ArgRule] = {r.key: r for r in (
    _rule("x-expires", expires),
    _rule("x-message-ttl", message_ttl),
    _rule("x-dead-letter-exchange", string),
    _rule("x-dead-letter-routing-key", dlx_routing_key),
    _rule("x-dead-letter-strategy", values=("at-most-once", "at-least-once"),
          error=lambda v: "invalid_dlx_strategy"),
    _rule("x-max-length", non_negative),
    _rule("x-max-length-bytes", non_negative),
    _rule("x-max-in-memory-length", non_negative),
    _rule("x-max-in-memory-bytes", non_negative),
    _rule("x-max-priority", max_priority),
    _rule("x-overflow", values=OVERFLOW_MODES, error=lambda v: "invalid_overflow"),
    _rule("x-queue-mode", values=("default", "lazy"),
          error=lambda v: f"\"unsupported queue mode '{v}'\""),
    _rule("x-queue-version", queue_version),
    _rule("x-single-active-consumer", boolean),
    _rule("x-queue-type", values=QUEUE_TYPE_NAMES,
          error=lambda v: f"\"unsupported queue type '{v}'\""),
    _rule("x-quorum-initial-group-size", positive),
    _rule("x-max-age", max_age),
    _rule("x-stream-max-segment-size-bytes", non_negative),
    _rule("x-initial-cluster-size", positive),
    _rule("x-queue-leader-locator", values=LEADER_LOCATORS,
          error=lambda v: "invalid_queue_locator_arg"),
)}

_SHARED = ("x-expires", "x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key",
           "x-max-length", "x-max-length-bytes", "x-overflow", "x-single-active-consumer",
           "x-queue-type")

#: the queue types of RabbitMQ 3.10 and the arguments each accepts (``capabilities/0``)
QUEUE_TYPES: dict[str, QueueType] = {t.name: t for t in (
    QueueType("classic", "rabbit_classic_queue", frozenset((
        *_SHARED, "x-max-priority", "x-queue-mode", "x-queue-version", "x-queue-master-locator")),
        replicated=False, simulated=True,
        consumer_arguments=frozenset(("x-cancel-on-ha-failover", "x-priority", "x-credit"))),
    QueueType("quorum", "rabbit_quorum_queue", frozenset((
        *_SHARED, "x-dead-letter-strategy", "x-max-in-memory-length", "x-max-in-memory-bytes",
        "x-quorum-initial-group-size", "x-delivery-limit", "x-queue-leader-locator")),
        replicated=True, simulated=True, consumer_arguments=frozenset(("x-priority", "x-credit"))),
    QueueType("stream", "rabbit_stream_queue", frozenset((
        "x-max-length-bytes", "x-queue-type", "x-max-age", "x-stream-max-segment-size-bytes",
        "x-initial-cluster-size", "x-queue-leader-locator")),
        replicated=True, simulated=True, consumer_arguments=frozenset(("x-stream-offset", "x-credit"))),
)}

#: arguments some queue type accepts; any other argument is ignored by RabbitMQ
KNOWN_ARGUMENTS = frozenset().union(*(t.arguments for t in QUEUE_TYPES.values()))

#: the value-checked basic.consume arguments, in RabbitMQ 3.10.8's checking order
CONSUMER_ARGUMENT_RULES: dict[str, ArgRule] = {r.key: r for r in (
    _rule("x-priority", integer),
    _rule("x-cancel-on-ha-failover", boolean),
    _rule("x-stream-offset", stream_offset),
)}
#: consumer arguments some queue type accepts; any other is ignored
KNOWN_CONSUMER_ARGUMENTS = frozenset().union(*(t.consumer_arguments for t in QUEUE_TYPES.values()))


def queue_type_name(arguments: Mapping[str, Any]) -> str:
    """The queue type ``x-queue-type`` asks for (``classic`` when absent)."""
    return str(text(arguments.get("x-queue-type", "classic")))


def reserved_name(kind: str, name: str) -> Refusal | None:
    """403 for a new queue or exchange named ``amq.*``."""
    if not name.startswith("amq."):
        return None
    return Refusal(403, f"{kind} name '{name}' contains reserved prefix 'amq.*'", (kind,))


def queue_refusals(name: str, durable: bool, exclusive: bool, auto_delete: bool,
                   arguments: Mapping[str, Any]) -> list[Refusal]:
    """Everything RabbitMQ 3.10.8 refuses in the declaration of a new queue ``name``.

    The first is RabbitMQ's reply; the others would follow once it is fixed. An
    unknown queue type ends the list (the rest depends on the type). The name itself
    is checked before (:func:`reserved_name`: server-named queues are ``amq.gen-*``).
    """
    res, out = q_res(name), []

    def arg(key: str) -> tuple[str, ...]:
        return ("arguments", key)

    dlx = arguments.get("x-dead-letter-exchange", "")
    if not isinstance(dlx, str):
        out.append(Refusal(406, f"invalid type '{amqp_type(dlx)}' for arg 'x-dead-letter-exchange' "
                                f"in {res}", arg("x-dead-letter-exchange")))
    if (bad := ARGUMENT_RULES["x-queue-type"].check(arguments.get("x-queue-type", "classic"),
                                                    arguments)) is not None:
        return [*out, Refusal(406, f"invalid arg 'x-queue-type' for {res}: {bad}", arg("x-queue-type"))]
    qtype = QUEUE_TYPES[queue_type_name(arguments)]
    for key, rule in ARGUMENT_RULES.items():
        if key in arguments and key in qtype.arguments and key != "x-dead-letter-exchange":
            verdict = rule.check(arguments[key], arguments)
            if isinstance(verdict, Crash):
                out.append(Refusal(541, "", arg(key), hard=True))
            elif verdict is not None:
                out.append(Refusal(406, f"invalid arg '{key}' for {res}: {verdict}", arg(key)))
    out += [Refusal(406, f"invalid arg '{key}' for {res} of queue type {qtype.module}", arg(key))
            for key in arguments if key in KNOWN_ARGUMENTS and key not in qtype.arguments]
    if qtype.replicated:
        for flag, prop, field in ((auto_delete, "auto-delete", "auto_delete"),
                                  (exclusive, "exclusive-owner", "exclusive"),
                                  (not durable and not exclusive, "non-durable", "durable")):
            if flag:
                out.append(Refusal(406, f"invalid property '{prop}' for {res}", (field,)))
    locator = arguments.get("x-queue-master-locator")
    if qtype.name == "classic" and locator is not None and text(locator) not in MASTER_LOCATORS:
        out.append(Refusal(541, "", arg("x-queue-master-locator"), hard=True))
    return out


def consume_refusals(queue: str, queue_type: str, arguments: Mapping[str, Any]) -> list[Refusal]:
    """What RabbitMQ 3.10.8 refuses in a basic.consume's arguments, first first.

    After the queue's existence (404) and exclusive-owner (405) checks, and before
    anything else about the consumer (403 "in exclusive use"):

    1. The arguments the queue's type accepts are value-checked in
       :data:`CONSUMER_ARGUMENT_RULES` order, whatever the client's order:
       ``x-priority`` must be an integer of *any* size (``2**63 - 1`` and ``-2**31``
       are fine: consumer priorities have no range), ``x-cancel-on-ha-failover`` a
       boolean (``{unacceptable_type,longstr}``), ``x-stream-offset`` a stream offset
       (:func:`.arg_checks.stream_offset`; some bad values crash 3.10.8: 541, a
       connection error).
    2. An argument only another queue type accepts is refused in the client's order,
       whatever its value: ``x-stream-offset`` on a classic or quorum queue,
       ``x-cancel-on-ha-failover`` on a quorum queue ("... of queue type
       rabbit_quorum_queue").
    3. Anything else (``x-foo``, ``X-Priority``) is ignored.

    ``x-credit`` is not checked here: see :func:`consume_crash`. Conformance cases
    ``consume_argument_checks`` and ``consume_argument_crash_and_order``.
    """
    res, out = q_res(queue), []
    qtype = QUEUE_TYPES[queue_type]
    for key, rule in CONSUMER_ARGUMENT_RULES.items():
        if key in arguments and key in qtype.consumer_arguments:
            verdict = rule.check(arguments[key], arguments)
            if isinstance(verdict, Crash):
                out.append(Refusal(541, "", ("arguments", key), hard=True))
            elif verdict is not None:
                out.append(Refusal(406, f"invalid arg '{key}' for {res}: {verdict}", ("arguments", key)))
    out += [Refusal(406, f"invalid arg '{key}' for {res} of queue type {qtype.module}", ("arguments", key))
            for key in arguments if key in KNOWN_CONSUMER_ARGUMENTS and key not in qtype.consumer_arguments]
    return out


def stream_consume_refusal(queue: str, no_ack: bool, prefetch: int) -> Refusal | None:
    """What a stream refuses in a basic.consume once its arguments passed: a consumer without
    a prefetch (``basic.qos``; a global one does not count) is a 406, checked *before* an
    auto-ack one (540, a connection error). Conformance case ``stream_consume_rules``."""
    res = q_res(queue)
    if not prefetch:
        return Refusal(406, f"consumer prefetch count is not set for '{res}'")
    if no_ack:
        return Refusal(540, f"automatic acknowledgement not supported by stream queues {res}", ("no_ack",),
                       hard=True)
    return None


def stream_not_supported(method: str, queue: str) -> Refusal:
    """basic.get, queue.purge, basic.nack/basic.reject on a stream: 540, a connection error."""
    return Refusal(540, f"{method} not supported by stream queues {q_res(queue)}", hard=True)


def consume_crash(arguments: Mapping[str, Any]) -> Refusal | None:
    """An ``x-credit`` that is not a table crashes RabbitMQ 3.10.8's queue process.

    541 INTERNAL_ERROR and the *connection* closes (a ``case_clause`` in
    ``rabbit_queue_consumers:parse_credit_args``); it happens after the "in
    exclusive use" check (403). A table is accepted whatever it holds (pika's
    integers are never the ``long`` type the credit mode wants), and changes nothing.
    """
    if "x-credit" in arguments and not isinstance(arguments["x-credit"], dict):
        return Refusal(541, "", ("arguments", "x-credit"), hard=True)
    return None


# ------------------------------------------------------------------ exchanges
DEFAULT_EXCHANGE = "operation not permitted on the default exchange"


def exchange_refusals(name: str, exchange_type: str, arguments: Mapping[str, Any],
                      exists: bool = False) -> list[Refusal]:
    """What RabbitMQ 3.10.8 refuses in an exchange.declare, in its order.

    An unknown type is a connection error (503, even for an existing exchange;
    RabbitMQ says "invalid exchange type" instead when the name happens to be an
    atom its VM knows, such as ``foo``: not modelled);
    the default exchange cannot be declared (403). For a *new* exchange, an
    ``amq.*`` name is refused (403) and ``alternate-exchange`` must be a string.
    An existing exchange is then compared for equivalence by the broker.
    """
    out = []
    if exchange_type not in EXCHANGE_TYPES:
        out.append(Refusal(503, f"unknown exchange type '{exchange_type}'", ("type",), hard=True))
    if name == "":
        out.append(Refusal(403, DEFAULT_EXCHANGE, ("exchange",)))
    elif not exists:
        if (reserved := reserved_name("exchange", name)) is not None:
            out.append(reserved)
        ae = arguments.get("alternate-exchange", "")
        if not isinstance(ae, str):
            out.append(Refusal(406, f"invalid type '{amqp_type(ae)}' for arg 'alternate-exchange' "
                                    f"in {x_res(name)}", ("arguments", "alternate-exchange")))
    return out
