"""The routing graph of a run as a networkx DiGraph, and its export to DOT / GraphML.

Nodes are ``P:<producer>``, ``X:<exchange>``, ``Q:<queue>``, ``C:<consumer>``; a
producer or consumer with instances (``worker#0``, ``worker#1``) is one node. Edge
``kind`` is ``publish``, ``binding``, ``alternate``, ``dead_letter`` or ``deliver``;
``messages`` counts what crossed it in the run. Layout attributes (``layer``,
``order``) place producers left, then exchanges, queues and consumers.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import networkx as nx

from ..trace.events import ConsumerStarted
from ..trace.views import RunView
from .data import base_name, topology_of, view_of

__all__ = ["routing_networkx", "export_graph", "base_name"]


def _instances(names: set[str]) -> str:
    return f" ×{len(names)}" if len(names) > 1 else ""


def _exchange(G: nx.DiGraph, name: str, typ: str = "direct", alternate: Any = None) -> str:
    n = "X:" + name
    if n not in G:
        G.add_node(n, kind="exchange", name=name, type=typ, label=name or "(default)", alternate=alternate,
                   messages=0, unroutable=0, returned=0)
    return n


def _queue(G: nx.DiGraph, name: str, arguments: dict[str, Any] | None = None) -> str:
    n = "Q:" + name
    if n not in G:
        G.add_node(n, kind="queue", name=name, label=name, messages=0, arguments=dict(arguments or {}),
                   max_depth=0)
    return n


def _client(G: nx.DiGraph, kind: str, actor: Any) -> str:
    name = base_name(actor)
    n = ("P:" if kind == "producer" else "C:") + name
    if n not in G:
        G.add_node(n, kind=kind, name=name, label=name, messages=0, actors=set())
    if actor not in (None, "None"):
        G.nodes[n]["actors"].add(str(actor))
    return n


def _edge(G: nx.DiGraph, a: str, b: str, kind: str) -> dict[str, Any]:
    if not G.has_edge(a, b):
        G.add_edge(a, b, kind=kind, keys=[], arguments=[], messages=0)
    return G.edges[a, b]  # type: ignore[no-any-return]


def routing_networkx(run: Any) -> nx.DiGraph:
    """Producers → exchanges → queues → consumers, with binding keys and run traffic (the view's flows)."""
    view = view_of(run)
    topo = topology_of(run, view)
    G = nx.DiGraph(name="routing")
    for x in topo["exchanges"]:
        _exchange(G, x["name"], x.get("type", "direct"), (x.get("arguments") or {}).get("alternate-exchange"))
    for q in topo["queues"]:
        _queue(G, q["name"], q.get("arguments"))
    for b in topo["bindings"]:
        src = _exchange(G, b["source"])
        dst = _exchange(G, b["destination"]) if b.get("destination_type") == "exchange" else \
            _queue(G, b["destination"])
        d = _edge(G, src, dst, "binding")
        d["keys"].append(b.get("routing_key", ""))
        d["arguments"].append(dict(b.get("arguments") or {}))
    for n, d in list(G.nodes(data=True)):
        if d["kind"] == "exchange" and d.get("alternate") and "X:" + d["alternate"] in G:
            _edge(G, n, "X:" + d["alternate"], "alternate")
        dlx = (d.get("arguments") or {}).get("x-dead-letter-exchange") if d["kind"] == "queue" else None
        if dlx is not None and "X:" + str(dlx) in G:
            _edge(G, n, "X:" + str(dlx), "dead_letter")
    _traffic(G, run, view)
    _layers(G)
    return G


def _flows(view: RunView) -> list[tuple[str, str, str, str, int]]:
    """The view's flows as (source kind, source, destination kind, destination, messages)."""
    out = []
    for (src, dst), n in view.flows.items():
        s_kind, s = src.split(":", 1)
        d_kind, d = dst.split(":", 1)
        out.append((s_kind, s, d_kind, d, int(n)))
    return out


def _traffic(G: nx.DiGraph, run: Any, view: RunView) -> None:
    """Count what crossed each edge (the view's flows), and annotate nodes with the summary's statistics."""
    flows = _flows(view)
    for s_kind, s, d_kind, d, _ in flows:  # the default exchange binds every queue implicitly
        if (s_kind, s, d_kind) == ("exchange", "", "queue"):
            _edge(G, _exchange(G, ""), _queue(G, d), "binding")["keys"] = [d]
            G.edges["X:", "Q:" + d]["arguments"] = [{}]
    paths: dict[tuple[str, str], list[str]] = {}
    for s_kind, s, d_kind, d, n in flows:
        if s_kind == "producer":
            edge = _edge(G, _client(G, "producer", s), _exchange(G, d), "publish")
            edge["messages"] += n
            G.nodes["X:" + d]["messages"] += n
        elif s_kind == "exchange" and d_kind == "queue":
            key = ("X:" + s, _queue(G, d))
            if key not in paths:
                paths[key] = _path(G, *key)
            for a, b in zip(paths[key], paths[key][1:], strict=False):
                G.edges[a, b]["messages"] += n
        elif s_kind == "queue" and d_kind == "exchange":
            _edge(G, _queue(G, s), _exchange(G, d), "dead_letter")["messages"] += n
            G.nodes["X:" + d]["messages"] += n
        elif s_kind == "queue" and d_kind == "consumer":
            _edge(G, _queue(G, s), _client(G, "consumer", d), "deliver")["messages"] += n
        elif d_kind == "return" and "X:" + s in G:
            G.nodes["X:" + s]["returned"] += n
        elif d_kind == "unroutable" and "X:" + s in G:
            G.nodes["X:" + s]["unroutable"] += n  # returned ones too: taken off below
    for ev in view.frames:  # consumers that got nothing still show, on their queue
        if isinstance(ev, ConsumerStarted) and ev.actor is not None:
            _edge(G, _queue(G, ev.queue), _client(G, "consumer", ev.actor), "deliver")
    summary = view.summary
    for c in summary.get("consumers") or {}:
        if "C:" + base_name(c) in G:
            G.nodes["C:" + base_name(c)]["actors"].add(c)
    m = summary.get("messages") or {}
    for _, d in G.nodes(data=True):  # an exchange's unroutable publishes that were not returned: dropped
        if d["kind"] == "exchange":
            d["unroutable"] = max(0, d["unroutable"] - d["returned"])
    G.graph["unroutable"] = max(0, int(m.get("unroutable", 0)) - int(m.get("returned", 0)))
    for _, d in G.nodes(data=True):
        if d["kind"] in ("producer", "consumer"):
            d["instances"] = len(d["actors"])
            d["label"] = d["name"] + _instances(d["actors"])
            d["actors"] = ", ".join(sorted(d["actors"]))
    queues = summary.get("queues") or {}
    for n, d in G.nodes(data=True):
        if d["kind"] == "queue":
            q = queues.get(d["name"]) or {}
            d["max_depth"] = int(q.get("max_depth", 0))  # ready messages, as the summary counts them
            d["messages"] = int(q.get("enqueued", 0))
            for attr, fate in (("dead_letter", "dead_lettered"), ("expire", "expired"),
                               ("drop", "dropped_overflow"), ("loss", "lost"), ("discard", "discarded")):
                d[attr] = int(q.get(fate, 0))
        elif d["kind"] == "producer":
            d["messages"] = sum(G.edges[n, m]["messages"] for m in G.successors(n))
        elif d["kind"] == "consumer":
            d["messages"] = sum(G.edges[m, n]["messages"] for m in G.predecessors(n))


def _path(G: nx.DiGraph, src: str, dst: str) -> list[str]:
    """The exchange-to-queue path a routed copy most plausibly took (binding, e2e, alternate)."""
    if src not in G or dst not in G:
        return []
    if G.has_edge(src, dst):
        return [src, dst]
    sub = G.edge_subgraph([(a, b) for a, b, k in G.edges(data="kind") if k in ("binding", "alternate")])
    try:
        return nx.shortest_path(sub, src, dst)
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return []


def _layers(G: nx.DiGraph) -> None:
    """Columns by longest path from the producers: producers, exchanges, queues, consumers, and
    further right what dead-lettering or an alternate exchange leads to. Edges that close a
    cycle (a retry loop back to an earlier exchange) are marked ``back=True`` and ignored here.
    """
    roots = [n for n, k in G.nodes(data="kind") if k == "producer"]
    roots += sorted(n for n in G if G.in_degree(n) == 0 and n not in roots)
    back = _back_edges(G, roots)
    for a, b, d in G.edges(data=True):
        d["back"] = (a, b) in back
    dag = nx.DiGraph([(a, b) for a, b, bk in G.edges(data="back") if not bk])
    dag.add_nodes_from(G)
    layer: dict[str, int] = {}
    for n in nx.topological_sort(dag):
        preds = list(dag.predecessors(n))
        base = 0 if G.nodes[n]["kind"] == "producer" else 1
        layer[n] = max([layer[m] + 1 for m in preds] + [base])
    for n, d in G.nodes(data=True):
        d["layer"] = layer[n]
    for n, i in _order(G).items():
        G.nodes[n]["order"] = i


def _back_edges(G: nx.DiGraph, roots: list[str]) -> set[tuple[str, str]]:
    """Edges that point back to a node on the current DFS path (they close cycles)."""
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}
    for root in roots + list(G):
        if root in state:
            continue
        stack = [(root, iter(G.successors(root)))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(G.successors(nxt))))
    return back


