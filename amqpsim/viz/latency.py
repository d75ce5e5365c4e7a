"""How long messages waited: queue wait per queue and publish→ack latency per consumer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from . import style as S
from .data import events_of, name_of
from .metrics import latencies, percentiles, waits

__all__ = ["latency"]

MARKS = (("p50", S.INK), ("p95", "#EF6C00"), ("p99", "#C62828"))


def _fmt(seconds: float) -> str:
    if np.isnan(seconds):
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.1f} s" if seconds < 100 else f"{seconds:.0f} s"


def _rows(ax: Axes, groups: dict[str, np.ndarray], what: str, color: str, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    names = list(groups)
    for i, name in enumerate(names):
        vals = groups[name]
        y = len(names) - 1 - i
        if len(vals) > 2 and np.ptp(vals) > 0:
            parts = ax.violinplot(vals, positions=[y], orientation="horizontal", widths=0.66,
                                  showextrema=False)
            for body in parts["bodies"]:  # type: ignore[attr-defined]
                body.set(facecolor=color, edgecolor=color, alpha=0.35, gid=f"{what}:{name}")
        shown = vals if len(vals) <= 300 else rng.choice(vals, 300, replace=False)
        ax.scatter(shown, y + rng.uniform(-0.12, 0.12, len(shown)), s=6, color=color, alpha=0.5, lw=0,
                   zorder=3)
        p = percentiles(vals)
        for key, c in MARKS:
            ax.plot([p[key]] * 2, [y - 0.3, y + 0.3], color=c, lw=2.2, zorder=4, solid_capstyle="butt")
        ax.annotate(f"p50 {_fmt(p['p50'])} · p95 {_fmt(p['p95'])} · p99 {_fmt(p['p99'])}",
                    (1.0, y + 0.36), xycoords=("axes fraction", "data"), ha="right", va="bottom",
                    fontsize=8, color=S.INK)
    ax.set_yticks(range(len(names)), [f"{n}\n(n={len(groups[n])})" for n in reversed(names)])
    ax.set_ylim(-0.5, len(names) - 0.2)
    top = max((float(np.max(v)) for v in groups.values() if len(v)), default=0.0)
    ax.set_xlim(0, top * 1.05 if top > 0 else 1.0)
    ax.grid(axis="y", visible=False)


def _groups(df: pd.DataFrame, by: str, col: str, top: int) -> dict[str, np.ndarray]:
    out = {str(k): g[col].to_numpy(float) for k, g in df.groupby(by, sort=True)}
    return dict(list(out.items())[:top])


@S.styled
def latency(run: Any, by_consumer: bool = True, max_rows: int = 10, title: str | None = None) -> Figure:
    """Distributions of *queue wait* (enqueue → first delivery) per queue and of *publish → ack*
    latency per consumer (per queue with ``by_consumer=False``); p50, p95 and p99 marked."""
    ev = events_of(run)
    w = waits(ev)
    lat = latencies(ev)
    gw = _groups(w, "queue", "wait", max_rows)
    gl = _groups(lat, "consumer" if by_consumer else "queue", "latency", max_rows)
    rows = max(len(gw), len(gl), 1)
    fig = S.figure(11.5, 1.7 + 0.75 * rows)
    ax1, ax2 = fig.subplots(1, 2)
    for ax, groups, what, color, label in (
            (ax1, gw, "wait", S.READY, "Queue wait: enqueue → first delivery"),
            (ax2, gl, "latency", S.FATES["acked_once"][1], "Publish → ack" + (
                " per consumer" if by_consumer else " per queue"))):
        ax.set_title(label, loc="left", fontsize=10.5)
        ax.set_xlabel("seconds (simulated)")
        if groups:
            _rows(ax, groups, what, color)
        else:
            ax.text(0.5, 0.5, "nothing to show", transform=ax.transAxes, ha="center", color=S.MUTED)
            ax.set_yticks([])
    handles = [Line2D([], [], color=c, lw=2.2, label=k) for k, c in MARKS]
    fig.legend(handles=handles, loc="outside lower center", ncols=3)
    name = name_of(run, "")
    fig.suptitle(title or ("Latency" + (f" — {name}" if name else "")), x=0.01, ha="left",
                 fontweight="bold", fontsize=13)
    return fig
