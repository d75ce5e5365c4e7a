"""Consumer timeline: busy periods per consumer, the unacked window, crashes marked."""

from __future__ import annotations

from viz_helpers import gids, rendered

from amqpsim import viz
from amqpsim.viz.data import events_of
from amqpsim.viz.metrics import deliveries


def test_a_row_per_consumer(run):
    fig = viz.consumer_timeline(run)
    rendered(fig)
    ev = events_of(run)
    actors = set(ev.loc[ev["kind"] == "deliver", "actor"].dropna())
    busy = {g.split(":")[1] for g in gids(fig) if g.startswith("busy:")}
    lines = {g.split(":")[1] for g in gids(fig) if g.startswith("unacked:")}
    assert busy == actors if len(actors) <= 12 else len(busy) == 12
    assert lines == busy


def test_crash_marked(store):
    fig = viz.consumer_timeline(store)
    assert "crash:worker#1" in gids(fig)
    assert "busy:worker#1:interrupted" in gids(fig)


def test_busy_intervals_do_not_overlap(store):
    busy, unacked = deliveries(events_of(store))
    for _, g in busy.groupby("actor"):
        g = g.sort_values("start")
        assert (g["start"].iloc[1:].to_numpy() >= g["end"].iloc[:-1].to_numpy() - 1e-9).all()
        assert (g["end"] >= g["start"]).all()
    assert (unacked["unacked"] >= 0).all() and unacked.groupby("actor")["unacked"].max().max() <= 3
