"""Message rates over time, as RabbitMQ's management UI and PerfTest show them."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..trace.views import RATE_KINDS
from . import style as S
from .data import name_of, step_xy, view_of
from .faults import fault_windows, shade_faults

__all__ = ["message_rates", "RATES"]

#: rate kind -> (legend label, colour, line style), in :data:`~amqpsim.trace.views.RATE_KINDS` order
RATES: dict[str, tuple[str, str, str]] = {
    "publish": ("publish", "#EF6C00", "-"),
    "confirm": ("confirm (publisher confirm)", "#5D4037", "--"),
    "deliver": ("deliver", S.READY, "-"),
    "redeliver": ("redeliver", "#00ACC1", "-"),
    "ack": ("ack (consumer ack)", S.FATES["acked_once"][1], "--"),
    "return": ("return (unroutable, mandatory)", S.FATES["returned"][1], "-"),
    "dead_letter": ("dead-letter", S.DEAD_LETTER, "-"),
}
assert tuple(RATES) == RATE_KINDS
#: the two panels: what publishers see, what queues and consumers do
PANELS = (("Publishers", ("publish", "confirm", "return")),
          ("Queues and consumers", ("deliver", "redeliver", "ack", "dead_letter")))


@S.styled
def message_rates(run: Any, kinds: list[str] | None = None, title: str | None = None) -> Figure:
    """Messages per second in each time bin: publish, confirm and return (publishers, top);
    deliver, redeliver, ack and dead-letter (queues and consumers, bottom). A kind that never
    happened is left out (no legend entry without a line); fault windows are shaded."""
    view = view_of(run)
    wanted = [k for k in (kinds or RATE_KINDS) if k in view.rates]
    shown = [k for k in wanted if any(view.rates[k])]
    windows = fault_windows(view)
    end = float(view.summary.get("sim_time") or (view.time[-1] if view.time else 1.0)) or 1.0
    fig = S.figure(10, 5.4)
    axes = fig.subplots(2, 1, sharex=True)
    for i, (ax, (heading, group)) in enumerate(zip(axes, PANELS, strict=True)):
        shade_faults(ax, windows, label=i == 0)
        ax.set_title(heading, loc="left", fontsize=10.5)
        ax.set_ylabel("messages / s")
        top = 0.0
        mine = [k for k in shown if k in group]
        for k in mine:
            t, v = step_xy(view, view.rates[k])
            label, color, ls = RATES[k]
            ax.step(t, v, where="post", color=color, lw=1.2, ls=ls, label=label, gid=f"rate:{k}")
            top = max(top, max(v))
        if not mine:
            ax.text(0.5, 0.5, "none", transform=ax.transAxes, ha="center", color=S.MUTED)
        ax.set_ylim(0, top * 1.25 if top > 0 else 1.0)
    axes[-1].set_xlim(0, end)
    axes[-1].set_xlabel("simulated time (s)")
    handles = [h for ax in axes for h in ax.get_legend_handles_labels()[0]]
    if windows:
        handles.append(Patch(color=S.FAULT, alpha=0.25, label="fault"))
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)),
                   title=f"messages per second, averaged over bins of {view.interval:g} s", title_fontsize=8.5)
    name = name_of(run, "")
    fig.suptitle(title or ("Message rates" + (f" — {name}" if name else "")), x=0.01, ha="left",
                 fontweight="bold", fontsize=13)
    return fig
