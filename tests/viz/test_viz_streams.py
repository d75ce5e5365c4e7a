"""The stream picture: the stream's retained offsets as a band, a line per consumer, lags noted."""

from __future__ import annotations

import math

from viz_helpers import gids, rendered, texts

from amqpsim import viz
from amqpsim.trace.events import (
    Appended,
    ConsumerStarted,
    Enqueued,
    Published,
    QueueDeclared,
    StreamDelivered,
    Truncated,
)
from amqpsim.trace.views import fold_view


def _events() -> list:
    """10 messages appended at t=0..9 (offsets 0..9); ``live`` reads each at once, ``audit`` reads
    0..3 at t=8; retention truncates the two oldest at t=9.5."""
    evs: list = [QueueDeclared(0.0, "app", "events", "stream", True, False, False),
                 ConsumerStarted(0.0, "live#0", "1", "events", "live#0", False, 10)]
    for i in range(10):
        evs += [Published(float(i), "p#0", "1", i, "", "events", None, 10),
                Enqueued(float(i), i, 100 + i, "events", "", "events", 10),
                Appended(float(i), i, 100 + i, "events", i),
                StreamDelivered(float(i), "live#0", "1", "live#0", i, 100 + i, "events", i, i + 1)]
        if i == 8:
            evs.append(ConsumerStarted(8.0, "audit#0", "2", "events", "audit#0", False, 10))
            evs += [StreamDelivered(8.0, "audit#0", "2", "audit#0", j, 100 + j, "events", j, j + 1)
                    for j in range(4)]
    evs += [Truncated(9.5, j, 100 + j, "events", j, "max-length-bytes") for j in range(2)]
    return evs


def test_the_view_keeps_each_stream_per_bin():
    view = fold_view(_events(), sim_time=10.0, interval=1.0)
    s = view.streams["events"]
    assert len(s.length) == len(view.time) == 10
    assert s.last[:3] == [0, 1, 2] and s.last[-1] == 9 and s.first[0] == 0 and s.first[-1] == 2
    assert s.length[-1] == 8 and s.readers["live#0"][-1] == 9
    assert s.readers["audit#0"][:8] == [None] * 8 and s.readers["audit#0"][-1] == 3
    assert view.summary["queues"]["events"]["consumers"]["audit#0"] == {"offset": 3, "lag": 6}


def test_the_series_survive_bins_merging():
    view = fold_view(_events(), sim_time=10.0, interval=0.01)  # 1000 bins: merged down
    s = view.streams["events"]
    assert len(s.length) == len(view.time) and s.last[-1] == 9 and s.readers["audit#0"][-1] == 3


def test_the_picture():
    fig = viz.stream_offsets(fold_view(_events(), sim_time=10.0, interval=1.0))
    rendered(fig)
    assert {"events:retained", "events:last", "events:first", "events:live#0", "events:audit#0",
            "events:note"} <= set(gids(fig))
    assert "length 8 · audit#0 lag 6 · live#0 lag 0" in texts(fig)
    line = next(a for a in fig.findobj() if a.get_gid() == "events:audit#0")
    ys = line.get_ydata()
    assert math.isnan(ys[1]) and ys[-1] == 3


def test_a_run_without_streams_says_so():
    fig = viz.stream_offsets(fold_view([QueueDeclared(0.0, None, "q", "classic", True, False, False)]))
    assert "no streams in this run" in texts(fig)


def test_the_ledger_has_a_slice_per_stream_fate():
    view = fold_view(_events(), sim_time=10.0, interval=1.0)
    table = viz.ledger_table(view, by_queue=True)
    row = table.iloc[0]
    assert (row["truncated"], row["retained"]) == (2, 8) and row.sum() == 10
    assert "remaining" not in table.columns
    fig = viz.ledger(view)
    rendered(fig)
    legend = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert {"truncated by stream retention", "retained in a stream"} <= set(legend)
