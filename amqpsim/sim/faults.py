"""Faults at simulated times (SCENARIO-FORMAT.md ``faults``).

Each fault records :class:`~amqpsim.trace.events.FaultStarted` (``fault`` = its
kind, ``target`` = the client as the scenario names it, ``worker`` or ``worker#1``,
None for the broker) when it begins and :class:`~amqpsim.trace.events.FaultEnded`
when it is over (restart, recovery, ``until``).

==================  ==========================================================
``consumer_crash``  the worker dies (its buffer and the message in hand die with
                    it: auto-ack copies are lost; the broker requeues unacked
                    ones, redelivered); it restarts after ``downtime`` (unset: it
                    stays down, or ``SimConfig.crash_restart``)
``slow_consumer``   service times of work *started* in ``[at, until)`` are
                    multiplied by ``factor`` (overlapping faults multiply)
``connection_loss`` a network outage of ``downtime`` on a producer's or a
                    consumer's connection (see :mod:`.producer`, :mod:`.consumer`)
``broker_restart``  ``broker.stop`` (connections closed with 320; transient
                    messages and non-durable queues lost), ``broker.start`` after
                    ``downtime`` (default 0); clients reconnect and redeclare
``memory_alarm``    publishers are blocked in ``[at, until)``
``node_crash``      a cluster node's VM dies (``target`` the node); it restarts
                    after ``downtime`` (unset: it stays down); see :mod:`..broker.cluster`
``node_stop``       a graceful stop of a node, started again after ``downtime``
``partition``       the network between ``groups`` is cut in ``[at, until)``
==================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from ..trace.events import FaultEnded, FaultStarted

if TYPE_CHECKING:
    from ..scenario import Fault
    from .consumer import ConsumerClient
    from .engine import Simulation


def schedule_faults(sim: Simulation) -> None:
    for f in sim.scenario.faults:
        sim.call_later(f.at, partial(apply_fault, sim, f))


def apply_fault(sim: Simulation, f: Fault) -> None:
    now = sim.env.now
    sim.emit(FaultStarted(now, f.kind, f.target))

    def end() -> None:
        sim.emit(FaultEnded(sim.env.now, f.kind, f.target))

    kind = f.kind
    if kind in ("node_crash", "node_stop", "partition"):
        node_fault(sim, f, end)
        return
    targets = [sim.clients[n] for n in sim.scenario.fault_targets(f)]
    if kind == "consumer_crash":
        restart = f.outage if f.outage is not None else sim.config.crash_restart
        for c in targets:
            c.crash(now, restart)  # type: ignore[attr-defined]
        if restart is not None:
            sim.call_later(restart, end)
    elif kind == "slow_consumer":
        factor = f.factor or 1.0
        slow: list[ConsumerClient] = list(targets)  # type: ignore[arg-type]
        for c in slow:
            c.set_slow(factor, True)

        def recover() -> None:
            for c in slow:
                c.set_slow(factor, False)
            end()

        if f.until is not None:
            sim.call_later(f.until - now, recover)
    elif kind == "connection_loss":
        downtime = f.outage or 0.0
        for c in targets:
            c.connection_loss(now, downtime)  # type: ignore[attr-defined]
        sim.call_later(downtime, end)
    elif kind == "broker_restart":
        if not sim.broker.running:
            return
        sim.broker.stop(now)
        downtime = f.outage or 0.0

        def start() -> None:
            sim.broker.start(sim.env.now)
            end()

        sim.call_later(downtime, start)
    elif kind == "memory_alarm":
        sim.set_alarm(True)

        def clear() -> None:
            sim.set_alarm(False)
            end()

        if f.until is not None:
            sim.call_later(f.until - now, clear)
    else:  # pragma: no cover - the scenario model refuses other kinds
        raise ValueError(f"unknown fault kind {kind!r}")


def node_fault(sim: Simulation, f: Fault, end: Callable[[], None]) -> None:
    """A cluster fault: a node crashes or stops (and starts again), or the network splits."""
    cluster = sim.cluster
    assert cluster is not None  # the scenario model refuses node faults without a cluster
    now = sim.env.now
    if f.kind == "partition":
        assert f.groups is not None
        cluster.partition(now, [list(g) for g in f.groups])
        if f.until is not None:

            def heal() -> None:
                cluster.heal(sim.env.now)
                end()

            sim.call_later(f.until - now, heal)
        return
    node = f.target
    assert node is not None
    if f.kind == "node_crash":
        cluster.crash(now, node)
    else:
        cluster.stop(now, node)
    if f.outage is not None:

        def start() -> None:
            cluster.start(sim.env.now, node)
            end()

        sim.call_later(f.outage, start)
