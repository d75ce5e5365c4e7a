"""Consumer timeline: a row per consumer (busy share and deliveries held per bin), crashes, errors."""

from __future__ import annotations

import pytest
from viz_helpers import gids, rendered, texts

from amqpsim import viz
from amqpsim.viz.data import view_of, widths


def test_a_row_per_consumer(run):
    fig = viz.consumer_timeline(run)
    rendered(fig)
    view = view_of(run)
    active = [c for c, s in view.consumers.items() if any(s.busy)]
    busy = {g.split(":", 1)[1] for g in gids(fig) if g.startswith("busy:")}
    held = {g.split(":", 1)[1] for g in gids(fig) if g.startswith("held:")}
    assert busy == set(active[:12]) and held == busy
    assert {ax.get_ylabel() for ax in fig.axes} >= busy


def test_busy_share_is_the_summarys_busy_fraction(lean_run):
    fig = viz.consumer_timeline(lean_run)
    view = lean_run.view
    for a in fig.findobj():
        gid = a.get_gid() or ""
        if gid.startswith("busy:"):
            ys = a.get_paths()[0].vertices[:, 1]
            assert ys.max() <= 1.0 + 1e-9 and ys.min() >= 0.0
    for name, s in view.consumers.items():
        assert sum(s.busy) == pytest.approx(view.summary["consumers"][name]["busy_fraction"] * view.summary["sim_time"])
        assert all(b <= w + 1e-9 for b, w in zip(s.busy, widths(view), strict=False))
    shown = texts(fig)
    for name, c in lean_run.summary["consumers"].items():
        assert any(t.startswith(f"{c['busy_fraction']:.0%} busy · {c['delivered']} delivered") for t in shown), name


def test_crash_marked(store):
    fig = viz.consumer_timeline(store)
    assert "crash:worker#1" in gids(fig)
    assert "crash:worker#0" not in gids(fig)


def test_a_consumer_that_never_consumed_shows_its_error(locked_run):
    fig = viz.consumer_timeline(locked_run)
    rendered(fig)
    assert "worker#1" in {ax.get_ylabel() for ax in fig.axes}
    assert any("405 RESOURCE_LOCKED" in t for t in texts(fig))
    assert "busy:worker#1" not in gids(fig)
