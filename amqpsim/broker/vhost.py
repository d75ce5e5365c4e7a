"""The virtual host "/": exchange.*, queue.* and binding commands, and policies.

A :class:`VHost` owns the vhost's :class:`~.topology.Topology` (exchanges, queues,
bindings, policies) and is the only thing that changes it: declares with their
passive and equivalence checks (404, 405, 406), binds and unbinds, deletions and
what they cascade into (a queue's bindings and consumers, auto-delete exchanges),
and policies applied to what they match. It is handed the client's channel for the
client's name and connection (exclusive queues) and the channel's last declared
queue (the queue name ""), and emits an event for every change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..trace.events import (
    Bound,
    ExchangeDeclared,
    ExchangeDeleted,
    QueueDeclared,
    QueueDeleted,
    QueuePurged,
    Unbound,
)
from .args import check_equivalent, queue_type
from .errors import (
    ChannelError,
    ConnectionError_,
    locked,
    not_found_exchange,
    not_found_queue,
    q_res,
    x_res,
)
from .exchanges import Binding, validate_x_match
from .queue import Queue, QueueHost
from .rules import DEFAULT_EXCHANGE, QUEUE_TYPES, exchange_refusals, queue_refusals, reserved_name
from .stream_queue import StreamQueue
from .topology import Exchange, Policy, Topology

if TYPE_CHECKING:
    from .channel import Channel
    from .connection import Connection

__all__ = ["VHost"]

DEFAULT_X = DEFAULT_EXCHANGE


class VHost:
    """Owns the exchanges, queues, bindings and policies of "/" (``topology``).

    ``host`` is what its queues talk to (handed to each queue it creates), ``token``
    makes server-generated queue names. While ``losing`` (a node stop), the ready
    copies of a deleted queue are lost rather than discarded.
    """

    def __init__(self, host: QueueHost, token: Callable[[str], str], *, strict_types: bool = False) -> None:
        self.host = host
        self.emit = host.emit
        self.token = token
        self.topology = Topology(strict_types=strict_types)
        self.exchanges = self.topology.exchanges  # the topology's, by name
        self.queues = self.topology.queues
        self.losing = False

    # ================================================================ exchanges
    def exchange_declare(self, now: float, ch: Channel, exchange: str, exchange_type: str, passive: bool,
                         durable: bool, auto_delete: bool, internal: bool, arguments: dict | None) -> None:
        arguments = dict(arguments or {})
        xs = self.exchanges
        if passive:
            if exchange == "":
                raise ChannelError(403, DEFAULT_X)
            if exchange not in xs:
                raise not_found_exchange(exchange, "exchange.declare")
            return
        x = xs.get(exchange)
        refusals = exchange_refusals(exchange, exchange_type, arguments, exists=x is not None)
        if refusals:
            raise refusals[0].error("exchange.declare")
        if x is not None:
            x.check_equivalent(exchange_type, durable, auto_delete, internal, arguments)
            return
        x = Exchange(exchange, exchange_type, durable, auto_delete, internal, arguments)
        x.policy = self.topology.policy_for("exchange", exchange)
        self.topology.add_exchange(x)
        self.emit(ExchangeDeclared(now, ch.actor, exchange, exchange_type))

    def exchange_delete(self, now: float, ch: Channel, exchange: str, if_unused: bool) -> None:
        if exchange == "":
            raise ChannelError(403, DEFAULT_X)
        if exchange.startswith("amq."):
            raise ChannelError(403, f"deletion of system {x_res(exchange)} not allowed")
        x = self.exchanges.get(exchange)
        if x is None:
            return
        if if_unused and x.impl.bindings:
            raise ChannelError(406, f"{x_res(exchange)} in use")
        self.delete_exchange(now, x, ch.actor)

    def delete_exchange(self, now: float, x: Exchange, actor: str | None = None) -> None:
        """Delete ``x`` and its bindings; ``actor``: the client that asked (None: the broker)."""
        topo = self.topology
        gone = []
        for b in topo.bindings_from(x.name) + topo.bindings_to("exchange", x.name):
            gone += topo.remove_binding(b)
        del self.exchanges[x.name]
        self.emit(ExchangeDeleted(now, actor, x.name))
        self._auto_delete_exchanges(now, [g for g in gone if g != x.name])

    def _auto_delete_exchanges(self, now: float, names: list[str]) -> None:
        for name in names:
            x = self.exchanges.get(name)
            if x is not None and x.auto_delete and not x.impl.bindings:
                self.delete_exchange(now, x)

    # ================================================================ bindings
    def bind(self, now: float, ch: Channel, b: Binding, method: str, unbind: bool = False) -> None:
        """exchange.bind/unbind, queue.bind/unbind (``method``) of ``b``."""
        # the method's own names for the two ends (queue.bind: exchange, queue)
        src_f, dst_f = (("exchange",), ("queue",)) if b.destination_type == "queue" else \
            (("source",), ("destination",))
        if b.source == "":
            raise ChannelError(403, DEFAULT_X, method, field=src_f)
        if b.destination_type == "exchange" and b.destination == "":
            raise ChannelError(403, DEFAULT_X, method, field=dst_f)
        x = self.exchanges.get(b.source)
        if b.destination_type == "queue":
            q = self.queues.get(b.destination)
            if q is not None:
                self._check_exclusive(q, ch, method)
            dest_exists = q is not None
        else:
            dest_exists = b.destination in self.exchanges
        topo = self.topology
        if unbind:  # RabbitMQ 3.10: unbinding what does not exist is not an error
            if x is not None and topo.has_binding(b):
                self.emit(Unbound(now, ch.actor, b.source, b.destination, b.destination_type, b.routing_key))
                self._auto_delete_exchanges(now, topo.remove_binding(b))
            return
        if x is None:
            raise not_found_exchange(b.source, method, src_f)
        if not dest_exists:
            if b.destination_type == "queue":
                raise not_found_queue(b.destination, method, dst_f)
            raise not_found_exchange(b.destination, method, dst_f)
        if x.type == "headers":
            problem = validate_x_match(b.arguments)
            if problem:
                raise ChannelError(406, problem, method, field=("arguments", "x-match"))
        if not topo.has_binding(b):
            topo.add_binding(b)
            self.emit(Bound(now, ch.actor, b.source, b.destination, b.destination_type, b.routing_key))

    @staticmethod
    def queue_binding(ch: Channel, queue: str, routing_key: str | None, method: str) -> tuple[str, str]:
        """(queue, routing key) of a queue.bind/unbind: the queue "" is the channel's last
        declared queue (and then so is an empty key); no key means the queue's name."""
        if queue == "":
            if ch.last_queue is None:
                raise ChannelError(404, "no previously declared queue", method)
            queue = ch.last_queue
            if not routing_key:
                routing_key = queue
        return queue, routing_key if routing_key is not None else queue

    # ================================================================ queues
    def _check_exclusive(self, q: Queue, ch: Channel, method: str) -> None:
        if q.exclusive_owner is not None and q.exclusive_owner is not ch.connection:
            raise locked(q.name, method)

    def queue(self, ch: Channel, name: str, method: str) -> Queue:
        """The queue ``name`` ("": the channel's last declared one) as ``ch`` may use it (404, 405)."""
        if name == "":
            if ch.last_queue is None:
                raise ChannelError(404, "no previously declared queue", method)
            name = ch.last_queue
        q = self.queues.get(name)
        if q is None:
            raise not_found_queue(name, method)
        self._check_exclusive(q, ch, method)
        return q

    def queue_declare(self, now: float, ch: Channel, queue: str, passive: bool, durable: bool, exclusive: bool,
                      auto_delete: bool, arguments: dict | None) -> tuple[str, int, int]:
        """Returns (queue name, ready message count, consumer count)."""
        if passive:
            q = self.queue(ch, queue, "queue.declare")
            q.touch(now)
            ch.last_queue = q.name
            return q.name, q.message_count(), q.consumer_count()
        arguments = dict(arguments or {})
        durable = durable and not exclusive
        qtype = queue_type(arguments)
        if queue == "":
            if qtype in QUEUE_TYPES and QUEUE_TYPES[qtype].replicated:
                raise ChannelError(406, "Cannot declare a server-named queue for type "
                                        f"{QUEUE_TYPES[qtype].module}")
            queue = self.token("amq.gen-")
        elif (reserved := reserved_name("queue", queue)) is not None:
            raise reserved.error("queue.declare")
        owner = ch.connection if exclusive else None
        existing = self.queues.get(queue)
        if existing is not None:
            q = existing
            if q.exclusive_owner is not owner:
                raise locked(queue, "queue.declare")
            check_equivalent(q, durable, auto_delete, arguments)
            q.touch(now)
        else:
            refusals = queue_refusals(queue, durable, exclusive, auto_delete, arguments)
            if refusals:
                raise refusals[0].error("queue.declare")
            if not QUEUE_TYPES[qtype].simulated:
                raise ConnectionError_(540, f"amqpsim does not simulate {qtype} queues", "queue.declare",
                                       field=("arguments", "x-queue-type"))
            cls = StreamQueue if qtype == "stream" else Queue
            q = cls(self.host, queue, durable=durable, exclusive_owner=owner, auto_delete=auto_delete,
                    arguments=arguments, now=now)
            self.queues[queue] = q
            q.apply_policy(now, self.topology.policy_for("queue", queue, q.settings.qtype))
            self.emit(QueueDeclared(now, ch.actor, queue, qtype, durable, exclusive, auto_delete))
            q.touch(now)
        ch.last_queue = queue
        return queue, q.message_count(), q.consumer_count()

    def queue_purge(self, now: float, ch: Channel, queue: str) -> int:
        q = self.queue(ch, queue, "queue.purge")
        n = q.purge(now)
        self.emit(QueuePurged(now, ch.actor, q.name, n))
        return n

    def queue_delete(self, now: float, ch: Channel, queue: str, if_unused: bool, if_empty: bool) -> int:
        if queue == "":
            if ch.last_queue is None:
                raise ChannelError(404, "no previously declared queue")
            queue = ch.last_queue
        q = self.queues.get(queue)
        if q is None:
            return 0
        self._check_exclusive(q, ch, "queue.delete")
        if q.is_quorum and (if_unused or if_empty):
            flag = "if-unused" if if_unused else "if-empty"
            raise ConnectionError_(540, f"cannot delete {q_res(queue)}. queue.delete operations with {flag} "
                                        "flag set are not supported by quorum queues")
        # 3.10.8 deletes a stream whatever if-unused and if-empty say (its consumers and
        # messages are not counted; conformance case stream_refused_operations)
        if if_unused and q.consumers and not q.is_stream:
            raise ChannelError(406, f"{q_res(queue)} in use")
        if if_empty and q.message_count() and not q.is_stream:
            raise ChannelError(406, f"{q_res(queue)} not empty")
        return self.delete_queue(now, q, reason="client", actor=ch.actor)

    def delete_queue(self, now: float, q: Queue, reason: str, actor: str | None = None) -> int:
        """Delete ``q``: its ready messages are discarded (lost in a restart), never dead-lettered.

        Its unacknowledged messages stay on their channels (an ack of them is still
        accepted, as RabbitMQ does) and are discarded when settled or requeued; its
        consumers are cancelled (the clients are told). ``reason`` is
        :class:`~amqpsim.trace.events.QueueDeleted`'s; ``actor`` the client that asked
        (None: the broker did it).
        """
        if q.deleted:
            return 0
        dropped = q.delete(now, lost=self.losing)
        topo = self.topology
        del topo.queues[q.name]
        gone: list[str] = []
        for b in topo.bindings_to("queue", q.name):
            gone += topo.remove_binding(b)
        for c in list(q.consumers):
            q.detach_consumer(c)
            c.channel.consumers.cancel_by_broker(now, c)
        self.emit(QueueDeleted(now, actor, q.name, reason))
        self._auto_delete_exchanges(now, gone)
        return dropped

    def delete_exclusive(self, now: float, conn: Connection) -> None:
        """``conn`` closed: the queues it owned go."""
        for q in [q for q in self.queues.values() if q.exclusive_owner is conn]:
            self.delete_queue(now, q, reason="exclusive")

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

    # ================================================================ node stop and start
    @contextmanager
    def stopping(self) -> Iterator[None]:
        """While the node stops, the ready copies of a deleted queue are lost, not discarded."""
        self.losing = True
        try:
            yield
        finally:
            self.losing = False

    def lose_transient(self, now: float) -> None:
        """The node stops: non-durable queues and exchanges (and their bindings) are gone,
        durable classic queues keep only their persistent messages, quorum queues everything."""
        for q in list(self.queues.values()):
            if not q.durable:
                self.delete_queue(now, q, reason="restart")
            elif not q.is_quorum:
                q.drop_transient(now)
        for x in [x for x in self.exchanges.values() if not x.durable]:
            if x.name in self.exchanges:
                self.delete_exchange(now, x)

    def restart(self, now: float) -> None:
        """The node is back: every queue's timers (TTL, expiry) are armed again."""
        for q in list(self.queues.values()):
            q.restart(now)
