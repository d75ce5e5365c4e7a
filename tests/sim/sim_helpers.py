"""Shared helpers for the simulation tests (a plain module: imported by name)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import amqpsim
from amqpsim.sim import RunResult
from amqpsim.trace.events import Event
from amqpsim.trace.events import EventKind as K

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


def scenario(name: str = "t", **fields: Any) -> Any:
    """A validated scenario from keyword fields (YAML shape)."""
    return amqpsim.load_scenario({"name": name, **fields})


def run(name_or_dict: str | dict[str, Any], **kw: Any) -> RunResult:
    src: Any = SCENARIOS / f"{name_or_dict}.yaml" if isinstance(name_or_dict, str) else \
        amqpsim.load_scenario(name_or_dict)
    result = amqpsim.run(src, **kw)
    assert result.error is None, result.error
    return result


_MISSING = object()


def of(events: list[Event], *kinds: str, **where: Any) -> list[Event]:
    """The events of ``kinds`` (any kind if none) whose fields equal ``where`` (a record
    without such a field does not match)."""
    ks = set(kinds)
    return [e for e in events if (not ks or e.kind in ks)
            and all(getattr(e, k, _MISSING) == v for k, v in where.items())]


def max_unacked_per_channel(events: list[Event]) -> dict[str, int]:
    """Largest number of manual-ack deliveries outstanding at once, per channel."""
    held: dict[str, int] = defaultdict(int)
    most: dict[str, int] = defaultdict(int)
    tags: dict[tuple[str, int], None] = {}
    for e in events:
        if e.kind == K.DELIVER and not e.auto_ack:
            held[e.channel] += 1
            tags[(e.channel, e.delivery_tag)] = None
            most[e.channel] = max(most[e.channel], held[e.channel])
        elif e.kind in (K.ACK, K.SETTLE) and (e.channel, e.delivery_tag) in tags:
            del tags[(e.channel, e.delivery_tag)]
            held[e.channel] -= 1
        elif e.kind == K.CHANNEL_CLOSE:
            held[e.channel] = 0
    return dict(most)


def simple(n: int = 100, rate: float = 10.0, workers: int = 2, service: Any = None,
           duration: float | None = None, **consumer: Any) -> dict[str, Any]:
    """A queue ``q``, one producer ``p`` and one consumer group ``w``."""
    d: dict[str, Any] = {
        "name": "simple",
        "topology": {"queues": [{"name": "q", "durable": True}]},
        "producers": [{"name": "p", "routing_key": "q", "rate": {"constant": rate}, "count": n,
                       "persistent": True}],
        "consumers": [{"name": "w", "queue": "q", "instances": workers,
                       "service_time": service if service is not None else {"exponential": 0.1},
                       **consumer}],
    }
    if duration is not None:
        d["duration"] = duration
    return d
