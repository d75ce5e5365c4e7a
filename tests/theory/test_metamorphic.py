"""Metamorphic properties: relations between runs (or within one run) that must hold.

1. More consumers never raise the mean queue wait. Service times belong to the
   consumers (each instance has its own random stream), so adding one changes which
   service time each message gets and the relation is not exact path by path; it
   holds in expectation. Common random numbers make the comparison sharp: the
   producer's arrival stream is its own (named after the producer instance), so for
   one seed every consumer count sees the very same publishes, and consumer ``w#i``
   draws the same service times. Per seed we take the difference of the mean waits
   with ``c + 1`` and ``c`` consumers; over 6 seeds the mean difference must not be
   above zero by more than 4 standard errors of the paired differences. Where Erlang
   C says the drop is large (2 -> 3 -> 4 consumers) it must also be clearly negative.
2. Prefetch ``n`` never lets a consumer hold more than ``n`` unacknowledged
   messages, counted from the events alone: a ``deliver`` gives the copy to its
   consumer, the copy's next ``ack`` / ``nack`` / ``reject`` / ``requeue`` / ``loss``
   (a broker restart or a crash returns or loses what a consumer held) takes it back.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from theory_helpers import mmc_wq, replications, work_queue

import amqpsim
from amqpsim.trace.events import EventKind as K

LAM, MU, N = 1.6, 1.0, 2_000
SEEDS = range(1, 7)


def mean_wait(c: int, seed: int) -> float:
    result = amqpsim.run(work_queue(c, LAM, MU, N), seed=seed, events=False)
    assert result.ok, result.error
    return result.summary["queues"]["q"]["wait"]["mean"]


def test_more_consumers_never_raise_the_mean_wait() -> None:
    waits = {c: [mean_wait(c, s) for s in SEEDS] for c in (2, 3, 4, 5)}
    for c in (2, 3, 4):
        diffs = [b - a for a, b in zip(waits[c], waits[c + 1], strict=True)]
        mean, se = replications(diffs)
        assert mean <= 4 * se, (c, mean, se)
        theory = mmc_wq(c + 1, LAM, MU) - mmc_wq(c, LAM, MU)
        if theory < -0.1:  # 2 -> 3: -1.5 s, 3 -> 4: -0.16 s
            assert mean < -4 * se, (c, mean, se, theory)


def held_per_consumer(events: list) -> dict[str, int]:
    """Most unacknowledged copies each consumer held at once, from the events."""
    releases = {K.ACK, K.SETTLE, K.REQUEUE, K.LOSS, K.DISCARD, K.DEAD_LETTER, K.EXPIRE, K.DROP}
    holder: dict[int, str] = {}
    held: dict[str, int] = defaultdict(int)
    most: dict[str, int] = defaultdict(int)
    for e in events:
        if e.kind == K.DELIVER:
            assert e.copy not in holder, f"copy {e.copy} delivered while held by {holder[e.copy]}"
            holder[e.copy] = e.consumer
            held[e.consumer] += 1
            most[e.consumer] = max(most[e.consumer], held[e.consumer])
        elif e.kind in releases and e.copy in holder:
            held[holder.pop(e.copy)] -= 1
    return dict(most)


@pytest.mark.parametrize("prefetch", [1, 3])
def test_prefetch_bounds_unacked_per_consumer(prefetch: int) -> None:
    """Rejects with requeue, a crash and a broker restart: the window still holds."""
    sc = amqpsim.load_scenario({
        "name": "prefetch-window",
        "topology": {"queues": [{"name": "q", "durable": True}]},
        "producers": [{"name": "p", "exchange": "", "routing_key": "q", "rate": {"poisson": 4}, "count": 3_000,
                       "confirms": True, "persistent": True}],
        "consumers": [{"name": "w", "queue": "q", "instances": 3, "prefetch": prefetch, "ack": "manual",
                       "service_time": {"exponential": 0.6}, "reject": {"probability": 0.1, "requeue": True}}],
        "faults": [{"at": 100, "kind": "consumer_crash", "target": "w#1"},
                   {"at": 300, "kind": "broker_restart", "downtime": 5}],
    })
    result = amqpsim.run(sc, seed=3)
    assert result.ok, result.error
    most = held_per_consumer(result.event_list)
    assert set(most) == {"w#0", "w#1", "w#2"}
    assert max(most.values()) <= prefetch, most
    assert max(most.values()) == prefetch  # the window is actually used
    assert result.summary["messages"]["redelivered"] > 0
