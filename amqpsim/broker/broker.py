"""The broker: AMQP 0-9-1 commands with RabbitMQ's semantics, on a clock it is given.

Every command takes ``now`` (simulated seconds) and the client's :class:`Channel`,
emits event records to the injected sink, and either returns its ``-ok`` result or
raises :class:`ChannelError` / :class:`ConnectionError_` after closing the channel
or the connection as RabbitMQ would (:func:`command`). Timers (TTL, queue expiry,
ack timeout) wait in :class:`Timers`: the driver asks :meth:`Broker.next_deadline`
and calls :meth:`Broker.advance`.

:class:`Broker` is a facade over the objects that own the state: the
:class:`.VHost` (exchanges, queues, bindings, policies and their commands), the
:class:`.Publisher` (the publish path), each :class:`Connection` and its
:class:`Channel` (delivery tags, unacked deliveries, prefetch, consumers). Those
reach back only through the narrow protocols :class:`.QueueHost` and
:class:`.ChannelHost`, which the broker provides.
"""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Callable
from typing import Any, TypeVar

from ..trace.events import (
    Blocked,
    ConnectionClosed,
    ConnectionOpened,
    EventLog,
    ProtocolError,
    Sink,
    Unblocked,
)
from .channel import Channel
from .connection import Connection
from .errors import METHOD_IDS, AMQPError, ConnectionError_
from .exchanges import Binding
from .message import Delivery, Entry, Properties
from .policy_rules import policy_error
from .publishing import Publisher, PublishOutcome
from .queue import Queue
from .replyto import REPLY_QUEUE, DirectReplyTo
from .timers import Timers
from .topology import Exchange
from .vhost import VHost

__all__ = ["Broker", "command"]

F = TypeVar("F", bound=Callable[..., Any])


def command(method: str) -> Callable[[F], F]:
    """Run a channel command; on an AMQP error close the channel (or connection) first.

    ``basic.publish`` and ``basic.ack``, the commands of every message, do the same in
    their own body (the generic wrapper's argument passing is a noticeable part of their cost).
    """

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(self: Broker, now: float, ch: Channel, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, now, ch, *args, **kwargs)
            except AMQPError as err:
                self.command_failed(now, ch, err, method)
                raise

        return run  # type: ignore[return-value]

    return wrap


