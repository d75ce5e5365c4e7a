"""The cluster over time: nodes, partitions, queue leaders, depth and losses on one time axis.

Drawn from the view alone (its :class:`~amqpsim.trace.cluster.ClusterView` and its bins).
Rows, sharing the time axis: one lane per *node* (up, down, paused by pause_minority);
one lane per *queue* with its leader over time (coloured by node, named) and the windows
it had none (red, hatched); each queue's *ready* messages per bin; and the copies *lost*
per bin, with the publishes found confirmed-lost. Partition windows are shaded across
every row, the instant the nodes detected the partition marked with a dotted line.
"""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..trace.cluster_view import ClusterView
from . import style as S
from .cluster_graph import NO_LEADER, NODE_STYLE, cluster_of
from .data import name_of, step_xy, view_of

__all__ = ["cluster_timeline"]

UP = "#A5D6A7"
PARTITION = S.FAULT
CONFIRMED_LOST = "#6A1B9A"
#: the nodes' colours (queues have the series colours, as in the other pictures)
NODE_COLOURS = ["#3949AB", "#00897B", "#F4511E", "#6D4C41", "#8E24AA", "#546E7A", "#C0CA33", "#00ACC1"]


def _shade_partitions(ax: Axes, cv: ClusterView, row: str) -> None:
    for i, p in enumerate(cv.partitions):
        ax.axvspan(p["start"], p["end"], color=PARTITION, alpha=0.09, lw=0, zorder=0, gid=f"partition:{i}:{row}")
        if p["detected"] is not None:
            ax.axvline(p["detected"], color=PARTITION, lw=1.2, ls=":", zorder=1, gid=f"detected:{i}:{row}")


def _node_colours(cv: ClusterView) -> dict[str | None, str]:
    return {n: NODE_COLOURS[i % len(NODE_COLOURS)] for i, n in enumerate(cv.nodes)}


def _lanes(ax: Axes, names: list[str]) -> None:
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)


