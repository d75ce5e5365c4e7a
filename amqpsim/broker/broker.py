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
from .channel import Channel
from .connection import Connection, ConnectionMethods, command
from .exchanges import Binding
from .publishing import PublishMethods

__all__ = ["Broker", "Connection", "command"]


class Broker(ConnectionMethods, BasicMethods, PublishMethods):
    """One RabbitMQ node with one vhost ("/").

    ``version`` selects the behaviour profile: ``"3.10"`` (default, the real
    broker CI runs) or a 4.x version such as ``"4.3"`` where the two differ
    (global QoS, headers-exchange value comparison). The state, the event sink and
    the timers are set up by :class:`~.core.BrokerCore`.
    """

    # ================================================================ exchange.*
    @command("exchange.declare")
    def exchange_declare(self, now: float, ch: Channel, exchange: str, exchange_type: str = "direct",
                         passive: bool = False, durable: bool = False, auto_delete: bool = False,
                         internal: bool = False, arguments: dict | None = None) -> None:
        self.vhost.exchange_declare(now, ch, exchange, exchange_type, passive, durable, auto_delete, internal,
                                    arguments)

    @command("exchange.delete")
    def exchange_delete(self, now: float, ch: Channel, exchange: str, if_unused: bool = False) -> None:
        self.vhost.exchange_delete(now, ch, exchange, if_unused)

    @command("exchange.bind")
    def exchange_bind(self, now: float, ch: Channel, destination: str, source: str,
                      routing_key: str = "", arguments: dict | None = None) -> None:
        b = Binding.make(source, destination, "exchange", routing_key, arguments)
        self.vhost.bind(now, ch, b, "exchange.bind")

    @command("exchange.unbind")
    def exchange_unbind(self, now: float, ch: Channel, destination: str, source: str,
                        routing_key: str = "", arguments: dict | None = None) -> None:
        b = Binding.make(source, destination, "exchange", routing_key, arguments)
        self.vhost.bind(now, ch, b, "exchange.unbind", unbind=True)

    # ================================================================ queue.*
    @command("queue.declare")
    def queue_declare(self, now: float, ch: Channel, queue: str = "", passive: bool = False,
                      durable: bool = False, exclusive: bool = False, auto_delete: bool = False,
                      arguments: dict | None = None) -> tuple[str, int, int]:
        """Returns (queue name, ready message count, consumer count)."""
        return self.vhost.queue_declare(now, ch, queue, passive, durable, exclusive, auto_delete, arguments)

    @command("queue.bind")
    def queue_bind(self, now: float, ch: Channel, queue: str, exchange: str,
                   routing_key: str | None = None, arguments: dict | None = None) -> None:
        queue, routing_key = self.vhost.queue_binding(ch, queue, routing_key, "queue.bind")
        self.vhost.bind(now, ch, Binding.make(exchange, queue, "queue", routing_key, arguments), "queue.bind")

    @command("queue.unbind")
    def queue_unbind(self, now: float, ch: Channel, queue: str, exchange: str,
                     routing_key: str | None = None, arguments: dict | None = None) -> None:
        queue, routing_key = self.vhost.queue_binding(ch, queue, routing_key, "queue.unbind")
        self.vhost.bind(now, ch, Binding.make(exchange, queue, "queue", routing_key, arguments), "queue.unbind",
                        unbind=True)

    @command("queue.purge")
    def queue_purge(self, now: float, ch: Channel, queue: str) -> int:
        return self.vhost.queue_purge(now, ch, queue)

    @command("queue.delete")
    def queue_delete(self, now: float, ch: Channel, queue: str, if_unused: bool = False,
                     if_empty: bool = False) -> int:
        return self.vhost.queue_delete(now, ch, queue, if_unused, if_empty)

    # ================================================================ policies
    def set_policy(self, now: float, name: str, pattern: str, definition: dict[str, Any], priority: int = 0,
                   apply_to: str = "all") -> None:
        self.vhost.set_policy(now, name, pattern, definition, priority, apply_to)

    def clear_policy(self, now: float, name: str) -> None:
        self.vhost.clear_policy(now, name)

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
        self.running = False  # nothing is delivered while the node goes down
        with self.vhost.stopping():
            for conn in list(self.connections.values()):
                self.close_connection(now, conn, 320, "CONNECTION_FORCED - broker forced connection closure "
                                      "with reason 'shutdown'", by_broker=True)
            self.vhost.lose_transient(now)
        self.timers.clear()

    def start(self, now: float) -> None:
        """The node is back: queue timers (TTL, expiry) are armed again."""
        self.running = True
        self.vhost.restart(now)
