"""The delivery ledger computed while the run goes, in memory bounded by what is live.

:class:`LiveLedger` is a recorder listener. It follows every routed copy from
``enqueue`` to its fate, keeping state only for copies still alive (ready,
unacknowledged or held by an auto-ack consumer) and for messages with a live copy,
so its memory grows with queue depths, not with the number of messages. The
summary is built from it in both recording modes, which is why the summary of a
run is the same whether the event log is kept or not. Duplicates and the Jepsen
view are in :mod:`.logical`.

Copy states: ``READY`` (in the queue), ``UNACKED`` (delivered, manual ack),
``HELD`` (delivered to an auto-ack consumer, not processed yet), ``LIMBO`` (nacked
or rejected, its requeue / dead-letter / discard event follows).

Broker state changes happen in *cascades* at one instant (a publish routes,
enqueues, delivers; a requeue may drop the head). Queue maxima are only
*committed* between cascades, so a copy that went straight to an idle consumer
never counts toward a queue's depth (as in RabbitMQ); a dead-lettered message is
not finished while its new copies are being routed. Only a queue whose depth went past its
maximum needs a commit (``dirty``): a depth at or below the maximum changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .events import Event
from .events import EventKind as K
from .logical import IN_DOUBT, LOST_IN_TRANSIT, REPUBLISH, LogicalTracker, Msg, QSet, qadd
from .stats import ExactQuantiles, SketchQuantiles, quantiles

__all__ = ["FATES", "IN_DOUBT", "LOST_IN_TRANSIT", "REPUBLISH", "RATES", "LiveLedger"]

READY, UNACKED, HELD, LIMBO = 0, 1, 2, 3
FATES = ("acked", "dead_lettered", "expired", "dropped_overflow", "discarded", "lost")
_TERMINAL: dict[str, str] = {K.DEAD_LETTER: "dead_lettered", K.EXPIRE: "expired",
                             K.DROP: "dropped_overflow", K.DISCARD: "discarded", K.LOSS: "lost"}
#: fates that can end a message's last copy while its publish (or dead-lettering) is still routing
#: it to further queues: the message is finished at the next commit, not at once
_DEFER = frozenset({K.DEAD_LETTER, K.DROP, K.EXPIRE})
#: kinds that happen inside a broker cascade: no commit before them
_CASCADE = frozenset({K.ROUTE, K.ENQUEUE, K.DELIVER, K.DROP, K.DEAD_LETTER, K.EXPIRE, K.REQUEUE,
                      K.UNROUTABLE})
#: per-interval rate counters (index into ``LiveLedger.cur``)
RATES = ("published", "confirmed", "returned", "nacked", "consumed")
#: fold the statistics' buffered samples after this many events (bounds their memory)
FOLD_EVERY = 8192


class QueueStats:
    __slots__ = ("name", "enqueued", "depth", "max_depth", "out", "delivered", "wait", "wait_add",
                 "fates", "dirty", "series")

    def __init__(self, name: str, exact: bool) -> None:
        self.name = name
        self.enqueued = 0
        self.depth = 0  # ready copies
        self.max_depth = 0
        self.out = 0  # delivered copies not settled yet (unacked, held, limbo)
        self.delivered = 0
        self.wait: ExactQuantiles | SketchQuantiles = quantiles(exact)
        self.wait_add = self.wait.add
        self.fates = dict.fromkeys(FATES, 0)
        self.dirty = False
        self.series: list[int] = []


class ConsumerStats:
    __slots__ = ("name", "delivered", "redelivered", "acked", "rejected", "lost", "held", "since",
                 "busy", "orphans")

    def __init__(self, name: str) -> None:
        self.name = name
        self.delivered = self.redelivered = self.acked = self.rejected = self.lost = 0
        self.held = 0  # deliveries it holds: busy while > 0 (one worker, work-conserving)
        self.since = 0.0
        self.busy = 0.0
        #: deliveries it held when its channel closed: it may still finish one (``processed``)
        self.orphans: list[tuple[int, Msg]] = []  # (message id, its logical message)


class LiveLedger(LogicalTracker):
    """Fates, depths, waits, latencies, duplicates and Jepsen counts, from events.

    Of ``publish``, ``enqueue``, ``deliver`` and ``ack`` events it reads only ``time``,
    ``kind``, ``actor``, ``msg``, ``copy``, ``queue``, ``detail`` and ``redelivered``:
    :meth:`~amqpsim.trace.events.Recorder.feed` relies on it, cutting those rows short.
    """

    def __init__(self, exact: bool = True, retain: float = 0.0) -> None:
        self._init_logical(retain)
        self.exact = exact
        self.now = 0.0
        self.edge = float("inf")  # next time-series boundary (see Summarizer)
        self.cur = [0] * len(RATES)
        self.counts = dict.fromkeys(("published", "confirmed", "nacked", "returned", "unroutable",
                                     "routed_copies", "delivered", "redelivered", "duplicates",
                                     "dead_letter_unroutable"), 0)
        self.fates = dict.fromkeys(FATES, 0)
        self.violations = 0
        self.copies: dict[int, list[Any]] = {}  # copy -> [Msg, QueueStats, t_enq, state, holder, seen]
        self.msgs: dict[int, Msg] = {}
        self.pending_final: list[Msg] = []
        self.dirty: list[QueueStats] = []
        self.queues: dict[str, QueueStats] = {}
        self.consumers: dict[str, ConsumerStats] = {}
        self.latency = quantiles(exact)
        self.latency_add = self.latency.add
        self.unfolded = 0  # events taken since the statistics were last folded
        t = self._terminal
        self._handlers: dict[str, Any] = {
            K.PUBLISH: self._publish, K.ENQUEUE: self._enqueue, K.DELIVER: self._deliver,
            K.ACK: self._ack, K.NACK: self._settle, K.REJECT: self._settle, K.REQUEUE: self._requeue,
            K.DEAD_LETTER: t, K.EXPIRE: t, K.DROP: t, K.DISCARD: t, K.LOSS: t,
            K.PROCESSED: self._processed, K.CONFIRM: self._confirm, K.CONFIRM_NACK: self._confirm_nack,
            K.RETURN: self._return, K.UNROUTABLE: self._unroutable, K.CONSUME: self._consume,
            K.QUEUE_DECLARE: self._declare, K.METHOD: self._method,
        }

    # ------------------------------------------------------------------ driving
    def __call__(self, ev: Any) -> None:
        """Take one :class:`~amqpsim.trace.events.Event` (or a plain tuple of its fields)."""
        self.take((ev,))

    def take(self, rows: Sequence[Any]) -> None:
        """Take events in order (a recorder batch listener); rows are read by position."""
        self.unfolded += len(rows)
        if self.unfolded >= FOLD_EVERY:  # each event adds at most one sample
            self.fold()
        handlers = self._handlers
        cascade = _CASCADE
        for ev in rows:
            t = ev[0]
            if t != self.now or ((self.dirty or self.pending_final) and ev[2] not in cascade):
                self._advance(t)
            h = handlers.get(ev[2])
            if h is not None:
                h(ev)

    def fold(self) -> None:
        """Fold the samples the statistics buffer (see :class:`~.stats.SketchQuantiles`)."""
        self.unfolded = 0
        self.latency.fold()
        for q in self.queues.values():
            q.wait.fold()

    def _advance(self, t: float) -> None:
        """Before an event at ``t``: commit the last cascade, move the clock, close intervals."""
        if self.dirty or self.pending_final:
            self.commit()
        if t != self.now:
            if t > self.now:
                self.now = t
            if self.recent:
                self._prune()
            if t >= self.edge:
                self._close_until(t)

    def _close_until(self, t: float) -> None:
        """Hook: close time-series intervals ending at or before ``t``."""

    def commit(self) -> None:
        for q in self.dirty:
            if q.depth > q.max_depth:
                q.max_depth = q.depth
            q.dirty = False
        self.dirty.clear()
        if self.pending_final:
            pend, self.pending_final = self.pending_final, []
            for msg in pend:
                if msg.live == 0 and self.msgs.get(msg.id) is msg:
                    self._finalize(msg)

    def finish(self, t: float) -> None:
        """The run ended at ``t``: settle, close busy periods, classify every logical message."""
        self(Event(t, -1, "end"))
        self.commit()
        for c in self.consumers.values():
            if c.held:
                c.busy += self.now - c.since
                c.since = self.now
        remaining: dict[int, QSet] = {}  # id(logical) -> queues where it has live copies
        for cp in self.copies.values():
            lg = cp[0].root
            remaining[id(lg)] = qadd(remaining.get(id(lg)), cp[1].name)
        pinned = [lg for c in self.consumers.values() for _, lg in c.orphans]
        for lg in [x[2] for x in self.recent] + list(self.watched.values()) + pinned + \
                [msg.root for msg in self.msgs.values()]:
            self._classify(lg, remaining.get(id(lg)))
        self.recent.clear()
        self.recent_msgs.clear()

    # ------------------------------------------------------------------ lookups
    def queue(self, name: str) -> QueueStats:
        q = self.queues.get(name)
        if q is None:
            q = self.queues[name] = QueueStats(name, self.exact)
            self._new_queue(q)
        return q

    def _new_queue(self, q: QueueStats) -> None:
        """Hook for subclasses (time series)."""

    def consumer(self, name: str) -> ConsumerStats:
        c = self.consumers.get(name)
        if c is None:
            c = self.consumers[name] = ConsumerStats(name)
        return c

    @property
    def remaining(self) -> int:
        return len(self.copies)

    @property
    def conservation(self) -> bool:
        return self.violations == 0 and \
            self.counts["routed_copies"] == sum(self.fates.values()) + len(self.copies)

    # ------------------------------------------------------------------ handlers
    def _confirm(self, ev: Any) -> None:
        self.counts["confirmed"] += 1
        self.cur[1] += 1

    def _return(self, ev: Any) -> None:
        self.counts["returned"] += 1
        self.cur[2] += 1

    def _confirm_nack(self, ev: Any) -> None:
        self.counts["nacked"] += 1
        self.cur[3] += 1

    def _unroutable(self, ev: Any) -> None:
        detail = ev[12]
        if detail is not None and detail.startswith("dead-letter"):
            self.counts["dead_letter_unroutable"] += 1
            return
        self.counts["unroutable"] += 1
        msg = self.msgs.get(ev[4])
        if msg is not None and msg.live == 0:
            self._finalize(msg)

    def _declare(self, ev: Any) -> None:
        if ev[7] is not None:
            self.queue(ev[7])

    def _consume(self, ev: Any) -> None:
        if ev[3] is not None:
            self.consumer(ev[3])

    def _publish(self, ev: Any) -> None:
        self.counts["published"] += 1
        self.cur[0] += 1
        self.msgs[ev[4]] = Msg(ev[4], ev[0])

    def _enqueue(self, ev: Any) -> None:
        self.counts["routed_copies"] += 1
        name = ev[7]
        q = self.queues.get(name) or self.queue(name)
        q.enqueued += 1
        q.depth += 1
        if q.depth > q.max_depth and not q.dirty:  # a new maximum, if it lasts to the commit
            q.dirty = True
            self.dirty.append(q)
        msg = self.msgs.get(ev[4])
        if msg is None:  # a dead-lettered message already finished, or a log that starts mid-run
            msg = self.msgs[ev[4]] = Msg(ev[4], ev[0], 0)
            lg = self.recent_msgs.get(ev[4]) or self.watched.get(ev[4])
            if lg is not None:
                msg.root = lg
            msg.root.refs += 1
        msg.live += 1
        lg = msg.root
        if lg.routed != name:
            lg.routed = name if lg.routed is None else qadd(lg.routed, name)
        self.copies[ev[5]] = [msg, q, ev[0], READY, None, False]

    def _deliver(self, ev: Any) -> None:
        counts = self.counts
        counts["delivered"] += 1
        cp = self.copies.get(ev[5])
        if cp is None:
            self.violations += 1
            return
        q = cp[1]
        q.delivered += 1
        if cp[3] == READY:
            q.depth -= 1
            q.out += 1
        if not cp[5]:
            cp[5] = True
            q.wait_add(ev[0] - cp[2])
        name = ev[3] if ev[3] is not None else "?"
        c = self.consumers.get(name) or self.consumer(name)
        c.delivered += 1
        if ev[15]:
            counts["redelivered"] += 1
            c.redelivered += 1
        cp[3] = HELD if ev[12] == "no_ack" else UNACKED
        if cp[4] is not None:
            self._release(cp[4])
        if c.held == 0:
            c.since = ev[0]
        c.held += 1
        cp[4] = c

    def _release(self, c: ConsumerStats) -> None:
        c.held -= 1
        if c.held == 0:
            c.busy += self.now - c.since

    def _end(self, cp: list[Any], fate: str, defer: bool) -> Msg:
        """A copy met its fate; its message is finished when no copy is left."""
        q = cp[1]
        if cp[3] == READY:
            q.depth -= 1
        else:
            q.out -= 1
        if cp[4] is not None:
            self._release(cp[4])
        self.fates[fate] += 1
        q.fates[fate] += 1
        msg: Msg = cp[0]
        msg.live -= 1
        if msg.live == 0:
            if defer:  # new copies of it may follow in this cascade
                self.pending_final.append(msg)
            else:
                self._finalize(msg)
        return msg

    def _ack(self, ev: Any) -> None:
        cp = self.copies.pop(ev[5], None)
        if cp is None:
            self.violations += 1
            return
        msg: Msg = cp[0]
        lg = msg.root
        name = ev[7]
        if lg.acked is None and lg.done is None:  # the common case: its first completion
            lg.acked = lg.done = name
        else:
            lg.acked = qadd(lg.acked, name)
            self._complete(lg, name)
        self.latency_add(ev[0] - msg.t)
        # the copy's end (as _end, inlined: this is the hottest path)
        q = cp[1]
        if cp[3] == READY:
            q.depth -= 1
        else:
            q.out -= 1
        c = cp[4]
        if c is not None:
            c.held -= 1
            if c.held == 0:
                c.busy += self.now - c.since
        else:
            c = self.consumer(ev[3] or "?")
        self.fates["acked"] += 1
        q.fates["acked"] += 1
        msg.live -= 1
        if msg.live == 0:
            self._finalize(msg)
        c.acked += 1
        if c.orphans:
            self._unpin(c)
        self.cur[4] += 1

    def _settle(self, ev: Any) -> None:
        cp = self.copies.get(ev[5])
        if cp is None:
            self.violations += 1
            return
        c = cp[4]
        if c is not None:
            c.rejected += 1
            self._release(c)
            cp[4] = None
            if c.orphans:
                self._unpin(c)
        cp[3] = LIMBO

    def _requeue(self, ev: Any) -> None:
        cp = self.copies.get(ev[5])
        if cp is None:
            self.violations += 1
            return
        c = cp[4]
        if c is not None:  # returned unsettled (channel closed): the worker may still finish it
            self._release(c)
            cp[4] = None
            lg = cp[0].root
            lg.refs += 1
            c.orphans.append((cp[0].id, lg))
        q = cp[1]
        if cp[3] != READY:
            q.out -= 1
            q.depth += 1
            if q.depth > q.max_depth and not q.dirty:
                q.dirty = True
                self.dirty.append(q)
        cp[3] = READY

    def _terminal(self, ev: Any) -> None:
        cp = self.copies.pop(ev[5], None)
        if cp is None:
            self.violations += 1
            return
        kind = ev[2]
        if kind == K.LOSS:
            lg = cp[0].root
            lg.lost = qadd(lg.lost, cp[1].name)
            if cp[4] is not None:
                cp[4].lost += 1
        self._end(cp, _TERMINAL[kind], kind in _DEFER)

    def _processed(self, ev: Any) -> None:
        c = self.consumers.get(ev[3]) if ev[3] is not None else None
        lg = self._logical_of(ev[4])
        if lg is None and c is not None:
            lg = next((x for m, x in c.orphans if m == ev[4]), None)
        if lg is not None and ev[7] is not None:
            self._complete(lg, ev[7])
        if c is not None and c.orphans:
            self._unpin(c)

    def _unpin(self, c: ConsumerStats) -> None:
        """The worker moved on: the deliveries it held when its channel closed are done with."""
        for _, lg in c.orphans:
            lg.refs -= 1
            if lg.refs == 0:
                self._unused(lg)
        c.orphans.clear()