@S.styled
def cluster_timeline(run: Any, queues: list[str] | None = None, max_queues: int = 8,
                     title: str | None = None) -> Figure:
    """Nodes up/down/paused, partitions (shaded; detection dotted), each queue's leader and
    unavailable windows, ready messages and lost copies per bin, on one time axis."""
    view = view_of(run)
    cv = cluster_of(view)
    end = cv.end or 1.0
    shown = list(queues) if queues is not None else list(cv.placements)[:max_queues]
    colours = _node_colours(cv)
    n_nodes, n_q = max(1, len(cv.nodes)), max(1, len(shown))
    fig = S.figure(11, 3.4 + 0.32 * (n_nodes + n_q) + 1.4)
    axes = fig.subplots(4, 1, sharex=True, height_ratios=[0.5 + 0.3 * n_nodes, 0.5 + 0.3 * n_q, 1.3, 1.0])
    ax_nodes, ax_leaders, ax_depth, ax_lost = axes
    for ax, row in zip(axes, ("nodes", "leaders", "depth", "lost"), strict=True):
        _shade_partitions(ax, cv, row)
    # the nodes
    _lanes(ax_nodes, cv.nodes)
    ax_nodes.set_title("nodes", loc="left", fontsize=10)
    for i, n in enumerate(cv.nodes):
        ax_nodes.broken_barh([(0.0, end)], (i - 0.3, 0.6), facecolors=UP, gid=f"up:{n}")
        for w in cv.windows.get(n, []):
            stop = end if w.end is None else w.end
            face, edge, hatch = NODE_STYLE[w.state]
            ax_nodes.broken_barh([(w.start, max(stop - w.start, 0.0))], (i - 0.3, 0.6), facecolors=face,
                                 edgecolors=edge, hatch=hatch, lw=0.8, gid=f"{w.state}:{n}@{w.start:g}")
            if stop - w.start > end / 40:
                ax_nodes.text((w.start + stop) / 2, i, w.cause, ha="center", va="center", fontsize=7.5,
                              color=S.INK, clip_on=True)
    # the queues' leaders
    _lanes(ax_leaders, shown or ["no queue"])
    ax_leaders.set_title("queue leaders", loc="left", fontsize=10)
    for i, q in enumerate(shown):
        for start, stop, leader in cv.leader_windows(q):
            width = max(stop - start, 0.0)
            if leader is None:
                ax_leaders.broken_barh([(start, width)], (i - 0.3, 0.6), facecolors="white", edgecolors=NO_LEADER,
                                       hatch="xx", lw=0.8, gid=f"unavailable:{q}@{start:g}")
                continue
            ax_leaders.broken_barh([(start, width)], (i - 0.3, 0.6), facecolors=colours.get(leader, S.MUTED),
                                   alpha=0.75, lw=0, gid=f"leader:{q}@{leader}@{start:g}")
            if width > end / 25:
                ax_leaders.text(start + width / 2, i, leader, ha="center", va="center", fontsize=7.5,
                                color="white", clip_on=True)
    # ready messages
    ax_depth.set_title("ready messages", loc="left", fontsize=10)
    drew = False
    for i, q in enumerate(shown):
        s = view.queues.get(q)
        if s is None or not any(s.ready_max):
            continue
        t, v = step_xy(view, s.ready_last)
        ax_depth.step(t, v, where="post", color=S.series_color(i), lw=1.3, label=q, gid=f"ready:{q}")
        drew = True
    if drew:
        ax_depth.legend(loc="upper right", fontsize=8, ncols=min(4, len(shown)))
    else:
        ax_depth.text(0.5, 0.5, "no messages waited", transform=ax_depth.transAxes, ha="center", color=S.MUTED)
    ax_depth.set_ylim(bottom=0)
    # losses
    ax_lost.set_title("lost per bin", loc="left", fontsize=10)
    nb = min(len(cv.lost), len(view.time))
    starts = [0.0, *view.time[: nb - 1]] if nb else []
    widths = [b - a for a, b in zip(starts, view.time[:nb], strict=True)]
    if any(cv.lost):
        ax_lost.bar(starts, cv.lost[:nb], width=widths, align="edge", color=S.fate_color("lost"), alpha=0.8,
                    gid="lost", label="copies lost")
        if any(cv.confirmed_lost):
            ax_lost.bar(starts, cv.confirmed_lost[:nb], width=widths, align="edge", facecolor="none",
                        edgecolor=CONFIRMED_LOST, hatch="////", lw=1.0, gid="confirmed_lost",
                        label="confirmed publishes lost")
        ax_lost.legend(loc="upper right", fontsize=8)
    else:
        ax_lost.text(0.5, 0.5, "no copy lost", transform=ax_lost.transAxes, ha="center", color=S.MUTED)
    ax_lost.set_ylim(bottom=0)
    ax_lost.set_xlim(0, end)
    ax_lost.set_xlabel("simulated time (s)")
    handles: list[Any] = [
        Patch(facecolor=UP, label="node up"),
        Patch(facecolor=NODE_STYLE["down"][0], edgecolor=NODE_STYLE["down"][1], label="node down"),
        Patch(facecolor=NODE_STYLE["paused"][0], edgecolor=NODE_STYLE["paused"][1], hatch="///",
              label="node paused"),
        Patch(facecolor="white", edgecolor=NO_LEADER, hatch="xx", label="queue without a leader"),
        Patch(facecolor=PARTITION, alpha=0.2, label="partition"),
        Line2D([], [], color=PARTITION, ls=":", lw=1.2, label="partition detected"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=6, fontsize=8,
               title=f"leaders coloured by node · bins of {view.interval:g} s", title_fontsize=8.5)
    m = view.summary.get("messages") or {}
    name = name_of(run, "")
    S.suptitle(fig, title or ("Cluster over time" + (f" — {name}" if name else "")))
    ax_nodes.text(1.0, 1.02, f"partition_handling {cv.partition_handling} · lost {m.get('lost', 0)} · "
                  f"confirmed lost {m.get('confirmed_lost', 0)} · unconfirmed {m.get('unconfirmed', 0)}",
                  transform=ax_nodes.transAxes, ha="right", va="bottom", fontsize=8.5, color=S.MUTED)
    return fig
