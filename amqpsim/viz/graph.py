"""The routing graph of a run as a networkx DiGraph, and its export to DOT / GraphML.

Nodes are ``P:<producer>``, ``X:<exchange>``, ``Q:<queue>``, ``C:<consumer>``; a
producer or consumer with instances (``worker#0``, ``worker#1``) is one node. Edge
``kind`` is ``publish``, ``binding``, ``alternate``, ``dead_letter`` or ``deliver``;
``messages`` counts what crossed it in the run. Layout attributes (``layer``,
``order``) place producers left, then exchanges, queues and consumers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from ..trace.events import EventKind as K
from .data import events_of, summary_of, topology_of
from .metrics import _flag, depth_series

__all__ = ["routing_networkx", "export_graph", "base_name"]


def base_name(actor: Any) -> str:
    """``worker#2`` -> ``worker``: instances of one actor share a node."""
    return str(actor).split("#", 1)[0] if actor is not None and actor == actor else "client"


def _instances(names: set[str]) -> str:
    return f" ×{len(names)}" if len(names) > 1 else ""


def routing_networkx(run: Any) -> nx.DiGraph:
    """Producers → exchanges → queues → consumers, with binding keys and run traffic."""
    ev = events_of(run)
    topo = topology_of(run, ev)
    G = nx.DiGraph(name="routing")
    for x in topo["exchanges"]:
        ae = (x.get("arguments") or {}).get("alternate-exchange")
        G.add_node("X:" + x["name"], kind="exchange", name=x["name"], type=x.get("type", "direct"),
                   label=x["name"] or "(default)", alternate=ae, messages=0, unroutable=0, returned=0)
    for q in topo["queues"]:
        G.add_node("Q:" + q["name"], kind="queue", name=q["name"], label=q["name"], messages=0,
                   arguments=dict(q.get("arguments") or {}), max_depth=0)
    if (ev.loc[ev["kind"] == K.PUBLISH, "exchange"] == "").any():
        G.add_node("X:", kind="exchange", name="", type="direct", label="(default)", alternate=None,
                   messages=0, unroutable=0, returned=0)
        routed = ev.loc[(ev["kind"] == K.ROUTE) & (ev["exchange"] == ""), "queues"]
        for name in dict.fromkeys(q for targets in routed for q in targets):
            if "Q:" + name in G:  # the default exchange's implicit binding: routing key = queue name
                G.add_edge("X:", "Q:" + name, kind="binding", keys=[name], arguments=[{}], messages=0)
    for b in topo["bindings"]:
        dst = ("X:" if b.get("destination_type") == "exchange" else "Q:") + b["destination"]
        src = "X:" + b["source"]
        for n in (src, dst):
            if n not in G:
                G.add_node(n, kind="exchange" if n[0] == "X" else "queue", name=n[2:], label=n[2:],
                           type="direct", messages=0, unroutable=0, returned=0, max_depth=0)
        if not G.has_edge(src, dst):
            G.add_edge(src, dst, kind="binding", keys=[], arguments=[], messages=0)
        G.edges[src, dst]["keys"].append(b.get("routing_key", ""))
        G.edges[src, dst]["arguments"].append(dict(b.get("arguments") or {}))
    for n, d in list(G.nodes(data=True)):
        if d["kind"] == "exchange" and d.get("alternate") and "X:" + d["alternate"] in G:
            G.add_edge(n, "X:" + d["alternate"], kind="alternate", keys=[], arguments=[], messages=0)
        dlx = (d.get("arguments") or {}).get("x-dead-letter-exchange") if d["kind"] == "queue" else None
        if dlx is not None and "X:" + str(dlx) in G:
            G.add_edge(n, "X:" + str(dlx), kind="dead_letter", keys=[], arguments=[], messages=0)
    _traffic(G, ev)
    queues = (summary_of(run) or {}).get("queues") or {}
    for name, stats in queues.items():
        if "Q:" + name in G and isinstance(stats, dict) and "max_depth" in stats:
            G.nodes["Q:" + name]["max_depth"] = int(stats["max_depth"])
    _layers(G)
    return G


def _node(G: nx.DiGraph, n: str, kind: str, name: str) -> None:
    if n not in G:
        G.add_node(n, kind=kind, name=name, label=name, messages=0, actors=set())


