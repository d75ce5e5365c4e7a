"""The routing graph: a node per exchange and queue, an edge per binding, traffic on the edges."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
from viz_helpers import rendered, texts

import amqpsim
from amqpsim import viz
from amqpsim.viz.data import topology_of, view_of

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_node_per_exchange_and_queue_edge_per_binding(run):
    G = viz.routing_networkx(run)
    topo = topology_of(run)
    for x in topo["exchanges"]:
        assert G.nodes["X:" + x["name"]]["kind"] == "exchange"
    for q in topo["queues"]:
        assert G.nodes["Q:" + q["name"]]["kind"] == "queue"
    pairs = {("X:" + b["source"], ("X:" if b["destination_type"] == "exchange" else "Q:") + b["destination"])
             for b in topo["bindings"]}
    implicit = "X:"  # the default exchange binds every queue implicitly; definitions.json omits it
    assert pairs == {(a, b) for a, b, k in G.edges(data="kind") if k == "binding" and a != implicit}
    assert {k for _, k in G.nodes(data="kind")} >= {"producer", "exchange", "queue", "consumer"}


def test_traffic_on_edges(store):
    G = viz.routing_networkx(store)
    summary = view_of(store).summary
    enq = {q: s["enqueued"] for q, s in summary["queues"].items()}
    assert G.edges["P:web", "X:orders"]["messages"] == summary["messages"]["published"]
    assert G.edges["X:orders", "Q:warehouse"]["messages"] == enq["warehouse"]
    assert G.edges["X:dlx", "Q:dead"]["messages"] == enq["dead"]
    # the alternate exchange took what orders' own bindings could not route
    assert G.edges["X:orders", "X:unrouted"]["kind"] == "alternate"
    assert G.edges["X:orders", "X:unrouted"]["messages"] == enq["lost+found"]
    assert G.edges["Q:warehouse", "X:dlx"]["kind"] == "dead_letter"
    assert G.edges["Q:warehouse", "X:dlx"]["messages"] == summary["messages"]["dead_lettered"]
    assert G.nodes["C:worker"]["instances"] == 3 and G.nodes["P:web"]["label"] == "web ×2"
    assert G.nodes["Q:warehouse"]["max_depth"] == 15  # x-max-length 15: ready copies never exceed it
    delivered = sum(c["delivered"] for name, c in summary["consumers"].items() if name.startswith("worker#"))
    assert G.edges["Q:warehouse", "C:worker"]["messages"] == delivered


def test_dead_letter_edges_from_the_scenarios_arguments(lean_run):
    """x-dead-letter-exchange draws its edge; the flows count what crossed it."""
    G = viz.routing_networkx(lean_run)
    (queue,) = [q for q in lean_run.scenario.topology.queues if q.arguments.get("x-dead-letter-exchange")]
    edge = G.edges["Q:" + queue.name, "X:" + queue.arguments["x-dead-letter-exchange"]]
    assert edge["kind"] == "dead_letter"
    assert edge["messages"] == lean_run.summary["queues"][queue.name]["dead_lettered"]


def test_a_consumer_that_got_nothing_still_shows(locked_run):
    G = viz.routing_networkx(locked_run)
    assert G.nodes["C:worker"]["instances"] == 2 and G.nodes["C:worker"]["label"] == "worker ×2"


def test_unroutable_publishes_are_counted():
    result = amqpsim.run(SCENARIOS / "unroutable.yaml", events=False, pictures=True)
    G = viz.routing_networkx(result)
    m = result.summary["messages"]
    returned = sum(d.get("returned", 0) for _, d in G.nodes(data=True))
    dropped = sum(d.get("unroutable", 0) for _, d in G.nodes(data=True))
    assert (returned, G.graph["unroutable"]) == (m["returned"], m["unroutable"] - m["returned"])
    assert dropped in (0, G.graph["unroutable"])
    shown = "\n".join(texts(viz.routing_graph(result)))
    assert f"{m['returned']} returned" in shown


def test_left_to_right_layers(store):
    G = viz.routing_networkx(store)
    layer = dict(G.nodes(data="layer"))
    assert layer["P:web"] < layer["X:orders"] < layer["Q:warehouse"] < layer["C:worker"]
    assert layer["Q:warehouse"] < layer["X:dlx"] < layer["Q:dead"]


def test_figure_shows_every_node_and_binding_key(run):
    fig = viz.routing_graph(run)
    rendered(fig)
    shown = "\n".join(texts(fig))
    G = fig.graph
    for n, d in G.nodes(data=True):
        assert d["label"] in shown, n
    for a, _b, keys in G.edges(data="keys"):
        if G.nodes[a].get("type") in ("direct", "topic"):
            for key in keys:
                assert (key or '""') in shown
    assert "alternate exchange" in shown or not any(k == "alternate" for *_, k in G.edges(data="kind"))


def test_dashed_edges_for_alternate_and_dead_letter(store):
    fig = viz.routing_graph(store)
    from matplotlib.patches import FancyArrowPatch

    styles = {p.get_linestyle() for p in fig.findobj(FancyArrowPatch)}
    assert "-" in styles and any(s != "-" for s in styles)
    assert any(t.startswith("dead-letter\n") for t in texts(fig))
    assert any(t.startswith("alternate\n") for t in texts(fig))


def test_export_graphml_and_dot(store, tmp_path):
    G = viz.routing_networkx(store)
    path = viz.export_graph(store, tmp_path / "routing.graphml")
    back = nx.read_graphml(path)
    assert set(back.nodes) == set(G.nodes) and back.number_of_edges() == G.number_of_edges()
    dot = viz.export_graph(G, tmp_path / "routing.dot").read_text()
    assert dot.startswith("digraph routing {") and '"X:orders" -> "Q:warehouse"' in dot
    assert dot.count("->") == G.number_of_edges()


def test_default_exchange_session(session):
    G = viz.routing_networkx(session)
    assert G.nodes["X:"]["label"] == "(default)"
    assert G.edges["X:", "Q:hello"]["messages"] == 1
    assert G.nodes["X:"]["returned"] == 1
    rendered(viz.routing_graph(session))
