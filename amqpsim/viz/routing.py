"""Draw the routing graph: producers → exchanges → queues → consumers, left to right."""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import ConnectionStyle, FancyArrowPatch, Patch
from matplotlib.path import Path
from matplotlib.text import Text

from . import style as S
from .data import name_of
from .graph import routing_networkx

__all__ = ["routing_graph", "draw_graph", "point_on", "Layout"]

X_STEP = 3.0  # data units between columns
Y_STEP = 1.25  # data units between rows


class Layout:
    """Where each node was drawn: ``xy`` positions and ``boxes`` (the label Text artists)."""

    def __init__(self) -> None:
        self.xy: dict[str, tuple[float, float]] = {}
        self.boxes: dict[str, Text] = {}
        self.edges: dict[tuple[str, str], FancyArrowPatch] = {}
        #: the points of each edge's curve in data coordinates (see :func:`point_on`)
        self.paths: dict[tuple[str, str], list[tuple[float, float]]] = {}


def _positions(G: nx.DiGraph) -> dict[str, tuple[float, float]]:
    counts: dict[int, int] = {}
    for _, layer in G.nodes(data="layer"):
        counts[layer] = counts.get(layer, 0) + 1
    tallest = max(counts.values(), default=1)
    xy = {}
    for n, d in G.nodes(data=True):
        k = counts[d["layer"]]
        offset = (tallest - k) / 2.0
        xy[n] = (d["layer"] * X_STEP, -(d["order"] + offset) * Y_STEP)
    return xy


def _node_style(d: dict[str, Any]) -> tuple[str, str, str]:
    if d["kind"] == "exchange":
        return S.EXCHANGE_STYLE.get(d.get("type", "direct"), S.EXCHANGE_STYLE["direct"])
    return {"producer": S.PRODUCER_STYLE, "queue": S.QUEUE_STYLE}.get(d["kind"], S.CONSUMER_STYLE)


def _stats(d: dict[str, Any]) -> str:
    kind = d["kind"]
    parts: list[str] = []
    if kind == "producer":
        parts.append(f"{d['messages']} published")
    elif kind == "exchange":
        parts.append(d.get("type", "direct"))
        if d.get("unroutable"):
            parts.append(f"{d['unroutable']} unroutable")
        if d.get("returned"):
            parts.append(f"{d['returned']} returned")
    elif kind == "queue":
        parts.append(f"max ready {d.get('max_depth', 0)}")
        for key, word in (("dead_letter", "dead-lettered"), ("expire", "expired"), ("drop", "dropped"),
                          ("loss", "lost"), ("discard", "discarded")):
            if d.get(key):
                parts.append(f"{d[key]} {word}")
    elif kind == "consumer":
        parts.append(f"{d['messages']} delivered")
    lines, line = [], ""
    for p in parts:
        line = f"{line} · {p}" if line else p
        if len(line) > 22:
            lines.append(line)
            line = ""
    return "\n".join(lines + ([line] if line else []))


def _edge_style(G: nx.DiGraph, a: str, b: str, d: dict[str, Any], peak: int) -> dict[str, Any]:
    kind = d["kind"]
    n = d.get("messages", 0)
    lw = 0.9 + 4.6 * math.sqrt(n / peak) if peak and n else 0.9
    color = {"publish": S.PRODUCER_STYLE[1], "deliver": S.CONSUMER_STYLE[1], "alternate": S.ALTERNATE,
             "dead_letter": S.DEAD_LETTER}.get(kind)
    if color is None:
        color = _node_style(G.nodes[a])[1]
    dashed = kind in ("alternate", "dead_letter")
    return {"lw": lw, "color": color, "linestyle": (0, (4, 2.5)) if dashed else "-",
            "alpha": 0.9 if n or dashed else 0.45}


