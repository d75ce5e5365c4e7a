"""M/M/c: amqpsim's work queue against Erlang C.

With Poisson publishes, ``c`` consumers with prefetch 1 and manual acks, exponential
service and no confirms, the queue is exactly an M/M/c queue: the network has zero
latency, so a consumer receives its next message at the instant it acks the previous
one, and a publish that finds a consumer idle is delivered at once (wait 0).
``summary["queues"][q]["wait"]`` measures the time from enqueue to first delivery,
which is the M/M/c queueing delay ``Wq``.
"""

from __future__ import annotations

from theory_helpers import batch_means, erlang_c, mmc_wq, queue_waits, work_queue

import amqpsim

C, LAM, MU = 3, 2.1, 1.0  # utilisation 0.7: C(3, 2.1) = 0.492, Wq = 0.547 s
N, WARMUP, BATCHES = 20_000, 1_000, 20


def test_erlang_formulas() -> None:
    assert erlang_c(1, 0.5) == 0.5  # M/M/1: P(wait) = rho
    assert abs(mmc_wq(1, 0.5, 1.0) - 1.0) < 1e-12  # M/M/1: Wq = rho / (mu - lam)
    assert abs(erlang_c(2, 1.0) - 1 / 3) < 1e-12  # textbook value
    assert abs(erlang_c(C, LAM / MU) - 0.49234) < 1e-4


def test_mmc_wait_matches_erlang_c() -> None:
    """Mean queue wait and P(wait > 0) within 4 batch-means standard errors of Erlang C.

    One run of 20,000 messages (~9,500 simulated seconds). The first 1,000 messages
    are dropped (the queue starts empty, a biased state); the other 19,000 make 20
    batches of 950 messages (~450 s, several hundred mean service times, far longer
    than the correlation time of the wait process at utilisation 0.7), so the batch
    means are close to independent and normal. Their spread gives a standard error
    (~7 % of Wq, ~2.5 % of C); a correct model fails a 4-standard-error test with
    probability well under 1 % (a t distribution with 19 degrees of freedom), and the
    seed is fixed, so the test is deterministic. The summary's own mean wait must be
    the mean of the same per-message waits.
    """
    result = amqpsim.run(work_queue(C, LAM, MU, N), seed=11)
    assert result.ok, result.error
    waits = queue_waits(result.event_list)
    assert len(waits) == N

    wq, se = batch_means(waits, BATCHES, WARMUP)
    expected = mmc_wq(C, LAM, MU)
    assert abs(wq - expected) < 4 * se, (wq, expected, se)

    p_wait, se_p = batch_means([1.0 if w > 0 else 0.0 for w in waits], BATCHES, WARMUP)
    assert abs(p_wait - erlang_c(C, LAM / MU)) < 4 * se_p, (p_wait, se_p)

    summary_wait = result.summary["queues"]["q"]["wait"]
    assert summary_wait["count"] == N
    assert abs(summary_wait["mean"] - sum(waits) / N) < 1e-9
