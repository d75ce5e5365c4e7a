"""M/M/1/K: a length-limited queue with reject-publish against the blocking formula.

A queue with ``x-max-length: L`` and ``x-overflow: reject-publish`` refuses a publish
when it already holds ``L`` *ready* messages; the one message the single prefetch-1
consumer is processing is unacknowledged, not ready, so it does not count toward the
limit. The system therefore holds at most ``K = L + 1`` messages, and by PASTA the
fraction of publishes the broker nacks (publisher confirms) is the M/M/1/K blocking
probability ``(1 - rho) rho^K / (1 - rho^(K+1))``.
"""

from __future__ import annotations

from theory_helpers import batch_means, mm1k_blocking, work_queue

import amqpsim
from amqpsim.trace.events import EventKind as K

LAM, MU, MAX_LENGTH = 0.9, 1.0, 3  # K = 4: blocking probability 0.1602
N, WARMUP, BATCHES = 20_000, 500, 20


def test_mm1k_formula() -> None:
    assert abs(mm1k_blocking(1.0, 1.0, 4) - 0.2) < 1e-12  # rho = 1: 1 / (K + 1)
    assert abs(mm1k_blocking(0.5, 1.0, 1) - 1 / 3) < 1e-12  # M/M/1/1 = Erlang B with one server
    assert abs(mm1k_blocking(LAM, MU, MAX_LENGTH + 1) - 0.160216) < 1e-6


def test_nacked_fraction_is_mm1k_blocking() -> None:
    """The nacked fraction within 4 batch-means standard errors of P_K with K = max_length + 1.

    Confirms are taken in publish order (confirm sequence number); after 500 warm-up
    publishes, 20 batches of 975 publishes (~1,080 s each, far longer than the
    correlation time of a 4-place queue) give a standard error of ~0.005 on a blocking
    probability of 0.16. A wrong K would be far outside: K = 3 gives 0.212, K = 5 gives
    0.126, each more than 7 standard errors away.
    """
    sc = work_queue(1, LAM, MU, N, **{"x-max-length": MAX_LENGTH, "x-overflow": "reject-publish"})
    result = amqpsim.run(sc, seed=5)
    assert result.ok, result.error
    m = result.summary["messages"]
    assert m["published"] == N
    assert m["confirmed"] + m["nacked"] == N
    assert m["dropped_overflow"] == m["nacked"]
    assert result.summary["invariants"]["conservation"]

    confirms = sorted((e for e in result.event_list if e.kind == K.CONFIRM), key=lambda e: e.delivery_tag)
    blocked = [0.0 if e.ack else 1.0 for e in confirms]
    p, se = batch_means(blocked, BATCHES, WARMUP)
    expected = mm1k_blocking(LAM, MU, MAX_LENGTH + 1)
    assert abs(p - expected) < 4 * se, (p, expected, se)
    for wrong_k in (MAX_LENGTH, MAX_LENGTH + 2):
        assert abs(p - mm1k_blocking(LAM, MU, wrong_k)) > 4 * se
