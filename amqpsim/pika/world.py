"""The simulated world behind ``amqpsim.pika``: brokers by address, one clock, client timers.

Connections to the same (host, port) share one :class:`~amqpsim.broker.Broker`
(``127.0.0.1``/``::1`` are ``localhost``). All brokers of a world share one
simulated clock (float seconds from 0), so a program talking to two brokers sees
one timeline. The clock only moves while a client *waits*
(``connection.sleep``, ``process_data_events``, ``start_consuming``,
``consume``); every broker timer (TTL, queue expiry, ack timeout) and every
client timer (``call_later``) fires at its own time, in time order.

:func:`reset_brokers` starts a fresh world (tests call it); :func:`broker_for`
and :func:`clock` let you inspect it.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from ..broker import Broker
from ..trace.recorder import Recorder
from .scheduler import Scheduler

LOCALHOST = {"localhost", "127.0.0.1", "::1", "localhost.localdomain"}


def address(host: str, port: int) -> tuple[str, int]:
    return ("localhost" if host.lower() in LOCALHOST else host.lower(), int(port))


class Timer:
    __slots__ = ("when", "callback", "cancelled", "owner")

    def __init__(self, when: float, callback: Callable[[], None], owner: Any) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False
        self.owner = owner


class World:
    """Brokers, the clock, client-side timers and the program scheduler."""

    def __init__(self, **broker_options: Any) -> None:
        self.now = 0.0
        self.broker_options = broker_options
        self.brokers: dict[tuple[str, int], Broker] = {}
        #: a simulated cluster's addresses: (host, port) -> node (:mod:`.cluster`)
        self.nodes: dict[tuple[str, int], str] = {}
        self.timers: list[tuple[float, int, Timer]] = []
        self.soon: deque[Callable[[], None]] = deque()  # actions due "now" (e.g. flush after unblock)
        self.rng = random.Random(0)
        self.scheduler = Scheduler(self)
        self.lock = threading.RLock()
        self._seq = itertools.count(1)
        self.empty_polls = 0  # consecutive process_data_events(0) that found nothing ...
        self.empty_poll_time = 0.0  # ... at this instant

    # ---------------------------------------------------------------- brokers
    def broker(self, host: str = "localhost", port: int = 5672) -> Broker:
        key = address(host, port)
        b = self.brokers.get(key)
        if b is None:
            options = {"recorder": Recorder(), **self.broker_options}
            b = self.brokers[key] = Broker(**options)
        return b

    def node_for(self, host: str, port: int) -> str | None:
        """The cluster node listening at ``host:port`` (None: a single broker)."""
        return self.nodes.get(address(host, port))

    def unique_brokers(self) -> list[Broker]:
        """Each broker once (a cluster's broker answers on every node's address)."""
        return list({id(b): b for b in self.brokers.values()}.values())

    # ---------------------------------------------------------------- timers
    def call_later(self, delay: float, callback: Callable[[], None], owner: Any = None) -> Timer:
        with self.lock:
            t = Timer(self.now + max(0.0, float(delay)), callback, owner)
            heapq.heappush(self.timers, (t.when, next(self._seq), t))
            return t

    def cancel_timers(self, owner: Any) -> None:
        with self.lock:
            for _, _, t in self.timers:
                if t.owner is owner:
                    t.cancelled = True

    def _next_client_timer(self) -> float | None:
        timers = self.timers
        while timers and timers[0][2].cancelled:
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def next_time(self) -> float | None:
        """When something is next due: a broker timer, a client timer, or ``now`` (soon)."""
        if self.soon:
            return self.now
        times = [b.next_deadline() for b in self.unique_brokers()]
        times.append(self._next_client_timer())
        due = [t for t in times if t is not None]
        return min(due) if due else None

    def advance_to(self, until: float) -> None:
        """Fire everything due up to ``until`` in time order, then set the clock to ``until``.

        Only broker code and client bookkeeping run here, never user callbacks.
        """
        until = max(until, self.now)
        while True:
            t = self.next_time()
            if t is None or t > until:
                break
            self.now = max(self.now, t)
            for b in self.unique_brokers():
                b.advance(self.now)
            with self.lock:
                due = []
                while self.timers and self.timers[0][0] <= self.now:
                    due.append(heapq.heappop(self.timers)[2])
            for timer in due:
                if not timer.cancelled:
                    timer.callback()
            while self.soon:
                self.soon.popleft()()
        self.now = until

    def fire_due(self) -> None:
        self.advance_to(self.now)

    # ---------------------------------------------------------------- waiting
    def wait_until(self, ready: Callable[[], bool], deadline: float | None) -> str:
        """Let simulated time pass until ``ready()``, the deadline, or nothing can happen.

        Returns ``'ready'``, ``'timeout'`` or ``'idle'`` (no deadline and nothing
        scheduled anywhere: waiting longer would be waiting forever). Inside
        :func:`run_concurrently` the other programs run while this one waits.
        """
        prog = self.scheduler.current()
        if prog is not None:
            return self.scheduler.wait(prog, ready, deadline)
        while True:
            self.fire_due()
            if ready():
                return "ready"
            if deadline is not None and self.now >= deadline:
                return "timeout"
            t = self.next_time()
            if deadline is not None and (t is None or t > deadline):
                t = deadline
            if t is None:
                return "idle"
            self.advance_to(t)

    def empty_poll(self) -> None:
        """A ``process_data_events(0)`` found nothing: after many at one instant, let time pass,
        as it would for a busy-waiting program on a real clock."""
        if self.now != self.empty_poll_time:
            self.empty_polls, self.empty_poll_time = 0, self.now
        self.empty_polls += 1
        if self.empty_polls >= 10_000:
            self.empty_polls = 0
            t = self.next_time()
            if t is None:
                from .exceptions import SimulationIdle

                raise SimulationIdle(f"process_data_events() polled 10000 times at t={self.now:g} with "
                                     "nothing to do and nothing scheduled: this loop would spin forever")
            self.advance_to(t)


_world = World()


def world() -> World:
    return _world


def reset_brokers(**broker_options: Any) -> None:
    """Forget every simulated broker and start the clock again at 0.

    ``broker_options`` are passed to each new :class:`~amqpsim.broker.Broker`
    (e.g. ``consumer_timeout=None``, ``version="4.3"``).
    """
    global _world
    if _world.scheduler.running:
        raise RuntimeError("reset_brokers() while run_concurrently() is running")
    _world = World(**broker_options)


def broker_for(host: str = "localhost", port: int = 5672) -> Broker:
    """The simulated broker at ``host:port`` (created on first use); e.g. to read
    ``broker_for().recorder.events`` or ``broker_for().queues``."""
    return _world.broker(host, port)


def clock(host: str = "localhost", port: int = 5672) -> float:
    """Current simulated time in seconds (one timeline shared by all brokers)."""
    return _world.now


def run_concurrently(*programs: Callable[[], Any], names: list[str] | None = None) -> list[Any]:
    """Run each callable as its own program (like separate processes) on simulated time.

    Exactly one program runs at a time; when one waits (``sleep``,
    ``process_data_events``, ``start_consuming``, ``consume``) the others run, and
    the clock moves only when all are waiting. Returns the programs' results in
    order; re-raises the first exception a program raised (after all ended).
    """
    return _world.scheduler.run(list(programs), names)
