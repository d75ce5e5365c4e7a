"""The ledger: stacked fates that sum to the routed copies, per run or per compared variant."""

from __future__ import annotations

import pytest
from matplotlib.patches import Rectangle
from viz_helpers import rendered

from amqpsim import viz
from amqpsim.viz import style
from amqpsim.viz.data import events_of


def _widths(fig, label):
    out = {}
    for p in fig.findobj(Rectangle):
        gid = p.get_gid()
        if gid and gid.startswith(label + ":"):
            out[gid.split(":", 1)[1]] = out.get(gid.split(":", 1)[1], 0) + p.get_width()
    return out


def test_bars_sum_to_routed_copies(run):
    fig = viz.ledger(run)
    rendered(fig)
    (label,) = fig.ledger.index
    widths = _widths(fig, label)
    routed = sum(w for f, w in widths.items() if f not in style.UNROUTED_FATES)
    assert routed == (events_of(run)["kind"] == "enqueue").sum()


def test_matches_the_summary(store):
    from amqpsim.trace.summary import summarize

    counts = viz.ledger_table(store).iloc[0]
    msgs = summarize(store.events)["messages"]
    assert counts["acked_once"] + counts.get("redelivered", 0) + counts.get("duplicated", 0) == msgs["acked"]
    assert sum(v for k, v in counts.items() if k.startswith("dead_lettered")) == msgs["dead_lettered"]
    assert counts["expired"] == msgs["expired"] and counts["remaining"] == msgs["remaining"]


def test_compare_variants_and_returned(store, session):
    fig = viz.ledger({"store": store, "hello": session})
    assert list(fig.ledger.index) == ["store", "hello"]
    assert _widths(fig, "hello") == {"acked_once": 1, "returned": 1}
    colors = {p.get_gid(): p.get_facecolor() for p in fig.findobj(Rectangle) if p.get_gid()}
    from matplotlib.colors import to_rgba

    assert colors["store:acked_once"] == to_rgba(style.FATES["acked_once"][1])


@pytest.mark.parametrize("percent", [True])
def test_percent_bars(store, percent):
    fig = viz.ledger({"a": store}, percent=percent)
    assert sum(_widths(fig, "a").values()) == pytest.approx(100.0)
