"""What each queue type does when a node fails, a cut is noticed, or a node returns.

RabbitMQ 3.10 (``../shared/rabbitmq-cluster-semantics.md``, the facts of its
section 6 by number):

- **classic** (1, 2): its home node down, a durable queue is unavailable (404,
  publishes unroutable) and comes back with the node holding its *persistent*
  messages (unacknowledged ones return, redelivered); its consumers elsewhere are
  cancelled; a non-durable queue is deleted with everything in it.
- **mirrored** (4-8): the oldest live mirror is promoted; copies it lacks (it joined
  empty) are lost, confirmed or not; every unacknowledged copy is requeued and
  delivered again (``redelivered``), consumers with ``x-cancel-on-ha-failover`` are
  cancelled. ``ha-promote-on-failure`` (crash, partition; default ``always``) and
  ``ha-promote-on-shutdown`` (a stop; default ``when-synced``) may refuse an
  unsynchronised mirror: the queue is then unavailable (publishes nacked, 404 "due to
  timeout") until the master's node returns. A mirror whose node returns joins empty.
- **quorum** (13-15): a new leader among the replicas that form a majority, 0.15-0.28 s
  after the leader's node dies (measured on 3.10.8); no majority, no leader. Consumers
  survive a leader change with what they hold; a consumer whose node is cut off from
  the leader gets nothing more and its unacknowledged copies go back (their
  ``x-delivery-count`` grows) until the leader is reachable again.

Every copy lost says why (``Lost.reason``): ``node_crash``, ``node_stop``,
``node_pause``, ``node_autoheal`` (a non-replicated queue's transient or non-durable
content), ``unsynchronised_mirror`` (promotion of a mirror that lacked it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..trace.events import Lost
from .placement import Placement, mirror_nodes, present_entries

if TYPE_CHECKING:
    from .cluster import Cluster
    from .message import Entry
    from .queue import Queue

__all__ = ["Failover"]


class Failover:
    """The reactions of queues to the cluster's events, for :class:`~.cluster.Cluster`."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.broker = cluster.broker

    # ================================================================ a node goes
    def node_lost(self, now: float, p: Placement, node: str, cause: str) -> None:
        if node not in p.members:
            return
        if p.qtype == "quorum":
            if p.leader == node:
                self.leaderless(now, p)
            return
        if p.qtype != "mirrored" or p.leader is None:
            if p.leader == node:
                self.home_down(now, p, cause, "down")
            elif p.qtype == "mirrored":
                p.drop_member(node)  # a stopped mirror of an unavailable queue
            return
        if p.leader == node:
            self.promote(now, p, cause)
        else:
            p.drop_member(node)
            self.spare_mirror(p)
            self.cluster.announce(now, p, "mirror_lost")

    def home_down(self, now: float, p: Placement, cause: str, why: str) -> None:
        """No leader left: a durable queue waits for its node with its persistent copies."""
        q = p.queue
        reason = f"node_{cause}"
        if p.twin_side is not None:  # a split brain's second master has nowhere to go
            self.cluster.split.discard(now, p, reason)
            return
        orphans = self.take_back(q)
        for c in list(q.consumers):
            c.channel.consumers.cancel_by_broker(now, c)
        if not q.durable:
            self.lose(now, q, orphans, reason)
            with self.broker.vhost.stopping(reason):
                self.broker.vhost.delete_queue(now, q, "node_down")
            return
        self.lose(now, q, [e for e in orphans if not e.msg.persistent], reason)
        keep = sorted((e for e in orphans if e.msg.persistent), key=lambda e: e.seq)
        if keep:
            q.requeue(now, keep, "node_down", dispatch=False)
        q.drop_transient(now, reason)
        p.leader, p.unavailable = None, why
        self.cluster.announce(now, p, "unavailable")

    def promote(self, now: float, p: Placement, cause: str) -> None:
        """The master's node is gone: promote the oldest mirror the rules allow."""
        q, old = p.queue, p.leader
        assert old is not None
        policy = p.policy
        if cause == "stop":
            rule = policy.get("ha-promote-on-shutdown", "when-synced")
            if policy.get("ha-promote-on-failure") == "when-synced":
                rule = "when-synced"
        else:
            rule = policy.get("ha-promote-on-failure", "always")
        candidates = [m for m in p.mirrors if self.cluster.up(m)]
        synced = set(p.synced())
        pick = [m for m in candidates if rule == "always" or m in synced]
        if not candidates or not pick:
            self.home_down(now, p, cause, "down" if not candidates else "unsynced")
            return
        new = pick[0]
        lacking = p.missing.pop(new, set())
        orphans = self.take_back(q)
        if lacking:
            self.lose_ready(now, q, lacking, "unsynchronised_mirror")
        self.lose(now, q, [e for e in orphans if e.copy in lacking], "unsynchronised_mirror")
        back = sorted((e for e in orphans if e.copy not in lacking), key=lambda e: e.seq)
        if back:
            q.requeue(now, back, "failover", dispatch=False)
        p.drop_member(old)
        p.members.remove(new)
        p.members.insert(0, new)
        p.leader = p.home = new
        for c in list(q.consumers):
            if c.arguments.get("x-cancel-on-ha-failover") is True:
                c.channel.consumers.cancel_by_broker(now, c)
        self.spare_mirror(p)
        self.cluster.announce(now, p, "failover")
        q.dispatch(now)

    def spare_mirror(self, p: Placement) -> None:
        """``ha-mode: exactly``: a mirror lost is replaced on a spare node (joining empty)."""
        if p.policy.get("ha-mode") != "exactly" or p.leader is None:
            return
        up = [n for n in self.cluster.order if self.cluster.reach(p.leader, n)]
        for n in mirror_nodes(p.policy, p.leader, [m for m in up if m in p.members]
                              + [m for m in up if m not in p.members]):
            if n not in p.members:
                p.join_mirror(n, p.policy.get("ha-sync-mode") == "automatic")

    # ================================================================ a node returns
    def node_back(self, now: float, p: Placement, node: str) -> None:
        cluster = self.cluster
        if p.qtype == "quorum":
            if p.leader is None and node in p.members:
                self.elect_later(now, p)
            return
        q = p.queue
        if p.leader is None:
            if node != p.home:
                return
            if p.unavailable == "unsynced":
                cluster.refuse_held(q.name)  # (nacked by the retry that follows the node's return)
            p.leader, p.unavailable = node, None
            if p.qtype == "mirrored":  # its mirrors were stopped with it: they start empty
                for m in p.mirrors:
                    p.join_mirror(m, p.policy.get("ha-sync-mode") == "automatic")
            q.restart(now)
            cluster.announce(now, p, "restored")
            q.dispatch(now)
        elif p.qtype == "mirrored":
            self.rejoin(now, p)

    def rejoin(self, now: float, p: Placement) -> None:
        """Mirrors the policy wants on nodes the master reaches again join (empty)."""
        assert p.leader is not None
        up = [n for n in self.cluster.order if self.cluster.reach(p.leader, n)]
        added = False
        for n in mirror_nodes(p.policy, p.leader, up):
            if n not in p.members and (p.policy.get("ha-mode") != "exactly"
                                       or len(p.members) < int(p.policy.get("ha-params", 1))):
                p.join_mirror(n, p.policy.get("ha-sync-mode") == "automatic")
                added = True
        if added:
            self.cluster.announce(now, p, "mirror_added")

    # ================================================================ partitions
    def cut_noticed(self, now: float, p: Placement) -> None:
        """Mirrors across the cut lack every copy the master took since it began."""
        if p.qtype != "mirrored" or p.leader is None:
            return
        late = {e.copy for e in present_entries(p.queue) if e.seq > p.cut_seq}
        for m in p.mirrors:
            if not self.cluster.linked(p.leader, m):
                p.missing.setdefault(m, set()).update(late)

    def after_cut(self, now: float, p: Placement) -> None:
        """Each side goes on with what it reaches (after pause_minority paused its nodes)."""
        cluster = self.cluster
        if p.qtype == "quorum":
            if p.leader is not None and not cluster.has_majority(p):
                self.leaderless(now, p)
            else:
                self.cut_consumers(now, p)
            return
        if p.leader is None:
            return
        if p.qtype == "mirrored":
            if cluster.partition_handling != "pause_minority" and p.twin_side is None:
                cluster.split.promote_twins(now, p)  # a master on each side
            gone = [m for m in p.mirrors if not cluster.linked(p.leader, m)]
            for m in gone:
                p.drop_member(m)
            if gone:
                cluster.announce(now, p, "mirror_lost")
        self.cut_consumers(now, p)

    def healed(self, now: float, p: Placement) -> None:
        if p.qtype == "quorum":
            if p.leader is None:
                self.elect_later(now, p)
        elif p.qtype == "mirrored" and p.leader is not None:
            self.rejoin(now, p)

    def cut_consumers(self, now: float, p: Placement) -> None:
        """Consumers whose node cannot reach the leader: their unacknowledged copies go back;
        a quorum consumer waits (reinstated later), a classic one is cancelled."""
        q, leader = p.queue, p.leader
        for c in list(q.consumers):
            node = c.channel.connection.node
            if leader is not None and node is not None and self.cluster.linked(node, leader):
                continue
            ch = c.channel
            tags = [t for t, e in ch.unacked.items() if e.consumer is c]
            back = sorted((ch.orphan(t) for t in tags), key=lambda e: e.seq)
            if p.qtype == "quorum":
                q.detach_consumer(c)
                self.cluster.suspend(c)
            else:
                ch.consumers.cancel_by_broker(now, c)
            if back:
                q.requeue(now, back, "noconnection", dispatch=False)
        q.dispatch(now)

    # ================================================================ quorum elections
    def leaderless(self, now: float, p: Placement) -> None:
        """A quorum queue lost its leader (or its majority): no deliveries, no commits,
        until an election on a side with a majority of its replicas."""
        p.leader, p.unavailable = None, "election"
        q = p.queue
        for c in list(q.consumers):
            q.detach_consumer(c)
            self.cluster.suspend(c)
        self.cluster.announce(now, p, "unavailable")
        self.elect_later(now, p)

    def elect_later(self, now: float, p: Placement) -> None:
        delay = 0.15 + self.cluster.rng.uniform(0.0, 0.13)  # measured on 3.10.8: 0.15-0.28 s
        self.broker.schedule(now + delay, lambda t: self.elect(t, p))

    def elect(self, now: float, p: Placement) -> None:
        cluster = self.cluster
        if p.leader is not None or not cluster.live(p):
            return
        up = [m for m in p.members if cluster.up(m)]
        sides: dict[int, list[str]] = {}
        for m in up:
            sides.setdefault(cluster.side[m] if cluster.side else 0, []).append(m)
        for group in sides.values():
            if len(group) * 2 > len(p.members):
                p.leader, p.unavailable = cluster.rng.choice(sorted(group)), None
                cluster.announce(now, p, "election")
                cluster.reinstate(now)
                self.cut_consumers(now, p)
                cluster.retry_held(now)
                return
        p.unavailable = "no_majority"

    # ================================================================ copies
    def take_back(self, q: Queue) -> list[Entry]:
        """Every copy of ``q`` a channel holds unacknowledged, taken back (:meth:`.Channel.orphan`)."""
        out: list[Entry] = []
        for conn in self.broker.connections.values():
            for ch in conn.channels.values():
                for tag in [t for t, e in ch.unacked.items() if e.queue is q]:
                    out.append(ch.orphan(tag))
        return out

    def lose(self, now: float, q: Queue, entries: list[Entry], reason: str) -> None:
        """Copies taken back from channels are lost."""
        if not entries:
            return
        q.unacked -= len(entries)
        q.settled(entries)
        for e in entries:
            self.broker.emit(Lost(now, None, e.msg.id, e.copy, q.name, reason))

    def lose_ready(self, now: float, q: Queue, copies: set[int], reason: str) -> None:
        """Ready copies in ``copies`` are lost; the others keep their order."""
        store = q.store
        q.ready_bytes = 0
        for e in store.clear():
            if e.copy in copies:
                self.broker.emit(Lost(now, None, e.msg.id, e.copy, q.name, reason))
            else:
                store.push(e)
                q.ready_bytes += e.msg.size

