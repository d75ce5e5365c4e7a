"""Fault windows, shaded the same way in every picture over time."""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes

from ..trace.views import RunView
from . import style as S

__all__ = ["fault_windows", "shade_faults", "hits"]


def fault_windows(view: RunView) -> list[dict[str, Any]]:
    """The view's faults with a ``label`` (``consumer crash worker#1``); ``end`` is None for a
    fault that lasted to the end of the run, or an instant one."""
    return [{**f, "label": str(f["fault"]).replace("_", " ") + (f" {f['target']}" if f.get("target") else "")}
            for f in view.faults]


def hits(window: dict[str, Any], actor: str) -> bool:
    """Whether a crash or a connection loss took ``actor`` (a target names an instance or all)."""
    target = window.get("target")
    return window["fault"] in ("consumer_crash", "connection_loss") and bool(target) and (
        target == actor or target == actor.split("#")[0])


def shade_faults(ax: Axes, windows: list[dict[str, Any]], label: bool = True) -> None:
    """Shade each fault window (a dashed line for an instant fault), labelled at the top."""
    for i, w in enumerate(windows):
        start, end = w["start"], w["end"]
        if end is not None and end > start:
            ax.axvspan(start, end, color=S.FAULT, alpha=0.10, lw=0, zorder=0, gid=f"fault:{w['label']}")
        ax.axvline(start, color=S.FAULT, lw=1.0, ls="--", alpha=0.8, zorder=1)
        if label:
            ax.annotate(w["label"], (start, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -3 - 11 * (i % 2)),
                        textcoords="offset points", ha="left", va="top", fontsize=8, color=S.FAULT,
                        fontweight="bold")
