"""The control object an experiment gets: a 3-node cluster it can crash, stop, start and partition.

Experiments (experiments.py) are written once against `ClusterControl` and run both against a real
RabbitMQ 3.10.8 cluster (`real.RealCluster`) and against amqpsim.pika's simulated cluster
(`amqpsim.pika.simulate_cluster(...)`, to come). Everything an experiment does to the cluster goes
through this object; everything it does as a client goes through the `pika` module it is given
(real pika or amqpsim.pika), with `BlockingConnection(cluster.params(node))`.

Nodes are named "rabbit1", "rabbit2", "rabbit3" (the real Erlang names are "rabbit1@localhost", ...;
broker texts carry those long names unchanged). All three are cluster members from the start, with
one vhost "/" and the default user guest/guest. Time is wall-clock time on the real cluster and
simulated time on the simulator: an experiment must only let time pass through `sleep` (never
`time.sleep`) and only read it through `now`.
"""

from __future__ import annotations

from typing import Any, Protocol

NODES = ("rabbit1", "rabbit2", "rabbit3")


class ClusterControl(Protocol):
    def params(self, node: str) -> Any:
        """`pika.ConnectionParameters` (of the experiment's pika module) for an AMQP connection to
        `node` as guest on vhost "/". Real: host 127.0.0.1, port 5680 + N for "rabbitN",
        connection_attempts=1 (a node that is down or paused refuses at once: the experiment sees
        `pika.exceptions.AMQPConnectionError`)."""
        ...

    def kill(self, node: str) -> None:
        """Crash `node` the way `kill -9` of its Erlang VM does, and return once it is dead.

        Its client connections see the TCP connection drop (pika raises StreamLostError /
        AMQPConnectionError on their next I/O). The other nodes notice at once (the peer's
        distribution connection closes; no net_ticktime wait). Nothing the node had not written to
        disk survives: on `start` it recovers durable queues and persistent messages only (and a
        mirror that comes back starts empty)."""
        ...

    def stop(self, node: str) -> None:
        """Stop `node` cleanly, the way `rabbitmqctl stop` does (the whole node shuts down, not just
        the app), and return once it has stopped. The broker closes its client connections; the
        other nodes see an orderly node-down (a mirrored-queue master on it hands over per
        `ha-promote-on-shutdown`). Real: `rabbitmqctl stop <pidfile>`, which waits for the VM to
        exit. The experiments use it to restart a mirror's node (stop, then start)."""
        ...

    def start(self, node: str) -> None:
        """Start a node stopped by `kill` or `stop` with its data directory kept, and return once it
        accepts AMQP connections and is running in the cluster again (real: 5-15 s, the
        `rabbitmqctl await_startup` of start-node.sh; time passes without servicing client
        connections, so keep heartbeats in mind only for much longer waits)."""
        ...

    def partition(self, groups: list[list[str]]) -> None:
        """Cut the network between the groups: nodes in different groups can no longer exchange
        Erlang distribution traffic (packets dropped silently, as iptables DROP does), nodes in the
        same group still can. Client (AMQP) traffic is unaffected. The groups must cover every node,
        e.g. [["rabbit1"], ["rabbit2", "rabbit3"]]. Returns at once: the nodes notice after the net
        tick timeout (net_ticktime 10 s here: 7.5-12.5 s, then the partition handling of the
        cluster, e.g. pause_minority, acts)."""
        ...

    def heal(self) -> None:
        """Restore the network and return once every node that is not stopped or killed is running
        again and sees all the others (a node that pause_minority paused has resumed). The real
        control applies by hand the fix of rabbitmq-server #6034 (3.10.9) when a node hangs in
        global:sync after the heal, so this models the documented, fixed behaviour; fails after
        ~90 s. How long it took is not a comparable fact."""
        ...

    def sleep(self, seconds: float, *connections: Any) -> None:
        """Let `seconds` pass while servicing the given open BlockingConnections (heartbeats,
        confirms, consumer deliveries: their callbacks run inside this call), as
        `connection.process_data_events` would, round-robin. Connections already closed are
        skipped; an error raised by a connection while it is serviced (e.g.
        ConnectionClosedByBroker when the broker closes it) propagates. `sleep(0, conn)` services
        what is ready now without waiting."""
        ...

    def now(self) -> float:
        """Seconds on a monotonic clock (wall-clock on the real cluster, simulated time on the
        simulator), for timing facts: only differences are meaningful."""
        ...

    def leader(self, queue: str) -> str | None:
        """Node ("rabbit1".."rabbit3") of the queue's leader in vhost "/": a quorum queue's Raft
        leader, a classic (mirrored or not) queue's master process; None if no running node knows
        a live leader/master for it. Real: `rabbitmqctl list_queues name leader pid` on a running
        node."""
        ...

    def set_policy(self, name: str, pattern: str, definition: dict[str, Any],
                   apply_to: str = "queues", priority: int = 0) -> None:
        """`rabbitmqctl set_policy` on vhost "/": e.g. set_policy("ha", "^q$", {"ha-mode": "all",
        "ha-sync-mode": "manual", "ha-promote-on-failure": "always"}). Takes effect on existing and
        future queues matching `pattern` before this returns (real: the experiment sleeps ~1 s
        after it, before declaring, to let the policy reach every node)."""
        ...