def _edge_label(G: nx.DiGraph, a: str, d: dict[str, Any]) -> str:
    n = d.get("messages", 0)
    kind = d["kind"]
    if kind == "binding":
        xtype = G.nodes[a].get("type")
        if xtype == "headers":
            keys = [", ".join(f"{k}={v}" for k, v in args.items()) or "(no args)" for args in d["arguments"]]
        elif xtype == "fanout":
            keys = []
        else:
            keys = [k if k != "" else '""' for k in d["keys"]]
        text = "\n".join(keys[:3] + (["…"] if len(keys) > 3 else []))
        return (text + "\n" if text else "") + f"{n} msgs"
    if kind == "alternate":
        return f"alternate\n{n} msgs"
    if kind == "dead_letter":
        return f"dead-letter\n{n} msgs"
    return f"{n} msgs"


def point_on(points: list[tuple[float, float]], t: float) -> tuple[float, float]:
    """The point at ``t`` on a straight edge (2 points) or a loop (a cubic Bézier, 4 points)."""
    if len(points) == 2:
        (x0, y0), (x1, y1) = points
        return (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
    u = 1 - t
    w = (u ** 3, 3 * u * u * t, 3 * u * t * t, t ** 3)
    return (sum(k * p[0] for k, p in zip(w, points, strict=True)),
            sum(k * p[1] for k, p in zip(w, points, strict=True)))


class _Loop(ConnectionStyle._Base):
    """An edge that closes a cycle (a retry loop): down from A, under the graph, up into B.

    The control points are in data coordinates (the curve is the same in display
    coordinates, the transform being affine); the ends are clipped at the boxes.
    """

    def __init__(self, ax: Axes, points: list[tuple[float, float]]) -> None:
        super().__init__()
        self.ax = ax
        self.points = points

    def connect(self, posA: Any, posB: Any) -> Path:
        pts = self.ax.transData.transform(self.points)
        return Path(pts, [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])


def draw_graph(G: nx.DiGraph, ax: Axes, labels: bool = True) -> Layout:
    """Draw ``G`` (from :func:`routing_networkx`) on ``ax``; returns where things are."""
    lay = Layout()
    lay.xy = _positions(G)
    for n, d in G.nodes(data=True):
        face, edge, box = _node_style(d)
        x, y = lay.xy[n]
        weight = "bold" if d["kind"] in ("exchange", "queue") else "normal"
        t = ax.text(x, y, d.get("label") or n[2:] or "(default)", ha="center", va="center", fontsize=9.5,
                    fontweight=weight, color=S.INK, zorder=2,
                    bbox={"boxstyle": box, "fc": face, "ec": edge, "lw": 1.6})
        lay.boxes[n] = t
        stats = _stats(d)
        if stats and labels:
            ax.annotate(stats, (x, y), xytext=(0, -15), textcoords="offset points", ha="center", va="top",
                        fontsize=7.5, color=S.MUTED, zorder=4,
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})
    peak = max((m for *_, m in G.edges(data="messages", default=0)), default=0)
    floor = min((p[1] for p in lay.xy.values()), default=0.0) - 0.8 * Y_STEP
    for a, b, d in G.edges(data=True):
        kind = d["kind"]
        st = _edge_style(G, a, b, d, peak)
        (xa, ya), (xb, yb) = lay.xy[a], lay.xy[b]
        if d.get("back"):  # a loop back to the left: under everything, one lane per loop
            bottom = floor
            floor -= 0.45 * Y_STEP
            yc = (bottom - (ya + yb) / 8) / 0.75  # puts the curve's lowest point at ``bottom``
            lay.paths[(a, b)] = [(xa, ya), (xa + 0.35, yc), (xb - 0.35, yc), (xb, yb)]
            style: Any = _Loop(ax, lay.paths[(a, b)])
            st["zorder"] = 4.5  # over the node's statistics, so the arrowhead shows
        else:
            lay.paths[(a, b)] = [(xa, ya), (xb, yb)]
            style = "arc3,rad=0"
        arrow = FancyArrowPatch(lay.xy[a], lay.xy[b], patchA=lay.boxes[a].get_bbox_patch(),
                                patchB=lay.boxes[b].get_bbox_patch(), arrowstyle="-|>", mutation_scale=13,
                                connectionstyle=style, shrinkA=3, shrinkB=3, **{"zorder": 3, **st})
        ax.add_patch(arrow)
        lay.edges[(a, b)] = arrow
        if not labels:
            continue
        span = max(1, G.nodes[b]["layer"] - G.nodes[a]["layer"])
        where = 0.5 if kind != "binding" or span == 1 else 1 - 0.5 / span
        lx, ly = point_on(lay.paths[(a, b)], where)
        ax.text(lx, ly, _edge_label(G, a, d), ha="center", va="center", fontsize=7.5, color=st["color"],
                zorder=5, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})
    xs = [p[0] for p in lay.xy.values()] or [0.0]
    ys = [p[1] for p in lay.xy.values()] or [0.0]
    ax.set_xlim(min(xs) - X_STEP * 0.45, max(xs) + X_STEP * 0.45)
    ax.set_ylim(min(min(ys) - Y_STEP * 0.9, floor + 0.2 * Y_STEP), max(ys) + Y_STEP * 0.6)
    ax.set_axis_off()
    return lay


