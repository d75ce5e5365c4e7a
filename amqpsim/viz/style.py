"""One palette and one look for every picture.

A fate has the same colour in the ledger, the consumer timeline and the flow
animation; ready/unacked have the same colours in the depth plot and the timeline.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ..trace.events import Fate

F = TypeVar("F", bound=Callable[..., Any])

#: fate key -> (legend label, colour); the order is the ledger's stacking order. The keys are the
#: fates of :class:`~amqpsim.trace.events.Fate`, with ``acked`` told apart as acked once,
#: redelivered then acked, or duplicated, and ``dead_lettered`` split by reason
#: (``dead_lettered:<reason>``); then the publishes that reached no queue
FATES: dict[str, tuple[str, str]] = {
    "acked_once": ("acked once", "#2E7D32"),
    "redelivered": ("redelivered, then acked", "#81C784"),
    "duplicated": ("duplicated (processed twice)", "#F9A825"),
    f"{Fate.DEAD_LETTERED}:rejected": ("dead-lettered: rejected", "#4A148C"),
    f"{Fate.DEAD_LETTERED}:expired": ("dead-lettered: expired", "#7B1FA2"),
    f"{Fate.DEAD_LETTERED}:maxlen": ("dead-lettered: max length", "#AB47BC"),
    f"{Fate.DEAD_LETTERED}:delivery_limit": ("dead-lettered: delivery limit", "#CE93D8"),
    Fate.DEAD_LETTERED.value: ("dead-lettered", "#BA68C8"),
    Fate.EXPIRED.value: ("expired", "#8D6E63"),
    Fate.DROPPED_OVERFLOW.value: ("dropped by overflow", "#EF6C00"),
    Fate.LOST.value: ("lost", "#C62828"),
    Fate.DISCARDED.value: ("discarded", "#9E9E9E"),
    Fate.TRUNCATED.value: ("truncated by stream retention", "#B0BEC5"),
    Fate.RETAINED.value: ("retained in a stream", "#64B5F6"),
    Fate.REMAINING.value: ("remaining in queue", "#90CAF9"),
    "returned": ("returned (unroutable, mandatory)", "#EC407A"),
    "unroutable": ("unroutable, dropped by exchange", "#F8BBD0"),
}
#: fates of *messages* that reached no queue (not routed copies)
UNROUTED_FATES = ("returned", "unroutable")

READY = "#1E88E5"
UNACKED = "#FFB300"
FAULT = "#E53935"
BUSY = "#2E7D32"
MUTED = "#607D8B"
INK = "#263238"

#: exchange type -> (face, edge, box style); shapes differ so type reads without colour too
EXCHANGE_STYLE: dict[str, tuple[str, str, str]] = {
    "direct": ("#BBDEFB", "#1565C0", "rarrow,pad=0.45"),
    "fanout": ("#B2DFDB", "#00695C", "darrow,pad=0.4"),
    "topic": ("#FFF59D", "#F57F17", "round4,pad=0.45"),
    "headers": ("#E1BEE7", "#6A1B9A", "ellipse,pad=0.3"),
}
PRODUCER_STYLE = ("#C8E6C9", "#2E7D32", "round,pad=0.45")
QUEUE_STYLE = ("#FFFFFF", "#1E88E5", "square,pad=0.45")
CONSUMER_STYLE = ("#CFD8DC", "#37474F", "round,pad=0.45")
ALTERNATE = "#D81B60"
DEAD_LETTER = "#7B1FA2"

#: a cycle of distinguishable colours for actors (consumers, queues)
SERIES = ["#1E88E5", "#D81B60", "#43A047", "#FB8C00", "#8E24AA", "#00ACC1", "#6D4C41",
          "#3949AB", "#C0CA33", "#546E7A"]

RC: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#90A4AE",
    "axes.labelcolor": INK,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#ECEFF1",
    "grid.linewidth": 0.8,
    "xtick.color": "#455A64",
    "ytick.color": "#455A64",
    "legend.frameon": False,
    "legend.fontsize": 9,
    "figure.facecolor": "white",
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "savefig.bbox": "tight",
}


def fate_label(key: str) -> str:
    return FATES.get(key, (key.replace("_", " "), MUTED))[0]


def fate_color(key: str) -> str:
    return FATES.get(key, (key, FATES[Fate.DEAD_LETTERED][1] if key.startswith(Fate.DEAD_LETTERED) else MUTED))[1]


def series_color(i: int) -> str:
    return SERIES[i % len(SERIES)]


def styled(fn: F) -> F:
    """Draw inside the house style; the returned figure is detached from pyplot.

    Detaching (``plt.close``) means a notebook shows the figure once, when it is
    the value of a cell, and never leaks figures in loops or tests.
    """

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        with plt.rc_context(RC):  # type: ignore[arg-type]
            out = fn(*args, **kwargs)
            interactive = matplotlib.is_interactive()
        # a backend loaded while drawing (Jupyter's inline one) may turn interactive mode on: keep it
        matplotlib.interactive(interactive)
        fig = out if isinstance(out, Figure) else getattr(out, "_fig", None)
        if isinstance(fig, Figure):
            plt.close(fig)
        return out

    return run  # type: ignore[return-value]


def figure(width: float, height: float) -> Figure:
    return plt.figure(figsize=(width, height), layout="constrained")


def suptitle(fig: Figure, title: str, subtitle: str | None = None) -> None:
    fig.suptitle(title, fontsize=13, fontweight="bold", color=INK, x=0.01, ha="left")
    if subtitle:
        fig.text(0.01, 1.0, subtitle, fontsize=9, color=MUTED, ha="left", va="bottom",
                 transform=fig.transFigure)
