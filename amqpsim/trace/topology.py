"""The topology a run used, derived from its events alone.

:func:`topology_from_events` returns the shape of RabbitMQ's ``definitions.json``
(``exchanges``, ``queues``, ``bindings``, each a list of dicts) built from the
declare and bind events (a queue's type becomes its ``x-queue-type`` argument, as in
``definitions.json``). Events do not carry the other declare or bind *arguments*, so a
few are inferred from what the run did:

* ``x-dead-letter-exchange`` of a queue: from its ``dead_letter`` events;
* ``alternate-exchange`` of an exchange: from ``route`` events that reached queues
  the exchange's own bindings cannot reach, but another exchange's can.

The default exchange ``""`` is left out, as in ``definitions.json``; the ``amq.*``
exchanges appear only when the run published to or bound them. Everything declared
during the run is kept, even if deleted later: the picture of a run shows all it used.
A pure function: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .events import (
    Bound,
    ConsumerStarted,
    DeadLettered,
    Enqueued,
    EventKind,
    ExchangeDeclared,
    Published,
    QueueDeclared,
    Routed,
)

__all__ = ["topology_from_events", "PREDECLARED_TYPES"]

#: exchanges every vhost has without declaring them (name -> type)
PREDECLARED_TYPES: dict[str, str] = {
    "amq.direct": "direct", "amq.fanout": "fanout", "amq.topic": "topic",
    "amq.headers": "headers", "amq.match": "headers", "amq.rabbitmq.trace": "topic",
}

#: the kinds read here, and (for a DataFrame) the columns that tell two of their rows apart
_USED: dict[str, list[str] | None] = {
    EventKind.EXCHANGE_DECLARE: None, EventKind.QUEUE_DECLARE: None, EventKind.BIND: None,
    EventKind.PUBLISH: ["exchange"], EventKind.CONSUME: ["queue"], EventKind.ENQUEUE: ["queue"],
    EventKind.DEAD_LETTER: ["queue", "exchange"], EventKind.ROUTE: ["exchange", "queues"],
}


def _records(events: Any) -> Iterable[Any]:
    """Event records from a list of records or a DataFrame with the event columns (of the
    kinds used here, without the rows that would repeat what an earlier one said)."""
    if not hasattr(events, "itertuples"):
        return events
    import pandas as pd

    from .io import from_frame

    df = events.loc[events["kind"].isin(list(_USED))]
    firsts = [g if cols is None else g.drop_duplicates(cols) for kind, g in df.groupby("kind", sort=False)
              for cols in [_USED[kind]]]
    return from_frame(pd.concat(firsts).sort_index()) if firsts else []


def topology_from_events(events: Any) -> dict[str, list[dict[str, Any]]]:
    """A ``definitions.json``-shaped dict of what the events declared, bound and used."""
    exchanges: dict[str, dict[str, Any]] = {}
    queues: dict[str, dict[str, Any]] = {}
    bindings: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    routes: list[tuple[str, tuple[str, ...]]] = []

    def exchange(name: str, typ: str | None = None) -> None:
        if not name or name in exchanges:
            return
        typ = typ or PREDECLARED_TYPES.get(name, "direct")
        exchanges[name] = {"name": name, "type": typ, "durable": True, "auto_delete": False,
                           "internal": False, "arguments": {}}

    def queue(name: str, **flags: bool) -> None:
        if name not in queues:
            queues[name] = {"name": name, "durable": True, "auto_delete": False, "exclusive": False,
                            "arguments": {}}
        queues[name].update(flags)

    for e in _records(events):
        if isinstance(e, ExchangeDeclared):
            exchange(e.exchange, e.exchange_type)
        elif isinstance(e, QueueDeclared):
            queue(e.queue, durable=e.durable, auto_delete=e.auto_delete, exclusive=e.exclusive)
            if e.queue_type != "classic":
                queues[e.queue]["arguments"]["x-queue-type"] = e.queue_type
        elif isinstance(e, Bound):
            exchange(e.source)
            if e.destination_type == "exchange":
                exchange(e.destination)
            else:
                queue(e.destination)
            key = (e.source, e.destination_type, e.destination, e.routing_key)
            bindings.setdefault(key, {"source": e.source, "destination": e.destination,
                                      "destination_type": e.destination_type, "routing_key": e.routing_key,
                                      "arguments": {}})
        elif isinstance(e, Published):
            exchange(e.exchange)
        elif isinstance(e, ConsumerStarted | Enqueued):
            queue(e.queue)
        elif isinstance(e, DeadLettered):
            queue(e.queue)
            queues[e.queue]["arguments"].setdefault("x-dead-letter-exchange", e.exchange)
            exchange(e.exchange)
        elif isinstance(e, Routed) and e.exchange:
            routes.append((e.exchange, e.queues))
    _infer_alternates(exchanges, bindings.values(), routes)
    return {"exchanges": list(exchanges.values()), "queues": list(queues.values()),
            "bindings": list(bindings.values())}


def _reach(start: str, out: dict[str, list[tuple[str, str]]]) -> tuple[set[str], set[str]]:
    """Queues and exchanges reachable from exchange ``start`` through bindings."""
    qs: set[str] = set()
    xs = {start}
    work = [start]
    while work:
        for dtype, dest in out.get(work.pop(), ()):
            if dtype == "queue":
                qs.add(dest)
            elif dest not in xs:
                xs.add(dest)
                work.append(dest)
    return qs, xs


def _infer_alternates(exchanges: dict[str, dict[str, Any]], bindings: Iterable[dict[str, Any]],
                      routes: list[tuple[str, tuple[str, ...]]]) -> None:
    out: dict[str, list[tuple[str, str]]] = {}
    for b in bindings:
        out.setdefault(b["source"], []).append((b["destination_type"], b["destination"]))
    reach = {x: _reach(x, out) for x in exchanges}
    for x, targets in dict.fromkeys(routes):
        if x not in exchanges or "alternate-exchange" in exchanges[x]["arguments"]:
            continue
        own_qs, own_xs = reach[x]
        stray = set(targets) - own_qs
        if not stray:
            continue
        candidates = [y for y, (qs, _) in reach.items() if y not in own_xs and stray & qs]
        # the alternate is the candidate no other candidate leads to
        top = [y for y in candidates if not any(y in reach[z][1] for z in candidates if z != y)]
        if len(top) == 1:
            exchanges[x]["arguments"]["alternate-exchange"] = top[0]