def _legend(fig: Figure, G: nx.DiGraph) -> None:
    handles: list[Any] = []
    kinds = {d["kind"] for _, d in G.nodes(data=True)}
    if "producer" in kinds:
        handles.append(Patch(fc=S.PRODUCER_STYLE[0], ec=S.PRODUCER_STYLE[1], label="producer"))
    for xtype in sorted({d.get("type") for _, d in G.nodes(data=True) if d["kind"] == "exchange"}):
        face, edge, _ = S.EXCHANGE_STYLE.get(xtype, S.EXCHANGE_STYLE["direct"])
        handles.append(Patch(fc=face, ec=edge, label=f"{xtype} exchange"))
    handles.append(Patch(fc=S.QUEUE_STYLE[0], ec=S.QUEUE_STYLE[1], label="queue"))
    if "consumer" in kinds:
        handles.append(Patch(fc=S.CONSUMER_STYLE[0], ec=S.CONSUMER_STYLE[1], label="consumer"))
    edge_kinds = {k for *_, k in G.edges(data="kind")}
    if "alternate" in edge_kinds:
        handles.append(Line2D([], [], color=S.ALTERNATE, ls="--", label="alternate exchange"))
    if "dead_letter" in edge_kinds:
        handles.append(Line2D([], [], color=S.DEAD_LETTER, ls="--", label="dead-lettering"))
    handles.append(Line2D([], [], color=S.MUTED, lw=3, label="width ∝ messages"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6), fontsize=8.5)


@S.styled
def routing_graph(run: Any, title: str | None = None) -> Figure:
    """Who publishes where, how exchanges route to queues, and who consumes — with the run's traffic.

    Exchanges are shaped and coloured by type; edges are labelled with binding keys
    (headers arguments for headers exchanges) and their width grows with the
    messages that crossed them; alternate and dead-letter exchanges are dashed.
    """
    G = run if isinstance(run, nx.DiGraph) else routing_networkx(run)
    layers = max((layer for _, layer in G.nodes(data="layer")), default=0) + 1
    counts: dict[int, int] = {}
    for _, layer in G.nodes(data="layer"):
        counts[layer] = counts.get(layer, 0) + 1
    tallest = max(counts.values(), default=1)
    fig = S.figure(max(6.5, 2.6 * layers + 0.6), max(3.4, 1.15 * tallest + 1.6))
    ax = fig.add_subplot()
    draw_graph(G, ax)
    name = "" if isinstance(run, nx.DiGraph) else name_of(run, "")
    ax.set_title(title or ("Routing" + (f" — {name}" if name else "")), loc="left")
    dropped = G.graph.get("unroutable", 0)
    if dropped and not any(d.get("unroutable") for _, d in G.nodes(data=True)):
        what = "publish" if dropped == 1 else "publishes"
        ax.text(1.0, 1.0, f"{dropped} {what} reached no queue", transform=ax.transAxes, ha="right",
                va="bottom", fontsize=8.5, color=S.MUTED)
    _legend(fig, G)
    fig.graph = G  # type: ignore[attr-defined]
    return fig
