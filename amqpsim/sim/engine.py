"""The SimPy model: one broker, its timers, the clients, the faults and when to stop.

The broker decides *what* happens; this module decides *when*. Broker timers
(TTL, queue expiry, consumer ack timeout) become SimPy timeouts through
``broker.on_schedule``; each calls ``broker.advance``. Producers are one SimPy
process each; a consumer's service completions are plain timeout callbacks, so a
message costs few SimPy events.

Stopping: at ``duration`` when the scenario has one (events scheduled exactly at
``duration`` do not happen). Otherwise when every producer is done (all sent,
nothing unconfirmed or waiting to be republished), every connected consumer is
idle, no queue holds unacknowledged messages, and no queue with consumers holds
ready messages (a queue without consumers may keep some, unless a message TTL is
still to fire at its head), or when nothing is left to simulate, or at ``until``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import simpy
from simpy.core import StopSimulation
from simpy.events import URGENT

from ..broker import Broker, Cluster
from ..trace.events import ClientStarted
from ..trace.recorder import Recorder
from .config import SimConfig
from .consumer import ConsumerClient
from .faults import schedule_faults
from .producer import ProducerClient
from .rng import derive_seed
from .topology import declare_definitions

if TYPE_CHECKING:
    from ..broker import Channel
    from ..scenario import Scenario
    from .clients import Client

_BODY_CACHE_MAX = 4096


class Simulation:
    """``build`` it, then ``run`` it; ``recorder`` holds what happened.

    The broker and the clients emit their event records into one sink,
    ``recorder`` (:attr:`emit` is the same callable): ``self.emit(Processed(...))``."""

    def __init__(self, scenario: Scenario, seed: int, recorder: Recorder | None = None,
                 config: SimConfig | None = None) -> None:
        self.scenario = scenario
        self.seed = seed
        self.config = config or SimConfig()
        self.recorder = recorder if recorder is not None else Recorder()
        self.emit = self.recorder.emit
        self.env = simpy.Environment()
        b = scenario.broker
        self.broker = Broker(self.recorder, version=b.version, consumer_timeout=b.consumer_timeout,
                             consumer_timeout_interval=b.consumer_timeout_interval,
                             auto_ack_settles=False, seed=derive_seed(seed, "broker"))
        self.broker.on_schedule = self._on_broker_timer
        self.cluster: Cluster | None = None
        if scenario.cluster is not None:
            cs = scenario.cluster
            self.cluster = Cluster(self.broker, list(cs.node_names), partition_handling=cs.partition_handling,
                                   net_ticktime=cs.net_ticktime, seed=derive_seed(seed, "cluster"))
            self.cluster.homes = {q.name: q.node for q in scenario.topology.queues if q.node is not None}
        self._wakes: set[float] = set()
        self._bodies: dict[int, bytes] = {}
        self.producers: list[ProducerClient] = []
        self.consumers: list[ConsumerClient] = []
        self.clients: dict[str, Client] = {}
        self.producers_active = 0
        self.drain = False  # stop when drained (no duration)
        self.stopped = False
        self.alarms = 0
        self.built = False

    # ------------------------------------------------------------------ build
    def build(self) -> Simulation:
        """Declare the topology (as a definitions import at t=0), create clients, arm faults."""
        sc = self.scenario
        now = self.env.now
        admin = self.broker.connection_open(now, "definitions")
        ch = self.broker.channel_open(now, admin)
        declare_definitions(self, now, ch, None, policies=True)
        owners = self._exclusive_owners()
        keep_admin = any(q.exclusive and q.name not in owners for q in sc.topology.queues)
        if keep_admin:  # exclusive queues nobody consumes: the definitions connection owns them
            declare_definitions(self, now, ch, None, exclusive_only=True)
        else:
            self.broker.close_connection(now, admin)
        for cspec in sc.consumers:
            for i in range(cspec.instances):
                c = ConsumerClient(self, cspec, i)
                c.owns = [q for q, owner in owners.items() if owner == c.name]
                self.consumers.append(c)
                self.clients[c.name] = c
        for spec in sc.producers:
            for i in range(spec.instances):
                p = ProducerClient(self, spec, i)
                self.producers.append(p)
                self.clients[p.name] = p
        for client in self.clients.values():
            self.emit(ClientStarted(now, client.name, "consumer" if isinstance(client, ConsumerClient) else "producer"))
        for c in self.consumers:
            c.start = c.spec.start
            if c.start > now:
                self.call_later(c.start - now, c.connect_at_start)
            else:
                c.connect(now)
        for p in self.producers:
            self.producers_active += 1
            self.env.process(p.process())
        schedule_faults(self)
        self.built = True
        return self

    def _exclusive_owners(self) -> dict[str, str]:
        """Exclusive queue -> the first consumer instance consuming it (it declares it)."""
        exclusive = {q.name for q in self.scenario.topology.queues if q.exclusive}
        owners: dict[str, str] = {}
        for spec in self.scenario.consumers:
            if spec.queue in exclusive and spec.queue not in owners:
                owners[spec.queue] = f"{spec.name}#0"
        return owners

    def nodes_of(self, spec: Any) -> tuple[str | None, ...]:
        """The nodes a client tries, in order (one node: ``(None,)``)."""
        if self.cluster is None:
            return (None,)
        return tuple(spec.node) if spec.node else (self.cluster.order[0],)

    def declare(self, now: float, ch: Channel, client: Client) -> None:
        """What a client declares when it (re)connects: the topology it relies on."""
        declare_definitions(self, now, ch, client)

    # ------------------------------------------------------------------ time
    def call_later(self, delay: float, fn: Callable[[], Any]) -> None:
        ev = self.env.timeout(delay if delay > 0 else 0)
        ev.callbacks.append(lambda _ev: fn())

    def _on_broker_timer(self, when: float) -> None:
        if when in self._wakes:
            return
        self._wakes.add(when)
        delay = when - self.env.now
        ev = self.env.timeout(delay if delay > 0 else 0)
        ev.callbacks.append(partial(self._fire_timers, when))

    def _fire_timers(self, when: float, _ev: Any) -> None:
        self._wakes.discard(when)
        now = self.env.now
        self.broker.advance(when if when > now else now)
        if self.drain and self.producers_active == 0:
            self.check_drained()

    def body(self, size: int) -> bytes:
        b = self._bodies.get(size)
        if b is None:
            b = bytes(size)
            if len(self._bodies) < _BODY_CACHE_MAX:
                self._bodies[size] = b
        return b

    # ------------------------------------------------------------------ faults
    def set_alarm(self, active: bool) -> None:
        self.alarms += 1 if active else -1
        if (active and self.alarms == 1) or (not active and self.alarms == 0):
            self.broker.set_alarm(self.env.now, active)

    # ------------------------------------------------------------------ stopping
    def producer_done(self, p: ProducerClient) -> None:
        self.producers_active -= 1
        if self.drain and self.producers_active == 0:
            self.check_drained()

    def check_drained(self) -> None:
        if self.stopped or self.producers_active:
            return
        for c in self.consumers:
            if c.stopped or c.failed:
                continue
            if not c.up or not c.idle:
                return
        cluster = self.cluster
        for q in (self.broker.queues.values() if cluster is None else cluster.all_queues()):
            if q.unacked:
                return
            if q.message_count():
                if q.consumers:
                    return
                head = q.store.peek()
                if head is not None and head.expires_at is not None:
                    return
        self.stop()

    def stop(self) -> None:
        """End the run now (before any other event of this instant)."""
        if self.stopped:
            return
        self.stopped = True
        ev = simpy.Event(self.env)
        ev._ok = True
        ev._value = None
        ev.callbacks.append(StopSimulation.callback)
        self.env.schedule(ev, URGENT)

    def run(self, until: float | None = None) -> float:
        """Run to the end (see the module docstring); returns the simulated end time."""
        if not self.built:
            self.build()
        duration = self.scenario.duration
        end = duration if until is None else until if duration is None else min(duration, until)
        self.drain = duration is None
        if self.drain and self.producers_active == 0:
            self.check_drained()
        if end is not None and end > self.env.now:
            self.env.run(until=end)
        else:
            self.env.run()
        return float(self.env.now)


__all__ = ["Simulation"]
