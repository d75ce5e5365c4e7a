"""What the pictures draw, from the same fold as the summary, in memory bounded by the run's shape.

:class:`ViewFold` is the :class:`~amqpsim.trace.summary.Summarizer` plus the series
the pictures need; :meth:`ViewFold.view` returns them as a :class:`RunView`. A
report drawn from a view costs what a summary costs: nothing here grows with the
number of messages (only with queues, consumers, time bins and the first
``max_frames`` events).

Definitions, the same in every picture and in the summary:

* **ready**: copies waiting in a queue (the summary's ``max_depth``/``final_depth``
  count these); **unacked**: copies delivered and not yet settled (``final_unacked``).
  Both are sampled after each instant's cascade of broker events, so the largest
  ``ready_max`` over the bins equals the summary's ``max_depth``.
* Per time bin (the summary's ``series`` bins: they double in width to stay at most
  ``2 * max_bins``): each queue's ``ready_min``/``ready_max``/``ready_last`` and
  ``unacked_max``/``unacked_last`` (no spike hidden by the binning); each consumer's
  ``busy`` seconds and the most deliveries it ``held``; and the message rates of
  :data:`RATE_KINDS`, per second.
* ``outcomes``: routed copies per (queue, outcome, reason). The outcome is the fate,
  with ``acked`` split as the ledger picture shows it: ``acked_once`` (delivered
  once), ``redelivered`` (acked after more than one delivery) and ``duplicated``
  (its processing had already completed: at-least-once); ``reason`` is the ending
  event's reason (``maxlen``, ``restart``, ...) or ``""``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .cluster_view import ClusterView
from .events import (
    FATE_OF,
    Acked,
    Bound,
    ClusterFormed,
    Confirmed,
    DeadLettered,
    Delivered,
    Discarded,
    Dropped,
    Enqueued,
    ExchangeDeclared,
    ExchangeDeleted,
    Expired,
    FaultEnded,
    FaultStarted,
    Lost,
    Published,
    QueueDeclared,
    QueueDeleted,
    Requeued,
    Returned,
    StreamAcked,
    StreamDelivered,
    Truncated,
    Unbound,
    Unroutable,
)
from .logical import qhas
from .streams import StreamSeries
from .summary import Summarizer
from .topology import topology_from_events

__all__ = ["RATE_KINDS", "RunView", "ViewFold", "fold_view"]

#: the message rates a view keeps per bin (msg/s), as RabbitMQ's management UI names them
RATE_KINDS = ("publish", "confirm", "deliver", "redeliver", "ack", "return", "dead_letter")
#: events that shape the topology (few: they do not grow with the messages)
_TOPOLOGY = (ExchangeDeclared, ExchangeDeleted, QueueDeclared, QueueDeleted, Bound, Unbound)
#: events that change a queue's ready or unacked count
_DEPTH = (Enqueued, Delivered, Requeued, Acked, DeadLettered, Expired, Dropped, Discarded, Lost, Truncated)


@dataclass
class QueueSeries:
    """One queue's ready and unacked copies per bin."""

    ready_min: list[int] = field(default_factory=list)
    ready_max: list[int] = field(default_factory=list)
    ready_last: list[int] = field(default_factory=list)
    unacked_max: list[int] = field(default_factory=list)
    unacked_last: list[int] = field(default_factory=list)


@dataclass
class ConsumerSeries:
    """One consumer's busy seconds and most deliveries held, per bin."""

    busy: list[float] = field(default_factory=list)
    held_max: list[int] = field(default_factory=list)