def _traffic(G: nx.DiGraph, ev: pd.DataFrame) -> None:
    """Count what crossed each edge, and annotate nodes with their run statistics."""
    pub = ev.loc[ev["kind"] == K.PUBLISH]
    for (actor, x), n in pub.groupby([pub["actor"].map(base_name), "exchange"]).size().items():
        _node(G, "P:" + actor, "producer", actor)
        xs = "X:" + x
        if xs not in G:
            G.add_node(xs, kind="exchange", name=x, type="direct", label=x or "(default)", messages=0,
                       unroutable=0, returned=0)
        G.add_edge("P:" + actor, xs, kind="publish", keys=[], arguments=[], messages=int(n))
    for actor in pub["actor"].dropna().unique():
        G.nodes["P:" + base_name(actor)]["actors"].add(actor)
    paths: dict[tuple[str, str], list[str]] = {}
    for x, targets in ev.loc[ev["kind"] == K.ROUTE, ["exchange", "queues"]].itertuples(index=False):
        if "X:" + x in G:
            G.nodes["X:" + x]["messages"] += 1
        for q in targets:
            key = ("X:" + x, "Q:" + q)
            if key not in paths:
                paths[key] = _path(G, *key)
            for a, b in zip(paths[key], paths[key][1:], strict=False):
                G.edges[a, b]["messages"] += 1
    client = ~_flag(ev["dead_letter"])  # a client's publish, not a dead-letter republish
    for kind, attr in ((K.UNROUTABLE, "unroutable"), (K.RETURN, "returned")):
        sel = ev.loc[(ev["kind"] == kind) & client]
        for x, n in sel.groupby("exchange").size().items():
            if "X:" + x in G:
                G.nodes["X:" + x][attr] = int(n)
    dl = ev.loc[ev["kind"] == K.DEAD_LETTER]
    for (q, x), n in dl.groupby(["queue", "exchange"]).size().items():
        if "Q:" + q in G and "X:" + x in G:
            if not G.has_edge("Q:" + q, "X:" + x):
                G.add_edge("Q:" + q, "X:" + x, kind="dead_letter", keys=[], arguments=[], messages=0)
            G.edges["Q:" + q, "X:" + x]["messages"] = int(n)
    dlv = ev.loc[ev["kind"] == K.DELIVER]
    for (q, actor), n in dlv.groupby(["queue", dlv["actor"].map(base_name)]).size().items():
        _node(G, "C:" + actor, "consumer", actor)
        G.add_edge("Q:" + q, "C:" + actor, kind="deliver", keys=[], arguments=[], messages=int(n))
    cons = ev.loc[ev["kind"].isin([K.CONSUME, K.DELIVER])]
    for q, actor in cons[["queue", "actor"]].dropna().itertuples(index=False):
        _node(G, "C:" + base_name(actor), "consumer", base_name(actor))
        G.nodes["C:" + base_name(actor)]["actors"].add(actor)
        if "Q:" + q in G and not G.has_edge("Q:" + q, "C:" + base_name(actor)):
            G.add_edge("Q:" + q, "C:" + base_name(actor), kind="deliver", keys=[], arguments=[], messages=0)
    for _, d in G.nodes(data=True):
        if d["kind"] in ("producer", "consumer"):
            d["instances"] = len(d["actors"])
            d["label"] = d["name"] + _instances(d["actors"])
            d["actors"] = ", ".join(sorted(d["actors"]))
    depth = depth_series(ev)
    fates: Counter[tuple[str, str]] = Counter()
    for event_kind in (K.ENQUEUE, K.DEAD_LETTER, K.EXPIRE, K.DROP, K.LOSS, K.DISCARD, K.DELIVER):
        for q, n in ev.loc[ev["kind"] == event_kind].groupby("queue").size().items():
            fates[(str(q), str(event_kind))] = int(n)
    for n, d in G.nodes(data=True):
        if d["kind"] == "queue":
            q = d["name"]
            qd = depth.loc[depth["queue"] == q]
            d["max_depth"] = int(qd["ready"].max()) if len(qd) else 0  # ready copies, as the summary
            d["messages"] = fates[(q, "enqueue")]
            for fate in ("dead_letter", "expire", "drop", "loss", "discard"):
                d[fate] = fates[(q, fate)]
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
