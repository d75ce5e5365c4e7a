"""Queue depth over time: ready and unacked copies stacked, per queue, faults shaded."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from . import style as S
from .data import events_of, name_of, summary_of, topology_of
from .metrics import depth_series, fault_windows

__all__ = ["queue_depth", "shade_faults"]


def shade_faults(ax: Axes, windows: list[dict[str, Any]], label: bool = True) -> None:
    """Shade each fault window (a dashed line for an instant fault), labelled at the top."""
    for i, w in enumerate(windows):
        start, end = w["start"], w["end"]
        if end is not None and end > start:
            ax.axvspan(start, end, color=S.FAULT, alpha=0.10, lw=0, zorder=0)
        ax.axvline(start, color=S.FAULT, lw=1.0, ls="--", alpha=0.8, zorder=1)
        if label:
            ax.annotate(w["label"], (start, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -3 - 11 * (i % 2)),
                        textcoords="offset points", ha="left", va="top", fontsize=8, color=S.FAULT,
                        fontweight="bold")


def _end_time(run: Any, ev: pd.DataFrame) -> float:
    summary = summary_of(run) or {}
    end = summary.get("sim_time")
    return float(end) if end else float(ev["time"].max() if len(ev) else 1.0)


@S.styled
def queue_depth(run: Any, queues: list[str] | None = None, max_queues: int = 8,
                title: str | None = None) -> Figure:
    """Messages in each queue over time: *ready* (waiting) under *unacked* (delivered, not yet acked).

    ``queues`` picks and orders the queues (default: every queue that held a message,
    in declaration order, at most ``max_queues``). Fault windows are shaded in red; a dotted
    line marks ``x-max-length`` where the topology sets it.
    """
    ev = events_of(run)
    depth = depth_series(ev)
    end = _end_time(run, ev)
    declared = [q["name"] for q in topology_of(run, ev)["queues"]]
    limits = {q["name"]: (q.get("arguments") or {}).get("x-max-length") for q in topology_of(run, ev)["queues"]}
    if queues is None:
        peak = (depth["ready"] + depth["unacked"]).groupby(depth["queue"]).max()
        used = [q for q in declared if peak.get(q, 0) > 0] + [q for q in peak.index if q not in declared]
        queues = used[:max_queues]
    windows = fault_windows(ev)
    n = max(1, len(queues))
    fig = S.figure(10, 1.2 + 1.65 * n)
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    shown: list[str | None] = list(queues) or [None]
    for i, (ax, q) in enumerate(zip(axes, shown, strict=False)):
        shade_faults(ax, windows, label=i == 0)
        if q is None:
            ax.text(0.5, 0.5, "no messages were queued", transform=ax.transAxes, ha="center", color=S.MUTED)
            continue
        d = depth.loc[depth["queue"] == q]
        t = np.concatenate([[0.0], d["time"].to_numpy(float), [end]])
        ready = np.concatenate([[0], d["ready"].to_numpy(int), d["ready"].to_numpy(int)[-1:] if len(d) else [0]])
        unacked = np.concatenate([[0], d["unacked"].to_numpy(int),
                                  d["unacked"].to_numpy(int)[-1:] if len(d) else [0]])
        ax.fill_between(t, 0, ready, step="post", color=S.READY, alpha=0.85, lw=0, label="ready", gid=f"{q}:ready")
        ax.fill_between(t, ready, ready + unacked, step="post", color=S.UNACKED, alpha=0.85, lw=0,
                        label="unacked", gid=f"{q}:unacked")
        ax.step(t, ready + unacked, where="post", color=S.INK, lw=0.6, alpha=0.6)
        top = int((ready + unacked).max()) if len(t) else 0
        limit = limits.get(q)
        if limit is not None:
            ax.axhline(float(limit), color=S.INK, ls=":", lw=1.1)
            ax.annotate(f"x-max-length {limit}", (1.0, float(limit)), xycoords=("axes fraction", "data"),
                        xytext=(-2, 2), textcoords="offset points", ha="right", va="bottom", fontsize=7.5,
                        color=S.INK)
            top = max(top, int(limit))
        ax.set_ylim(0, max(1, top) * 1.25)
        ax.set_ylabel("messages")
        ax.set_title(f"{q}", loc="left", fontsize=10.5)
        ax.text(1.0, 1.02, f"peak {int((ready + unacked).max())}", transform=ax.transAxes, ha="right",
                va="bottom", fontsize=8.5, color=S.MUTED)
        ax.yaxis.get_major_locator().set_params(integer=True)
    axes[-1].set_xlim(0, end)
    axes[-1].set_xlabel("simulated time (s)")
    handles = [Patch(color=S.READY, label="ready (waiting in the queue)"),
               Patch(color=S.UNACKED, label="unacked (delivered, not yet acknowledged)")]
    if windows:
        handles.append(Patch(color=S.FAULT, alpha=0.25, label="fault"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    name = name_of(run, "")
    fig.suptitle(title or ("Queue depth" + (f" — {name}" if name else "")), x=0.01, ha="left",
                 fontweight="bold", fontsize=13)
    return fig
