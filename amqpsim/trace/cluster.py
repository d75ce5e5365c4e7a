"""The fold of a cluster run: nodes, partitions, queue placement, and confirmed writes lost.

:class:`ClusterFold` reads the records of a cluster (``ClusterFormed``, ``NodeDown``,
``NodeUp``, ``PartitionChanged``, ``QueuePlaced``) and, for the confirm figures,
``Published``, ``Confirmed``, ``Returned`` and ``Lost``. The summary fold
(:class:`~amqpsim.trace.summary.Summarizer`) makes one when it sees ``ClusterFormed``
(the first record of a cluster run) and hands it the records above from then on; a
single-node run never makes one, so it costs a single-node run nothing.
It yields the summary additions of SCENARIO-FORMAT.md, "Clusters":

* ``messages.confirmed_lost``: publishes the broker confirmed with basic.ack, not
  returned, at least one of whose routed copies (``Enqueued`` ... ``Lost``, the same
  message id, dead-lettered copies included) ended ``lost``, before or after the ack;
* ``messages.unconfirmed``: publishes in confirm mode (``Published.delivery_tag`` set)
  neither acked nor nacked when the run ended;
* ``cluster.nodes.<n>``: ``down`` (``NodeDown`` cause crash, stop or autoheal, to the
  next ``NodeUp``) and ``paused`` (cause pause: pause_minority) as ``[start, end]``
  intervals, and ``restarts`` (``NodeUp`` with cause restart or autoheal: the node's
  application started again; a resume from a pause is not a restart);
* ``cluster.partitions``: ``{start, end, detected, groups}`` per partition (``detected``
  None when the nodes never noticed it);
* ``cluster.queues.<q>``: ``type`` (its latest), ``leaders`` (``[t, node]`` at each change
  of leader, ``node`` None while it has none), ``leader_changes`` (changes from one node
  to another: a queue that loses its leader and gets the same one back has none), and
  ``unavailable`` (seconds with no leader, up to the end of the run or the queue's deletion).

**An interval still open when the run ends ends at the run's end time** (a node still down,
a partition not healed; ``unavailable`` is counted the same way), so every interval is two
numbers.

Memory: per node, partition and placement change (few), plus the confirm-mode publishes
not yet confirmed and the confirmed ones that still have a live copy (``live``: the
summary fold's live messages; without it, every confirmed message is kept).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from typing import Any

from .cluster_view import ClusterView, Window
from .events import (
    ClusterFormed,
    Confirmed,
    ConnectionClosed,
    ConnectionOpened,
    Lost,
    NodeDown,
    NodeUp,
    PartitionChanged,
    Published,
    QueueDeleted,
    QueuePlaced,
    Returned,
)

__all__ = ["ClusterFold"]

_LOST, _RETURNED = 1, 2  # flags of a publish not confirmed yet
#: ``NodeUp`` causes that count as a restart of the node
RESTART_CAUSES = frozenset({"restart", "autoheal"})


class _Queue:
    __slots__ = ("type", "leaders", "changes", "leader", "since", "unavailable", "deleted", "placements")

    def __init__(self) -> None:
        self.type = "classic"
        self.leaders: list[list[Any]] = []
        self.changes = 0
        self.leader: str | None = None  # the last node that led it
        self.since: float | None = None  # leaderless since (None: it has a leader)
        self.unavailable = 0.0
        self.deleted = False
        self.placements: list[QueuePlaced] = []


class ClusterFold:
    """Folds the cluster records of a run (see the module docstring); start it with the
    run's ``ClusterFormed``. ``live``: the message ids with a live copy (the summary fold's
    ``msgs``), to forget the confirmed messages that can no longer lose a copy."""

    def __init__(self, formed: ClusterFormed, live: Container[int] | None = None) -> None:
        self.nodes = list(formed.nodes)
        self.partition_handling = formed.partition_handling
        self.net_ticktime = formed.net_ticktime
        self.live = live
        self.windows: dict[str, list[Window]] = {n: [] for n in self.nodes}
        self.restarts = dict.fromkeys(self.nodes, 0)
        self.partitions: list[dict[str, Any]] = []
        self.queues: dict[str, _Queue] = {}
        self.connections: dict[str, list[Any]] = {}
        self.pending: dict[int, int] = {}  # confirm-mode publishes not confirmed yet -> flags
        self.acked: set[int] = set()  # confirmed (basic.ack), not returned, not counted, maybe a live copy
        self._prune_at = 4096
        self.confirmed_lost = 0
        #: counters the view fold reads and resets at each bin edge
        self.lost_now = 0
        self.confirmed_lost_now = 0
        self.end: float | None = None

    def handlers(self) -> dict[type, Callable[[Any], None]]:
        """The record classes this fold reads, with their handlers."""
        return {Published: self._publish, Confirmed: self._confirm, Returned: self._return, Lost: self._lost,
                NodeDown: self._down, NodeUp: self._up, PartitionChanged: self._partition,
                QueuePlaced: self._placed, QueueDeleted: self._deleted, ConnectionOpened: self._opened,
                ConnectionClosed: self._closed}

    def take(self, events: Iterable[Any]) -> None:
        """Take records in order (standalone use; the summary fold calls the handlers itself)."""
        handlers = self.handlers()
        for ev in events:
            h = handlers.get(type(ev))
            if h is not None:
                h(ev)

    # ------------------------------------------------------------------ confirms
    def _publish(self, ev: Published) -> None:
        if ev.delivery_tag is not None:
            self.pending[ev.msg] = 0

    def _return(self, ev: Returned) -> None:
        if ev.msg in self.pending:
            self.pending[ev.msg] |= _RETURNED
        self.acked.discard(ev.msg)

    def _confirm(self, ev: Confirmed) -> None:
        flags = self.pending.pop(ev.msg, None)
        if flags is None or not ev.ack or flags & _RETURNED:
            return
        if flags & _LOST:
            self._count()
        elif self.live is None or ev.msg in self.live:
            self.acked.add(ev.msg)
            if len(self.acked) > self._prune_at and self.live is not None:
                live = self.live
                self.acked = {m for m in self.acked if m in live}
                self._prune_at = max(4096, 2 * len(self.acked))

    def _lost(self, ev: Lost) -> None:
        self.lost_now += 1
        m = ev.msg
        if m in self.acked:
            self.acked.discard(m)
            self._count()
        elif m in self.pending:
            self.pending[m] |= _LOST

    def _count(self) -> None:
        self.confirmed_lost += 1
        self.confirmed_lost_now += 1

    # ------------------------------------------------------------------ nodes and partitions
    def _down(self, ev: NodeDown) -> None:
        ws = self.windows.setdefault(ev.node, [])
        self.restarts.setdefault(ev.node, 0)
        if ws and ws[-1].end is None:  # already down or paused: the new state follows
            ws[-1].end = ev.time
        ws.append(Window(ev.time, None, "paused" if ev.cause == "pause" else "down", ev.cause))

    def _up(self, ev: NodeUp) -> None:
        ws = self.windows.setdefault(ev.node, [])
        if ws and ws[-1].end is None:
            ws[-1].end = ev.time
        if ev.cause in RESTART_CAUSES:
            self.restarts[ev.node] = self.restarts.get(ev.node, 0) + 1

    def _partition(self, ev: PartitionChanged) -> None:
        groups = [g.split("+") if g else [] for g in ev.groups]
        if ev.phase == "start":
            self.partitions.append({"start": ev.time, "end": None, "detected": None, "groups": groups})
            return
        open_ = [p for p in self.partitions if p["end"] is None]
        p = next((p for p in reversed(open_) if p["groups"] == groups), open_[-1] if open_ else None)
        if p is None:
            return
        if ev.phase == "detected":
            if p["detected"] is None:
                p["detected"] = ev.time
        elif ev.phase == "end":
            p["end"] = ev.time

    # ------------------------------------------------------------------ queues and connections
    def _placed(self, ev: QueuePlaced) -> None:
        q = self.queues.get(ev.queue)
        if q is None:
            q = self.queues[ev.queue] = _Queue()
        q.deleted = False  # (declared again after a deletion: its figures go on)
        q.type = ev.queue_type
        q.placements.append(ev)
        if ev.reason == "split":  # a split brain's second master: the queue's own leader stays
            return
        if not q.leaders or ev.leader != q.leaders[-1][1]:
            q.leaders.append([ev.time, ev.leader])
        if ev.leader is None:
            if q.since is None:
                q.since = ev.time
            return
        if q.since is not None:
            q.unavailable += ev.time - q.since
            q.since = None
        if q.leader is not None and q.leader != ev.leader:
            q.changes += 1
        q.leader = ev.leader

    def _deleted(self, ev: QueueDeleted) -> None:
        q = self.queues.get(ev.queue)
        if q is not None and not q.deleted:
            if q.since is not None:
                q.unavailable += ev.time - q.since
                q.since = None
            q.deleted = True

    def _opened(self, ev: ConnectionOpened) -> None:
        self.connections[ev.connection] = [ev.actor, ev.node, ev.time, None]

    def _closed(self, ev: ConnectionClosed) -> None:
        c = self.connections.get(ev.connection)
        if c is not None and c[3] is None:
            c[3] = ev.time

    # ------------------------------------------------------------------ the end
    def finish(self, t: float) -> None:
        """The run ended at ``t``: every open interval ends there (once)."""
        if self.end is not None:
            return
        self.end = t
        for ws in self.windows.values():
            if ws and ws[-1].end is None:
                ws[-1].end = t
        for p in self.partitions:
            if p["end"] is None:
                p["end"] = t
        for q in self.queues.values():
            if q.since is not None:
                q.unavailable += max(t - q.since, 0.0)
                q.since = None

    def messages(self) -> dict[str, int]:
        """The summary's ``messages`` additions."""
        return {"confirmed_lost": self.confirmed_lost, "unconfirmed": len(self.pending)}

    def summary(self, t: float) -> dict[str, Any]:
        """The summary's ``cluster`` key (the run ended at ``t``)."""
        self.finish(t)
        nodes = {n: {"down": [[w.start, w.end] for w in ws if w.state == "down"],
                     "paused": [[w.start, w.end] for w in ws if w.state == "paused"],
                     "restarts": self.restarts.get(n, 0)} for n, ws in self.windows.items()}
        queues = {name: {"type": q.type, "leader_changes": q.changes, "unavailable": q.unavailable,
                         "leaders": [list(x) for x in q.leaders]} for name, q in sorted(self.queues.items())}
        return {"nodes": nodes, "partitions": [dict(p, groups=[list(g) for g in p["groups"]]) for p in self.partitions],
                "queues": queues}

    def view(self, t: float, lost: list[int], confirmed_lost: list[int]) -> ClusterView:
        """What the pictures draw (``lost``, ``confirmed_lost``: the view fold's bins)."""
        self.finish(t)
        return ClusterView(nodes=list(self.windows), partition_handling=self.partition_handling,
                           net_ticktime=self.net_ticktime, end=t,
                           windows={n: [Window(w.start, w.end, w.state, w.cause) for w in ws]
                                    for n, ws in self.windows.items()},
                           partitions=[dict(p, groups=[list(g) for g in p["groups"]]) for p in self.partitions],
                           placements={n: list(q.placements) for n, q in sorted(self.queues.items())},
                           connections={c: list(v) for c, v in self.connections.items()},
                           lost=list(lost), confirmed_lost=list(confirmed_lost))
