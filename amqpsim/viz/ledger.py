"""The delivery-guarantee ledger: what became of every routed copy, as stacked bars.

One bar per run (pass ``{label: run}`` to compare variants). The solid part of a bar
is the routed copies split by fate — it sums to ``routed_copies``; after a gap, the
hatched part counts publishes that reached no queue (returned or silently dropped).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..trace.events import Fate
from . import style as S
from .data import events_of, name_of
from .metrics import fate_counts

__all__ = ["ledger", "ledger_table"]


def _runs(runs: Any) -> dict[str, Any]:
    if isinstance(runs, dict) and not hasattr(runs, "events"):
        return {str(k): v for k, v in runs.items()}
    return {name_of(runs): runs}


def ledger_table(runs: Any) -> pd.DataFrame:
    """Counts per fate (columns, in the palette's order) per run (rows)."""
    table = pd.DataFrame({label: fate_counts(events_of(run)) for label, run in _runs(runs).items()}).T
    table = table.fillna(0).astype(int)
    order = [k for k in S.FATES if k in table.columns]
    order += sorted(c for c in table.columns if c not in order)
    return table[order]


@S.styled
def ledger(runs: Any, percent: bool = False, title: str | None = None) -> Figure:
    """Stacked bars of fates: acked once, redelivered then acked, duplicated, dead-lettered
    (by reason), expired, dropped by overflow, lost, discarded, remaining — and, hatched,
    publishes returned or dropped as unroutable. ``percent`` scales each bar to 100 %."""
    table = ledger_table(runs)
    labels = list(table.index)
    fig = S.figure(10.5, 1.9 + 0.62 * len(labels))
    ax = fig.add_subplot()
    copy_fates = [c for c in table.columns if c not in S.UNROUTED_FATES]
    widest = max(1, int(table.sum(axis=1).max()))
    gap = widest * 0.015
    used: dict[str, None] = {}
    for i, label in enumerate(labels):
        row = table.loc[label]
        routed = int(row[copy_fates].sum())
        total = int(row.sum())
        scale = 100.0 / total if percent and total else 1.0
        y = len(labels) - 1 - i
        left = 0.0
        for fate in table.columns:
            n = int(row[fate])
            if fate == S.UNROUTED_FATES[0]:
                left += gap * scale if percent else gap
            if not n:
                continue
            unrouted = fate in S.UNROUTED_FATES
            w = n * scale
            ax.barh(y, w, left=left, height=0.62, color=S.fate_color(fate), edgecolor="white", lw=0.8,
                    hatch="//" if unrouted else None, gid=f"{label}:{fate}")
            if w >= (12 if percent else widest * 0.045):
                pct = f"{100 * n / total:.0f}%" if total else ""
                ax.text(left + w / 2, y, f"{n}\n{pct}", ha="center", va="center", fontsize=7.5,
                        color="white" if fate not in (Fate.REMAINING, "unroutable", "redelivered") else S.INK)
            left += w
            used[fate] = None
        ax.annotate(f"{routed} routed copies", (left, y), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize=8.5, color=S.MUTED)
    ax.set_yticks(range(len(labels)), list(reversed(labels)))
    ax.set_ylim(-0.6, len(labels) - 0.4)
    unrouted = any(f in used for f in S.UNROUTED_FATES)
    unit = "routed copies (solid) · unroutable publishes (hatched)" if unrouted else "routed copies"
    ax.set_xlabel(f"% of {unit}" if percent else unit)
    ax.set_xlim(0, (100 if percent else widest) * 1.17)
    ax.grid(axis="y", visible=False)
    handles = [Patch(facecolor=S.fate_color(f), hatch="//" if f in S.UNROUTED_FATES else None,
                     edgecolor="white", label=S.fate_label(f)) for f in table.columns if f in used]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(4, max(1, len(handles))))
    fig.suptitle(title or "What became of every message", x=0.01, ha="left", fontweight="bold", fontsize=13)
    fig.ledger = table  # type: ignore[attr-defined]
    return fig
