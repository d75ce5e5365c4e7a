"""Split brain: a mirrored queue with a master on each side of a partition.

With ``partition_handling: ignore`` or ``autoheal`` nobody pauses: once the cut is
noticed, each side that holds a mirror of a mirrored queue but not its master
promotes its oldest mirror (``rabbitmq-cluster-semantics.md`` fact 12). Both masters
accept publishes and confirm them; consumers on each side consume from their own.

amqpsim keeps the original :class:`~.queue.Queue` (the vhost's, on the old master's
side) and gives every other such side a *twin*: a second queue object of the same
name whose placement is that side's promoted mirror. The twin starts with what the
mirror held: every copy the master held except those the mirror lacked, each as a
**new copy** (an ``Enqueued`` record at the promotion: the split really did make a
second copy of each message). A channel's node decides which one it uses: declares,
consumes, gets and publishes from that side reach the twin.

When the network heals, ``ignore`` keeps both (the nodes stay split in their view,
as RabbitMQ's do); ``autoheal`` restarts the losing side's nodes (fewest client
connections, then fewest nodes) and their queue instance is discarded: each of its
copies ends ``lost`` (reason ``autoheal``), confirmed or not, even where the other
side still holds a copy of the same message (partitions.md: "any changes which have
occurred on other partitions will be lost").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..trace.events import Lost
from .placement import Placement, present_entries
from .queue import Queue

if TYPE_CHECKING:
    from .cluster import Cluster

__all__ = ["SplitBrain"]


class SplitBrain:
    """The twins of mirrored queues, by queue name and side (see the module docstring)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.twins: dict[str, dict[int, Placement]] = {}

    def placements(self) -> list[Placement]:
        return [p for by_side in self.twins.values() for p in by_side.values() if not p.queue.deleted]

    def queues(self) -> list[Queue]:
        return [p.queue for p in self.placements()]

    def is_live(self, p: Placement) -> bool:
        return not p.queue.deleted and self.twins.get(p.queue.name, {}).get(p.twin_side or -1) is p

    def resolve(self, node: str, name: str) -> Placement | None:
        """The twin a client on ``node`` uses for queue ``name`` (None: the original)."""
        by_side = self.twins.get(name)
        if not by_side:
            return None
        side = self.cluster.side_of(node)
        p = by_side.get(side) if side is not None else None
        return p if p is not None and not p.queue.deleted else None

    # ---------------------------------------------------------------- the split
    def promote_twins(self, now: float, p: Placement) -> None:
        """The cut is noticed: every other side holding a mirror of ``p`` promotes its own."""
        cluster = self.cluster
        assert p.leader is not None
        home_side = cluster.side_of(p.leader)
        by_side: dict[int, list[str]] = {}
        for m in p.mirrors:
            s = cluster.side_of(m)
            if cluster.up(m) and s is not None and s != home_side:
                by_side.setdefault(s, []).append(m)
        for side, mirrors in by_side.items():
            new = mirrors[0]  # the oldest
            lacking = p.missing.get(new, set())
            src = p.queue
            twin = Queue(src.host, src.name, durable=src.durable, exclusive_owner=None,
                         auto_delete=src.auto_delete, arguments=dict(src.arguments), now=now)
            twin.apply_policy(now, cluster.broker.vhost.topology.policy_for("queue", src.name, "classic"))
            for e in sorted(present_entries(src), key=lambda e: e.seq):
                if e.copy not in lacking:
                    twin.offer(now, e.msg, None)
            tp = Placement(twin, "mirrored", new, list(mirrors), new, policy=dict(p.policy), twin_side=side)
            self.twins.setdefault(src.name, {})[side] = tp
            cluster.announce(now, tp, "split")

    def discard(self, now: float, p: Placement, reason: str) -> None:
        """A queue instance of a split is thrown away: every copy it holds is lost."""
        q = p.queue
        failover = self.cluster.failover
        failover.lose(now, q, failover.take_back(q), reason)
        for c in list(q.consumers):
            c.channel.consumers.cancel_by_broker(now, c)
        emit = self.cluster.emit
        for e in q.store.clear():
            emit(Lost(now, None, e.msg.id, e.copy, q.name, reason))
        q.ready_bytes = 0
        q.deleted = True
        if p.twin_side is not None:
            self.twins.get(q.name, {}).pop(p.twin_side, None)
        p.leader = None  # (no record: the instance that stays says where the queue is)

    def autoheal(self, now: float, losers: list[str]) -> None:
        """The losing nodes restarted: per split queue, keep the instance whose master is on
        the winning side; discard the others (their copies are lost)."""
        cluster = self.cluster
        vhost = cluster.broker.vhost
        for name in list(self.twins):
            original = cluster.placements.get(name)
            instances = [p for p in ([original] if original is not None else []) + list(self.twins[name].values())
                         if not p.queue.deleted]
            winners = [p for p in instances if p.leader is not None and p.leader not in losers]
            keep = winners[0] if winners else (original if original in instances else None)
            for p in instances:
                if p is not keep:
                    self.discard(now, p, "autoheal")
            self.twins.pop(name, None)
            if keep is not None:
                if keep.twin_side is not None:  # the twin becomes the queue
                    keep.twin_side = None
                    vhost.queues[name] = keep.queue
                    cluster.placements[name] = keep
                cluster.announce(now, keep, "merged")
