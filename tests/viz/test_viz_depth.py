"""Queue depth: ready (a step line with its per-bin range) and unacked per queue, faults shaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from viz_helpers import gids, rendered, texts

import amqpsim
from amqpsim import viz
from amqpsim.viz.data import view_of

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _peaks(fig) -> dict[str, float]:
    """The top of each queue's ready band, as drawn."""
    out = {}
    for a in fig.findobj():
        gid = a.get_gid()
        if gid and gid.endswith(":ready-range"):
            out[gid.rsplit(":", 1)[0]] = max(p.vertices[:, 1].max() for p in a.get_paths())
    return out


def test_a_panel_per_queue_ready_and_unacked(run):
    fig = viz.queue_depth(run)
    rendered(fig)
    view = view_of(run)
    held = [q for q, s in view.queues.items() if max(s.ready_max) > 0 or max(s.unacked_max) > 0]
    shown = [g.split(":")[0] for g in gids(fig) if g.endswith(":ready")]
    assert sorted(shown) == sorted(held)[:8] or len(shown) == 8
    assert {g.split(":")[0] for g in gids(fig) if g.endswith(":unacked")} == set(shown)
    assert set(shown) <= {ax.get_title(loc="left") for ax in fig.axes}
    legend = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert "ready" in legend and "unacked" in legend


@pytest.mark.parametrize("name", ["online-store", "overflow-modes", "ttl-head-of-line", "crash-ack-modes"])
def test_the_peak_is_the_summarys_max_depth(name):
    result = amqpsim.run(SCENARIOS / f"{name}.yaml", events=False, pictures=True)
    fig = viz.queue_depth(result, max_queues=50)
    peaks = _peaks(fig)
    assert peaks
    for q, peak in peaks.items():
        max_depth = result.summary["queues"][q]["max_depth"]
        assert peak == max_depth, q
        assert f"{q}:peak" in gids(fig)
    said = [t for t in texts(fig) if t.startswith("max ready ")]
    assert sorted(int(t.split()[2]) for t in said) == sorted(
        result.summary["queues"][q]["max_depth"] for q in peaks)


def test_final_values_match_the_broker(store):
    view = view_of(store)
    for name, q in store.broker.queues.items():
        s = view.queues.get(name)
        assert (s.ready_last[-1] if s else 0) == q.message_count()
        assert (s.unacked_last[-1] if s else 0) == q.unacked
        if s:
            assert min(s.ready_min) >= 0 and min(s.unacked_last) >= 0


def test_fault_windows_shaded_and_labelled(store):
    fig = viz.queue_depth(store)
    shown = texts(fig)
    assert "consumer crash worker#1" in shown and "memory alarm" in shown
    assert any(g.startswith("fault:memory alarm") for g in gids(fig))


def test_queue_choice(store):
    fig = viz.queue_depth(store, queues=["audit"])
    assert [g for g in gids(fig) if g.endswith(":ready")] == ["audit:ready"]