class Broker:
    """One RabbitMQ node with one vhost ("/").

    Owns the event sink (``recorder``, called as ``emit``), the options, the timers,
    the open connections (by name), whether the node runs and whether a resource alarm
    is on, the :class:`.VHost` and the :class:`.Publisher`. ``version`` selects the
    behaviour profile: ``"3.10"`` (default, the real broker CI runs) or a 4.x version
    such as ``"4.3"`` where the two differ (global QoS, headers-exchange value
    comparison). A broker made without a sink keeps its events in an
    :class:`~amqpsim.trace.events.EventLog` (``broker.recorder.events``).
    """

    def __init__(self, recorder: Sink | None = None, *, version: str = "3.10",
                 consumer_timeout: float | None = 1800.0, consumer_timeout_interval: float = 60.0,
                 auto_ack_settles: bool = True, epoch: float = 1_767_225_600.0, seed: int = 0) -> None:
        self.recorder: Sink = recorder if recorder is not None else EventLog()
        self.emit = self.recorder.emit
        self.version = version
        self.consumer_timeout = consumer_timeout
        self.consumer_timeout_interval = consumer_timeout_interval  # 0: check at the exact instant
        self.auto_ack_settles = auto_ack_settles
        self.epoch = epoch  # simulated time 0 as a Unix time (x-death timestamps)
        self.rng = random.Random(seed)
        self.timers = Timers()
        self.connections: dict[str, Connection] = {}
        self._conn_seq = 0
        #: a new copy id (unique in the broker) for each copy routed to a queue
        self.next_copy_id: Callable[[], int] = itertools.count(1).__next__
        self.running = True
        #: the cluster this broker's metadata is shared by (:mod:`.cluster`); None: one node
        self.cluster: Any = None
        self.alarm = False
        self.alarm_reason = "low on memory"
        self.vhost = VHost(self, self.token, strict_types=not version.startswith("3."))
        self.publisher = Publisher(self.vhost.topology, self.recorder, self.command_failed)
        #: direct reply-to (``amq.rabbitmq.reply-to``): the reply consumers by opaque name
        self.replies = self.publisher.replies = DirectReplyTo(self)
        # the command of every message goes straight to the publisher (see basic_publish)
        self.basic_publish = self.publisher.publish  # type: ignore[method-assign]

    @property
    def queues(self) -> dict[str, Queue]:
        return self.vhost.queues

    @property
    def exchanges(self) -> dict[str, Exchange]:
        return self.vhost.exchanges

    # ================================================================ timers
    def schedule(self, when: float, fn: Callable[[float], None], alive: Callable[[], bool] | None = None) -> None:
        """Call ``fn(when)`` at ``when`` (see :meth:`.Timers.schedule`)."""
        self.timers.schedule(when, fn, alive)

    def next_deadline(self) -> float | None:
        """When the next timer that still matters is due (None: none is)."""
        return self.timers.next_deadline()

    def advance(self, now: float) -> None:
        """Fire every timer due at or before ``now``, each at its own time."""
        self.timers.advance(now)

    @property
    def on_schedule(self) -> Callable[[float], None] | None:
        """Called with ``when`` for every timer scheduled (the driver wakes up then)."""
        return self.timers.on_schedule

    @on_schedule.setter
    def on_schedule(self, fn: Callable[[float], None] | None) -> None:
        self.timers.on_schedule = fn

    # ================================================================ for queues and channels
    def token(self, prefix: str) -> str:
        """A server-generated name (``amq.gen-...``, ``amq.ctag-...``) from the seeded RNG."""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(22))

    def dead_letter(self, now: float, source: Queue, e: Entry, reason: str) -> bool:
        return self.publisher.dead_letter(now, source, e, reason, self.epoch)

    def delete_queue(self, now: float, q: Queue, reason: str, actor: str | None = None) -> int:
        return self.vhost.delete_queue(now, q, reason, actor)

    # ================================================================ connection.*, channel.*
    def connection_open(self, now: float, actor: str | None = None, node: str | None = None) -> Connection:
        """A new connection; in a cluster, to ``node`` (None: the first node), refused
        (:class:`ConnectionError_`) while that node is down or paused."""
        if not self.running:
            raise ConnectionError_(320, "broker not running")
        if self.cluster is not None:
            node = self.cluster.admit_connection(node)
        self._conn_seq += 1
        name = f"conn-{self._conn_seq}"
        conn = Connection(self, name, actor or name)
        if node is not None:
            conn.node = node
        self.connections[name] = conn
        self.emit(ConnectionOpened(now, conn.actor, name, node))
        return conn

    def close_connection(self, now: float, conn: Connection, code: int = 200,
                         text: str = "Normal shutdown", by_broker: bool = False) -> None:
        """connection.close by the client, or by the broker (``by_broker``: the client is told)."""
        if not conn.close_channels(now, code, text):
            return
        self.vhost.delete_exclusive(now, conn)
        self.connections.pop(conn.name, None)
        self.emit(ConnectionClosed(now, conn.actor, conn.name, code, text, by_broker))
        if by_broker:
            conn.on_close(code, text)

    def channel_open(self, now: float, conn: Connection, number: int | None = None) -> Channel:
        try:
            return conn.open_channel(now, number)
        except ConnectionError_ as err:
            self.close_connection(now, conn, err.reply_code, err.reply_text, by_broker=True)
            raise

    def channel_close(self, now: float, ch: Channel) -> None:
        """Client-initiated channel.close."""
        ch.close(now, 200, "Normal shutdown")

    def command_failed(self, now: float, ch: Channel, err: AMQPError, method: str) -> None:
        """The channel command ``method`` raised ``err``: close the channel or, for a hard
        error, the connection (the caller then re-raises ``err``)."""
        if err.method is None:
            err.method = method
            err.class_id, err.method_id = METHOD_IDS.get(method, (0, 0))
        self.emit(ProtocolError(now, ch.actor, ch.id, err.reply_code, err.reply_text,
                                "connection" if err.hard else "channel", err.method))
        if err.hard:
            self.close_connection(now, ch.connection, err.reply_code, err.reply_text, by_broker=True)
        else:
            ch.close_by_broker(now, err)

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
        if queue.startswith(REPLY_QUEUE) and (ok := self.replies.declare(ch, queue, passive)) is not None:
            return ok
        return self.vhost.queue_declare(now, ch, queue, passive, durable, exclusive, auto_delete, arguments)

    @command("queue.bind")
    def queue_bind(self, now: float, ch: Channel, queue: str, exchange: str,
                   routing_key: str | None = None, arguments: dict | None = None) -> None:
        queue, routing_key = self.vhost.queue_binding(ch, queue, routing_key, "queue.bind")
        if self.cluster is not None and queue in self.vhost.queues:
            self.vhost.queue(ch, queue, "queue.bind")  # 404 when its node is down or cut off
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

    # ================================================================ basic.*
    @command("basic.qos")
    def basic_qos(self, now: float, ch: Channel, prefetch_size: int = 0, prefetch_count: int = 0,
                  global_qos: bool = False) -> None:
        ch.qos(now, prefetch_size, prefetch_count, global_qos)

    @command("basic.consume")
    def basic_consume(self, now: float, ch: Channel, queue: str, consumer_tag: str = "",
                      no_ack: bool = False, exclusive: bool = False, arguments: dict | None = None) -> str:
        if queue == REPLY_QUEUE:
            return self.replies.consume(now, ch, consumer_tag, no_ack)
        q = self.vhost.queue(ch, queue, "basic.consume")
        return ch.consumers.start(now, q, consumer_tag, no_ack, exclusive, arguments)

    @command("basic.cancel")
    def basic_cancel(self, now: float, ch: Channel, consumer_tag: str) -> None:
        if ch.reply_consumer is not None and self.replies.cancel(now, ch, consumer_tag):
            return
        ch.consumers.cancel(now, consumer_tag)

    def basic_publish(self, now: float, ch: Channel, exchange: str, routing_key: str,
                      body: bytes | str = b"", properties: Properties | None = None, mandatory: bool = False,
                      immediate: bool = False, logical_id: Any = None, outcome: bool = True) -> PublishOutcome | None:
        """Publish; in a transaction the message is only buffered (``outcome.pending``) until tx.commit.

        ``outcome=False`` returns None instead of the :class:`PublishOutcome` (outside a
        transaction): for callers that do not read it, such as the simulation's producers
        (it saves building it on the hottest path of a run).

        An instance's ``basic_publish`` is its publisher's :meth:`.Publisher.publish`
        itself, which closes the channel on an error as :func:`command` does: this
        method, with the same signature, says what it is and is what the class shows.
        """
        return self.publisher.publish(now, ch, exchange, routing_key, body, properties, mandatory, immediate,
                                      logical_id, outcome)

    @command("basic.get")
    def basic_get(self, now: float, ch: Channel, queue: str, no_ack: bool = False) -> Delivery | None:
        return ch.get(now, self.vhost.queue(ch, queue, "basic.get"), no_ack)

    def basic_ack(self, now: float, ch: Channel, delivery_tag: int = 0, multiple: bool = False) -> None:
        try:  # what @command("basic.ack") does, spelled out: this runs per message
            ch.ack(now, delivery_tag, multiple)
        except AMQPError as err:
            self.command_failed(now, ch, err, "basic.ack")
            raise

    @command("basic.nack")
    def basic_nack(self, now: float, ch: Channel, delivery_tag: int = 0, multiple: bool = False,
                   requeue: bool = True) -> None:
        ch.nack(now, delivery_tag, multiple, requeue, "basic.nack")

    @command("basic.reject")
    def basic_reject(self, now: float, ch: Channel, delivery_tag: int, requeue: bool = True) -> None:
        ch.nack(now, delivery_tag, False, requeue, "basic.reject")

    @command("basic.recover")
    def basic_recover(self, now: float, ch: Channel, requeue: bool = True) -> None:
        ch.recover(now, requeue)

    # ================================================================ confirm.*, tx.*
    @command("confirm.select")
    def confirm_select(self, now: float, ch: Channel) -> None:
        ch.select_confirm()

    @command("tx.select")
    def tx_select(self, now: float, ch: Channel) -> None:
        ch.select_tx()

    @command("tx.commit")
    def tx_commit(self, now: float, ch: Channel) -> list[PublishOutcome]:
        """Apply the buffered publishes, then the buffered acks/nacks/rejects (406 "partial
        tx completion" if a queue refused a message; everything else has been applied)."""
        return self.publisher.commit(now, ch)

    @command("tx.rollback")
    def tx_rollback(self, now: float, ch: Channel) -> None:
        """Drop the buffered publishes; buffered acks are undone (the deliveries stay unacked)."""
        ch.rollback()

    # ================================================================ policies
    def set_policy(self, now: float, name: str, pattern: str, definition: dict[str, Any], priority: int = 0,
                   apply_to: str = "all") -> None:
        """``rabbitmqctl set_policy``: raises :class:`~.policy_rules.PolicyError` for a policy
        RabbitMQ refuses (see :mod:`.policy_rules`), else sets it and applies it at once."""
        error = policy_error(pattern, definition, apply_to, self.version)
        if error is not None:
            raise error
        self.vhost.set_policy(now, name, pattern, definition, priority, apply_to)
        if self.cluster is not None:
            self.cluster.policies_changed(now)

    def clear_policy(self, now: float, name: str) -> None:
        self.vhost.clear_policy(now, name)
        if self.cluster is not None:
            self.cluster.policies_changed(now)

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
