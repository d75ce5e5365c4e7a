"""Declaring the scenario's topology, as a definitions import or as a client would.

At t=0 a ``definitions`` connection declares policies, exchanges, queues and
bindings (like ``rabbitmqctl import_definitions``). Every client declares the same
topology again whenever it (re)connects, as real applications do: after a broker
restart this brings back what was not durable (empty). Redeclaring something that
exists is a no-op and records no event. An exclusive queue is declared (with its
bindings) only by the client that owns it: the first consumer instance of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..broker import Channel
    from .clients import Client
    from .engine import Simulation


def queue_arguments(q: Any) -> dict[str, Any]:
    args = dict(q.arguments)
    if q.type == "quorum":
        args.setdefault("x-queue-type", "quorum")
    return args


def declare_definitions(sim: Simulation, now: float, ch: Channel, client: Client | None,
                        policies: bool = False, exclusive_only: bool = False) -> None:
    """Declare the topology on ``ch``; ``client`` owns the exclusive queues in ``client.owns``."""
    topo = sim.scenario.topology
    b = sim.broker
    owned = set(getattr(client, "owns", ()))
    exclusive = {q.name for q in topo.queues if q.exclusive}
    if exclusive_only:  # the definitions connection keeps exclusive queues nobody consumes
        owned = exclusive - set(sim._exclusive_owners())
    if policies:
        for p in topo.policies:
            b.set_policy(now, p.name, p.pattern, dict(p.definition), p.priority, p.apply_to)
    if not exclusive_only:
        for x in topo.exchanges:
            b.exchange_declare(now, ch, x.name, x.type, False, x.durable, x.auto_delete, x.internal,
                               dict(x.arguments))
    for q in topo.queues:
        mine = q.name in owned
        if (q.exclusive and not mine) or (exclusive_only and not mine):
            continue
        b.queue_declare(now, ch, q.name, False, q.durable, q.exclusive, q.auto_delete, queue_arguments(q))
    for bd in topo.bindings:
        if bd.destination_type == "exchange":
            if not exclusive_only:
                b.exchange_bind(now, ch, bd.destination, bd.source, bd.routing_key, dict(bd.arguments))
            continue
        to_exclusive = bd.destination in exclusive
        if (to_exclusive and bd.destination not in owned) or (exclusive_only and not to_exclusive):
            continue
        b.queue_bind(now, ch, bd.destination, bd.source, bd.routing_key, dict(bd.arguments))