@dataclass
class RunView:
    """Everything the pictures of a run draw (see the module docstring for the definitions)."""

    summary: dict[str, Any]
    time: list[float]  #: end of each bin
    interval: float  #: bin width (s)
    widths: list[float]  #: each bin's width, the one its rates are per (the last may be shorter)
    queues: dict[str, QueueSeries]
    consumers: dict[str, ConsumerSeries]
    rates: dict[str, list[float]]  #: kind -> msg/s per bin
    outcomes: Counter[tuple[str, str, str]]  #: (queue, outcome, reason) -> copies
    #: messages along each edge: ("producer:web#0", "exchange:orders") publishes, ("exchange:orders",
    #: "queue:q") routed copies, ("queue:q", "consumer:w#0") deliveries, ("queue:q", "exchange:dlx")
    #: dead-letterings, ("exchange:x", "return:web#0") returns, ("exchange:x", "unroutable:web#0") publishes
    #: that reached no queue
    flows: Counter[tuple[str, str]]
    faults: list[dict[str, Any]]  #: {"fault", "target", "start", "end"}
    frames: list[Any]  #: the first events of the run, in order
    topology: dict[str, list[dict[str, Any]]]  #: definitions.json-shaped, from the declare and bind events
    wait: dict[str, tuple[list[float], list[int]]]  #: queue -> wait values and weights
    latency: tuple[list[float], list[int]]  #: publish-to-ack values and weights
    #: a cluster run's nodes, partitions and queue placements, and its lost copies per bin
    #: (:class:`~amqpsim.trace.cluster.ClusterView`); None for a single-node run
    cluster: ClusterView | None = None
    #: stream queue -> its length, offsets and each consumer's offset per bin (:mod:`.streams`)
    streams: dict[str, StreamSeries] = field(default_factory=dict)


