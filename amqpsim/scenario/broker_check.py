"""A scenario's topology checked by RabbitMQ's own declare-time rules, through the broker.

A throwaway :class:`amqpsim.broker.Broker` of the scenario's version is given the raw
topology in the order a run declares it (policies, exchanges, queues, bindings),
each item on a fresh channel. Every refusal becomes an :class:`Issue` at the YAML
path of the field to blame, with RabbitMQ's reply code and text as its message::

    topology.queues[0].arguments.x-queue-master-locator: 406 PRECONDITION_FAILED -
    invalid arg 'x-queue-master-locator' for queue 'q' in vhost '/' of queue type
    rabbit_quorum_queue

so what passes here is what a run (and RabbitMQ) accepts. For a queue or a policy
every refusal is listed, not only the first that RabbitMQ replies with, so one pass
shows them all. Items of the wrong shape are left to the shape checks; an item that
was refused or skipped is not declared, and bindings to it are not reported again
as 404s. Where the refused value is a near miss a suggestion is added.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from amqpsim.broker import AMQPError, Broker
from amqpsim.broker.exchanges.headers import X_MATCH_MODES
from amqpsim.broker.policy_rules import HA_KEYS, POLICY_RULES, apply_to_values, policy_refusals
from amqpsim.broker.rules import (
    ARGUMENT_RULES,
    EXCHANGE_TYPES,
    QUEUE_TYPES,
    Refusal,
    queue_refusals,
    reserved_name,
)

from .args import PREDECLARED_EXCHANGES
from .errors import MISSING, Issue, did_you_mean
from .paths import items_at

__all__ = ["check_topology"]

Path = tuple[Any, ...]

#: per section, the AMQP method's field names that the scenario spells differently
EXCHANGE_FIELDS = {"exchange": "name"}
QUEUE_FIELDS = {"queue": "name"}
QUEUE_BIND_FIELDS = {"exchange": "source", "queue": "destination"}


def check_topology(data: Mapping[Any, Any], version: str) -> list[Issue]:
    """Every declare-time refusal of the raw scenario ``data`` on RabbitMQ ``version``."""
    return _Declarer(data, version).run()


def _flags(item: dict[Any, Any], **defaults: bool) -> dict[str, bool] | None:
    """The item's boolean fields with their defaults; ``None`` if one is not a boolean."""
    flags = {k: item.get(k, d) for k, d in defaults.items()}
    return flags if all(isinstance(v, bool) for v in flags.values()) else None


def _mapping(item: dict[Any, Any], key: str) -> dict[Any, Any] | None:
    value = item.get(key)
    return {} if value is None else value if isinstance(value, dict) else None


