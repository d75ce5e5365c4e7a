"""What the pictures of a cluster run draw: :class:`ClusterView` (``RunView.cluster``).

Made by :meth:`~amqpsim.trace.cluster.ClusterFold.view` at the end of a run: the nodes'
down and paused windows, the partitions, every placement record of every queue, the
clients' connections and the lost copies per bin of the view. Its methods answer what a
picture asks at an instant (:meth:`ClusterView.node_state`, :meth:`ClusterView.placement`,
:meth:`ClusterView.partition_at`) or over the run (:meth:`ClusterView.leader_windows`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .events import QueuePlaced

__all__ = ["ClusterView", "Window"]


@dataclass
class Window:
    """A node's state over ``[start, end]``: ``down`` or ``paused``, and the cause."""

    start: float
    end: float | None  #: None while open; closed at the run's end by :meth:`ClusterFold.finish`
    state: str  #: down | paused
    cause: str  #: the NodeDown cause (crash, stop, pause, autoheal)


@dataclass
class ClusterView:
    """What the pictures of a cluster draw (:attr:`~amqpsim.trace.views.RunView.cluster`)."""

    nodes: list[str]
    partition_handling: str
    net_ticktime: float
    end: float  #: the run's end (every open interval ends there)
    windows: dict[str, list[Window]]  #: node -> its down and paused windows, in order
    partitions: list[dict[str, Any]]  #: as the summary's ``cluster.partitions``
    placements: dict[str, list[QueuePlaced]]  #: queue -> its placement records, in order
    #: connection -> [actor, node, opened, closed (None: open at the end)]
    connections: dict[str, list[Any]] = field(default_factory=dict)
    lost: list[int] = field(default_factory=list)  #: lost copies per bin of the view
    confirmed_lost: list[int] = field(default_factory=list)  #: publishes found confirmed-lost per bin

    def node_state(self, node: str, t: float) -> str:
        """``up``, ``down`` or ``paused`` at instant ``t``."""
        for w in self.windows.get(node, []):
            end = self.end if w.end is None else w.end
            if w.start <= t < end or w.start <= t == end == self.end:
                return w.state
        return "up"

    def placement(self, queue: str, t: float) -> QueuePlaced | None:
        """The queue's placement at instant ``t`` (None before its declaration)."""
        last = None
        for p in self.placements.get(queue, []):
            if p.time > t:
                break
            last = p
        return last

    def partition_at(self, t: float) -> list[list[str]] | None:
        """The sides of the partition in force at ``t``, or None."""
        for p in reversed(self.partitions):
            if p["start"] <= t < p["end"] or (t == p["end"] == self.end):
                return [list(g) for g in p["groups"]]
        return None

    def leader_windows(self, queue: str) -> list[tuple[float, float, str | None]]:
        """``(start, end, leader)`` spans of one queue, up to the end of the run."""
        spans: list[tuple[float, float, str | None]] = []
        for p in self.placements.get(queue, []):
            if spans and spans[-1][2] == p.leader:
                continue
            if spans:
                spans[-1] = (spans[-1][0], p.time, spans[-1][2])
            spans.append((p.time, self.end, p.leader))
        return [s for s in spans if s[1] > s[0] or s[1] == self.end]
