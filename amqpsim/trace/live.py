"""The delivery ledger computed while the run goes, in memory bounded by what is live.

:class:`LiveLedger` is a recorder listener. It follows every routed copy from
``enqueue`` to its fate, keeping state only for copies still alive (ready,
unacknowledged or held by an auto-ack consumer) and for messages with a live copy,
so its memory grows with queue depths, not with the number of messages. The
summary is built from it in both recording modes, which is why the summary of a
run is the same whether the event log is kept or not. Duplicates and the Jepsen
view are in :mod:`.logical`. Asked to (``copies=True``), it also keeps a record of
every copy and message it saw (:mod:`.fates`): the ledger of a kept log
(:class:`~amqpsim.trace.ledger.Ledger`) is this fold; no other code decides a fate.

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

from .events import (
    ENDING_FATES,
    STREAM_FATES,
    Acked,
    Appended,
    ClientStarted,
    Confirmed,
    ConsumerStarted,
    DeadLettered,
    Delivered,
    Discarded,
    Dropped,
    Enqueued,
    Expired,
    Fate,
    InDoubt,
    Lost,
    LostInTransit,
    Processed,
    ProtocolError,
    Published,
    QueueDeclared,
    Republished,
    Requeued,
    Returned,
    Routed,
    Settled,
    StreamAcked,
    StreamDelivered,
    Truncated,
    Unroutable,
)
from .fates import close, keep
from .logical import LogicalTracker, Msg, QSet, qadd
from .stats import ExactQuantiles, SketchQuantiles, quantiles

__all__ = ["FATES", "RATES", "LiveLedger"]

READY, UNACKED, HELD, LIMBO = 0, 1, 2, 3
#: the fates that end a copy, as the summary names them (``remaining`` is counted apart; the
#: stream fates, :data:`STREAM_FATE_NAMES`, only when the run had a stream)
FATES: tuple[str, ...] = tuple(f.value for f in ENDING_FATES if f not in STREAM_FATES)
#: ``truncated`` and ``retained``: the fates of stream copies (they join the conservation sum)
STREAM_FATE_NAMES: tuple[str, ...] = tuple(f.value for f in STREAM_FATES)
_ALL_FATES = FATES + STREAM_FATE_NAMES
_TERMINAL: dict[type, str] = {DeadLettered: Fate.DEAD_LETTERED, Expired: Fate.EXPIRED,
                              Dropped: Fate.DROPPED_OVERFLOW, Discarded: Fate.DISCARDED, Lost: Fate.LOST,
                              Truncated: Fate.TRUNCATED}
#: fates that can end a message's last copy while its publish (or dead-lettering) is still routing
#: it to further queues: the message is finished at the next commit, not at once
_DEFER = frozenset({DeadLettered, Dropped, Expired})
#: events that happen inside a broker cascade: no commit before them
_CASCADE = frozenset({Routed, Enqueued, Delivered, Dropped, DeadLettered, Expired, Requeued, Unroutable})
#: per-interval rate counters (index into ``LiveLedger.cur``)
RATES = ("published", "confirmed", "returned", "nacked", "consumed")
#: fold the statistics' buffered samples after this many events (bounds their memory)
FOLD_EVERY = 8192


class QueueStats:
    __slots__ = ("name", "type", "enqueued", "depth", "max_depth", "out", "delivered", "wait", "wait_add",
                 "fates", "dirty", "series", "stream", "last_offset")

    def __init__(self, name: str, exact: bool) -> None:
        self.name = name
        self.type = "classic"  # the queue type its declaration gave (classic | quorum | stream)
        self.enqueued = 0
        self.depth = 0  # ready copies
        self.max_depth = 0
        self.out = 0  # delivered copies not settled yet (unacked, held, limbo)
        self.delivered = 0
        self.wait: ExactQuantiles | SketchQuantiles = quantiles(exact)
        self.wait_add = self.wait.add
        self.fates = dict.fromkeys(_ALL_FATES, 0)
        self.dirty = False
        self.series: list[int] = []
        #: a stream (``depth`` is its length: reading removes nothing); its last appended offset
        self.stream = False
        self.last_offset: int | None = None


class ConsumerStats:
    __slots__ = ("name", "delivered", "redelivered", "acked", "rejected", "lost", "held", "since",
                 "busy", "orphans", "offsets")

    def __init__(self, name: str) -> None:
        self.name = name
        self.delivered = self.redelivered = self.acked = self.rejected = self.lost = 0
        self.held = 0  # deliveries it holds: busy while > 0 (one worker, work-conserving)
        self.since = 0.0
        self.busy = 0.0
        #: deliveries it held when its channel closed: it may still finish one (``processed``)
        self.orphans: list[tuple[int, Msg]] = []  # (message id, its logical message)
        #: stream -> the offset of its last delivery from that stream
        self.offsets: dict[str, int] = {}


class LiveLedger(LogicalTracker):
    """Fates, depths, waits, latencies, duplicates, Jepsen counts and protocol errors, from events.

    ``copies``: also keep a record per routed copy and per message (:mod:`.fates`) in
    :attr:`kept`; memory then grows with the run.
    """

    def __init__(self, exact: bool = True, retain: float = 0.0, copies: bool = False) -> None:
        self._init_logical(retain)
        self.exact = exact
        self.now = 0.0
        self.edge = float("inf")  # next time-series boundary (see Summarizer)
        self.cur = [0] * len(RATES)
        self.counts = dict.fromkeys(("published", "confirmed", "nacked", "returned", "unroutable",
                                     "routed_copies", "delivered", "redelivered", "duplicates",
                                     "dead_letter_unroutable"), 0)
        self.fates = dict.fromkeys(_ALL_FATES, 0)
        self.violations = 0
        self.copies: dict[int, list[Any]] = {}  # copy -> [Msg, QueueStats, t_enq, state, holder, deliveries]
        self.msgs: dict[int, Msg] = {}
        self.pending_final: list[Msg] = []
        self.dirty: list[QueueStats] = []
        self.queues: dict[str, QueueStats] = {}
        self.consumers: dict[str, ConsumerStats] = {}
        #: protocol errors the clients met: (actor, code, text) -> the summary's entry
        self.errors: dict[tuple[str | None, int, str], dict[str, Any]] = {}
        self.latency = quantiles(exact)
        self.latency_add = self.latency.add
        self.unfolded = 0  # events taken since the statistics were last folded
        t = self._terminal
        self._handlers: dict[type, Any] = {
            Published: self._publish, Enqueued: self._enqueue, Delivered: self._deliver,
            Acked: self._ack, Settled: self._settle, Requeued: self._requeue,
            DeadLettered: t, Expired: t, Dropped: t, Discarded: t, Lost: t, Truncated: t,
            Appended: self._append, StreamDelivered: self._stream_deliver, StreamAcked: self._stream_ack,
            Processed: self._processed, Confirmed: self._confirm, Returned: self._return,
            Unroutable: self._unroutable, ConsumerStarted: self._consume, QueueDeclared: self._declare,
            ClientStarted: self._client, ProtocolError: self._error,
            Republished: self._republished, InDoubt: self._in_doubt, LostInTransit: self._lost_in_transit,
        }
        if copies:
            self.keep_copies()

    def keep_copies(self) -> None:
        """Keep a record per copy and per message from now on (call it before the first event;
        a subclass may call it after wrapping handlers of its own)."""
        if self.kept is None:
            self.kept = keep(self.copies, self._handlers)

    # ------------------------------------------------------------------ driving
    def __call__(self, ev: Any) -> None:
        """Take one event record."""
        self.take((ev,))

    def take(self, events: Sequence[Any]) -> None:
        """Take events in order (a recorder batch listener)."""
        self.unfolded += len(events)
        if self.unfolded >= FOLD_EVERY:  # each event adds at most one sample
            self.fold()
        handlers = self._handlers
        cascade = _CASCADE
        for ev in events:
            t = ev.time
            cls = type(ev)
            if t != self.now or ((self.dirty or self.pending_final) and cls not in cascade):
                self._advance(t)
            h = handlers.get(cls)
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
        self._advance(t)
        for c in self.consumers.values():
            if c.held:
                c.busy += self.now - c.since
                c.since = self.now
        self._retain()
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
        if self.kept is not None:
            close(self.kept, self.copies)

    def _retain(self) -> None:
        """The run ended: every copy still in a stream is ``retained`` (it stays in the stream's
        length, ``depth``); the copies of other queues stay ``remaining``."""
        retained = [k for k, cp in self.copies.items() if cp[1].stream]
        if not retained:
            return
        kept = self.kept
        for k in retained:
            cp = self.copies.pop(k)
            q = cp[1]
            self.fates["retained"] += 1
            q.fates["retained"] += 1
            msg: Msg = cp[0]
            msg.live -= 1
            if kept is not None:
                kept.retained[k] = cp

    @property
    def has_streams(self) -> bool:
        """Whether the run had a stream queue (its summary then gives the stream fates)."""
        return any(q.stream for q in self.queues.values())

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
    def _confirm(self, ev: Confirmed) -> None:
        if ev.ack:
            self.counts["confirmed"] += 1
            self.cur[1] += 1
        else:
            self.counts["nacked"] += 1
            self.cur[3] += 1

    def _return(self, ev: Returned) -> None:
        self.counts["returned"] += 1
        self.cur[2] += 1

    def _unroutable(self, ev: Unroutable) -> None:
        if ev.dead_letter:
            self.counts["dead_letter_unroutable"] += 1
            return
        self.counts["unroutable"] += 1
        msg = self.msgs.get(ev.msg)
        if msg is not None and msg.live == 0:
            self._finalize(msg)

    def _declare(self, ev: QueueDeclared) -> None:
        q = self.queue(ev.queue)
        q.type = ev.queue_type
        q.stream = ev.queue_type == "stream"

    # ------------------------------------------------------------------ streams
    def _append(self, ev: Appended) -> None:
        q = self.queue(ev.queue)
        q.stream = True
        q.last_offset = ev.offset

    def _stream_deliver(self, ev: StreamDelivered) -> None:
        """A stream delivery: counted, but the copy stays in the stream (READY)."""
        self.counts["delivered"] += 1
        cp = self.copies.get(ev.copy)
        if cp is None:
            self.violations += 1
            return
        q = cp[1]
        q.delivered += 1
        if cp[5] == 0:
            q.wait_add(ev.time - cp[2])
        cp[5] += 1
        c = self.consumer(ev.actor if ev.actor is not None else "?")
        c.delivered += 1
        c.offsets[ev.queue] = ev.offset
        if c.held == 0:
            c.since = ev.time
        c.held += 1

    def _stream_ack(self, ev: StreamAcked) -> None:
        """A stream ack: the consumer finished one delivery (credit back); no fate."""
        c = self.consumer(ev.actor if ev.actor is not None else "?")
        c.acked += 1
        if c.held > 0:
            self._release(c)
        self.cur[4] += 1
        cp = self.copies.get(ev.copy)
        if cp is not None:
            self.latency_add(ev.time - cp[0].t)

    def _consume(self, ev: ConsumerStarted) -> None:
        if ev.actor is not None:
            self.consumer(ev.actor)

    def _client(self, ev: ClientStarted) -> None:
        if ev.role == "consumer":
            self.consumer(ev.actor)

    def _error(self, ev: ProtocolError) -> None:
        key = (ev.actor, ev.reply_code, ev.reply_text)
        entry = self.errors.get(key)
        if entry is None:
            self.errors[key] = {"actor": ev.actor, "code": ev.reply_code, "text": ev.reply_text,
                                "scope": ev.scope, "count": 1, "first": float(ev.time)}
        else:
            entry["count"] += 1

    def _publish(self, ev: Published) -> None:
        self.counts["published"] += 1
        self.cur[0] += 1
        self.msgs[ev.msg] = Msg(ev.msg, ev.time)

    def _enqueue(self, ev: Enqueued) -> None:
        self.counts["routed_copies"] += 1
        name = ev.queue
        q = self.queues.get(name) or self.queue(name)
        q.enqueued += 1
        q.depth += 1
        if q.depth > q.max_depth and not q.dirty:  # a new maximum, if it lasts to the commit
            q.dirty = True
            self.dirty.append(q)
        mid = ev.msg
        msg = self.msgs.get(mid)
        if msg is None:  # a dead-lettered message already finished, or a log that starts mid-run
            msg = self.msgs[mid] = Msg(mid, ev.time, 0)
            lg = self.recent_msgs.get(mid) or self.watched.get(mid)
            if lg is not None:
                msg.root = lg
            msg.root.refs += 1
        msg.live += 1
        lg = msg.root
        if lg.routed != name:
            lg.routed = name if lg.routed is None else qadd(lg.routed, name)
        self.copies[ev.copy] = [msg, q, ev.time, READY, None, 0]

    def _deliver(self, ev: Delivered) -> None:
        counts = self.counts
        counts["delivered"] += 1
        cp = self.copies.get(ev.copy)
        if cp is None:
            self.violations += 1
            return
        q = cp[1]
        q.delivered += 1
        if cp[3] == READY:
            q.depth -= 1
            q.out += 1
        if cp[5] == 0:
            q.wait_add(ev.time - cp[2])
        cp[5] += 1
        name = ev.actor if ev.actor is not None else "?"
        c = self.consumers.get(name) or self.consumer(name)
        c.delivered += 1
        if ev.redelivered:
            counts["redelivered"] += 1
            c.redelivered += 1
        cp[3] = HELD if ev.auto_ack else UNACKED
        if cp[4] is not None:
            self._release(cp[4])
        if c.held == 0:
            c.since = ev.time
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

    def _ack(self, ev: Acked) -> None:
        cp = self.copies.pop(ev.copy, None)
        if cp is None:
            self.violations += 1
            return
        msg: Msg = cp[0]
        lg = msg.root
        name = ev.queue
        if lg.acked is None and lg.done is None:  # the common case: its first completion
            lg.acked = lg.done = name
        else:
            lg.acked = qadd(lg.acked, name)
            self._complete(lg, name)
        self.latency_add(ev.time - msg.t)
        # the copy's end, as _end does it (inlined: this runs once per message)
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
            c = self.consumer(ev.actor or "?")
        self.fates["acked"] += 1
        q.fates["acked"] += 1
        msg.live -= 1
        if msg.live == 0:
            self._finalize(msg)
        c.acked += 1
        if c.orphans:
            self._unpin(c)
        self.cur[4] += 1

    def _settle(self, ev: Settled) -> None:
        cp = self.copies.get(ev.copy)
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

    def _requeue(self, ev: Requeued) -> None:
        cp = self.copies.get(ev.copy)
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

    def _terminal(self, ev: DeadLettered | Expired | Dropped | Discarded | Lost) -> None:
        cp = self.copies.pop(ev.copy, None)
        if cp is None:
            self.violations += 1
            return
        cls = type(ev)
        if cls is Lost:
            lg = cp[0].root
            lg.lost = qadd(lg.lost, cp[1].name)
            if cp[4] is not None:
                cp[4].lost += 1
        self._end(cp, _TERMINAL[cls], cls in _DEFER)

    def _processed(self, ev: Processed) -> None:
        c = self.consumers.get(ev.actor)
        lg = self._logical_of(ev.msg)
        if lg is None and c is not None:
            lg = next((x for m, x in c.orphans if m == ev.msg), None)
        if lg is not None:
            self._complete(lg, ev.queue)
        if c is not None and c.orphans:
            self._unpin(c)

    def _unpin(self, c: ConsumerStats) -> None:
        """The worker moved on: the deliveries it held when its channel closed are done with."""
        for _, lg in c.orphans:
            lg.refs -= 1
            if lg.refs == 0:
                self._unused(lg)
        c.orphans.clear()

    # ------------------------------------------------------------------ the producers' doubts
    def _in_doubt(self, ev: InDoubt) -> None:
        self._watch(ev.msg, ev.time)

    def _republished(self, ev: Republished) -> None:
        self._link(ev.msg, ev.original)

    def _lost_in_transit(self, ev: LostInTransit) -> None:
        j = self.jepsen
        j["lost_in_transit"] += 1
        j["lost"] += 1
        j["messages"] += 1
