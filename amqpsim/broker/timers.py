"""The broker's timers: a heap of callbacks due at simulated times.

The broker has no clock of its own. What it wants done later (a message TTL at a
queue's head, a queue's expiry, a channel's ack-timeout check) it puts here with
:meth:`Timers.schedule`; the driver asks :meth:`Timers.next_deadline` and calls
:meth:`Timers.advance` when the simulated time gets there.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

__all__ = ["Timers"]


class Timers:
    """Owns the heap of pending timers and tells the driver about each new one.

    ``on_schedule(when)``, if set (the simulation sets it), is called for every timer
    scheduled, so that the driver can wake up at ``when``.
    """

    def __init__(self) -> None:
        #: (when, sequence, callback, alive): ordered by time, then by scheduling order
        self.heap: list[tuple[float, int, Callable[[float], None], Callable[[], bool] | None]] = []
        self._seq = 0
        self.on_schedule: Callable[[float], None] | None = None

    def schedule(self, when: float, fn: Callable[[float], None],
                 alive: Callable[[], bool] | None = None) -> None:
        """Call ``fn(when)`` at ``when``. ``alive()``, if given, tells whether the timer
        still matters: :meth:`next_deadline` drops timers that no longer do, so an idle
        broker reports no deadline (e.g. an ack-timeout check once everything is acked)."""
        self._seq += 1
        heapq.heappush(self.heap, (when, self._seq, fn, alive))
        if self.on_schedule is not None:
            self.on_schedule(when)

    def next_deadline(self) -> float | None:
        """When the next timer that still matters is due (None: none is)."""
        heap = self.heap
        while heap and heap[0][3] is not None and not heap[0][3]():
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def advance(self, now: float) -> None:
        """Fire every timer due at or before ``now``, each at its own time."""
        heap = self.heap
        while heap and heap[0][0] <= now:
            when, _, fn, _alive = heapq.heappop(heap)
            fn(when)

    def clear(self) -> None:
        """Forget every pending timer (a node stop)."""
        self.heap.clear()