class ViewFold(Summarizer):
    """The summary fold, plus the series of :class:`RunView`."""

    def __init__(self, exact: bool = True, retain: float = 0.0, interval: float = 1.0, max_bins: int = 500,
                 max_frames: int = 400) -> None:
        super().__init__(exact=exact, retain=retain, interval=interval, max_bins=max_bins)
        self.max_frames = max_frames
        self.frames: list[Any] = []
        self.touched: set[str] = set()
        self.qseries: dict[str, QueueSeries] = {}
        self.qbin: dict[str, list[int]] = {}  # queue -> [ready min, ready max, unacked max] of the open bin
        self.cseries: dict[str, ConsumerSeries] = {}
        self.cbin: dict[str, list[float]] = {}  # consumer -> [busy total at the last edge, held max]
        self.rate_bins: dict[str, list[int]] = {k: [] for k in RATE_KINDS}
        self.rate_now = dict.fromkeys(RATE_KINDS, 0)
        self.outcomes: Counter[tuple[str, str, str]] = Counter()
        self.flows: Counter[tuple[str, str]] = Counter()
        self.faults: list[dict[str, Any]] = []
        self.topology_events: list[Any] = []
        self.lost_bins: list[int] = []  # a cluster run's lost copies per bin
        self.confirmed_lost_bins: list[int] = []  # and publishes found confirmed-lost
        self.sseries: dict[str, StreamSeries] = {}
        chained: tuple[tuple[type, Any], ...] = ((Published, self._v_publish), (Enqueued, self._v_enqueue),
                           (Delivered, self._v_deliver), (Acked, self._v_ack), (Confirmed, self._v_confirm),
                           (Returned, self._v_return), (Unroutable, self._v_unroutable), (FaultStarted, self._v_fault),
                           (FaultEnded, self._v_fault_end), (StreamDelivered, self._v_stream_deliver),
                           (StreamAcked, self._v_stream_ack))
        for cls, extra in chained:
            self._chain(cls, extra, before=cls is Acked)
        for ending in (DeadLettered, Expired, Dropped, Discarded, Lost, Truncated):
            self._chain(ending, self._v_end, before=True)
        for changing in _DEPTH:
            self._chain(changing, self._v_touch)
        for shaping in _TOPOLOGY:
            self._chain(shaping, self.topology_events.append)

    def take(self, events: Any) -> None:
        room = self.max_frames - len(self.frames)
        if room > 0:
            self.frames.extend(events[:room])
        super().take(events)

    # ------------------------------------------------------------------ per event
    def _v_publish(self, ev: Published) -> None:
        self.rate_now["publish"] += 1
        self.flows[(f"producer:{ev.actor}", f"exchange:{ev.exchange}")] += 1

    def _v_enqueue(self, ev: Enqueued) -> None:
        self.flows[(f"exchange:{ev.exchange}", f"queue:{ev.queue}")] += 1

    def _v_deliver(self, ev: Delivered) -> None:
        self.rate_now["deliver"] += 1
        if ev.redelivered:
            self.rate_now["redeliver"] += 1
        self._delivered(ev.queue, ev.actor)

    def _v_stream_deliver(self, ev: StreamDelivered) -> None:
        """A stream read: a delivery (never a redelivery) along the queue -> consumer edge."""
        self.rate_now["deliver"] += 1
        self._delivered(ev.queue, ev.actor)

    def _delivered(self, queue: str, actor: str | None) -> None:
        """A delivery's flow along its edge, and its consumer's held deliveries in the bin."""
        self.flows[(f"queue:{queue}", f"consumer:{actor}")] += 1
        c = self.consumers.get(actor or "?")
        if c is not None:
            b = self._cbin(c.name)
            if c.held > b[1]:
                b[1] = c.held

    def _v_stream_ack(self, ev: StreamAcked) -> None:
        self.rate_now["ack"] += 1

    def _v_ack(self, ev: Acked) -> None:
        """Before the summary's handler: tell a first, a repeated and a duplicate completion apart."""
        self.rate_now["ack"] += 1
        cp = self.copies.get(ev.copy)
        if cp is None:
            return
        outcome = "duplicated" if qhas(cp[0].root.done, ev.queue) else \
            "redelivered" if cp[5] > 1 else "acked_once"
        self.outcomes[(ev.queue, outcome, "auto" if ev.auto else "")] += 1

    def _v_end(self, ev: Any) -> None:
        if ev.copy in self.copies:
            self.outcomes[(ev.queue, FATE_OF[type(ev)].value, getattr(ev, "reason", ""))] += 1
        if type(ev) is DeadLettered:
            self.rate_now["dead_letter"] += 1
            self.flows[(f"queue:{ev.queue}", f"exchange:{ev.exchange}")] += 1

    def _v_confirm(self, ev: Confirmed) -> None:
        self.rate_now["confirm"] += 1

    def _v_return(self, ev: Returned) -> None:
        self.rate_now["return"] += 1
        self.flows[(f"exchange:{ev.exchange}", f"return:{ev.actor}")] += 1

    def _v_unroutable(self, ev: Unroutable) -> None:
        if not ev.dead_letter:
            self.flows[(f"exchange:{ev.exchange}", f"unroutable:{ev.actor}")] += 1

    def _v_fault(self, ev: FaultStarted) -> None:
        self.faults.append({"fault": ev.fault, "target": ev.target, "start": ev.time, "end": None})

    def _v_fault_end(self, ev: FaultEnded) -> None:
        for f in reversed(self.faults):
            if f["fault"] == ev.fault and f["target"] == ev.target and f["end"] is None:
                f["end"] = ev.time
                return

    def _v_touch(self, ev: Any) -> None:
        self.touched.add(ev.queue)

    # ------------------------------------------------------------------ sampling and bins
    def _advance(self, t: float) -> None:
        if self.touched:
            self._sample()
        super()._advance(t)

    def _sample(self) -> None:
        """The state after an instant's cascade: widen the open bin's ranges."""
        for name in self.touched:
            q = self.queues[name]
            b = self._qbin(name)
            if q.depth < b[0]:
                b[0] = q.depth
            if q.depth > b[1]:
                b[1] = q.depth
            if q.out > b[2]:
                b[2] = q.out
        self.touched.clear()

    def _qbin(self, name: str) -> list[int]:
        b = self.qbin.get(name)
        if b is None:
            n = len(self.bins[0])
            self.qseries[name] = QueueSeries([0] * n, [0] * n, [0] * n, [0] * n, [0] * n)
            b = self.qbin[name] = [0, 0, 0]
        return b

    def _cbin(self, name: str) -> list[float]:
        b = self.cbin.get(name)
        if b is None:
            n = len(self.bins[0])
            self.cseries[name] = ConsumerSeries([0.0] * n, [0] * n)
            b = self.cbin[name] = [0.0, 0]
        return b

    def _cluster_formed(self, ev: ClusterFormed) -> None:
        super()._cluster_formed(ev)
        n = len(self.bins[0])
        self.lost_bins, self.confirmed_lost_bins = [0] * n, [0] * n

    def _close_bin(self) -> None:
        edge = self.edge
        super()._close_bin()
        cl = self.cluster
        if cl is not None:
            self.lost_bins.append(cl.lost_now)
            self.confirmed_lost_bins.append(cl.confirmed_lost_now)
            cl.lost_now = cl.confirmed_lost_now = 0
        for k in RATE_KINDS:
            self.rate_bins[k].append(self.rate_now[k])
            self.rate_now[k] = 0
        for name, b in self.qbin.items():
            q, s = self.queues[name], self.qseries[name]
            s.ready_min.append(b[0])
            s.ready_max.append(b[1])
            s.ready_last.append(q.depth)
            s.unacked_max.append(b[2])
            s.unacked_last.append(q.out)
            b[0] = b[1] = q.depth
            b[2] = q.out
        for name, reads in self.streams.items():
            ss = self.sseries.get(name)
            if ss is None:
                n = len(self.bins[0]) - 1
                ss = self.sseries[name] = StreamSeries([0] * n, [None] * n, [None] * n)
            ss.close(reads, self.consumers)
        for name, c in self.consumers.items():
            cb = self._cbin(name)
            total = c.busy + (min(edge, self.now) - c.since if c.held else 0.0)
            cs = self.cseries[name]
            cs.busy.append(max(total - cb[0], 0.0))
            cs.held_max.append(int(cb[1]))
            cb[0] = total
            cb[1] = c.held

    def _merge(self) -> None:
        super()._merge()
        self.rate_bins = {k: _pairs(v, sum) for k, v in self.rate_bins.items()}
        if self.cluster is not None:
            self.lost_bins = _pairs(self.lost_bins, sum)
            self.confirmed_lost_bins = _pairs(self.confirmed_lost_bins, sum)
        for s in self.qseries.values():
            s.ready_min, s.ready_max = _pairs(s.ready_min, min), _pairs(s.ready_max, max)
            s.ready_last, s.unacked_last = s.ready_last[1::2], s.unacked_last[1::2]
            s.unacked_max = _pairs(s.unacked_max, max)
        for cs in self.cseries.values():
            cs.busy, cs.held_max = _pairs(cs.busy, sum), _pairs(cs.held_max, max)
        for ss in self.sseries.values():
            ss.merge()

    # ------------------------------------------------------------------ the view
    def view(self, summary: dict[str, Any]) -> RunView:
        """The view of the finished run (``summary``: this fold's summary)."""
        series = summary["series"]
        widths = [self.dt] * len(self.rate_bins["publish"])
        if widths:  # as the summary's own rates: a last bin cut short by the end keeps its width
            widths[-1] = self._last_width or self.dt
        rates = {k: [n / w for n, w in zip(v, widths, strict=True)] for k, v in self.rate_bins.items()}
        return RunView(summary=summary, time=list(series["time"]), interval=series["interval"], widths=widths,
                       queues=dict(sorted(self.qseries.items())), consumers=dict(sorted(self.cseries.items())),
                       rates=rates, outcomes=self.outcomes, flows=self.flows, faults=self.faults,
                       frames=self.frames, topology=topology_from_events(self.topology_events), wait={n: q.wait.points() for n, q in sorted(self.queues.items())},
                       latency=self.latency.points(), streams=dict(sorted(self.sseries.items())),
                       cluster=None if self.cluster is None else self.cluster.view(
                           float(summary["sim_time"]), self.lost_bins, self.confirmed_lost_bins))


def _pairs(xs: list[Any], f: Any) -> list[Any]:
    return [f((xs[i], xs[i + 1])) for i in range(0, len(xs) - 1, 2)]


#: the bins a view folded from a log aims at when no interval is given (the span / BINS per bin)
BINS = 200
#: the shortest span a view is folded over (s): a log whose clock never moved still gets a bin
EPSILON = 1e-9


def fold_view(events: list[Any], scenario: str | None = None, seed: int | None = None,
              sim_time: float | None = None, interval: float | None = None, max_frames: int = 400) -> RunView:
    """The view of a kept event log: bins of ``interval`` seconds (default: the span /
    :data:`BINS`), up to ``sim_time`` (default: the last event's time)."""
    end = max((e.time for e in events), default=0.0) if sim_time is None else float(sim_time)
    end = max(end, EPSILON)
    if not interval or interval <= 0:
        interval = end / BINS if end > EPSILON else 1.0
    fold = ViewFold(retain=float("inf"), interval=interval, max_frames=max_frames)
    fold.take(events)
    fold.finish(end)
    return fold.view(fold.summary(scenario, seed, end))
