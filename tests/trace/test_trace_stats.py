"""Exact and sketched percentiles."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amqpsim.trace.stats import ExactQuantiles, SketchQuantiles


def test_exact_matches_numpy_linear():
    import numpy as np

    xs = [random.Random(1).expovariate(1) for _ in range(1001)]
    q = ExactQuantiles()
    for x in xs:
        q.add(x)
    for p in (0.5, 0.95, 0.99):
        assert q.quantile(p) == pytest.approx(float(np.quantile(xs, p)))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=300))
def test_sketch_is_within_one_percent_of_a_sample_at_the_same_rank(xs):
    s = SketchQuantiles()
    for x in xs:
        s.add(x)
    ranked = sorted(xs)
    for p in (0.5, 0.95, 0.99):
        truth = ranked[int(p * (len(xs) - 1))]
        got = s.quantile(p)
        if truth < 1e-9:
            assert got == 0.0
        else:
            assert abs(got - truth) <= 0.0101 * truth
    assert s.summary()["mean"] == pytest.approx(sum(xs) / len(xs))


def test_empty():
    assert ExactQuantiles().summary() == SketchQuantiles().summary() == {
        "mean": 0.0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "count": 0}


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6), max_size=300), st.integers(min_value=1, max_value=40))
def test_the_sketch_folds_in_any_chunks_to_the_same_histogram_and_the_exact_modes_mean(xs, every):
    whole, chunked, exact = SketchQuantiles(), SketchQuantiles(), ExactQuantiles()
    for i, x in enumerate(xs):
        whole.add(x)
        chunked.add(x)
        exact.add(x)
        if i % every == 0:
            chunked.fold()
    assert chunked.summary() == whole.summary()
    assert (chunked.buckets, chunked.zeros) == (whole.buckets, whole.zeros)
    assert whole.total == exact.total  # the same running sum, bit for bit
    assert not whole.pending  # read: folded


def test_a_summary_only_ledger_keeps_its_sample_buffers_bounded():
    from amqpsim.sim import Simulation
    from amqpsim.trace.live import FOLD_EVERY
    from amqpsim.trace.recorder import Recorder
    from amqpsim.trace.summary import Summarizer

    sc = amqpsim_load({
        "name": "mm1", "topology": {"queues": [{"name": "work"}]},
        "producers": [{"name": "p", "exchange": "", "routing_key": "work", "rate": {"poisson": 50}, "count": 20000}],
        "consumers": [{"name": "w", "queue": "work", "prefetch": 1, "service_time": {"exponential": 0.015}}]})
    rec = Recorder(keep=False)
    ledger = Summarizer(exact=False)
    high = [0]

    def watch(rows: list) -> None:
        ledger.take(rows)
        high[0] = max(high[0], len(ledger.latency.pending), len(ledger.queues["work"].wait.pending))

    rec.batch_listeners.append(watch)
    Simulation(sc, 1, rec).build().run()
    rec.flush()
    assert ledger.latency.count == 20000
    assert 0 < high[0] <= FOLD_EVERY + rec.batch_size


def amqpsim_load(data: dict) -> object:
    import amqpsim

    return amqpsim.load_scenario(data)
