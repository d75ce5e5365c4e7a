"""Latency: queue wait per queue, publish→ack per consumer, percentiles marked."""

from __future__ import annotations

import numpy as np
from viz_helpers import rendered, texts

from amqpsim import viz
from amqpsim.viz.data import events_of
from amqpsim.viz.metrics import latencies, waits


def test_rows_per_queue_and_consumer_with_percentiles(run):
    fig = viz.latency(run)
    rendered(fig)
    ev = events_of(run)
    ticks = [t.get_text().split("\n")[0] for ax in fig.axes for t in ax.get_yticklabels()]
    for q in waits(ev)["queue"].unique()[:10]:
        assert q in ticks
    for c in latencies(ev)["consumer"].unique()[:10]:
        assert c in ticks
    assert sum(t.startswith("p50 ") for t in texts(fig)) >= 2
    assert {"p50", "p95", "p99"} <= set(texts(fig))


def test_wait_is_first_delivery_minus_enqueue(store):
    w = waits(events_of(store))
    assert (w["wait"] >= 0).all()
    summary_p50 = np.percentile(w.loc[w["queue"] == "warehouse", "wait"], 50)
    from amqpsim.trace.summary import summarize

    s = summarize(store.events)
    assert abs(s["queues"]["warehouse"]["wait"]["p50"] - summary_p50) < 1e-9
