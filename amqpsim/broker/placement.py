"""Where a queue lives in a cluster: its leader, its replicas, and what they hold.

A :class:`Placement` is kept by the :class:`~.cluster.Cluster` for every queue. The
queue's own :class:`~.queue.Queue` object holds what its *leader* holds (the home
node of a classic queue, the master of a mirrored one, the Raft leader of a quorum
one); the placement says which node that is and which other nodes hold a replica.

- **classic**: one node (``members == [home]``); while it is down or cut off the
  queue is unavailable from elsewhere (RabbitMQ's 404 "home node ... is down or
  inaccessible"; a publish routed only to it is unroutable, and still confirmed).
- **mirrored** (a classic queue an ``ha-mode`` policy matches): a master and mirrors
  in descending age. A mirror that joins (a new one, or one whose node came back)
  starts *empty*: it lacks every copy the queue held when it joined (``missing``)
  until those are consumed, unless ``ha-sync-mode: automatic`` synchronises it
  (amqpsim: at once; RabbitMQ blocks the queue while it syncs). When the master's
  node fails the oldest mirror is promoted; the copies it lacks are lost.
- **quorum**: Raft replicas (``x-quorum-initial-group-size``, default 3, capped at
  the number of nodes) with a leader; a copy is committed, and confirmed, only while
  a majority of the replicas can reach the leader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .message import Entry
    from .queue import Queue

__all__ = ["Placement", "mirror_nodes", "present_entries", "quorum_members"]

#: RabbitMQ 3.10's default ``quorum_cluster_size`` (rabbit_quorum_queue)
DEFAULT_QUORUM_SIZE = 3


@dataclass
class Placement:
    """One queue's place in the cluster (see the module docstring)."""

    queue: Queue
    qtype: str  #: classic | mirrored | quorum
    leader: str | None  #: None: no leader (unavailable)
    members: list[str]  #: the leader first (when there is one), then the replicas by age
    home: str  #: the node it was declared on (a classic queue's home; where it comes back)
    #: mirrored: the copy ids a mirror lacks (it joined empty)
    missing: dict[str, set[int]] = field(default_factory=dict)
    #: why there is no leader: "down" (the home node) | "unsynced" (no synchronised mirror
    #: to promote) | "election" | "no_majority"
    unavailable: str | None = None
    policy: dict[str, Any] = field(default_factory=dict)
    #: the queue's ``next_seq`` when the network was cut (mirrors across the cut miss later copies)
    cut_seq: int = 0
    #: a split brain's second master (:mod:`.splitbrain`): the side it serves; None: the queue itself
    twin_side: int | None = None

    @property
    def mirrors(self) -> list[str]:
        return [m for m in self.members if m != self.leader]

    def present_copies(self) -> set[int]:
        """Copy ids the queue holds now: ready and delivered but not acknowledged."""
        return {e.copy for e in present_entries(self.queue)}

    def synced(self) -> list[str]:
        """The members holding every copy the leader holds (the leader itself included)."""
        if self.qtype != "mirrored" or not self.missing:
            return list(self.members)
        present = self.present_copies()
        return [m for m in self.members if not (self.missing.get(m, set()) & present)]

    def join_mirror(self, node: str, automatic: bool) -> None:
        """``node`` becomes a mirror: empty (it lacks every copy held now) unless synced at once."""
        if node not in self.members:
            self.members.append(node)
        self.missing[node] = set() if automatic else self.present_copies()

    def drop_member(self, node: str) -> None:
        if node in self.members:
            self.members.remove(node)
        self.missing.pop(node, None)


def present_entries(q: Queue) -> list[Entry]:
    """The copies ``q`` holds: ready, and delivered to a channel but not acknowledged."""
    out = list(q.store)
    host: Any = q.host
    for conn in host.connections.values():
        for ch in conn.channels.values():
            out += [e for e in ch.unacked.values() if e.queue is q]
    return out


def mirror_nodes(policy: dict[str, Any], master: str, up: list[str]) -> list[str]:
    """The mirrors an ``ha-mode`` policy asks for, besides ``master``, among the nodes ``up``
    (in cluster order): ``all`` every node; ``exactly`` ``ha-params`` replicas in all
    (the master included); ``nodes`` the listed ones."""
    mode = policy.get("ha-mode")
    others = [n for n in up if n != master]
    if mode == "all":
        return others
    if mode == "exactly":
        count = int(policy.get("ha-params", 1))
        return others[: max(0, count - 1)]
    if mode == "nodes":
        listed = [str(n).split("@")[0] for n in policy.get("ha-params", [])]
        return [n for n in others if n in listed]
    return []


def quorum_members(arguments: dict[str, Any], leader: str, nodes: list[str]) -> list[str]:
    """A quorum queue's replicas: the declaring node and the next ones in cluster order
    (RabbitMQ picks the others at random; amqpsim in order, so a scenario says where)."""
    size = int(arguments.get("x-quorum-initial-group-size", DEFAULT_QUORUM_SIZE))
    size = max(1, min(size, len(nodes)))
    start = nodes.index(leader)
    ordered = nodes[start:] + nodes[:start]
    return ordered[:size]
