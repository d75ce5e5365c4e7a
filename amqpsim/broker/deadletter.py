"""Dead-lettering: the ``x-death`` bookkeeping and cycle detection (RabbitMQ 3.10).

``x-death`` is a list of tables, one per (queue, reason) pair, the latest death
first; a repeat of a pair increments its ``count`` (the entry keeps its first
``time``, ``exchange`` and ``routing-keys``) and moves it to the front. What a
learner would not guess (conformance case ``x_death_order``): the *other* entries
are reversed at every dead-lettering, because 3.10's
``rabbit_dead_letter:group_by_queue_and_reason`` rebuilds the list with a fold
that prepends. A chain t1 -> t2 -> t3 ends with ``[t3, t1, t2]``, not
``[t3, t2, t1]``. Key order, visible to a client: the headers table is sorted by
key after a dead-lettering, and so is every x-death entry except the very first
one written (``count, reason, queue, time, exchange, routing-keys,
original-expiration``) until its count goes up.
``x-first-death-queue|reason|exchange`` are set with the first entry. A message is dropped for a
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
    if "x-death" not in headers:
        headers["x-first-death-reason"] = reason
        headers["x-first-death-queue"] = queue
        headers["x-first-death-exchange"] = msg.exchange
        headers["x-death"] = [death]  # the very first entry keeps this key order
    else:
        others: list[dict[str, Any]] = []
        for d in reversed(headers["x-death"]):  # regrouped: reversed, one entry per (queue, reason)
            if not any((o.get("queue"), o.get("reason")) == (d.get("queue"), d.get("reason")) for o in others):
                others.append(d)
        for i, d in enumerate(others):
            if (d.get("queue"), d.get("reason")) == (queue, reason):
                death = {**others.pop(i), "count": d.get("count", 1) + 1}
                break
        headers["x-death"] = [dict(sorted(death.items())), *(dict(d) for d in others)]
    headers = dict(sorted(headers.items()))
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
