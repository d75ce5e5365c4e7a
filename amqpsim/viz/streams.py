"""A stream over time: what it keeps, and where each consumer reads.

A stream's depth never falls when it is read, so a depth plot says little. This
picture draws offsets instead: the band is the stream itself, from its oldest offset
(retention moves it up) to its newest (appends move it up); each consumer is a line
at the offset of the last message delivered to it. A consumer's *lag* is the height
between its line and the top of the band; a consumer that starts from ``first``
climbs up from the bottom, one from ``next`` rides the top.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import style as S
from .data import name_of, step_xy, view_of
from .faults import fault_windows, shade_faults

__all__ = ["stream_offsets"]


def _nan(xs: list[Any]) -> list[float]:
    return [math.nan if x is None else float(x) for x in xs]


@S.styled
def stream_offsets(run: Any, streams: list[str] | None = None, title: str | None = None) -> Figure:
    """Each stream's retained offsets (a band) and each consumer's offset (a line) over time.

    ``streams`` picks and orders the streams (default: every stream of the run). The
    right-hand note gives the stream's final length and each consumer's final lag.
    """
    view = view_of(run)
    names = list(view.streams) if streams is None else [s for s in streams if s in view.streams]
    stats = view.summary.get("queues") or {}
    windows = fault_windows(view)
    end = float(view.summary.get("sim_time") or (view.time[-1] if view.time else 1.0)) or 1.0
    n = max(1, len(names))
    fig = S.figure(10, 1.8 + 2.2 * n)
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    readers: list[str] = []
    for i, ax in enumerate(axes):
        shade_faults(ax, windows, label=i == 0)
        if i >= len(names):
            ax.text(0.5, 0.5, "no streams in this run", transform=ax.transAxes, ha="center", color=S.MUTED)
            ax.set_yticks([])
            continue
        name = names[i]
        s = view.streams[name]
        t, first = step_xy(view, _nan(s.first))
        _, last = step_xy(view, _nan(s.last))
        ax.fill_between(t, first, last, step="post", color=S.READY, alpha=0.22, lw=0, gid=f"{name}:retained")
        ax.step(t, last, where="post", color=S.READY, lw=1.6, gid=f"{name}:last")
        ax.step(t, first, where="post", color=S.READY, lw=0.8, ls="--", gid=f"{name}:first")
        for consumer, offsets in s.readers.items():
            if consumer not in readers:
                readers.append(consumer)
            _, ys = step_xy(view, _nan(offsets))
            ax.step(t, ys, where="post", color=S.series_color(readers.index(consumer) + 1), lw=1.4,
                    gid=f"{name}:{consumer}")
        q = stats.get(name) or {}
        lags = " · ".join(f"{c} lag {v.get('lag', 0)}" for c, v in (q.get("consumers") or {}).items())
        ax.text(1.0, 1.02, f"length {q.get('length', s.length[-1] if s.length else 0)}" + (f" · {lags}" if lags else ""),
                transform=ax.transAxes, ha="right", va="bottom", fontsize=8.5, color=S.MUTED, gid=f"{name}:note")
        ax.set_title(name, loc="left", fontsize=10.5)
        ax.set_ylabel("offset")
        ax.set_ylim(bottom=0)
        ax.yaxis.get_major_locator().set_params(integer=True)
    axes[-1].set_xlim(0, end)
    axes[-1].set_xlabel("simulated time (s)")
    handles: list[Any] = [Patch(color=S.READY, alpha=0.22, label="in the stream (oldest to newest offset)"),
                          Line2D([], [], color=S.READY, lw=1.6, label="newest offset (appended)")]
    handles += [Line2D([], [], color=S.series_color(i + 1), lw=1.4, label=f"{c} read up to")
                for i, c in enumerate(readers)]
    if windows:
        handles.append(Patch(color=S.FAULT, alpha=0.25, label="fault"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4),
               title=f"reading removes nothing: lag = newest offset − the consumer's · bins of {view.interval:g} s",
               title_fontsize=8.5)
    run_name = name_of(run, "")
    fig.suptitle(title or ("Streams: what is kept, where each consumer reads" + (f" — {run_name}" if run_name else "")),
                 x=0.01, ha="left", fontweight="bold", fontsize=13)
    return fig
