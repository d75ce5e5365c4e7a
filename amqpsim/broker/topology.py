"""The vhost's graph: exchanges, queues, bindings and policies, and routing over it.

The :class:`~.vhost.VHost` changes it (declares, binds, deletes: with the checks and
the events); the publish path reads it (:meth:`Topology.route`).

Routing (``route``) is one pass over the binding graph, as RabbitMQ's
``rabbit_exchange:route/2``: every exchange is visited at most once, an exchange
whose own bindings select nothing adds its alternate exchange to the work list,
and the result is a *set* of queues (one copy per queue however many paths lead
there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import x_res
from .exchanges import TYPES, Binding, ExchangeType, HeadersExchange
from .validate import equivalence_error

if TYPE_CHECKING:
    from .queue import Queue

PREDECLARED: dict[str, tuple[str, bool]] = {  # name -> (type, internal)
    "amq.direct": ("direct", False),
    "amq.fanout": ("fanout", False),
    "amq.topic": ("topic", False),
    "amq.headers": ("headers", False),
    "amq.match": ("headers", False),
    "amq.rabbitmq.trace": ("topic", True),
}


@dataclass(eq=False)
class Exchange:
    """An exchange: its flags and arguments, the policy that applies to it, and its
    type's index of the bindings it is the source of (``impl``)."""

    name: str
    type: str
    durable: bool = True
    auto_delete: bool = False
    internal: bool = False
    arguments: dict[str, Any] = field(default_factory=dict)
    impl: ExchangeType = field(init=False)
    policy: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.impl = TYPES[self.type]()

    def check_equivalent(self, exchange_type: str, durable: bool, auto_delete: bool, internal: bool,
                         arguments: dict[str, Any]) -> None:
        """exchange.declare of this existing exchange: the same properties, or a 406."""
        for key, cur, req in (("type", self.type, exchange_type), ("durable", self.durable, durable),
                              ("auto_delete", self.auto_delete, auto_delete), ("internal", self.internal, internal)):
            if cur != req:
                raise equivalence_error(key, x_res(self.name), req, cur, plain=True)
        cur_ae, req_ae = self.arguments.get("alternate-exchange"), arguments.get("alternate-exchange")
        if cur_ae != req_ae:
            raise equivalence_error("alternate-exchange", x_res(self.name), req_ae, cur_ae)

    @property
    def alternate(self) -> str | None:
        ae = self.arguments.get("alternate-exchange")
        if ae is None and self.policy:
            ae = self.policy.get("alternate-exchange")
        return ae.decode() if isinstance(ae, bytes) else ae


@dataclass
class Policy:
    """A policy: ``definition`` applies to what ``pattern`` matches (``apply_to``);
    of those that match, the highest ``priority`` wins."""

    name: str
    pattern: str
    definition: dict[str, Any]
    priority: int = 0
    apply_to: str = "all"

    def __post_init__(self) -> None:
        self.regex = re.compile(self.pattern)

    def applies(self, kind: str, name: str, qtype: str = "classic") -> bool:
        ok = {
            "all": True,
            "queues": kind == "queue",
            "exchanges": kind == "exchange",
            "classic_queues": kind == "queue" and qtype == "classic",
            "quorum_queues": kind == "queue" and qtype == "quorum",
            "streams": kind == "queue" and qtype == "stream",
        }.get(self.apply_to, False)
        return ok and self.regex.search(name) is not None


class Topology:
    """Owns the exchanges and queues by name, the bindings (indexed by source in each
    exchange's ``impl`` and by destination here) and the policies by name."""

    def __init__(self, strict_types: bool = False) -> None:
        self.exchanges: dict[str, Exchange] = {}
        self.queues: dict[str, Queue] = {}
        self.by_destination: dict[tuple[str, str], dict[Binding, None]] = {}
        self.policies: dict[str, Policy] = {}
        self.strict_types = strict_types  # headers exchanges compare values exactly (4.x)
        self.add_predeclared()

    def add_predeclared(self) -> None:
        self.add_exchange(Exchange("", "direct"))
        for name, (typ, internal) in PREDECLARED.items():
            self.add_exchange(Exchange(name, typ, internal=internal))

    def add_exchange(self, x: Exchange) -> None:
        if isinstance(x.impl, HeadersExchange):
            x.impl.strict = self.strict_types
        self.exchanges[x.name] = x

    # ---------------------------------------------------------------- bindings
    def has_binding(self, b: Binding) -> bool:
        x = self.exchanges.get(b.source)
        return x is not None and b in x.impl.bindings

    def add_binding(self, b: Binding) -> None:
        self.exchanges[b.source].impl.add(b)
        self.by_destination.setdefault(b.dest, {})[b] = None

    def remove_binding(self, b: Binding) -> list[str]:
        """Remove a binding; returns the auto-delete exchanges that became unused."""
        x = self.exchanges.get(b.source)
        if x is None or b not in x.impl.bindings:
            return []
        x.impl.remove(b)
        dests = self.by_destination.get(b.dest)
        if dests is not None:
            dests.pop(b, None)
            if not dests:
                del self.by_destination[b.dest]
        if x.auto_delete and not x.impl.bindings:
            return [x.name]
        return []

    def bindings_to(self, kind: str, name: str) -> list[Binding]:
        return list(self.by_destination.get((kind, name), ()))

    def bindings_from(self, name: str) -> list[Binding]:
        x = self.exchanges.get(name)
        return list(x.impl.bindings) if x else []

    # ---------------------------------------------------------------- routing
    def route(self, exchange: str, routing_keys: tuple[str, ...], headers: dict | None) -> list[str]:
        """Queue names a message published to ``exchange`` reaches (deduplicated, ordered)."""
        queues = self.queues
        if exchange == "":
            if len(routing_keys) == 1:  # the common case, without the generator
                rk = routing_keys[0]
                return [rk] if rk in queues else []
            return list(dict.fromkeys(rk for rk in routing_keys if rk in queues))
        exchanges = self.exchanges
        x = exchanges[exchange]
        dests = x.impl.route(routing_keys, headers)
        if x.alternate is None and all(kind == "queue" for kind, _ in dests):
            return [name for _, name in dests if name in queues]  # the common, flat case
        out: dict[str, None] = {}
        seen = {exchange}
        work: list[tuple[Exchange, list | None]] = [(x, dests)]
        while work:
            x, found = work.pop()
            if found is None:
                found = x.impl.route(routing_keys, headers)
            if not found and x.alternate is not None:
                found = [("exchange", x.alternate)]
            for kind, name in found:
                if kind == "queue":
                    if name in queues:
                        out[name] = None
                elif name not in seen and name in exchanges:
                    seen.add(name)
                    work.append((exchanges[name], None))
        return list(out)

    # ---------------------------------------------------------------- policies
    def policy_for(self, kind: str, name: str, qtype: str = "classic") -> dict[str, Any] | None:
        best: Policy | None = None
        for p in self.policies.values():
            if p.applies(kind, name, qtype) and (best is None or p.priority > best.priority):
                best = p
        return best.definition if best else None
