"""The picture fold agrees with the summary: no picture can contradict a table."""

from __future__ import annotations

from pathlib import Path

import pytest

import amqpsim
from amqpsim.trace.views import ViewFold

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


def _view(path: Path, max_bins: int = 500):
    r = amqpsim.run(path)
    r.raise_for_error()
    fold = ViewFold(retain=float("inf"), interval=r.summary["series"]["interval"], max_bins=max_bins)
    fold.take(r.event_list)
    fold.finish(r.sim_time)
    summary = fold.summary(r.summary["scenario"], r.seed, r.sim_time)
    return r, summary, fold.view(summary)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_view_agrees_with_summary(path):
    r, summary, view = _view(path)
    assert {k: v for k, v in summary.items() if k != "series"} == \
        {k: v for k, v in r.summary.items() if k != "series"}, "the view's fold is the summary's fold"
    for name, q in summary["queues"].items():
        s = view.queues.get(name)
        peak = max(s.ready_max) if s and s.ready_max else 0
        assert peak == q["max_depth"], f"{name}: the depth picture's peak is the summary's max_depth"
        if s and s.ready_last:
            assert s.ready_last[-1] == q["final_depth"]
            assert s.unacked_last[-1] == q["final_unacked"]
            assert all(lo <= last <= hi for lo, last, hi in zip(s.ready_min, s.ready_last, s.ready_max, strict=False))
        per_queue = sum(n for (qn, _, _), n in view.outcomes.items() if qn == name)
        assert per_queue == q["enqueued"] - q["final_depth"] - q["final_unacked"]
    for name, c in summary["consumers"].items():
        s = view.consumers[name]
        assert sum(s.busy) == pytest.approx(c["busy_fraction"] * summary["sim_time"], abs=1e-6)
    widths = view.widths
    m = summary["messages"]
    for kind, key in (("publish", "published"), ("deliver", "delivered"), ("redeliver", "redelivered"),
                      ("ack", "acked"), ("return", "returned"), ("dead_letter", "dead_lettered")):
        expected = m[key]
        if kind == "ack" and any(q["type"] == "stream" for q in summary["queues"].values()):
            expected = sum(c["acked"] for c in summary["consumers"].values())  # a stream ack is no fate
        assert sum(x * w for x, w in zip(view.rates[kind], widths, strict=False)) == pytest.approx(expected, abs=1e-6), kind


def test_bins_merge_without_hiding_a_peak():
    """With few bins each bin covers a long span: its max still holds the peak."""
    path = next(p for p in SCENARIOS if p.stem == "online-store")
    _, summary, view = _view(path, max_bins=4)
    assert len(view.time) <= 8
    assert max(view.queues["warehouse"].ready_max) == summary["queues"]["warehouse"]["max_depth"]
    assert min(view.queues["warehouse"].ready_min) == 0