class _Declarer:
    """One pass over the raw topology: a throwaway broker, one connection, a channel per item.

    ``declared`` holds the names that exist (for near-miss hints on 404s);
    ``left_out`` the queues and exchanges not declared (refused, malformed or not
    simulated), whose bindings are skipped rather than reported again."""

    def __init__(self, data: Mapping[Any, Any], version: str) -> None:
        self.data = data
        self.version = version
        self.broker = Broker(version=version)
        self.conn = self.broker.connection_open(0.0, "amqpsim-validate")
        self.issues: list[Issue] = []
        self.declared: dict[str, list[str]] = {"queue": [], "exchange": list(PREDECLARED_EXCHANGES)}
        self.left_out: set[tuple[str, str]] = set()  # (kind, name) of items not declared

    def run(self) -> list[Issue]:
        self.policies()
        self.exchanges()
        self.queues()
        self.bindings()
        return self.issues

    # --- reporting ----------------------------------------------------------
    def refused(self, p: Path, item: dict[Any, Any], fields: Mapping[str, str],
                field: tuple[str, ...], message: str) -> None:
        parts = _place(item, fields, field)
        node: Any = item
        for part in parts:
            node = node.get(part, MISSING) if isinstance(node, dict) else MISSING
        self.issues.append(Issue((*p, *parts), message, node, self.hint(p[1], field, parts, node)))

    def hint(self, section: str, field: tuple[str, ...], parts: tuple[Any, ...], value: Any
             ) -> str | None:
        """A near-miss suggestion for a refused value (or policy key)."""
        last = parts[-1] if parts else None
        candidates: Any = ()
        if section == "bindings" and field in (("queue",), ("exchange",), ("source",), ("destination",)):
            candidates = self.declared["queue" if field == ("queue",) else "exchange"]
        elif section == "queues" and parts[:1] == ("type",):
            candidates = QUEUE_TYPES
        elif section == "queues" and last in ARGUMENT_RULES:
            candidates = ARGUMENT_RULES[last].values
        elif section == "exchanges" and parts == ("type",):
            candidates = EXCHANGE_TYPES
        elif section == "bindings" and last == "x-match":
            candidates = X_MATCH_MODES
        elif section == "policies" and parts[:1] == ("definition",) and isinstance(last, str) \
                and len(parts) == 2:
            if last not in POLICY_RULES:  # an unknown key: the nearest known one
                return did_you_mean(last.removeprefix("x-"), [*POLICY_RULES, *HA_KEYS])
            candidates = POLICY_RULES[last].values
        elif section == "policies" and last in ("apply-to", "apply_to"):
            candidates = apply_to_values(self.version)
        hint = did_you_mean(value, candidates)
        return hint if hint != value else None

    def declare(self, p: Path, item: dict[Any, Any], fields: Mapping[str, str], method: str,
                *args: Any) -> bool:
        """``broker.<method>(now, channel, *args)`` on a fresh channel; a refusal is
        reported at the field it blames."""
        if not self.conn.is_open:  # a connection error closed it
            self.conn = self.broker.connection_open(0.0, "amqpsim-validate")
        ch = self.broker.channel_open(0.0, self.conn)
        try:
            getattr(self.broker, method)(0.0, ch, *args)
        except AMQPError as err:
            self.refused(p, item, fields, err.field, f"{err.reply_code} {err.reply_text}")
            return False
        self.broker.channel_close(0.0, ch)
        return True

    def report(self, p: Path, item: dict[Any, Any], fields: Mapping[str, str],
               refusals: list[Refusal]) -> bool:
        for r in refusals:
            self.refused(p, item, fields, r.field, f"{r.code} {r.reply_text}")
        return not refusals

    # --- the sections, in declaration order -----------------------------------
    def policies(self) -> None:
        for p, pol in items_at(self.data, "topology", "policies"):
            name, pattern, priority = pol.get("name"), pol.get("pattern"), pol.get("priority", 0)
            definition = _mapping(pol, "definition")
            apply_to = pol.get("apply-to", pol.get("apply_to", "all"))
            if not isinstance(pattern, str) or definition is None or not isinstance(apply_to, str):
                continue
            refusals = policy_refusals(pattern, definition, apply_to, self.version)
            for r in refusals:
                self.refused(p, pol, {}, r.field, f"RabbitMQ refuses the policy: {r.text}")
            if isinstance(name, str) and isinstance(priority, int) and not refusals:
                self.broker.set_policy(0.0, name, pattern, definition, priority, apply_to)

    def exchanges(self) -> None:
        for p, x in items_at(self.data, "topology", "exchanges"):
            name, xtype, args = x.get("name"), x.get("type"), _mapping(x, "arguments")
            flags = _flags(x, durable=True, auto_delete=False, internal=False)
            if not isinstance(name, str):
                continue
            if not isinstance(xtype, str) or flags is None or args is None:
                self.left_out.add(("exchange", name))
            elif name not in self.declared["exchange"] or name in PREDECLARED_EXCHANGES:
                ok = self.declare(p, x, EXCHANGE_FIELDS, "exchange_declare", name, xtype, False,
                                  flags["durable"], flags["auto_delete"], flags["internal"], args)
                if ok and name not in self.declared["exchange"]:
                    self.declared["exchange"].append(name)
                elif not ok and name not in self.broker.exchanges:  # "" and amq.* exist anyway
                    self.left_out.add(("exchange", name))

    def queues(self) -> None:
        for p, q in items_at(self.data, "topology", "queues"):
            name, qtype, args = q.get("name"), q.get("type"), _mapping(q, "arguments")
            flags = _flags(q, durable=True, exclusive=False, auto_delete=False)
            if not isinstance(name, str) or name in self.declared["queue"]:
                continue  # a duplicate is reported by the cross-field checks
            if name == "" or flags is None or args is None or not isinstance(qtype, str | None):
                self.left_out.add(("queue", name))
                continue
            args = dict(args)
            if qtype is not None and qtype != "classic":  # the field stands for x-queue-type
                args.setdefault("x-queue-type", qtype)
            durable = flags["durable"] and not flags["exclusive"]
            refusals = [r for r in (reserved_name("queue", name),) if r is not None]
            refusals += queue_refusals(name, durable, flags["exclusive"], flags["auto_delete"], args)
            qt = QUEUE_TYPES.get(str(args.get("x-queue-type", "classic")))
            if not self.report(p, q, QUEUE_FIELDS, refusals) or qt is None or not qt.simulated:
                self.left_out.add(("queue", name))
            elif self.declare(p, q, QUEUE_FIELDS, "queue_declare", name, False, flags["durable"],
                              flags["exclusive"], flags["auto_delete"], args):
                self.declared["queue"].append(name)
            else:
                self.left_out.add(("queue", name))

    def bindings(self) -> None:
        for p, b in items_at(self.data, "topology", "bindings"):
            src, dst, key = b.get("source"), b.get("destination"), b.get("routing_key", "")
            kind, args = b.get("destination_type", "queue"), _mapping(b, "arguments")
            if not (isinstance(src, str) and isinstance(dst, str) and isinstance(key, str)) \
                    or kind not in ("queue", "exchange") or args is None:
                continue
            if ("exchange", src) in self.left_out or (kind, dst) in self.left_out:
                continue
            if kind == "queue":
                self.declare(p, b, QUEUE_BIND_FIELDS, "queue_bind", dst, src, key, args)
            else:
                self.declare(p, b, {}, "exchange_bind", dst, src, key, args)


def _place(item: dict[Any, Any], fields: Mapping[str, str], field: tuple[str, ...]) -> tuple[Any, ...]:
    """The item's keys for a field named as the AMQP method names it."""
    if not field:
        return ()
    head = fields.get(field[0], field[0])
    if head == "apply-to" and "apply_to" in item:
        return ("apply_to",)
    args = item.get("arguments")
    if field == ("arguments", "x-queue-type") and not (isinstance(args, dict) and "x-queue-type" in args):
        return ("type",)  # the queue's `type` field stood for it
    return (head, *field[1:])
