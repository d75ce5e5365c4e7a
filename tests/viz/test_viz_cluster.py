"""The pictures of a cluster run (graph at an instant, timeline) and its report, from synthetic records."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from viz_helpers import gids, rendered, texts

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "trace"))
from cluster_records import END, cluster_records  # noqa: E402

from amqpsim import viz  # noqa: E402
from amqpsim.trace.events import ClusterFormed, NodeDown, NodeUp, QueuePlaced  # noqa: E402
from amqpsim.trace.views import fold_view  # noqa: E402
from amqpsim.viz.report import CLUSTER_FIGURES, FIGURES, key_moment, write_report  # noqa: E402


@pytest.fixture(scope="module")
def view():
    return fold_view(cluster_records(), "fake-cluster", 1, END, 1.0)


def test_the_graph_during_the_partition(view):
    fig = viz.cluster_graph(view, at=70.0)
    rendered(fig)
    g = set(gids(fig))
    assert {"node:rabbit1:paused", "node:rabbit2:up", "node:rabbit3:up"} <= g
    assert {x for x in g if x.startswith("cut:")} == {"cut:rabbit1|rabbit2", "cut:rabbit1|rabbit3"}
    assert "link:rabbit2|rabbit3" in g
    assert len([x for x in g if x.startswith("partition:")]) == 2  # two walls make one cut of a ring
    assert {"leader:orders@rabbit2", "replica:orders@rabbit1:unsynced", "leader:payments@rabbit2",
            "replica:payments@rabbit1:synced", "replica:payments@rabbit3:unsynced", "leader:logs@rabbit3"} <= g
    assert "clients:rabbit1" in g
    assert any("rabbit1 | rabbit2+rabbit3" in t for t in texts(fig))


def test_the_graph_with_nodes_down_and_a_queue_without_leader(view):
    fig = viz.cluster_graph(view, at=11.0)
    rendered(fig)
    g = set(gids(fig))
    assert {"node:rabbit1:down", "node:rabbit2:up", "node:rabbit3:down"} <= g
    assert not any(x.startswith(("partition:", "cut:")) for x in g)
    assert "replica:logs@rabbit3:unsynced" in g and not any(x.startswith("leader:logs") for x in g)
    assert "logs ✕" in texts(fig)


def test_the_graph_defaults_to_the_end(view):
    fig = viz.cluster_graph(view)
    assert "Cluster at t = 120 s — fake-cluster" in texts(fig)
    assert "cut:rabbit1|rabbit3" in gids(fig) and "cut:rabbit1|rabbit2" not in gids(fig)


def test_the_timeline(view):
    fig = viz.cluster_timeline(view)
    rendered(fig)
    g = set(gids(fig))
    assert {"up:rabbit1", "up:rabbit2", "up:rabbit3", "down:rabbit1@8", "paused:rabbit1@65", "down:rabbit3@5"} <= g
    assert {"unavailable:logs@5", "unavailable:orders@8", "unavailable:payments@110", "leader:orders@rabbit1@0",
            "leader:orders@rabbit2@10", "leader:logs@rabbit3@15"} <= g
    for row in ("nodes", "leaders", "depth", "lost"):
        assert {f"partition:0:{row}", f"partition:1:{row}", f"detected:0:{row}"} <= g
        assert f"detected:1:{row}" not in g  # never detected
    assert {"ready:logs", "ready:orders", "ready:payments", "lost", "confirmed_lost"} <= g
    assert any("confirmed lost 2 · unconfirmed 1" in t for t in texts(fig))
    axes = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert [ax.get_title(loc="left") for ax in axes] == ["nodes", "queue leaders", "ready messages", "lost per bin"]
    assert all(ax.get_xlim() == (0.0, END) for ax in axes)


def test_a_single_node_run_has_no_cluster_pictures():
    single = fold_view(cluster_records(cluster=False), sim_time=END)
    with pytest.raises(ValueError, match="not a cluster run"):
        viz.cluster_graph(single)
    with pytest.raises(ValueError, match="not a cluster run"):
        viz.cluster_timeline(single)
    assert key_moment(single) is None


def test_the_reports_moment_is_the_first_change_of_leader(view):
    assert key_moment(view) == 5.0  # logs lost its leader with rabbit3
    formed = ClusterFormed(0.0, ("a", "b", "c"), "ignore", 60.0)
    placed = QueuePlaced(0.0, "q", "quorum", "a", ("a", "b", "c"), ("a", "b", "c"), "declared")
    calm = fold_view([formed, placed, NodeDown(3.0, "b", "crash"), NodeDown(4.0, "c", "stop"),
                      NodeUp(6.0, "b", "restart")], sim_time=10.0)
    assert key_moment(calm) == 4.0  # no leader changed: when the most nodes were down
    assert key_moment(fold_view([formed, placed], sim_time=10.0)) is None


def test_the_report_of_a_cluster_run(view, tmp_path):
    page = write_report(view, tmp_path, flow_frames=0).read_text()
    for stem in (*FIGURES, *CLUSTER_FIGURES):
        assert f'<section id="{stem}">' in page and (tmp_path / f"{stem}.png").exists()
        assert f'<a href="#{stem}">' in page
    assert page.count('<img src="data:image/png;base64,') == len(FIGURES) + len(CLUSTER_FIGURES)
    assert "could not draw" not in page
    for heading in ("Cluster nodes", "Network partitions", "Queues in the cluster", "confirmed lost", "unconfirmed"):
        assert heading in page
    assert page.index('id="routing"') < page.index('id="cluster_timeline"') < page.index('id="queue_depth"')


def test_the_report_of_a_single_node_run_has_no_cluster_section(tmp_path):
    page = write_report(fold_view(cluster_records(cluster=False), sim_time=END), tmp_path, flow_frames=0).read_text()
    assert "cluster" not in page.lower()
    assert page.count('<img src="data:image/png;base64,') == len(FIGURES)
