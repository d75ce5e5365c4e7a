"""The summary of a cluster run (SCENARIO-FORMAT.md, "Clusters"), from synthetic records."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from cluster_records import CLUSTER, END, MESSAGES, NODES, cluster_records  # noqa: E402

from amqpsim.trace.cluster import ClusterFold  # noqa: E402
from amqpsim.trace.events import ClusterFormed, QueueDeleted, QueuePlaced  # noqa: E402
from amqpsim.trace.recorder import Recorder  # noqa: E402
from amqpsim.trace.summary import Summarizer, summarize  # noqa: E402
from amqpsim.trace.views import fold_view  # noqa: E402


def test_the_cluster_keys_exactly():
    s = summarize(cluster_records(), "fake", 1, END)
    assert s["cluster"] == CLUSTER
    assert {k: s["messages"][k] for k in MESSAGES} == MESSAGES
    assert s["messages"]["lost"] == 4 and s["invariants"]["conservation"]
    json.dumps(s)  # the summary stays JSON


def test_a_single_node_run_has_no_cluster_keys():
    s = summarize(cluster_records(cluster=False), "fake", 1, END)
    assert "cluster" not in s
    assert not set(MESSAGES) & set(s["messages"])
    assert s["messages"]["lost"] == 4  # the same messages, the same fates


def test_the_other_figures_do_not_change_on_a_cluster():
    one, many = (summarize(cluster_records(c), "fake", 1, END) for c in (False, True))
    for name, placed in many["cluster"]["queues"].items():  # the one figure a cluster adds to a queue
        assert many["queues"][name]["type"] == placed["type"]
        many["queues"][name]["type"] = one["queues"][name]["type"]
    del many["cluster"]
    for k in MESSAGES:
        del many["messages"][k]
    assert one == many


def test_a_recorder_fed_in_batches_folds_the_same():
    rec = Recorder(keep=False, batch_size=3)
    fold = Summarizer()
    rec.batch_listeners.append(fold.take)
    for ev in cluster_records():
        rec.emit(ev)
    rec.flush()
    fold.finish(END)
    s = fold.summary("fake", 1, END)
    assert s["cluster"] == CLUSTER and s["messages"]["confirmed_lost"] == 2


def test_the_fold_alone_and_the_view():
    fold = ClusterFold(cluster_records()[0])
    fold.take(cluster_records())
    assert fold.summary(END) == CLUSTER and fold.messages() == MESSAGES
    view = fold_view(cluster_records(), sim_time=END, interval=10.0)
    cv = view.cluster
    assert cv is not None and cv.nodes == list(NODES) and cv.end == END
    assert sum(cv.lost) == 4 and sum(cv.confirmed_lost) == 2 and len(cv.lost) == len(view.time)
    assert cv.node_state("rabbit3", 6.0) == "down" and cv.node_state("rabbit1", 70.0) == "paused"
    assert cv.node_state("rabbit1", 91.0) == "up"
    assert cv.partition_at(30.0) == [["rabbit1"], ["rabbit2", "rabbit3"]] and cv.partition_at(95.0) is None
    assert cv.partition_at(END) == [["rabbit1", "rabbit2"], ["rabbit3"]]
    p = cv.placement("orders", 11.0)
    assert p is not None and p.leader == "rabbit2" and p.reason == "failover"
    assert cv.leader_windows("orders") == [(0.0, 8.0, "rabbit1"), (8.0, 10.0, None), (10.0, END, "rabbit2")]
    assert cv.connections["conn-1"] == ["web#0", "rabbit1", 0.5, None]
    assert fold_view(cluster_records(False), sim_time=END).cluster is None


def test_a_deleted_queue_is_not_unavailable():
    formed = ClusterFormed(0.0, ("a", "b"), "ignore", 60.0)
    fold = ClusterFold(formed)
    fold.take([QueuePlaced(0.0, "q", "classic", "a", ("a",), ("a",), "declared"),
               QueuePlaced(1.0, "q", "classic", None, ("a",), (), "unavailable"),
               QueueDeleted(4.0, None, "q", "client")])
    assert fold.summary(10.0)["queues"]["q"]["unavailable"] == 3.0


_leaders = st.lists(st.tuples(st.floats(0.0, 5.0, allow_nan=False), st.sampled_from(["a", "b", "c", None])),
                    min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(_leaders, st.floats(0.0, 10.0, allow_nan=False))
def test_unavailable_is_the_length_of_the_leaderless_spans(steps, tail):
    """``unavailable`` equals the summed length of the leader=None spans of ``leaders`` (to the
    end); ``leader_changes`` counts changes between two different nodes."""
    t, records = 0.0, []
    for dt, leader in steps:
        t += dt
        records.append(QueuePlaced(t, "q", "quorum", leader, ("a", "b", "c"), (), "election"))
    end = t + tail
    fold = ClusterFold(ClusterFormed(0.0, ("a", "b", "c"), "ignore", 60.0))
    fold.take(records)
    q = fold.summary(end)["queues"]["q"]
    spans = q["leaders"] + [[end, "end"]]
    gaps = sum(b[0] - a[0] for a, b in zip(spans, spans[1:], strict=False) if a[1] is None)
    assert abs(q["unavailable"] - gaps) < 1e-9
    nodes = [x[1] for x in q["leaders"] if x[1] is not None]
    assert q["leader_changes"] == sum(1 for x, y in zip(nodes, nodes[1:], strict=False) if x != y)
    assert all(a[1] != b[1] for a, b in zip(q["leaders"], q["leaders"][1:], strict=False))


def _printed(summary) -> str:
    from rich.console import Console

    from amqpsim.trace.table import print_summary

    console = Console(record=True, width=140)
    print_summary(summary, console)
    return console.export_text()


def test_the_tables_show_the_cluster():
    text = _printed(summarize(cluster_records(), "fake", 1, END))
    for shown in ("cluster nodes", "network partitions", "queues in the cluster", "confirmed_lost",
                  "unconfirmed", "rabbit1 | rabbit2+rabbit3", "65-91", "rabbit2@10"):
        assert shown in text, shown
    single = _printed(summarize(cluster_records(cluster=False), "fake", 1, END))
    assert "cluster" not in single and "confirmed_lost" not in single


def test_a_log_read_back_folds_the_same(tmp_path):
    from amqpsim.trace.io import read_events, write_events

    for name in ("log.jsonl", "log.parquet"):
        write_events(cluster_records(), tmp_path / name)
        s = summarize(read_events(tmp_path / name), "fake", 1, END)
        assert s["cluster"] == CLUSTER and {k: s["messages"][k] for k in MESSAGES} == MESSAGES, name
