"""Logical messages for the live ledger: duplicates and the Jepsen view in bounded memory.

A *logical message* is a publish together with its republishes: a producer that
republishes an in-doubt message links the new publish to the first one with a
``Republished`` event and, when it learns of the connection loss, announces the
in-doubt messages (``InDoubt`` events).

A *completion* is an ``ack`` or a ``processed`` event (processing finished but
the ack could not be sent); a completion of a (logical message, queue) that
already completed is a duplicate. The Jepsen view judges each (logical message,
queue) pair: ``ok`` (acked), ``lost`` (never acked, nothing left, some copy
lost), ``duplicated`` (processed more than once).

Memory: a logical message is kept while a live message carries it (``refs``),
while a worker may still finish one of its deliveries (see ``orphans`` in
:mod:`.live`), while it is in doubt (``watched``), and for ``retain`` simulated
seconds after that, so an in-doubt announcement can still find it. The
simulation sets ``retain`` from its confirm and loss-detection delays, which bound
how old an in-doubt message can be.
"""

from __future__ import annotations

from collections import deque
from typing import Any

# A "queue set" is None, one queue name, or a set of names (most messages reach one queue).
QSet = Any


def qadd(s: QSet, q: str) -> QSet:
    if s is None or s == q:
        return q
    if type(s) is str:
        return {s, q}
    s.add(q)
    return s


def qhas(s: QSet, q: str) -> bool:
    return s is not None and (s == q if type(s) is str else q in s)


def qlist(s: QSet) -> list[str]:
    return [] if s is None else [s] if type(s) is str else sorted(s)


class Msg:
    """A published message with live copies; ``root`` is its logical message (often itself)."""

    __slots__ = ("id", "t", "live", "root", "routed", "acked", "lost", "done", "dup", "refs",
                 "watched", "classified")

    def __init__(self, mid: int, t: float, refs: int = 1) -> None:
        self.id = mid
        self.t = t  # publish time
        self.live = 0  # live copies
        self.root = self
        self.routed: QSet = None  # queues the logical message was routed to
        self.acked: QSet = None
        self.lost: QSet = None
        self.done: QSet = None  # queues where its processing completed
        self.dup: QSet = None  # queues where it was processed more than once
        self.refs = refs  # live messages (and pins) carrying this logical message
        self.watched = self.classified = False


class LogicalTracker:
    """Mixin of :class:`~amqpsim.trace.live.LiveLedger`: links, pins, retention, Jepsen."""

    counts: dict[str, int]
    msgs: dict[int, Msg]
    now: float

    def _init_logical(self, retain: float) -> None:
        self.retain = retain
        self.jepsen = dict.fromkeys(("messages", "ok", "lost", "duplicated", "lost_in_transit"), 0)
        self.horizon_misses = 0
        self.watched: dict[int, Msg] = {}  # in doubt, kept to the end
        self.recent: deque[tuple[float, int | None, Msg]] = deque()
        self.recent_msgs: dict[int, Msg] = {}

    def _complete(self, lg: Msg, queue: str) -> None:
        if lg.done is None:
            lg.done = queue
        elif qhas(lg.done, queue):
            self.counts["duplicates"] += 1
            lg.dup = qadd(lg.dup, queue)
        else:
            lg.done = qadd(lg.done, queue)

    def _logical_of(self, m: int | None) -> Msg | None:
        if m is None:
            return None
        msg = self.msgs.get(m)
        if msg is not None:
            return msg.root
        return self.recent_msgs.get(m) or self.watched.get(m)

    def _watch(self, m: int, t: float) -> None:
        """Message ``m`` is in doubt: keep its logical message to the end of the run."""
        lg = self._logical_of(m)
        if lg is None:
            self.horizon_misses += 1
            lg = Msg(m, t, 0)
        lg.watched = True
        self.watched[lg.id] = lg

    def _link(self, new: int, orig: int) -> None:
        """Message ``new`` republishes ``orig``: they are one logical message.

        ``new`` may already be finished (its copies expired or were dropped while its
        publish was routed, before the producer's ``method`` event): it is then found
        among the recently finished messages, and absorbed into ``orig``'s logical message.
        """
        msg = self.msgs.get(new)
        own = msg.root if msg is not None else self.recent_msgs.get(new)
        if own is None or own.classified:  # finished beyond the retention horizon: counted alone
            self.horizon_misses += 1
            return
        target = self._logical_of(orig)
        if target is None:
            self.horizon_misses += 1
            target = Msg(orig, own.t, 0)
            target.watched = True
            self.watched[orig] = target
        if own is target:
            return
        for q in qlist(own.routed):
            target.routed = qadd(target.routed, q)
        for q in qlist(own.acked):
            target.acked = qadd(target.acked, q)
        for q in qlist(own.lost):
            target.lost = qadd(target.lost, q)
        for q in qlist(own.dup):
            target.dup = qadd(target.dup, q)
        for q in qlist(own.done):
            self._complete(target, q)
        if msg is not None:
            target.refs += 1
            own.refs -= 1
            msg.root = target
        else:
            own.classified = True  # absorbed: never counted on its own
            self.recent_msgs[new] = target
            self.recent.append((self.now, new, target))  # (pruned as the other recent ones)

    def _finalize(self, msg: Msg) -> None:
        """``msg`` has no live copy any more."""
        del self.msgs[msg.id]
        lg = msg.root
        lg.refs -= 1
        if lg is msg and not self.retain and not lg.refs and not lg.watched \
                and lg.lost is None and lg.dup is None and type(lg.routed) is str:
            lg.classified = True  # the common case of _classify, inlined
            msg.root = None  # type: ignore[assignment]  # no cycle: freed at once, not by the GC
            j = self.jepsen
            j["messages"] += 1
            if lg.acked is not None:
                j["ok"] += 1
            return
        if self.retain > 0:
            self.recent.append((self.now, msg.id, lg))
            self.recent_msgs[msg.id] = lg
        elif lg.refs == 0 and not lg.watched:
            self._classify(lg)

    def _unused(self, lg: Msg) -> None:
        """No live message and no worker refers to ``lg`` any more."""
        if self.retain > 0:
            self.recent.append((self.now, None, lg))
        elif not lg.watched:
            self._classify(lg)

    def _prune(self) -> None:
        horizon = self.now - self.retain
        recent = self.recent
        while recent and recent[0][0] < horizon:
            _, m, lg = recent.popleft()
            if m is not None and self.recent_msgs.get(m) is lg:
                del self.recent_msgs[m]
            if lg.refs == 0 and not lg.watched:
                self._classify(lg)

    def _classify(self, lg: Msg, remaining: QSet = None) -> None:
        """Jepsen outcome of each (logical message, queue) pair, once."""
        if lg.classified:
            return
        lg.classified = True
        j = self.jepsen
        routed = lg.routed
        if type(routed) is str and lg.lost is None and lg.dup is None and remaining is None:
            j["messages"] += 1  # the common case: one queue, nothing lost or duplicated
            if lg.acked is not None:
                j["ok"] += 1
            return
        for q in qlist(routed):
            j["messages"] += 1
            if qhas(lg.acked, q):
                j["ok"] += 1
            elif qhas(lg.lost, q) and not qhas(remaining, q):
                j["lost"] += 1
            if qhas(lg.dup, q):
                j["duplicated"] += 1
