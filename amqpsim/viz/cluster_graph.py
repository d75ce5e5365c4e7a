"""The cluster at one instant: its nodes, where each queue's leader and replicas are, the cut.

Drawn from the view's :class:`~amqpsim.trace.cluster.ClusterView` alone. Nodes are circles
on a ring (greyed when down, hatched when paused by pause_minority); under each node, a chip
per queue it holds: the *leader* (filled, bold edge), a *synced* replica (light fill) or an
*unsynchronised* one (white, dashed edge); a queue with no leader has red chips. The network
links between nodes are grey; during a partition, links across sides are red dotted and
crossed, and a red wall is drawn between the sides. The clients connected to a node are
named above it.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyBboxPatch, Patch

from ..trace.cluster_view import ClusterView
from . import style as S
from .data import name_of, view_of

__all__ = ["cluster_graph", "cluster_of", "NODE_STYLE"]

#: node state -> (face, edge, hatch)
NODE_STYLE: dict[str, tuple[str, str, str | None]] = {
    "up": ("#E3F2FD", "#1565C0", None),
    "down": ("#CFD8DC", "#90A4AE", None),
    "paused": ("#ECEFF1", "#90A4AE", "///"),
}
CUT = S.FAULT
NO_LEADER = S.FAULT
RADIUS = 0.22  # a node's circle, the ring has radius 1
CHIP_H = 0.085


def cluster_of(run: Any) -> ClusterView:
    """The run's cluster view; a ``ValueError`` for a single-node run."""
    cluster = view_of(run).cluster
    if cluster is None:
        raise ValueError("not a cluster run: its events have no ClusterFormed record")
    return cluster


def _ring(cv: ClusterView, sides: list[list[str]] | None) -> tuple[list[str], dict[str, tuple[float, float]]]:
    """Nodes in ring order (each side of a partition contiguous) and their positions."""
    order = list(cv.nodes)
    if sides:
        grouped = [n for side in sides for n in side if n in cv.nodes]
        order = grouped + [n for n in cv.nodes if n not in grouped]
    k = max(1, len(order))
    pos = {n: (math.cos(math.pi / 2 + 2 * math.pi * i / k), math.sin(math.pi / 2 + 2 * math.pi * i / k))
           for i, n in enumerate(order)}
    if k == 1:
        pos = {order[0]: (0.0, 0.0)}
    return order, pos


def _side_of(sides: list[list[str]] | None) -> dict[str, int]:
    return {n: i for i, side in enumerate(sides or []) for n in side}


