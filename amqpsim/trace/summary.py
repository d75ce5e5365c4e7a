"""The run summary (SCENARIO-FORMAT.md, "What a run returns"), built from events only.

:class:`Summarizer` is a :class:`~amqpsim.trace.live.LiveLedger` plus per-interval
time series. Add ``summarizer.take`` to a recorder's batch listeners before the run,
flush the recorder, call :meth:`Summarizer.finish` with the end time, then
:meth:`Summarizer.summary`.
:func:`summarize` does all of that for a list of events.

Definitions: ``delivered`` counts every ``basic.deliver`` (redeliveries too);
``duplicates`` counts completions (an ack, or ``processed`` when the ack could not
be sent) of a (logical message, queue) whose processing had already completed;
a queue's depth is its number of *ready* messages (unacknowledged ones are in
``final_unacked``), and a copy handed straight to an idle consumer never counts;
``wait`` is enqueue to first delivery, ``latency`` publish to ack;
``busy_fraction`` is the share of ``sim_time`` a consumer held at least one
unsettled delivery (it works on one message at a time while it holds any).

Besides the contract keys the summary has these extra keys:

* ``messages.discarded`` (fate of copies removed by a client: reject/nack without
  a dead-letter exchange, purge, queue delete; part of the conservation sum),
  ``messages.dead_letter_unroutable`` (dead-letter republishes that reached no queue);
* ``queues.<q>``: ``type`` (``classic``, ``quorum``, ``stream``: what its declaration gave;
  ``classic`` for a queue the log never declared), ``final_unacked``, ``delivered`` and the count of each fate;
  ``wait.count``;
* ``queues.<q>`` of a stream (:mod:`.streams`): ``length`` (messages in it at the end),
  ``first_offset``/``last_offset`` (``None`` while empty) and ``consumers``: per consumer
  that subscribed, the ``offset`` of the last message delivered to it (``None``: none
  yet) and its ``lag`` (offsets appended after that one);
* ``consumers.<c>``: ``redelivered``, ``rejected`` (reject + nack), ``lost``;
* ``latency.count``; ``invariants``: ``violations`` (terminal events of copies that
  were not alive), ``fate_sum``;
* ``jepsen``: outcomes per (*logical* message, queue) pair, as a Jepsen queue test
  judges them (a logical message is a publish and its republishes; one lost in
  transit before reaching the broker counts as one pair): ``messages`` (pairs),
  ``ok`` (acked at least once), ``lost`` (never acked, nothing left, some copy
  lost -- or lost in transit), ``duplicated`` (processed more than once),
  ``lost_in_transit``;
* ``errors`` (SCENARIO-FORMAT.md, "Protocol errors in the summary"): the AMQP errors
  the clients met, one entry per (actor, code, text) with ``scope`` (``channel`` or
  ``connection``), ``count`` and ``first`` (the simulated time of the first one), in
  order of ``first``; ``[]`` when there were none;
* ``series``: ``interval`` (seconds), ``time`` (end of each interval), the
  per-interval rates (msg/s, like RabbitMQ PerfTest) ``published``, ``confirmed``,
  ``returned``, ``nacked``, ``consumed`` (acks), and ``depth`` (ready messages per
  queue at the end of each interval). The interval doubles whenever there would
  be more than ``2 * max_bins`` intervals.

Percentiles are exact when ``exact=True`` (the default when the event log is
kept) and within 1 % otherwise (:mod:`amqpsim.trace.stats`); every other value is
the same in both modes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .cluster import ClusterFold
from .events import Appended, ClusterFormed, ConsumerStarted, QueueDeclared, QueueDeleted, Truncated
from .live import FATES, RATES, STREAM_FATE_NAMES, LiveLedger, QueueStats
from .streams import StreamReads

MESSAGE_KEYS = ("published", "confirmed", "nacked", "returned", "unroutable", "routed_copies",
                "delivered", "redelivered", "acked", "dead_lettered", "expired", "dropped_overflow",
                "lost", "remaining", "duplicates")


class Summarizer(LiveLedger):
    def __init__(self, exact: bool = True, retain: float = 0.0, interval: float = 1.0,
                 max_bins: int = 500, copies: bool = False) -> None:
        super().__init__(exact=exact, retain=retain, copies=copies)
        self.dt = interval
        self.max_bins = max_bins
        self.edge = interval
        self.bins: list[list[int]] = [[] for _ in RATES]
        self.end_time: float | None = None
        self._last_width = interval
        #: the cluster fold, made at the run's ``ClusterFormed`` (None: a single-node run)
        self.cluster: ClusterFold | None = None
        self._handlers[ClusterFormed] = self._cluster_formed
        #: stream queue -> its offsets and readers (:mod:`.streams`)
        self.streams: dict[str, StreamReads] = {}
        for cls, extra in ((QueueDeclared, self._s_declare), (Appended, self._s_append),
                           (Truncated, self._s_truncate), (ConsumerStarted, self._s_consume),
                           (QueueDeleted, self._s_delete)):
            self._chain(cls, extra)

    def _chain(self, cls: type, extra: Any, before: bool = False) -> None:
        """Run ``extra(ev)`` with the summary's handler of ``cls`` (before it when ``before``)."""
        inner = self._handlers.get(cls)
        if inner is None:
            self._handlers[cls] = extra
            return

        def both(ev: Any) -> None:
            if before:
                extra(ev)
            inner(ev)
            if not before:
                extra(ev)

        self._handlers[cls] = both

    def _cluster_formed(self, ev: ClusterFormed) -> None:
        """The run is on a cluster: from now on the cluster fold reads its records too."""
        if self.cluster is not None:
            return
        self.cluster = ClusterFold(ev, live=self.msgs)
        for cls, handler in self.cluster.handlers().items():
            self._chain(cls, handler)

    # ------------------------------------------------------------------ streams
    def _s_declare(self, ev: QueueDeclared) -> None:
        if ev.queue_type == "stream" and ev.queue not in self.streams:
            self.streams[ev.queue] = StreamReads(ev.queue)

    def _s_append(self, ev: Appended) -> None:
        s = self.streams.get(ev.queue)
        if s is None:  # a log that starts mid-run
            s = self.streams[ev.queue] = StreamReads(ev.queue)
        s.offsets.append(ev.offset)

    def _s_truncate(self, ev: Truncated) -> None:
        s = self.streams.get(ev.queue)
        if s is not None:
            s.truncate(ev.offset)

    def _s_consume(self, ev: ConsumerStarted) -> None:
        s = self.streams.get(ev.queue)
        if s is not None and ev.actor is not None:
            s.readers[ev.actor] = None

    def _s_delete(self, ev: QueueDeleted) -> None:
        s = self.streams.get(ev.queue)
        if s is not None:
            s.offsets.clear()

    # ------------------------------------------------------------------ series
    def _new_queue(self, q: QueueStats) -> None:
        q.series = [0] * len(self.bins[0])

    def _close_until(self, t: float) -> None:
        while t >= self.edge:
            self._close_bin()
            if len(self.bins[0]) >= 2 * self.max_bins:
                self._merge()

    def _close_bin(self) -> None:
        cur = self.cur
        for i, b in enumerate(self.bins):
            b.append(cur[i])
            cur[i] = 0
        for q in self.queues.values():
            q.series.append(q.depth)
        self.edge = (len(self.bins[0]) + 1) * self.dt

    def _merge(self) -> None:
        self.bins = [[b[i] + b[i + 1] for i in range(0, len(b) - 1, 2)] for b in self.bins]
        for q in self.queues.values():
            q.series = q.series[1::2]
        self.dt *= 2
        self.edge = (len(self.bins[0]) + 1) * self.dt

    def finish(self, t: float) -> None:
        if self.end_time is not None:
            return
        super().finish(t)
        self.end_time = t
        start = len(self.bins[0]) * self.dt
        if t > start or any(self.cur):
            self._close_bin()
            self._last_width = max(t - start, 0.0)

    def series(self) -> dict[str, Any]:
        n = len(self.bins[0])
        dt = self.dt
        widths = [dt] * n
        if n:
            widths[-1] = self._last_width or dt
        end = self.end_time or 0.0
        out: dict[str, Any] = {"interval": dt, "time": [min((i + 1) * dt, end) for i in range(n)]}
        for name, b in zip(RATES, self.bins, strict=True):
            out[name] = [c / w if w > 0 else 0.0 for c, w in zip(b, widths, strict=True)]
        out["depth"] = {name: list(q.series) for name, q in sorted(self.queues.items())}
        return out

    # ------------------------------------------------------------------ the summary
    def summary(self, scenario: str | None, seed: int | None, sim_time: float) -> dict[str, Any]:
        self.finish(sim_time)
        c = self.counts
        fates = FATES + STREAM_FATE_NAMES if self.has_streams else FATES
        messages: dict[str, Any] = {
            "published": c["published"], "confirmed": c["confirmed"], "nacked": c["nacked"],
            "returned": c["returned"], "unroutable": c["unroutable"],
            "routed_copies": c["routed_copies"], "delivered": c["delivered"],
            "redelivered": c["redelivered"], **{f: self.fates[f] for f in fates},
            "remaining": self.remaining, "duplicates": c["duplicates"],
            "dead_letter_unroutable": c["dead_letter_unroutable"],
        }
        queues = {}
        for name in sorted(self.queues):
            q = self.queues[name]
            queues[name] = {"type": q.type, "enqueued": q.enqueued, "max_depth": q.max_depth, "final_depth": q.depth,
                            "wait": q.wait.summary(), "final_unacked": q.out, "delivered": q.delivered,
                            **{f: q.fates[f] for f in fates}}
            if name in self.streams:
                queues[name].update(self.streams[name].summary(self.consumers))
        consumers = {}
        for name in sorted(self.consumers):
            s = self.consumers[name]
            consumers[name] = {"delivered": s.delivered, "acked": s.acked,
                               "busy_fraction": s.busy / sim_time if sim_time > 0 else 0.0,
                               "redelivered": s.redelivered, "rejected": s.rejected, "lost": s.lost}
        fate_sum = sum(self.fates.values()) + self.remaining
        if self.cluster is not None:
            messages.update(self.cluster.messages())
        out = {
            "scenario": scenario,
            "seed": seed,
            "sim_time": float(sim_time),
            "messages": messages,
            "queues": queues,
            "consumers": consumers,
            "latency": self.latency.summary(),
            "invariants": {"conservation": self.conservation, "violations": self.violations,
                           "fate_sum": fate_sum},
            "jepsen": dict(self.jepsen),
            "series": self.series(),
            "errors": sorted(self.errors.values(), key=lambda e: (e["first"], str(e["actor"]), e["code"])),
        }
        if self.cluster is not None:
            cluster: dict[str, Any] = self.cluster.summary(float(sim_time))
            out["cluster"] = cluster
            for name, placed in cluster["queues"].items():  # a mirrored queue says so
                if name in queues:
                    queues[name]["type"] = placed["type"]
        return out


def summarize(events: Iterable[Any], scenario: str | None = None, seed: int | None = None,
              sim_time: float | None = None, exact: bool = True, interval: float = 1.0) -> dict[str, Any]:
    """The summary of an event log (e.g. one read back from JSONL or Parquet)."""
    s = Summarizer(exact=exact, retain=float("inf"), interval=interval)
    last = 0.0
    for ev in events:
        s(ev)
        last = ev.time
    end = last if sim_time is None else sim_time
    s.finish(end)
    return s.summary(scenario, seed, end)
