"""The same M/M/c queue in amqpsim and in Ciw agrees within sampling error.

Both simulate an M/M/3 queue at utilisation 0.7 starting empty, over the first
``N`` arrivals, in ``R`` independent replications each (different seeds). Starting
empty and stopping after a fixed number of arrivals biases the mean wait slightly
below the steady-state value, but the bias is the same for both simulators, so
like is compared with like. Each replication's mean wait is one observation; the
difference of the two sample means is compared with its standard error
``sqrt(se_amqpsim^2 + se_ciw^2)`` (a two-sample Welch test). With 10 replications
of 5,000 messages per simulator that standard error is ~0.035 s on a mean wait of
~0.54 s, and 4 standard errors (Welch, ~17 degrees of freedom: a false alarm rate
near 0.1 %) is the tolerance; a model 25 % off would fail. The seeds are fixed, so
the test is deterministic.
"""

from __future__ import annotations

import ciw
from theory_helpers import mmc_wq, replications, work_queue

import amqpsim

C, LAM, MU = 3, 2.1, 1.0
N, R = 5_000, 10


def amqpsim_mean_wait(seed: int) -> float:
    result = amqpsim.run(work_queue(C, LAM, MU, N), seed=seed, events=False)
    assert result.ok, result.error
    wait = result.summary["queues"]["q"]["wait"]
    assert wait["count"] == N
    return wait["mean"]


def ciw_mean_wait(seed: int) -> float:
    net = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(LAM)],
                             service_distributions=[ciw.dists.Exponential(MU)], number_of_servers=[C])
    ciw.seed(seed)
    sim = ciw.Simulation(net)
    sim.simulate_until_max_time(N / LAM + 400)  # the N-th arrival comes ~2,380 s +- 34 s in
    recs = [r for r in sim.get_all_records() if r.id_number <= N]
    assert len(recs) == N  # every one of the first N arrivals has been served
    return sum(r.waiting_time for r in recs) / N


def test_amqpsim_and_ciw_agree() -> None:
    ours, ours_se = replications([amqpsim_mean_wait(100 + i) for i in range(R)])
    theirs, theirs_se = replications([ciw_mean_wait(200 + i) for i in range(R)])
    se = (ours_se**2 + theirs_se**2) ** 0.5
    assert abs(ours - theirs) < 4 * se, (ours, theirs, se)
    # both are near the steady-state value (the start-empty bias is a few per cent)
    expected = mmc_wq(C, LAM, MU)
    for mean, s in ((ours, ours_se), (theirs, theirs_se)):
        assert abs(mean - expected) < 4 * s + 0.05 * expected, (mean, expected, s)
