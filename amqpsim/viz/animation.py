"""Messages moving over the routing graph (matplotlib.animation), at the start of a run.

Each dot is a message hop: publish (producer → exchange), routing (exchange →
queue, through alternate or bound exchanges), dead-lettering (queue → exchange) and
delivery (queue → consumer). Drawn from the view's ``frames`` (the first events of
the run): copies are coloured by the fate they meet within them, in the ledger's
colours; a queue's box fills as it grows. Keep it short: ``frames`` frames over
``[start, end]`` (default: the span of the view's first events); save with
``anim.save("flow.gif", writer="pillow")``, or show it in a notebook as the value of
a cell (an HTML/JavaScript player). :func:`player_html`
is that player as a piece of HTML that works offline (the report embeds it).
"""

from __future__ import annotations

import bisect
import hashlib
import re
from typing import Any

import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D

from ..trace.events import (
    FATE_OF,
    Acked,
    DeadLettered,
    Delivered,
    Enqueued,
    Fate,
    Published,
    Requeued,
)
from ..trace.views import RunView
from . import style as S
from .data import KEPT, base_name, name_of, view_of
from .graph import _path, routing_networkx
from .routing import draw_graph, point_on

__all__ = ["flow_animation", "player_html"]

PUBLISH_DOT = "#455A64"
#: a copy whose fate comes after the view's first events
UNSEEN = "#B0BEC5"


def _fates(events: list[Any]) -> dict[int, str]:
    """The fate (a palette key) of each copy that ended within ``events``."""
    deliveries: dict[int, int] = {}
    out: dict[int, str] = {}
    for e in events:
        cls = type(e)
        if cls is Delivered:
            deliveries[e.copy] = deliveries.get(e.copy, 0) + 1
        elif cls is Acked:
            out[e.copy] = "redelivered" if deliveries.get(e.copy, 0) > 1 else "acked_once"
        elif cls is DeadLettered:
            out[e.copy] = f"{Fate.DEAD_LETTERED}:{e.reason}"
        elif cls in FATE_OF:
            out[e.copy] = FATE_OF[cls].value
    return out


def _moves(G: Any, events: list[Any], t0: float, t1: float) -> list[tuple[float, list[str], str]]:
    """(start time, node path, colour) for every hop that starts inside the window."""
    fates = _fates(events)

    def color(copy: int) -> str:
        return S.fate_color(fates[copy]) if copy in fates else UNSEEN

    out: list[tuple[float, list[str], str]] = []
    for e in events:
        if not t0 <= e.time <= t1:
            continue
        cls = type(e)
        if cls is Published:
            out.append((e.time, ["P:" + base_name(e.actor), "X:" + e.exchange], PUBLISH_DOT))
        elif cls is Enqueued:
            out.append((e.time, _path(G, "X:" + e.exchange, "Q:" + e.queue), color(e.copy)))
        elif cls is DeadLettered:
            out.append((e.time, ["Q:" + e.queue, "X:" + e.exchange], S.DEAD_LETTER))
        elif cls is Delivered:
            out.append((e.time, ["Q:" + e.queue, "C:" + base_name(e.actor)], color(e.copy)))
    return [m for m in out if len(m[1]) >= 2 and all(n in G for n in m[1])]


def _depths(events: list[Any]) -> dict[str, tuple[list[float], list[tuple[int, int]]]]:
    """Each queue's (ready, unacked) after every change within ``events``: (times, values)."""
    state: dict[int, int] = {}  # copy -> 0 ready, 1 delivered (unacked)
    counts: dict[str, list[int]] = {}
    out: dict[str, tuple[list[float], list[tuple[int, int]]]] = {}
    for e in events:
        cls = type(e)
        q = getattr(e, "queue", None)
        if q is None or not hasattr(e, "copy"):
            continue
        c = counts.setdefault(q, [0, 0])
        before = state.get(e.copy)
        if cls is Enqueued or cls is Requeued:
            after: int | None = 0
        elif cls is Delivered:
            after = 1
        elif cls is Acked or cls in FATE_OF:
            after = None
        else:
            continue
        if before is not None:
            c[before] -= 1
        if after is not None:
            c[after] += 1
            state[e.copy] = after
        else:
            state.pop(e.copy, None)
        times, values = out.setdefault(q, ([], []))
        if times and times[-1] == e.time:
            values[-1] = (c[0], c[1])
        else:
            times.append(e.time)
            values.append((c[0], c[1]))
    return out


def _depth_at(view: RunView, replay: dict[str, tuple[list[float], list[tuple[int, int]]]], queue: str,
              t: float, horizon: float) -> tuple[int, int]:
    """(ready, unacked) of ``queue`` at ``t``: replayed from the first events, else from the bins."""
    if t <= horizon:
        times, values = replay.get(queue, ([], []))
        i = bisect.bisect_right(times, t)
        return values[i - 1] if i else (0, 0)
    s = view.queues.get(queue)
    if s is None or not s.ready_last:
        return (0, 0)
    i = min(bisect.bisect_left(view.time, t), len(s.ready_last) - 1)
    return (s.ready_last[i], s.unacked_last[i])


