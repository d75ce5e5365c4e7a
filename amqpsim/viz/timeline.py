"""Consumer timeline: when each consumer was busy, how full its prefetch window was, and crashes."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..trace.events import Fate
from . import style as S
from .data import events_of, name_of
from .depth import _end_time, shade_faults
from .metrics import deliveries, fault_windows

__all__ = ["consumer_timeline"]

#: what ended a delivery's work -> colour (fates where they mean the same thing)
OUTCOMES: dict[str, tuple[str, str]] = {
    "acked_once": ("acked", S.FATES["acked_once"][1]),
    "redelivered": ("acked a redelivery", S.FATES["redelivered"][1]),
    "rejected": ("rejected / nacked", S.FATES["dead_lettered:rejected"][1]),
    "requeued": ("nacked, requeued", S.READY),
    "interrupted": ("interrupted (crash / close)", S.FAULT),
    "lost": ("lost", S.FATES[Fate.LOST][1]),
    "in progress": ("still in progress", S.FATES[Fate.REMAINING][1]),
}


@S.styled
def consumer_timeline(run: Any, consumers: list[str] | None = None, max_consumers: int = 12,
                      title: str | None = None) -> Figure:
    """A Gantt chart of each consumer's busy periods (coloured by how each delivery ended),
    its unacked (prefetch) window over time below, crashes marked with ✕."""
    ev = events_of(run)
    busy, unacked = deliveries(ev)
    end = _end_time(run, ev)
    actors = consumers or list(dict.fromkeys(busy["actor"]))[:max_consumers]
    windows = fault_windows(ev)
    n = max(1, len(actors))
    fig = S.figure(10.5, 2.6 + 0.42 * n + 1.6)
    gantt, win = fig.subplots(2, 1, sharex=True, height_ratios=[max(1.2, 0.42 * n), 1.6])
    shade_faults(gantt, windows)
    shade_faults(win, windows, label=False)
    used: dict[str, None] = {}
    for i, actor in enumerate(actors):
        y = n - 1 - i
        mine = busy.loc[busy["actor"] == actor]
        edge = 0.3 if len(mine) <= 250 else 0.0  # thin gaps between deliveries while they are countable
        for outcome, grp in mine.groupby("outcome"):
            spans = [(s, max(e - s, end * 0.0015)) for s, e in zip(grp["start"], grp["end"], strict=False)]
            color = OUTCOMES.get(str(outcome), (outcome, S.MUTED))[1]
            gantt.broken_barh(spans, (y - 0.32, 0.64), facecolors=color, edgecolor="white", lw=edge,
                              gid=f"busy:{actor}:{outcome}")
            used[str(outcome)] = None
        share = float(np.clip((mine["end"] - mine["start"]).sum() / end, 0, 1)) if end else 0.0
        gantt.annotate(f"{share:.0%} busy", (1.0, y), xycoords=("axes fraction", "data"), xytext=(4, 0),
                       textcoords="offset points", va="center", fontsize=8, color=S.MUTED)
        steps = unacked.loc[unacked["actor"] == actor]
        t = np.concatenate([[0.0], steps["time"].to_numpy(float), [end]])
        v = np.concatenate([[0], steps["unacked"].to_numpy(int), steps["unacked"].to_numpy(int)[-1:] if len(steps)
                            else [0]])
        win.step(t, v, where="post", color=S.series_color(i), lw=1.4, label=actor, gid=f"unacked:{actor}")
        for w in windows:
            hit = w["kind"] in ("consumer_crash", "connection_loss") and w["target"] and (
                w["target"] == actor or w["target"] == actor.split("#")[0])
            if hit:
                gantt.plot([w["start"]], [y], marker="X", ms=11, color=S.FAULT, mec="white", zorder=5,
                           gid=f"crash:{actor}")
    gantt.set_yticks(range(n), list(reversed(actors)) or [""])
    gantt.set_ylim(-0.7, n - 0.3 + (0.5 if windows else 0))
    gantt.grid(axis="y", visible=False)
    gantt.set_title("Busy: processing a delivery", loc="left", fontsize=10.5)
    win.set_title("Unacked deliveries held (the prefetch window)", loc="left", fontsize=10.5)
    win.set_ylabel("unacked")
    win.set_ylim(bottom=0)
    win.yaxis.get_major_locator().set_params(integer=True)
    win.set_xlim(0, end)
    win.set_xlabel("simulated time (s)")
    if 0 < len(actors) <= 8 and win.get_legend_handles_labels()[0]:
        win.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    handles: list[Any] = [Patch(color=OUTCOMES.get(o, (o, S.MUTED))[1], label=OUTCOMES.get(o, (o,))[0])
                          for o in OUTCOMES if o in used]
    if any(w["kind"] in ("consumer_crash", "connection_loss") for w in windows):
        handles.append(Line2D([], [], marker="X", ls="", color=S.FAULT, ms=9, label="crash"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(5, max(1, len(handles))))
    name = name_of(run, "")
    fig.suptitle(title or ("Consumers" + (f" — {name}" if name else "")), x=0.01, ha="left",
                 fontweight="bold", fontsize=13)
    return fig
