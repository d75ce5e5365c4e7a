"""Messages moving over the routing graph (matplotlib.animation).

Each dot is a message hop: publish (producer → exchange), routing (exchange →
queue, through alternate or bound exchanges), dead-lettering (queue → exchange) and
delivery (queue → consumer). Copies are coloured by their eventual fate, in the
ledger's colours; a queue's box fills as it grows. Keep it short: ``frames`` frames
over ``[start, end]``; save with ``anim.save("flow.gif", writer="pillow")``, or show
it in a notebook as the value of a cell (an HTML/JavaScript player).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D

from ..trace.events import EventKind as K
from ..trace.events import Fate
from . import style as S
from .data import events_of, name_of
from .graph import _path, base_name, routing_networkx
from .metrics import copy_fates, depth_series
from .routing import draw_graph, point_on

__all__ = ["flow_animation"]

PUBLISH_DOT = "#455A64"


def _moves(G: Any, ev: Any, t0: float, t1: float) -> list[tuple[float, list[str], str]]:
    """(start time, node path, colour) for every hop that starts inside the window."""
    fates = copy_fates(ev)["fate"]
    sel = ev.loc[(ev["time"] >= t0) & (ev["time"] <= t1)
                 & ev["kind"].isin([K.PUBLISH, K.ROUTE, K.DEAD_LETTER, K.DELIVER])]
    out: list[tuple[float, list[str], str]] = []
    copies = ev.loc[ev["kind"] == K.ENQUEUE, ["msg", "queue", "copy", "time"]]
    by_msg_queue = {(m, q, t): c for m, q, c, t in copies.itertuples(index=False)}
    for t, kind, actor, msg, copy, x, q, targets in sel[
            ["time", "kind", "actor", "msg", "copy", "exchange", "queue", "queues"]].itertuples(index=False):
        if kind == K.PUBLISH:
            out.append((t, ["P:" + base_name(actor), "X:" + str(x)], PUBLISH_DOT))
        elif kind == K.ROUTE:
            for target in targets:
                c = by_msg_queue.get((msg, target, t))
                color = S.fate_color(fates.get(c, Fate.REMAINING.value)) if c is not None else PUBLISH_DOT
                out.append((t, _path(G, "X:" + str(x), "Q:" + target), color))
        elif kind == K.DEAD_LETTER:
            out.append((t, ["Q:" + str(q), "X:" + str(x)], S.DEAD_LETTER))
        elif kind == K.DELIVER:
            out.append((t, ["Q:" + str(q), "C:" + base_name(actor)], S.fate_color(fates.get(copy, Fate.REMAINING.value))))
    return [m for m in out if len(m[1]) >= 2 and all(n in G for n in m[1])]


@S.styled
def flow_animation(run: Any, start: float = 0.0, end: float | None = None, frames: int = 40,
                   fps: int = 8, max_dots: int = 300) -> FuncAnimation:
    """Animate messages flowing through the routing graph between ``start`` and ``end``."""
    ev = events_of(run)
    G = routing_networkx(run)
    end = float(end if end is not None else (ev["time"].max() if len(ev) else 1.0))
    end = max(end, start + 1e-6)
    step = (end - start) / frames
    hop = step * 3.0
    counts: dict[int, int] = {}
    for _, layer in G.nodes(data="layer"):
        counts[layer] = counts.get(layer, 0) + 1
    layers = max(counts, default=0) + 1
    fig = S.figure(max(6.0, 2.1 * layers + 0.4), max(3.0, 0.95 * max(counts.values(), default=1) + 1.2))
    fig.set_dpi(80)  # a lighter animation: every frame is a full PNG
    ax = fig.add_subplot()
    lay = draw_graph(G, ax, labels=False)
    moves = _moves(G, ev, start - hop, end)
    starts = np.array([m[0] for m in moves])
    dots = ax.scatter([], [], s=34, zorder=6, edgecolors="white", linewidths=0.6)
    clock = ax.text(0.01, 0.99, "", transform=ax.transAxes, ha="left", va="top", fontsize=11,
                    fontweight="bold", color=S.INK)
    depth = depth_series(ev)
    queues = [n for n, k in G.nodes(data="kind") if k == "queue"]
    peaks = {n: max(1, int(G.nodes[n].get("max_depth") or 1)) for n in queues}
    series = {n: depth.loc[depth["queue"] == n[2:]] for n in queues}
    depth_text = {n: ax.annotate("", lay.xy[n], xytext=(0, -15), textcoords="offset points", ha="center",
                                 va="top", fontsize=7.5, color=S.MUTED) for n in queues}
    base = to_rgba(S.READY)
    name = name_of(run, "")
    ax.set_title("Message flow" + (f" — {name}" if name else ""), loc="left")

    def where(path: list[str], f: float) -> tuple[float, float]:
        hops = len(path) - 1
        i = min(int(f * hops), hops - 1)
        a, b = path[i], path[i + 1]
        points = lay.paths.get((a, b)) or [lay.xy[a], lay.xy[b]]
        return point_on(points, 0.18 + 0.64 * (f * hops - i))  # between the boxes

    def update(k: int) -> Any:
        t = start + k * step
        active = np.nonzero((starts <= t) & (starts > t - hop))[0][:max_dots]
        pts = [where(moves[i][1], (t - moves[i][0]) / hop) for i in active]
        dots.set_offsets(np.array(pts) if pts else np.empty((0, 2)))
        dots.set_facecolor([moves[i][2] for i in active] or ["none"])
        clock.set_text(f"t = {t:.1f} s")
        for n in queues:
            s = series[n]
            row = s.loc[s["time"] <= t].tail(1)
            ready, unacked = (int(row["ready"].iloc[0]), int(row["unacked"].iloc[0])) if len(row) else (0, 0)
            depth_text[n].set_text(f"{ready} ready · {unacked} unacked")
            fill = min(1.0, (ready + unacked) / peaks[n])
            box = lay.boxes[n].get_bbox_patch()
            if box is not None:
                box.set_facecolor((*base[:3], 0.08 + 0.6 * fill))
        return [dots, clock, *depth_text.values()]

    shown = dict.fromkeys(m[2] for m in moves)
    names = {S.fate_color(f): "copy: " + S.fate_label(f) for f in reversed(list(S.FATES))}
    names.update({PUBLISH_DOT: "published", S.DEAD_LETTER: "being dead-lettered"})
    handles = [Line2D([], [], ls="", marker="o", mfc=c, mec="white", ms=8, label=names.get(c, c)) for c in shown]
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)), fontsize=8)
    fig.draw_without_rendering()  # lay the figure out once; frames then skip the layout engine
    fig.set_layout_engine("none")
    anim = FuncAnimation(fig, update, frames=frames + 1, interval=1000 / fps, blit=False)
    anim._fig = fig  # type: ignore[attr-defined]
    anim._repr_html_ = anim.to_jshtml  # type: ignore[method-assign]
    return anim
