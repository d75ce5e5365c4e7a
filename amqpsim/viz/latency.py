"""How long messages waited: queue wait per queue and publish → ack latency, as histograms.

The distributions are the view's (values, weights): every sample when the run kept
exact statistics, else the buckets of a sketch within 1 %. The p50/p95/p99 marks are
the summary's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from . import style as S
from .data import name_of, view_of

__all__ = ["latency"]

MARKS = (("p50", S.INK), ("p95", "#EF6C00"), ("p99", "#C62828"))
BINS = 40


def _fmt(seconds: Any) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.1f} s" if seconds < 100 else f"{seconds:.0f} s"


def _histogram(ax: Axes, points: tuple[list[float], list[int]], stats: dict[str, Any], color: str,
               gid: str) -> None:
    values = np.asarray(points[0], dtype=float)
    weights = np.asarray(points[1], dtype=float)
    marks = [float(stats[k]) for k, _ in MARKS if stats.get(k) is not None]
    top = max([float(values.max()) if values.size else 0.0, *marks])
    edges = np.linspace(0.0, top * 1.02 if top > 0 else 1e-3, BINS + 1)
    counts, _ = np.histogram(np.clip(values, 0.0, edges[-1]), bins=edges, weights=weights)
    ax.stairs(counts, edges, fill=True, color=color, alpha=0.55, gid=gid)
    ax.stairs(counts, edges, color=color, lw=1.0)
    for key, c in MARKS:
        if stats.get(key) is not None:
            ax.axvline(float(stats[key]), color=c, lw=1.8, zorder=4)
    n = int(stats.get("count", weights.sum()))
    ax.text(0.98, 0.94, f"p50 {_fmt(stats.get('p50'))}\np95 {_fmt(stats.get('p95'))}\n"
            f"p99 {_fmt(stats.get('p99'))}\nn = {n:,}", transform=ax.transAxes, ha="right", va="top",
            fontsize=8, color=S.INK, zorder=6,
            bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#CFD8DC", "alpha": 0.9})
    ax.set_xlim(0, edges[-1])
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


@S.styled
def latency(run: Any, max_rows: int = 8, title: str | None = None) -> Figure:
    """Histograms of *queue wait* (enqueue → first delivery) per queue, left, and of
    *publish → ack* latency, right; p50, p95 and p99 marked and labelled."""
    view = view_of(run)
    summary = view.summary
    qstats = summary.get("queues") or {}
    waits = [q for q, (_, w) in view.wait.items() if sum(w) > 0][:max_rows]
    rows = max(1, len(waits))
    fig = S.figure(11.5, 1.6 + 1.45 * rows)
    grid = fig.add_gridspec(rows, 2)
    first: Axes | None = None
    for i, q in enumerate(waits):
        ax = fig.add_subplot(grid[i, 0], sharex=first)
        first = first or ax
        _histogram(ax, view.wait[q], (qstats.get(q) or {}).get("wait") or {}, S.READY, f"wait:{q}")
        ax.set_title(f"Wait in {q}" + (": enqueue → first delivery" if i == 0 else ""), loc="left",
                     fontsize=10)
        ax.set_ylabel("copies")
        if i < len(waits) - 1:
            ax.tick_params(labelbottom=False)
        else:
            ax.set_xlabel("seconds (simulated)")
    if not waits:
        ax = fig.add_subplot(grid[0, 0])
        ax.set_title("Queue wait: enqueue → first delivery", loc="left", fontsize=10.5)
        ax.text(0.5, 0.5, "nothing was delivered", transform=ax.transAxes, ha="center", color=S.MUTED)
        ax.set_yticks([])
    right = fig.add_subplot(grid[:, 1])
    right.set_title("Publish → ack (every queue)", loc="left", fontsize=10)
    right.set_xlabel("seconds (simulated)")
    if sum(view.latency[1]) > 0:
        _histogram(right, view.latency, summary.get("latency") or {}, S.FATES["acked_once"][1], "latency")
        right.set_ylabel("acked copies")
    else:
        right.text(0.5, 0.5, "nothing was acknowledged", transform=right.transAxes, ha="center", color=S.MUTED)
        right.set_yticks([])
    handles = [Line2D([], [], color=c, lw=1.8, label=k) for k, c in MARKS]
    fig.legend(handles=handles, loc="outside lower center", ncols=3)
    name = name_of(run, "")
    fig.suptitle(title or ("Latency" + (f" — {name}" if name else "")), x=0.01, ha="left",
                 fontweight="bold", fontsize=13)
    return fig
