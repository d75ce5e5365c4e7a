"""A simulated RabbitMQ cluster for ``amqpsim.pika``: one address per node, and the
operator's hands (kill, stop, start, partition, heal).

A pika script talks to a real cluster through one host and port per node; against
the simulator it does the same::

    import amqpsim.pika as pika

    cluster = pika.simulate_cluster({"rabbit1": ("127.0.0.1", 5681),
                                     "rabbit2": ("127.0.0.1", 5682),
                                     "rabbit3": ("127.0.0.1", 5683)},
                                    partition_handling="pause_minority", net_ticktime=10)
    conn = pika.BlockingConnection(cluster.params("rabbit2"))
    ...
    cluster.kill("rabbit1")          # kill -9 of the node's VM
    cluster.sleep(2.0)               # simulated seconds pass (timers, elections, detection)
    cluster.leader("orders")         # the node leading a queue now

Every node's address reaches the one simulated broker of the cluster
(:class:`~amqpsim.broker.cluster.Cluster`); a connection is to the node its port
names, and is refused while that node is down or paused.
"""

from __future__ import annotations

from typing import Any

from ..broker import Broker, Cluster
from ..trace.recorder import Recorder
from .connection import ConnectionParameters
from .world import World, address, world

__all__ = ["SimulatedCluster", "simulate_cluster"]


class SimulatedCluster:
    """The control of a simulated cluster (see the module docstring)."""

    def __init__(self, w: World, nodes: dict[str, tuple[str, int]], partition_handling: str,
                 net_ticktime: float) -> None:
        self.world = w
        self.addresses = dict(nodes)
        options = {"recorder": Recorder(), **w.broker_options}
        self.broker = Broker(**options)
        self.cluster = Cluster(self.broker, list(nodes), partition_handling=partition_handling,
                               net_ticktime=net_ticktime, now=w.now)
        for name, (host, port) in nodes.items():
            key = address(host, port)
            w.brokers[key] = self.broker
            w.nodes[key] = name

    def params(self, node: str, **kwargs: Any) -> ConnectionParameters:
        """Connection parameters for ``node`` (what a client of the real cluster would use)."""
        host, port = self.addresses[node]
        return ConnectionParameters(host=host, port=port, **kwargs)

    def _act(self, fn: Any, *args: Any) -> None:
        w = self.world
        w.fire_due()
        fn(w.now, *args)
        w.fire_due()

    def kill(self, node: str) -> None:
        """``kill -9`` of the node's VM: its clients' connections drop (StreamLostError)."""
        self._act(self.cluster.crash, node)

    def stop(self, node: str) -> None:
        """A graceful stop: its clients get 320 CONNECTION_FORCED."""
        self._act(self.cluster.stop, node)

    def start(self, node: str) -> None:
        self._act(self.cluster.start, node)

    def partition(self, groups: list[list[str]]) -> None:
        """Cut the network between ``groups`` (noticed 0.75-1.25 x net_ticktime later)."""
        self._act(self.cluster.partition, [list(g) for g in groups])

    def heal(self) -> None:
        """Restore the network; returns once every paused node has resumed (about 1 s)."""
        self._act(self.cluster.heal)
        deadline = self.world.now + 5.0
        while "paused" in self.cluster.state.values() and self.world.now < deadline:
            self.sleep(0.5)

    def sleep(self, seconds: float, *connections: Any) -> None:
        """Let ``seconds`` of simulated time pass, servicing ``connections`` (their callbacks
        run here, as in ``process_data_events``) at every instant something happens; an
        error a connection raises (e.g. the broker closed it) propagates."""
        w = self.world
        deadline = w.now + seconds
        while True:
            for conn in connections:
                if conn.is_open:
                    conn.process_data_events(0)
            if w.now >= deadline:
                return
            t = w.next_time()
            w.advance_to(deadline if t is None or t > deadline else max(t, w.now))
            if t is not None and t <= w.now and not connections:
                w.fire_due()

    def now(self) -> float:
        """Simulated seconds."""
        return self.world.now

    def set_policy(self, name: str, pattern: str, definition: dict[str, Any], apply_to: str = "queues",
                   priority: int = 0) -> None:
        """``rabbitmqctl set_policy`` on "/" (refused as RabbitMQ refuses a bad policy)."""
        self.broker.set_policy(self.world.now, name, pattern, definition, priority, apply_to)

    def leader(self, queue: str) -> str | None:
        """The node of ``queue``'s leader (classic: home, mirrored: master); None: none."""
        p = self.cluster.placements.get(queue)
        return None if p is None else p.leader

    def state(self, node: str) -> str:
        """up | down | paused"""
        return self.cluster.state[node]


def simulate_cluster(nodes: dict[str, tuple[str, int]] | int = 3, partition_handling: str = "ignore",
                     net_ticktime: float = 60.0) -> SimulatedCluster:
    """Simulate a cluster in the current world: ``nodes`` maps node names to (host, port),
    or is a count (``rabbit1``.. on ``localhost`` ports 5681..). Returns its control."""
    if isinstance(nodes, int):
        nodes = {f"rabbit{i}": ("localhost", 5680 + i) for i in range(1, nodes + 1)}
    return SimulatedCluster(world(), nodes, partition_handling, net_ticktime)
