"""Queue depth over time: ready and unacked messages per queue, faults shaded.

Drawn from the view's bins: *ready* is a step line of each bin's last value, with a
band from the bin's lowest to its highest value (no spike hides in a bin); *unacked*
is its own line (each bin's highest value). The peak shown is the summary's
``max_depth`` (ready messages).
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..trace.views import RunView
from . import style as S
from .data import name_of, step_xy, topology_of, view_of
from .faults import fault_windows, shade_faults

__all__ = ["queue_depth", "shown_queues"]


def shown_queues(run: Any, view: RunView, max_queues: int = 8) -> list[str]:
    """Every queue that held a message, in declaration order, at most ``max_queues``."""
    declared = [q["name"] for q in topology_of(run, view)["queues"]]
    held = [q for q, s in view.queues.items() if max(s.ready_max, default=0) > 0 or max(s.unacked_max, default=0) > 0]
    order = [q for q in declared if q in held] + [q for q in held if q not in declared]
    return order[:max_queues]


@S.styled
def queue_depth(run: Any, queues: list[str] | None = None, max_queues: int = 8,
                title: str | None = None) -> Figure:
    """Messages in each queue over time: *ready* (waiting in the queue) and *unacked*
    (delivered to a consumer, not yet acknowledged).

    ``queues`` picks and orders the queues (default: every queue that held a message,
    in declaration order, at most ``max_queues``). Fault windows are shaded in red; a dotted
    line marks ``x-max-length`` where the topology sets it.
    """
    view = view_of(run)
    topo = topology_of(run, view)
    limits = {q["name"]: (q.get("arguments") or {}).get("x-max-length") for q in topo["queues"]}
    if queues is None:
        queues = shown_queues(run, view, max_queues)
    windows = fault_windows(view)
    end = float(view.summary.get("sim_time") or (view.time[-1] if view.time else 1.0)) or 1.0
    n = max(1, len(queues))
    fig = S.figure(10, 1.5 + 1.7 * n)
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    shown: list[str | None] = list(queues) or [None]
    stats = view.summary.get("queues") or {}
    for i, (ax, q) in enumerate(zip(axes, shown, strict=False)):
        shade_faults(ax, windows, label=i == 0)
        s = view.queues.get(q) if q is not None else None
        if q is None or s is None:
            text = "no messages were queued" if q is None else f"{q}: no messages"
            ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", color=S.MUTED)
            ax.set_yticks([])
            continue
        t, lo = step_xy(view, s.ready_min)
        _, hi = step_xy(view, s.ready_max)
        _, last = step_xy(view, s.ready_last)
        _, unacked = step_xy(view, s.unacked_max)
        ax.fill_between(t, lo, hi, step="post", color=S.READY, alpha=0.25, lw=0, gid=f"{q}:ready-range")
        ax.step(t, last, where="post", color=S.READY, lw=1.5, label="ready", gid=f"{q}:ready")
        ax.step(t, unacked, where="post", color=S.UNACKED, lw=1.3, label="unacked", gid=f"{q}:unacked")
        peak = int(max(s.ready_max, default=0))
        top = max(peak, int(max(s.unacked_max, default=0)))
        limit = limits.get(q)
        if limit is not None:
            ax.axhline(float(limit), color=S.INK, ls=":", lw=1.1)
            ax.annotate(f"x-max-length {limit}", (1.0, float(limit)), xycoords=("axes fraction", "data"),
                        xytext=(-2, 2), textcoords="offset points", ha="right", va="bottom", fontsize=7.5,
                        color=S.INK)
            top = max(top, int(limit))
        ax.set_ylim(0, max(1, top) * 1.25)
        ax.set_ylabel("messages")
        ax.set_title(q, loc="left", fontsize=10.5)
        final = (stats.get(q) or {}).get("final_depth", s.ready_last[-1] if s.ready_last else 0)
        ax.text(1.0, 1.02, f"max ready {peak} · final ready {final} · max unacked {max(s.unacked_max, default=0)}",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=8.5, color=S.MUTED, gid=f"{q}:peak")
        ax.yaxis.get_major_locator().set_params(integer=True)
    axes[-1].set_xlim(0, end)
    axes[-1].set_xlabel("simulated time (s)")
    handles: list[Any] = [Line2D([], [], color=S.READY, lw=1.5, label="ready"),
                          Patch(color=S.READY, alpha=0.25, label="ready: lowest to highest within a bin"),
                          Line2D([], [], color=S.UNACKED, lw=1.3, label="unacked")]
    if windows:
        handles.append(Patch(color=S.FAULT, alpha=0.25, label="fault"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
               title=f"ready: waiting in the queue · unacked: delivered, not yet acknowledged · "
                     f"bins of {view.interval:g} s", title_fontsize=8.5)
    name = name_of(run, "")
    fig.suptitle(title or ("Queue depth" + (f" — {name}" if name else "")), x=0.01, ha="left",
                 fontweight="bold", fontsize=13)
    return fig
