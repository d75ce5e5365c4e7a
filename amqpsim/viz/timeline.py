"""Consumer timeline: small multiples, one row per consumer, from the view's bins.

Each row shows the consumer's *busy* share of each time bin (filled; the share of the
bin it held at least one unsettled delivery, the summary's ``busy_fraction`` bin by bin)
and the most deliveries it *held* in the bin (a step line on the right axis: its
prefetch window). Crashes and connection losses that hit it are marked with ✕, and the
AMQP errors it met are named in its row.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import style as S
from .data import name_of, step_xy, view_of, widths
from .faults import fault_windows, hits, shade_faults

__all__ = ["consumer_timeline"]

HELD = "#E65100"


@S.styled
def consumer_timeline(run: Any, consumers: list[str] | None = None, max_consumers: int = 12,
                      title: str | None = None) -> Figure:
    """Per consumer: the busy share of each time bin, the most unacked deliveries it held, its
    crashes (✕) and its protocol errors."""
    view = view_of(run)
    summary = view.summary
    stats = summary.get("consumers") or {}
    every = list(view.consumers) or list(stats)
    actors = list(consumers) if consumers is not None else every[:max_consumers]
    errors: dict[str, list[str]] = {}
    for e in summary.get("errors") or []:
        errors.setdefault(str(e.get("actor")), []).append(f"{e['code']} {str(e.get('text', '')).split(' - ')[0]}")
    windows = fault_windows(view)
    end = float(summary.get("sim_time") or (view.time[-1] if view.time else 1.0)) or 1.0
    w = widths(view)
    n = max(1, len(actors))
    fig = S.figure(10.5, 1.5 + 0.95 * n)
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    crashed = drew = False
    rows: list[str | None] = list(actors) or [None]
    for i, (ax, actor) in enumerate(zip(axes, rows, strict=False)):
        shade_faults(ax, windows, label=i == 0)
        ax.set_yticks([0, 1], ["0", "100%"])
        ax.set_ylim(0, 1.12)
        ax.grid(axis="y", visible=False)
        if actor is None:
            ax.text(0.5, 0.5, "no consumers", transform=ax.transAxes, ha="center", color=S.MUTED)
            continue
        ax.set_ylabel(actor, rotation=0, ha="right", va="center", fontsize=9)
        s = view.consumers.get(actor)
        if s is not None and (any(s.busy) or any(s.held_max)):
            drew = True
            share = [b / x if x > 0 else 0.0 for b, x in zip(s.busy, w, strict=False)]
            t, v = step_xy(view, share)
            ax.fill_between(t, 0, v, step="post", color=S.BUSY, alpha=0.45, lw=0, gid=f"busy:{actor}")
            held_ax = ax.twinx()
            t, h = step_xy(view, s.held_max)
            held_ax.step(t, h, where="post", color=HELD, lw=1.2, gid=f"held:{actor}")
            top = max(1, int(max(s.held_max, default=0)))
            held_ax.set_ylim(0, top * 1.12)
            held_ax.set_yticks([0, top])
            held_ax.tick_params(axis="y", colors=HELD, labelsize=8)
            held_ax.grid(False)
            held_ax.spines["right"].set_visible(True)
            held_ax.spines["right"].set_color(HELD)
        c = stats.get(actor) or {}
        note = f"{c.get('busy_fraction', 0.0):.0%} busy · {c.get('delivered', 0)} delivered"
        if actor in errors:
            note += " · " + ", ".join(errors[actor])
        ax.text(0.0, 1.02, note, transform=ax.transAxes, ha="left", va="bottom", fontsize=8,
                color=S.FAULT if actor in errors else S.MUTED)
        for win in windows:
            if hits(win, actor):
                crashed = True
                ax.plot([win["start"]], [1.0], marker="X", ms=10, color=S.FAULT, mec="white", zorder=5,
                        clip_on=False, gid=f"crash:{actor}")
    axes[-1].set_xlim(0, end)
    axes[-1].set_xlabel("simulated time (s)")
    handles: list[Any] = [Patch(color=S.BUSY, alpha=0.45, label="busy: share of the bin holding a delivery"),
                          Line2D([], [], color=HELD, lw=1.2, label="held: most unacked deliveries (right axis)")
                          ] if drew else []
    if crashed:
        handles.append(Line2D([], [], marker="X", ls="", color=S.FAULT, ms=9, label="crash / connection lost"))
    if windows:
        handles.append(Patch(color=S.FAULT, alpha=0.25, label="fault"))
    hidden = len(every) - len(actors) if consumers is None else 0
    fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)),
               title=f"bins of {view.interval:g} s" + (f" · {hidden} more consumers not shown" if hidden > 0 else ""),
               title_fontsize=8.5)
    name = name_of(run, "")
    fig.suptitle(title or ("Consumers" + (f" — {name}" if name else "")), x=0.01, ha="left",
                 fontweight="bold", fontsize=13)
    return fig