@S.styled
def flow_animation(run: Any, start: float = 0.0, end: float | None = None, frames: int = 40,
                   fps: int = 8, max_dots: int = 300) -> FuncAnimation:
    """Animate messages flowing through the routing graph between ``start`` and ``end`` (default:
    the time of the last of the view's first events). Hops are drawn from the view's first events
    only; past them, the queues still fill from the view's bins."""
    view = view_of(run)
    events = view.frames
    G = routing_networkx(run)
    horizon = max((e.time for e in events), default=0.0)
    end = float(end if end is not None else (horizon or view.summary.get("sim_time") or 1.0))
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
    moves = _moves(G, events, start - hop, end)
    starts = np.array([m[0] for m in moves])
    dots = ax.scatter([], [], s=34, zorder=6, edgecolors="white", linewidths=0.6)
    clock = ax.text(0.01, 0.99, "", transform=ax.transAxes, ha="left", va="top", fontsize=11,
                    fontweight="bold", color=S.INK)
    replay = _depths(events)
    queues = [n for n, k in G.nodes(data="kind") if k == "queue"]
    peaks = {n: max(1, max(s.ready_max, default=0) + max(s.unacked_max, default=0))
             for n in queues for s in [view.queues.get(n[2:])] if s is not None}
    depth_text = {n: ax.annotate("", lay.xy[n], xytext=(0, -15), textcoords="offset points", ha="center",
                                 va="top", fontsize=7.5, color=S.MUTED) for n in queues}
    base = to_rgba(S.READY)
    name = name_of(run, "")
    ax.set_title("Message flow" + (f" — {name}" if name else ""), loc="left")
    if end > horizon and len(events) >= KEPT:
        ax.text(1.0, 1.0, f"dots: the first {len(events)} events (to t = {horizon:.1f} s)", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=8, color=S.MUTED)

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
            ready, unacked = _depth_at(view, replay, n[2:], t, horizon)
            depth_text[n].set_text(f"{ready} ready · {unacked} unacked")
            fill = min(1.0, (ready + unacked) / peaks.get(n, 1))
            box = lay.boxes[n].get_bbox_patch()
            if box is not None:
                box.set_facecolor((*base[:3], 0.08 + 0.6 * fill))
        return [dots, clock, *depth_text.values()]

    shown = dict.fromkeys(m[2] for m in moves)
    names = {S.fate_color(f): "copy: " + S.fate_label(f) for f in reversed(list(S.FATES))}
    names.update({PUBLISH_DOT: "published", S.DEAD_LETTER: "being dead-lettered",
                  UNSEEN: "copy: fate after these events"})
    handles = [Line2D([], [], ls="", marker="o", mfc=c, mec="white", ms=8, label=names.get(c, c)) for c in shown]
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)), fontsize=8)
    fig.draw_without_rendering()  # lay the figure out once; frames then skip the layout engine
    fig.set_layout_engine(None)  # no engine at all: "none" would still draw twice per frame
    anim = FuncAnimation(fig, update, frames=frames + 1, interval=1000 / fps, blit=False)
    anim._fig = fig  # type: ignore[attr-defined]
    anim._repr_html_ = lambda: player_html(anim)  # type: ignore[method-assign]
    return anim


# matplotlib's player draws its buttons with Font Awesome, loaded from a CDN: the same icons as
# inline SVG (16 x 16), so that a report opened offline has working, visible buttons.
_ICONS = {
    "minus": "M2 7h12v2H2z",
    "plus": "M7 2h2v5h5v2H9v5H7V9H2V7h5z",
    "fast-backward": "M2 2h2v12H2zM9.5 2v12L4 8zM15 2v12L9.5 8z",
    "step-backward": "M3 2h2v12H3zM13 2v12L5 8z",
    "play fa-flip-horizontal": "M13 2v12L3 8z",
    "pause": "M3 2h4v12H3zM9 2h4v12H9z",
    "play": "M3 2v12l10-6z",
    "step-forward": "M3 2v12l8-6zM11 2h2v12h-2z",
    "fast-forward": "M1 2v12l5.5-6zM6.5 2v12L12 8zM12 2h2v12h-2z",
}
_FONT_LINK = re.compile(r"<link\b[^>]*font-awesome[^>]*>\s*", re.S)
_ICON = re.compile(r'<i class="fa fa-([a-z -]+)"></i>')
_UUID = re.compile(r"[0-9a-f]{32}")


def _svg_icon(match: re.Match[str]) -> str:
    return ('<svg width="14" height="14" viewBox="0 0 16 16" fill="currentColor" '
            f'aria-hidden="true" style="vertical-align:middle"><path d="{_ICONS[match[1]]}"/></svg>')


def player_html(anim: FuncAnimation, default_mode: str = "loop") -> str:
    """The animation as matplotlib's HTML/JavaScript player, frames embedded, needing no network.

    ``to_jshtml`` links Font Awesome from a CDN for its button icons; here the link is
    dropped and every icon drawn as inline SVG.
    """
    page = _ICON.sub(_svg_icon, _FONT_LINK.sub("", anim.to_jshtml(default_mode=default_mode)))
    # the player names its elements after a random uuid: name them after the content instead,
    # so that the same run always gives the same page
    ids = set(_UUID.findall(page))
    stable = hashlib.sha1(_UUID.sub("", page).encode()).hexdigest()[:32]
    for uid in ids:
        page = page.replace(uid, stable)
    return page
