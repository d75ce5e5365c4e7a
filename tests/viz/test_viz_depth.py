"""Queue depth: ready and unacked stacked per queue, faults shaded and labelled."""

from __future__ import annotations

from viz_helpers import gids, rendered, texts

from amqpsim import viz
from amqpsim.viz.data import events_of
from amqpsim.viz.metrics import depth_series


def test_an_area_per_queue_ready_and_unacked(run):
    fig = viz.queue_depth(run)
    rendered(fig)
    depth = depth_series(events_of(run))
    held = sorted(q for q, g in depth.groupby("queue") if (g["ready"] + g["unacked"]).max() > 0)
    shown = [g.split(":")[0] for g in gids(fig) if g.endswith(":ready")]
    assert sorted(shown) == held[:8] or len(shown) == 8
    assert {g.split(":")[0] for g in gids(fig) if g.endswith(":unacked")} == set(shown)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert set(shown) <= set(titles)


def test_depths_never_negative_and_match_the_broker(store):
    depth = depth_series(events_of(store))
    assert (depth[["ready", "unacked"]] >= 0).all().all()
    final = depth.groupby("queue").last()
    broker = store.broker
    for name, q in broker.queues.items():
        got = final.loc[name] if name in final.index else None
        assert (0 if got is None else got["ready"]) == q.message_count()
        assert (0 if got is None else got["unacked"]) == q.unacked


def test_fault_windows_shaded_and_labelled(store):
    fig = viz.queue_depth(store)
    shown = texts(fig)
    assert "consumer crash worker#1" in shown and "memory alarm" in shown


def test_queue_choice(store):
    fig = viz.queue_depth(store, queues=["audit"])
    assert [g for g in gids(fig) if g.endswith(":ready")] == ["audit:ready"]
