"""Queueing theory as an oracle: a prefetch-1 work queue is an M/M/c queue."""

from __future__ import annotations

import math

import pytest
from sim_helpers import run


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean time in queue of M/M/c (Erlang C)."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


@pytest.mark.parametrize(("lam", "c"), [(0.7, 1), (3.2, 4)])
def test_mmc_wait_and_utilisation_match_erlang_c(lam, c):
    n = 40_000
    d = {"name": "mmc", "topology": {"queues": [{"name": "q"}]},
         "producers": [{"name": "p", "routing_key": "q", "rate": {"poisson": lam}, "count": n}],
         "consumers": [{"name": "w", "queue": "q", "instances": c, "prefetch": 1,
                        "service_time": {"exponential": 1.0}}]}
    s = run(d, events=False).summary
    wait = s["queues"]["q"]["wait"]["mean"]
    assert wait == pytest.approx(erlang_c_wait(lam, 1.0, c), rel=0.15)
    busy = sum(x["busy_fraction"] for x in s["consumers"].values()) / c
    assert busy == pytest.approx(lam / c, rel=0.05)
    assert s["latency"]["mean"] == pytest.approx(wait + 1.0, rel=0.08)