@S.styled
def cluster_graph(run: Any, at: float | None = None, max_queues: int = 8, title: str | None = None) -> Figure:
    """The cluster at instant ``at`` (default: the end of the run): nodes up, down or paused,
    each queue's leader and replicas (synced or not), and the partition in force, if any."""
    view = view_of(run)
    cv = cluster_of(view)
    t = cv.end if at is None else float(at)
    sides = cv.partition_at(t)
    order, pos = _ring(cv, sides)
    side = _side_of(sides)
    if sides:  # nodes not listed are on the first side (SCENARIO-FORMAT.md)
        side = {n: side.get(n, 0) for n in order}
    queues = list(cv.placements)[:max_queues]
    fig = S.figure(8.5, 7.0 + 0.12 * len(queues))
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.axis("off")
    # the network
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            (x1, y1), (x2, y2) = pos[a], pos[b]
            if sides and side[a] != side[b]:
                ax.plot([x1, x2], [y1, y2], color=CUT, lw=1.3, ls=":", zorder=1, gid=f"cut:{a}|{b}")
            else:
                ax.plot([x1, x2], [y1, y2], color="#B0BEC5", lw=1.3, zorder=1, gid=f"link:{a}|{b}")
    if sides and len(order) > 1:
        k = len(order)
        for i in range(k):  # a wall at each boundary between two sides, from the centre outwards
            a, b = order[i], order[(i + 1) % k]
            if side[a] != side[b]:
                ang = math.pi / 2 + 2 * math.pi * (i + 0.5) / k
                ax.plot([0.0, 1.45 * math.cos(ang)], [0.0, 1.45 * math.sin(ang)], color=CUT, lw=3.0,
                        solid_capstyle="round", zorder=3, gid=f"partition:{a}|{b}")
    # the nodes
    clients: dict[str, list[str]] = {}
    for actor, node, opened, closed in cv.connections.values():
        if node is not None and opened <= t and (closed is None or closed > t):
            clients.setdefault(node, []).append(str(actor))
    for n in order:
        x, y = pos[n]
        state = cv.node_state(n, t)
        face, edge, hatch = NODE_STYLE[state]
        ax.add_patch(Circle((x, y), RADIUS, facecolor=face, edgecolor=edge, lw=2.2, hatch=hatch, zorder=4,
                            gid=f"node:{n}:{state}"))
        ax.text(x, y + 0.03, n, ha="center", va="center", fontsize=10, fontweight="bold", zorder=5,
                color=S.INK if state == "up" else S.MUTED)
        if state != "up":
            ax.text(x, y - 0.08, state, ha="center", va="center", fontsize=8, color=S.MUTED, zorder=5)
        names = sorted(set(clients.get(n, [])))
        if names:
            shown = ", ".join(names[:4]) + (f" +{len(names) - 4}" if len(names) > 4 else "")
            ax.text(x, y + RADIUS + 0.05, shown, ha="center", va="bottom", fontsize=7.5, color=S.MUTED, zorder=5,
                    gid=f"clients:{n}")
    # the queues
    for qi, q in enumerate(queues):
        p = cv.placement(q, t)
        if p is None:
            continue
        colour = S.series_color(qi)
        for n in p.members:
            if n not in pos:
                continue
            x, y = pos[n]
            cy = y - RADIUS - 0.06 - (CHIP_H + 0.02) * (qi + 1)
            role = "leader" if n == p.leader else "synced" if n in p.synced else "unsynced"
            red = p.leader is None
            face = colour if role == "leader" else "white" if role == "unsynced" else colour
            chip = FancyBboxPatch((x - 0.2, cy), 0.4, CHIP_H, boxstyle="round,pad=0.005,rounding_size=0.02",
                                  facecolor=face, alpha=1.0 if role != "synced" else 0.35,
                                  edgecolor=NO_LEADER if red else colour, lw=2.0 if role == "leader" else 1.1,
                                  ls="--" if role == "unsynced" else "-", zorder=6,
                                  gid=f"{'leader' if role == 'leader' else 'replica'}:{q}@{n}"
                                      + ("" if role == "leader" else f":{role}"))
            ax.add_patch(chip)
            label = q + (" ★" if role == "leader" else "") + (" ✕" if red else "")
            ax.text(x, cy + CHIP_H / 2, label, ha="center", va="center", fontsize=7, zorder=7,
                    color="white" if role == "leader" else NO_LEADER if red else S.INK)
    low = min((y for _, y in pos.values()), default=0.0) - RADIUS - 0.1 - (CHIP_H + 0.02) * (len(queues) + 1)
    ax.set_xlim(-1.55, 1.55)
    ax.set_ylim(min(low, -1.1), 1.5)
    handles: list[Any] = [
        Patch(facecolor=S.series_color(0), edgecolor=S.series_color(0), lw=2, label="leader ★"),
        Patch(facecolor=S.series_color(0), alpha=0.35, edgecolor=S.series_color(0), label="synced replica"),
        Patch(facecolor="white", edgecolor=S.series_color(0), ls="--", label="unsynchronised replica"),
        Patch(facecolor="white", edgecolor=NO_LEADER, label="no leader ✕"),
        Patch(facecolor=NODE_STYLE["down"][0], edgecolor=NODE_STYLE["down"][1], label="node down"),
        Patch(facecolor=NODE_STYLE["paused"][0], edgecolor=NODE_STYLE["paused"][1], hatch="///",
              label="node paused"),
    ]
    if sides:
        handles.append(Line2D([], [], color=CUT, lw=3, label="partition"))
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=8)
    name = name_of(run, "")
    where = " | ".join("+".join(s) for s in sides) if sides else "no partition"
    S.suptitle(fig, title or (f"Cluster at t = {round(t, 2):g} s" + (f" — {name}" if name else "")))
    ax.set_title(f"{len(cv.nodes)} nodes · partition_handling {cv.partition_handling} · {where}",
                 fontsize=9, color=S.MUTED, fontweight="normal", loc="left")
    return fig
