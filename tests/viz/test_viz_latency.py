"""Latency: weighted histograms of queue wait per queue and of publish → ack, percentiles from the summary."""

from __future__ import annotations

import pytest
from matplotlib.patches import StepPatch
from viz_helpers import rendered, texts

from amqpsim import viz
from amqpsim.viz.data import view_of
from amqpsim.viz.latency import _fmt


def _heights(fig) -> dict[str, float]:
    return {p.get_gid(): float(p.get_data().values.sum()) for p in fig.findobj(StepPatch) if p.get_gid()}


def test_a_histogram_per_queue_and_one_of_latency(run):
    fig = viz.latency(run)
    rendered(fig)
    summary = view_of(run).summary
    heights = _heights(fig)
    waited = [q for q, s in summary["queues"].items() if s["wait"]["count"]][:8]
    assert sorted(g for g in heights if g.startswith("wait:")) == sorted(f"wait:{q}" for q in waited)
    for q in waited:
        assert heights[f"wait:{q}"] == pytest.approx(summary["queues"][q]["wait"]["count"])  # every copy once
    assert heights["latency"] == pytest.approx(summary["latency"]["count"])
    assert {"p50", "p95", "p99"} <= set(texts(fig))


def test_percentiles_are_the_summarys(lean_run):
    fig = viz.latency(lean_run)
    shown = "\n".join(texts(fig))
    s = lean_run.summary
    for stats in (s["latency"], s["queues"]["warehouse"]["wait"]):
        for key in ("p50", "p95", "p99"):
            assert f"{key} {_fmt(stats[key])}" in shown
    heights = _heights(fig)  # the sketch's buckets weigh as many copies as it took
    assert heights["wait:warehouse"] == pytest.approx(s["queues"]["warehouse"]["wait"]["count"])
    assert heights["latency"] == pytest.approx(s["latency"]["count"])
