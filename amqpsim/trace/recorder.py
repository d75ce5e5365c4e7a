"""The recorder: the sink a run's broker and clients emit into.

It hands every event, in order and in batches, to whoever reads the run: the
event log (``keep=True``: :attr:`Recorder.events`), per-event ``listeners`` (a
progress bar) and batch listeners (the summary fold). Batching is the one
optimisation here: a fold that works through 512 events at a time keeps its code
and data warm in the CPU caches (measured: ~9 % faster than a call per event).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Recorder"]


class Recorder:
    """A :class:`~amqpsim.trace.events.Sink` that fans the events out, in batches.

    ``keep``: keep the whole log in :attr:`events`. ``routes``: whether ``Routed``
    events are wanted (by default only when the log is kept: the summary learns the
    routing from ``Enqueued``).
    """

    __slots__ = ("keep", "routes", "listeners", "batch_listeners", "batch_size", "_batch", "_log")

    def __init__(self, keep: bool = True, routes: bool | None = None) -> None:
        self.keep = keep
        self.routes = keep if routes is None else routes
        #: callables(event), called for every event in order (at most ``batch_size`` late)
        self.listeners: list[Callable[[Any], None]] = []
        #: callables(list of events), handed every event in order, a batch at a time
        self.batch_listeners: list[Callable[[list[Any]], None]] = []
        self.batch_size = 512
        self._batch: list[Any] = []
        self._log: list[Any] = []

    def __call__(self, event: Any, /) -> None:
        batch = self._batch
        batch.append(event)
        if len(batch) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Hand the events waiting in the batch to the log and the listeners."""
        batch = self._batch
        if not batch:
            return
        if self.keep:
            self._log.extend(batch)
        for fn in self.listeners:
            for ev in batch:
                fn(ev)
        for take in self.batch_listeners:
            take(batch)
        batch.clear()

    @property
    def events(self) -> list[Any]:
        """The log so far (needs ``keep=True``)."""
        self.flush()
        return self._log

    def __len__(self) -> int:
        return len(self.events)
