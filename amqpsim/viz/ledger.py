"""The delivery-guarantee ledger: what became of every routed copy, per queue, as stacked bars.

One bar per queue of a run (pass ``{label: run}`` to compare variants: a group of bars
each). A queue's bar is its routed copies split by outcome (the view's ``outcomes``:
acked once, redelivered then acked, duplicated, dead-lettered by reason, expired,
dropped, lost, discarded; for a stream, truncated by retention) plus what remained
(a stream's copies: retained); it sums to the copies the queue took.
A last, hatched bar counts publishes that reached no queue (returned, or dropped as
unroutable). Every slice carries its number, however thin.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..trace.events import Fate
from ..trace.views import RunView
from . import style as S
from .data import name_of, topology_of, view_of

__all__ = ["ledger", "ledger_table", "NO_QUEUE"]

#: the row of the publishes that reached no queue
NO_QUEUE = "(no queue)"
#: short words for a slice too thin to hold its number
SHORT = {"acked_once": "acked", "redelivered": "redelivered", "duplicated": "duplicated",
         Fate.DEAD_LETTERED.value: "dead-lettered", Fate.EXPIRED.value: "expired",
         Fate.DROPPED_OVERFLOW.value: "dropped", Fate.LOST.value: "lost", Fate.DISCARDED.value: "discarded",
         Fate.REMAINING.value: "remaining", Fate.TRUNCATED.value: "truncated", Fate.RETAINED.value: "retained",
         "returned": "returned", "unroutable": "unroutable"}
_DARK_TEXT = (Fate.REMAINING.value, "unroutable", "redelivered", "duplicated", Fate.TRUNCATED.value,
              Fate.RETAINED.value)


def _runs(runs: Any) -> dict[str, Any]:
    if isinstance(runs, dict) and not hasattr(runs, "events"):
        return {str(k): v for k, v in runs.items()}
    return {name_of(runs): runs}


def _key(outcome: str, reason: str) -> str:
    """The palette key of an outcome: dead-lettering is told apart by its reason."""
    return f"{outcome}:{reason}" if outcome == Fate.DEAD_LETTERED and reason else outcome


def _per_queue(run: Any, view: RunView) -> dict[str, dict[str, int]]:
    """Outcome counts per queue (declaration order), and the unrouted publishes under :data:`NO_QUEUE`."""
    rows: dict[str, dict[str, int]] = {}
    for (queue, outcome, reason), n in view.outcomes.items():
        if n:
            row = rows.setdefault(queue, {})
            row[_key(outcome, reason)] = row.get(_key(outcome, reason), 0) + int(n)
    for queue, q in (view.summary.get("queues") or {}).items():
        retained = int(q.get(Fate.RETAINED.value, 0))  # a stream's copies are in its depth, but retained
        left = int(q.get("final_depth", 0)) + int(q.get("final_unacked", 0)) - retained
        if left:
            rows.setdefault(queue, {})[Fate.REMAINING.value] = left
        if retained:
            rows.setdefault(queue, {})[Fate.RETAINED.value] = retained
    declared = [q["name"] for q in topology_of(run, view)["queues"]]
    order = [q for q in declared if q in rows] + sorted(q for q in rows if q not in declared)
    out = {q: rows[q] for q in order}
    m = view.summary.get("messages") or {}
    returned = int(m.get("returned", 0))
    unrouted = {"returned": returned, "unroutable": max(0, int(m.get("unroutable", 0)) - returned)}
    if any(unrouted.values()):
        out[NO_QUEUE] = {k: v for k, v in unrouted.items() if v}
    return out


def _order(columns: Any) -> list[str]:
    order = [k for k in S.FATES if k in columns]
    return order + sorted(c for c in columns if c not in order)


def ledger_table(runs: Any, by_queue: bool = False) -> pd.DataFrame:
    """Counts per outcome (columns, in the palette's order) per run (rows); with ``by_queue``, per
    (run, queue), the publishes that reached no queue in the row ``(run, "(no queue)")``."""
    rows: dict[Any, dict[str, int]] = {}
    for label, run in _runs(runs).items():
        per = _per_queue(run, view_of(run))
        if by_queue:
            rows.update({(label, q): counts for q, counts in per.items()})
        else:
            total: dict[str, int] = {}
            for counts in per.values():
                for k, v in counts.items():
                    total[k] = total.get(k, 0) + v
            rows[label] = total
    table = pd.DataFrame.from_dict(rows, orient="index").fillna(0).astype(int)
    if by_queue and len(table):
        table.index = pd.MultiIndex.from_tuples(list(table.index), names=["run", "queue"])
    return table[_order(table.columns)]


class _Labels:
    """Places the numbers of slices too thin to hold them: above and below the bar in turn,
    pushed right so that none overlaps the one before on its side."""

    def __init__(self, ax: Axes, char: float) -> None:
        self.ax = ax
        self.char = char  # the width of a character, in data units
        self.free = {1: -float("inf"), -1: -float("inf")}
        self.side = 1

    def row(self) -> None:
        self.free = {1: -float("inf"), -1: -float("inf")}
        self.side = 1

    def add(self, x: float, y: float, half: float, text: str, color: str, gid: str) -> None:
        side = self.side
        self.side = -side
        width = len(text) * self.char
        tx = max(x - width / 2, self.free[side])
        self.free[side] = tx + width + self.char
        ty = y + side * (half + 0.06)
        self.ax.annotate(text, (x, y + side * half), xytext=(tx, ty), textcoords="data", ha="left",
                         va="bottom" if side > 0 else "top", fontsize=7.5, color=S.INK, gid=gid,
                         arrowprops={"arrowstyle": "-", "color": color, "lw": 0.8, "shrinkA": 0, "shrinkB": 0})


@S.styled
def ledger(runs: Any, percent: bool = False, title: str | None = None) -> Figure:
    """Stacked bars of outcomes per queue: acked once, redelivered then acked, duplicated,
    dead-lettered (by reason), expired, dropped by overflow, lost, discarded, remaining — and,
    hatched, publishes returned or dropped as unroutable. ``percent`` scales each bar to 100 %.
    Every non-zero slice is labelled with its count."""
    table = ledger_table(runs, by_queue=True)
    labels = list(dict.fromkeys(run for run, _ in table.index)) if len(table) else []
    grouped = len(_runs(runs)) > 1
    slots: list[tuple[str, str | None]] = []  # (run, queue) rows top to bottom; queue None: a heading
    for label in labels:
        if grouped:
            slots.append((label, None))
        slots += [(label, q) for r, q in table.index if r == label]
    n = max(1, len(slots))
    fig = S.figure(10.5, 1.9 + 0.75 * n)
    ax = fig.add_subplot()
    widest = max(1, int(table.sum(axis=1).max())) if len(table) else 1
    span = 100.0 if percent else float(widest)
    labels_out = _Labels(ax, char=span * 1.2 * 0.0072)
    height = 0.42
    used: dict[str, None] = {}
    ticks: list[tuple[float, str]] = []
    for i, (label, queue) in enumerate(slots):
        y = float(n - 1 - i)
        if queue is None:
            ax.annotate(label, (0, y - 0.2), xytext=(4, 0), textcoords="offset points", ha="left", va="center",
                        fontsize=10, fontweight="bold", color=S.INK)
            continue
        row = table.loc[(label, queue)]
        total = int(row.sum())
        scale = 100.0 / total if percent and total else 1.0
        unrouted = queue == NO_QUEUE
        ticks.append((y, "no queue" if unrouted else queue))
        labels_out.row()
        left = 0.0
        for fate in table.columns:
            count = int(row[fate])
            if not count:
                continue
            w = count * scale
            color = S.fate_color(fate)
            ax.barh(y, w, left=left, height=height, color=color, edgecolor="white", lw=0.8,
                    hatch="//" if unrouted else None, gid=f"{label}:{queue}:{fate}")
            gid = f"count:{label}:{queue}:{fate}"
            if w >= span * 0.05:
                pct = f"\n{100 * count / total:.0f}%" if total and w >= span * 0.08 else ""
                ax.text(left + w / 2, y, f"{count}{pct}", ha="center", va="center", fontsize=7.5, gid=gid,
                        color=S.INK if fate in _DARK_TEXT else "white")
            else:
                word = SHORT.get(fate.split(":", 1)[0], fate.replace("_", " "))
                labels_out.add(left + w / 2, y, height / 2, f"{count} {word}", color, gid)
            left += w
            used[fate] = None
        what = ("publish reached no queue" if total == 1 else "publishes reached no queue") if unrouted else \
            ("copy" if total == 1 else "copies")
        ax.annotate(f"{total} {what}", (left, y), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize=8.5, color=S.MUTED)
    ax.set_yticks([t[0] for t in ticks], [t[1] for t in ticks])
    ax.set_ylim(-0.75, n - 0.35)
    unit = "copies routed to each queue" + ("; hatched: publishes that reached no queue"
                                            if any(q == NO_QUEUE for _, q in slots) else "")
    ax.set_xlabel(f"% of {unit}" if percent else unit)
    ax.set_xlim(0, span * 1.2)
    ax.grid(axis="y", visible=False)
    handles = [Patch(facecolor=S.fate_color(f), hatch="//" if f in S.UNROUTED_FATES else None,
                     edgecolor="white", label=S.fate_label(f)) for f in table.columns if f in used]
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)))
    fig.suptitle(title or "What became of every message", x=0.01, ha="left", fontweight="bold", fontsize=13)
    fig.ledger = table.groupby(level="run", sort=False).sum() if len(table) else ledger_table(runs)  # type: ignore[attr-defined]
    fig.ledger_by_queue = table  # type: ignore[attr-defined]
    return fig