def _order(G: nx.DiGraph) -> dict[str, int]:
    """Order nodes within each column by the barycentre of their neighbours (fewer crossings)."""
    cols: dict[int, list[str]] = defaultdict(list)
    for n, layer in G.nodes(data="layer"):
        cols[layer].append(n)
    into: dict[str, list[str]] = defaultdict(list)
    out: dict[str, list[str]] = defaultdict(list)
    for a, b, bk in G.edges(data="back"):
        if not bk:
            into[b].append(a)
            out[a].append(b)
    pos = {n: float(i) for col in cols.values() for i, n in enumerate(col)}

    def sweep(layers: list[int], nbrs: dict[str, list[str]]) -> None:
        for layer in layers:
            col = cols[layer]

            def key(n: str, layer: int = layer) -> float:
                lead = [pos[m] for m in nbrs[n] if G.nodes[m]["layer"] != layer]
                return sum(lead) / len(lead) if lead else pos[n]

            col.sort(key=key)
            for i, n in enumerate(col):
                pos[n] = float(i)

    layers = sorted(cols)
    for _ in range(3):
        sweep(layers[1:], into)
        sweep(layers[-2::-1], out)
    sweep(layers[1:], into)
    return {n: int(p) for n, p in pos.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple | set):
        return ", ".join(str(_plain(v)) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return "" if value is None else value


def export_graph(run: Any, path: str | Path) -> Path:
    """Write the routing graph as GraphML (``.graphml``) or Graphviz DOT (``.dot``/``.gv``).

    ``run`` is a run (see :mod:`.data`) or a graph from :func:`routing_networkx`.
    """
    G = run if isinstance(run, nx.Graph) else routing_networkx(run)
    path = Path(path)
    flat = nx.DiGraph(name=G.graph.get("name", "routing"))
    flat.add_nodes_from((n, {k: _plain(v) for k, v in d.items()}) for n, d in G.nodes(data=True))
    flat.add_edges_from((a, b, {k: _plain(v) for k, v in d.items()}) for a, b, d in G.edges(data=True))
    if path.suffix.lower() in (".dot", ".gv"):
        path.write_text(_dot(flat))
    else:
        nx.write_graphml(flat, path)
    return path


_SHAPES = {"producer": "box", "queue": "box3d", "consumer": "box", "direct": "cds", "fanout": "hexagon",
           "topic": "octagon", "headers": "ellipse"}


def _dot(G: nx.DiGraph) -> str:
    def q(s: Any) -> str:
        return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph routing {", "  rankdir=LR;", "  node [fontname=Helvetica, style=filled, fillcolor=white];"]
    for n, d in G.nodes(data=True):
        shape = _SHAPES.get(d.get("type") if d.get("kind") == "exchange" else d.get("kind"), "box")
        attrs = {k: v for k, v in d.items() if k != "label"}
        extra = " ".join(f"{k}={q(v)}" for k, v in attrs.items() if k.isidentifier())
        lines.append(f"  {q(n)} [label={q(d.get('label', n))}, shape={shape}, {extra}];")
    for a, b, d in G.edges(data=True):
        style = "dashed" if d.get("kind") in ("alternate", "dead_letter") else "solid"
        label = d.get("keys") or d.get("kind")
        lines.append(f"  {q(a)} -> {q(b)} [label={q(label)}, style={style}, messages={q(d.get('messages', 0))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
