"""The broker: AMQP 0-9-1 commands with RabbitMQ's semantics, on a clock it is given.

Every command takes ``now`` (simulated seconds) and the client's :class:`Channel`,
emits event records to the injected sink, and either returns its ``-ok`` result or
raises :class:`ChannelError` / :class:`ConnectionError_` after closing the channel
or the connection as RabbitMQ would. Timers (TTL, queue expiry, ack timeout) are
kept in a heap: the driver asks :meth:`Broker.next_deadline` and calls
:meth:`Broker.advance`.

The commands are grouped by AMQP class in mixins: :mod:`.connection`,
:mod:`.exchange_methods`, :mod:`.queue_methods`, :mod:`.basic_methods` and
:mod:`.publishing`. This module holds the state, the timers, policies and faults.
"""

from __future__ import annotations

from typing import Any

from ..trace.events import Blocked, Unblocked
from .basic_methods import BasicMethods
from .connection import Connection, ConnectionMethods, command
from .exchange_methods import ExchangeMethods
from .publishing import PublishMethods
from .queue_methods import QueueMethods
from .topology import Policy

__all__ = ["Broker", "Connection", "command"]


class Broker(ConnectionMethods, ExchangeMethods, QueueMethods, BasicMethods, PublishMethods):
    """One RabbitMQ node with one vhost ("/").

    ``version`` selects the behaviour profile: ``"3.10"`` (default, the real
    broker CI runs) or a 4.x version such as ``"4.3"`` where the two differ
    (global QoS, headers-exchange value comparison). The state, the event sink and
    the timers are set up by :class:`~.core.BrokerCore`.
    """

    # ================================================================ policies
    def set_policy(self, now: float, name: str, pattern: str, definition: dict[str, Any], priority: int = 0,
                   apply_to: str = "all") -> None:
        self.topology.policies[name] = Policy(name, pattern, dict(definition), priority, apply_to)
        self._reapply_policies(now)

    def clear_policy(self, now: float, name: str) -> None:
        self.topology.policies.pop(name, None)
        self._reapply_policies(now)

    def _reapply_policies(self, now: float) -> None:
        topo = self.topology
        for q in list(topo.queues.values()):
            if not q.deleted:
                q.apply_policy(now, topo.policy_for("queue", q.name, q.settings.qtype))
        for x in topo.exchanges.values():
            x.policy = topo.policy_for("exchange", x.name)

    # ================================================================ faults
    def set_alarm(self, now: float, active: bool, reason: str = "memory") -> None:
        """A resource alarm. As RabbitMQ 3.10 does (checked on 3.10.8), a connection is
        blocked, and told so with connection.blocked, only when it *publishes* while the
        alarm is on (see :meth:`reads_publish`); consume-only connections never are.
        Clearing the alarm unblocks, with connection.unblocked, those that were blocked."""
        if self.alarm == active:
            return
        self.alarm = active
        self.alarm_reason = f"low on {reason}"
        if not active:
            for conn in list(self.connections.values()):
                conn.unblock()
        self.emit(Blocked(now, self.alarm_reason) if active else Unblocked(now))

    def reads_publish(self, now: float, conn: Connection) -> bool:
        """Whether the broker reads a publish from ``conn`` now. During an alarm it stops
        reading a connection that publishes: the connection becomes blocked (notified once)
        and the publish waits in the client until the alarm clears."""
        if not self.alarm:
            return True
        conn.block(self.alarm_reason)
        return False

    def stop(self, now: float) -> None:
        """A node stop: connections forced closed (320); what is not durable is lost.

        Durable classic queues keep their persistent messages, quorum queues keep
        everything; non-durable queues and exchanges (and their bindings) are gone.
        """
        self._losing = True
        self.running = False  # nothing is delivered while the node goes down
        try:
            for conn in list(self.connections.values()):
                self.close_connection(now, conn, 320, "CONNECTION_FORCED - broker forced connection closure "
                                      "with reason 'shutdown'", by_broker=True)
            for q in list(self.queues.values()):
                if not q.durable:
                    self.delete_queue(now, q, reason="restart")
                elif not q.is_quorum:
                    q.drop_transient(now)
            for x in [x for x in self.exchanges.values() if not x.durable]:
                if x.name in self.exchanges:
                    self._delete_exchange(now, x)
        finally:
            self._losing = False
        self.running = False
        self.timers.clear()

    def start(self, now: float) -> None:
        """The node is back: queue timers (TTL, expiry) are armed again."""
        self.running = True
        for q in list(self.queues.values()):
            q.armed_ttl = None
            q.touch(now)
            q.expire_head(now)
