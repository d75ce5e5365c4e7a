"""Dead-lettering: the ``x-death`` bookkeeping and cycle detection (RabbitMQ 3.10).

``x-death`` is a list of tables, most recent first, one per (queue, reason) pair;
a repeat of a pair increments its ``count`` and moves it to the front.
``x-first-death-queue|reason|exchange`` are set once. A message is dropped for a
target queue it already died in when no death since (and including) the last one
at that queue has reason ``rejected`` — automatic loops are cut, loops through a
client's reject are allowed. The reason ``rejected`` itself is never checked.

CC and BCC (conformance case ``dead_letter_cc_bcc``): without
``x-dead-letter-routing-key`` the copy is routed through the DLX with *all* the keys
it was published with -- the BCC keys too, although the BCC header itself is long
gone; with one, it is routed by that key alone and its ``CC`` header is dropped.
Either way x-death's ``routing-keys`` is the original key and the string CCs.
"""

from __future__ import annotations

import datetime
from typing import Any

from .message import Message

_EPOCH = datetime.datetime(1970, 1, 1)


def timestamp(epoch: float, now: float) -> datetime.datetime:
    """An AMQP timestamp (whole seconds), as pika decodes it: a naive UTC datetime."""
    return _EPOCH + datetime.timedelta(seconds=int(epoch + now))


def dead_lettered_message(
    msg: Message, queue: str, reason: str, dlx: str, dlrk: str | None, when: datetime.datetime
) -> Message:
    props = msg.properties
    headers: dict[str, Any] = dict(props.headers or {})
    deaths: list[dict[str, Any]] = [dict(d) for d in headers.get("x-death", [])]
    for i, d in enumerate(deaths):
        if d.get("queue") == queue and d.get("reason") == reason:
            d["count"] = d.get("count", 1) + 1
            deaths.insert(0, deaths.pop(i))
            break
    else:
        death: dict[str, Any] = {
            "count": 1,
            "reason": reason,
            "queue": queue,
            "time": when,
            "exchange": msg.exchange,
            "routing-keys": list(msg.death_keys or (msg.routing_key,)),
        }
        if props.expiration is not None:
            death["original-expiration"] = props.expiration
        deaths.insert(0, death)
    headers["x-death"] = deaths
    headers.setdefault("x-first-death-reason", reason)
    headers.setdefault("x-first-death-queue", queue)
    headers.setdefault("x-first-death-exchange", msg.exchange)
    if dlrk is not None:
        keys: tuple[str, ...] = (dlrk,)
        death_keys = keys
        headers.pop("CC", None)
    else:
        keys = msg.routing_keys or (msg.routing_key,)
        death_keys = msg.death_keys or (msg.routing_key,)
    return Message(
        id=msg.id,
        exchange=dlx,
        routing_key=keys[0] if dlrk is not None else msg.routing_key,
        body=msg.body,
        properties=props.copy(headers=headers, expiration=None),
        published_at=msg.published_at,
        routing_keys=keys,
        death_keys=death_keys,
        logical_id=msg.logical_id,
    )


def is_cycle(queue: str, deaths: list[dict[str, Any]]) -> bool:
    for i, d in enumerate(deaths):
        if d.get("queue") == queue:
            return all(x.get("reason") != "rejected" for x in deaths[: i + 1])
    return False


def drop_cycles(reason: str, msg: Message, targets: list[str]) -> tuple[list[str], list[str]]:
    """(kept, cycling) target queues."""
    if reason == "rejected":
        return targets, []
    deaths = msg.headers.get("x-death", [])
    kept: list[str] = []
    cycling: list[str] = []
    for q in targets:
        (cycling if is_cycle(q, deaths) else kept).append(q)
    return kept, cycling
