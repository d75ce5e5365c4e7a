"""The ledger: per queue, stacked outcomes that sum to the copies it took; every slice numbered."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from viz_helpers import rendered

import amqpsim
from amqpsim import viz
from amqpsim.viz import style
from amqpsim.viz.data import view_of
from amqpsim.viz.ledger import NO_QUEUE

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _slices(fig, label=None) -> dict[tuple[str, str, str], float]:
    """(run, queue, outcome) -> drawn width."""
    out: dict[tuple[str, str, str], float] = {}
    for p in fig.findobj(Rectangle):
        gid = p.get_gid()
        if gid and gid.count(":") >= 2 and not gid.startswith("count:"):
            run, queue, fate = gid.split(":", 2)
            if label is None or run == label:
                out[(run, queue, fate)] = out.get((run, queue, fate), 0) + p.get_width()
    return out


def test_bars_sum_to_the_copies_of_each_queue(run):
    fig = viz.ledger(run)
    rendered(fig)
    summary = view_of(run).summary
    per_queue: dict[str, float] = {}
    for (_, queue, _), w in _slices(fig).items():
        per_queue[queue] = per_queue.get(queue, 0) + w
    routed = {q: n for q, n in per_queue.items() if q != NO_QUEUE}
    assert routed == {q: s["enqueued"] for q, s in summary["queues"].items() if s["enqueued"]}
    assert sum(routed.values()) == summary["messages"]["routed_copies"]


def test_matches_the_summary(store):
    counts = viz.ledger_table(store).iloc[0]
    msgs = view_of(store).summary["messages"]
    assert counts["acked_once"] + counts.get("redelivered", 0) + counts.get("duplicated", 0) == msgs["acked"]
    assert sum(v for k, v in counts.items() if k.startswith("dead_lettered")) == msgs["dead_lettered"]
    assert counts["expired"] == msgs["expired"] and counts["remaining"] == msgs["remaining"]


def test_compare_variants_and_returned(store, session):
    fig = viz.ledger({"store": store, "hello": session})
    assert list(fig.ledger.index) == ["store", "hello"]
    assert _slices(fig, "hello") == {("hello", "hello", "acked_once"): 1, ("hello", NO_QUEUE, "returned"): 1}
    colors = {p.get_gid(): p.get_facecolor() for p in fig.findobj(Rectangle) if p.get_gid()}
    from matplotlib.colors import to_rgba

    assert colors["store:warehouse:acked_once"] == to_rgba(style.FATES["acked_once"][1])
    assert {t.get_text() for t in fig.findobj(Text)} >= {"store", "hello"}  # the group headings


def test_percent_bars(store):
    fig = viz.ledger({"a": store}, percent=True)
    per_queue: dict[str, float] = {}
    for (_, queue, _), w in _slices(fig, "a").items():
        per_queue[queue] = per_queue.get(queue, 0) + w
    assert all(w == pytest.approx(100.0) for w in per_queue.values())


def test_every_slice_carries_its_number():
    """However thin: 1 redelivered among 3,000 acked, the 8 lost, the returned and the unroutable."""
    runs = {name: amqpsim.run(SCENARIOS / f"{name}.yaml", events=False, pictures=True)
            for name in ("online-store", "restart-durability", "unroutable", "overflow-modes")}
    fig = viz.ledger(runs)
    rendered(fig)
    labels = {t.get_gid(): t.get_text() for t in fig.findobj(Text) if (t.get_gid() or "").startswith("count:")}
    table = fig.ledger_by_queue
    slices = [(run, q, fate, int(n)) for (run, q), row in table.iterrows() for fate, n in row.items() if n]
    assert len(slices) > 15
    for run, q, fate, n in slices:
        text = labels.get(f"count:{run}:{q}:{fate}")
        assert text is not None, (run, q, fate)
        assert text.split()[0] == str(n), (run, q, fate, text)
    thin = [t for t in labels.values() if len(t.split()) > 1 and not t.split()[1].endswith("%")]
    assert thin, "thin slices say what they are ('8 lost')"
    assert any(t.endswith(" lost") for t in thin)
