"""Closed-form queueing results and output analysis for the theory tests (imported by name).

The oracles: Erlang C for M/M/c (probability of waiting, mean queue wait) and the
M/M/1/K blocking probability. The output analysis: *batch means* -- split one long
run's per-message observations (in arrival order, after a warm-up) into ``b`` equal
batches; when a batch spans many relaxation times of the queue the batch means are
nearly independent and nearly normal, so their spread gives a standard error for
the overall mean -- and the mean and standard error of independent replications.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

import amqpsim
from amqpsim.trace.events import Event
from amqpsim.trace.events import EventKind as K


# ---------------------------------------------------------------------------- formulas
def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability for ``c`` servers and offered load ``a = lambda/mu``."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C: the probability that an arrival to an M/M/c queue waits (needs ``a < c``)."""
    if a >= c:
        raise ValueError(f"unstable: offered load {a} >= {c} servers")
    b = erlang_b(c, a)
    rho = a / c
    return b / (1 - rho + rho * b)


def mmc_wq(c: int, lam: float, mu: float) -> float:
    """Mean time in queue (before service) of an M/M/c queue: ``C(c, a) / (c mu - lam)``."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mm1k_blocking(lam: float, mu: float, k: int) -> float:
    """Probability that an arrival finds an M/M/1/K system full (``k`` places incl. service)."""
    rho = lam / mu
    if math.isclose(rho, 1.0):
        return 1.0 / (k + 1)
    return (1 - rho) * rho**k / (1 - rho ** (k + 1))


# ---------------------------------------------------------------------------- output analysis
def batch_means(xs: Sequence[float], batches: int = 20, warmup: int = 0) -> tuple[float, float]:
    """(mean, standard error) of ``xs[warmup:]`` by the method of batch means."""
    data = xs[warmup:]
    size = len(data) // batches
    if size < 2:
        raise ValueError("too few observations for that many batches")
    means = [statistics.fmean(data[i * size:(i + 1) * size]) for i in range(batches)]
    return statistics.fmean(means), statistics.stdev(means) / math.sqrt(batches)


def replications(values: Sequence[float]) -> tuple[float, float]:
    """(mean, standard error) of independent replications."""
    return statistics.fmean(values), statistics.stdev(values) / math.sqrt(len(values))


# ---------------------------------------------------------------------------- scenarios
def work_queue(c: int, lam: float, mu: float, n: int, prefetch: int = 1, **queue_args: Any) -> Any:
    """Poisson publishes at ``lam`` to one queue; ``c`` manual-ack consumers, exponential service."""
    return amqpsim.load_scenario({
        "name": "theory",
        "topology": {"queues": [{"name": "q", "arguments": queue_args}]},
        "producers": [{"name": "p", "exchange": "", "routing_key": "q", "rate": {"poisson": lam}, "count": n,
                       "confirms": bool(queue_args), "persistent": False}],
        "consumers": [{"name": "w", "queue": "q", "instances": c, "prefetch": prefetch, "ack": "manual",
                       "service_time": {"exponential": 1 / mu}}],
    })


def queue_waits(events: list[Event]) -> list[float]:
    """Each copy's wait from enqueue to its first delivery, in enqueue (arrival) order."""
    enq: dict[int, float] = {}
    waits: dict[int, float] = {}
    for e in events:
        if e.kind == K.ENQUEUE:
            enq[e.copy] = e.time
        elif e.kind == K.DELIVER and e.copy not in waits:
            waits[e.copy] = e.time - enq[e.copy]
    return [waits[c] for c in sorted(waits)]
