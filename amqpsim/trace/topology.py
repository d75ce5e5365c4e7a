"""The topology a run used, derived from its events alone.

:func:`topology_from_events` returns the shape of RabbitMQ's ``definitions.json``
(``exchanges``, ``queues``, ``bindings``, each a list of dicts) built from the
declare and bind events. Events do not carry declare or bind *arguments*, so a few
are inferred from what the run did:

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

from .events import EventKind as K

__all__ = ["topology_from_events", "PREDECLARED_TYPES"]

#: exchanges every vhost has without declaring them (name -> type)
PREDECLARED_TYPES: dict[str, str] = {
    "amq.direct": "direct", "amq.fanout": "fanout", "amq.topic": "topic",
    "amq.headers": "headers", "amq.match": "headers", "amq.rabbitmq.trace": "topic",
}

_KINDS = {K.EXCHANGE_DECLARE, K.QUEUE_DECLARE, K.BIND, K.PUBLISH, K.ROUTE, K.DEAD_LETTER,
          K.CONSUME, K.ENQUEUE}


def _rows(events: Any) -> Iterable[Any]:
    """Event records from a list of events or a DataFrame with the event columns."""
    if hasattr(events, "itertuples"):
        return events.itertuples(index=False)
    return events


def _flags(detail: str | None) -> dict[str, bool]:
    """``"durable=True exclusive=False"`` -> ``{"durable": True, "exclusive": False}``."""
    out: dict[str, bool] = {}
    for part in (detail or "").split():
        key, _, value = part.partition("=")
        if value in ("True", "False"):
            out[key] = value == "True"
    return out


def topology_from_events(events: Any) -> dict[str, list[dict[str, Any]]]:
    """A ``definitions.json``-shaped dict of what the events declared, bound and used."""
    exchanges: dict[str, dict[str, Any]] = {}
    queues: dict[str, dict[str, Any]] = {}
    bindings: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    routes: list[tuple[str, tuple[str, ...]]] = []

    def exchange(name: str | None, typ: str | None = None) -> None:
        if not name or name in exchanges:
            return
        typ = typ or PREDECLARED_TYPES.get(name, "direct")
        exchanges[name] = {"name": name, "type": typ, "durable": True, "auto_delete": False,
                           "internal": False, "arguments": {}}

    def queue(name: str | None, flags: dict[str, bool] | None = None) -> None:
        if not name:
            return
        if name not in queues:
            queues[name] = {"name": name, "durable": True, "auto_delete": False, "exclusive": False,
                            "arguments": {}}
        queues[name].update(flags or {})

    for e in _rows(events):
        kind = e.kind
        if kind not in _KINDS:
            continue
        if kind == K.EXCHANGE_DECLARE:
            exchange(e.exchange, e.detail)
        elif kind == K.QUEUE_DECLARE:
            queue(e.queue, _flags(e.detail))
        elif kind == K.BIND:
            dtype = e.detail if e.detail in ("queue", "exchange") else "queue"
            exchange(e.exchange)
            if dtype == "exchange":
                exchange(e.queue)
            else:
                queue(e.queue)
            key = (e.exchange, dtype, e.queue, e.routing_key or "")
            bindings.setdefault(key, {"source": e.exchange, "destination": e.queue,
                                      "destination_type": dtype, "routing_key": e.routing_key or "",
                                      "arguments": {}})
        elif kind == K.PUBLISH:
            exchange(e.exchange)
        elif kind in (K.CONSUME, K.ENQUEUE):
            queue(e.queue)
        elif kind == K.DEAD_LETTER:
            queue(e.queue)
            if e.exchange is not None:
                queues[e.queue]["arguments"].setdefault("x-dead-letter-exchange", e.exchange)
                exchange(e.exchange)
        elif kind == K.ROUTE and e.exchange and e.detail:
            routes.append((e.exchange, tuple(e.detail.split(","))))
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
