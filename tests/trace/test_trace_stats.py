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
