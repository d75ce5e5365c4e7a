"""queue.declare/purge/delete and queue deletion itself (mixed into :class:`Broker`)."""

from __future__ import annotations

from typing import Any

from ..trace.events import Discarded, Lost, QueueDeclared, QueueDeleted, QueuePurged
from .args import equivalence_args, queue_type, validate_queue_args
from .channel import Channel
from .connection import command
from .core import BrokerCore
from .errors import ChannelError, ConnectionError_, locked, not_found_queue, q_res
from .queue import Queue
from .validate import equivalence_error

_MISSING: Any = object()


class QueueMethods(BrokerCore):
    def _check_exclusive(self, q: Queue, ch: Channel, method: str) -> None:
        if q.exclusive_owner is not None and q.exclusive_owner is not ch.connection:
            raise locked(q.name, method)

    def _queue(self, ch: Channel, name: str, method: str) -> Queue:
        if name == "":
            if ch.last_queue is None:
                raise ChannelError(404, "no previously declared queue", method)
            name = ch.last_queue
        q = self.queues.get(name)
        if q is None:
            raise not_found_queue(name, method)
        self._check_exclusive(q, ch, method)
        return q

    @command("queue.declare")
    def queue_declare(self, now: float, ch: Channel, queue: str = "", passive: bool = False,
                      durable: bool = False, exclusive: bool = False, auto_delete: bool = False,
                      arguments: dict | None = None) -> tuple[str, int, int]:
        """Returns (queue name, ready message count, consumer count)."""
        if passive:
            q = self._queue(ch, queue, "queue.declare")
            q.touch(now)
            ch.last_queue = q.name
            return q.name, q.message_count(), len(q.consumers)
        arguments = dict(arguments or {})
        durable = durable and not exclusive
        qtype = queue_type(arguments)
        if queue == "":
            if qtype == "quorum":
                raise ChannelError(406, "Cannot declare a server-named queue for type rabbit_quorum_queue")
            queue = self.token("amq.gen-")
        elif queue.startswith("amq."):
            raise ChannelError(403, f"queue name '{queue}' contains reserved prefix 'amq.*'")
        owner = ch.connection if exclusive else None
        existing = self.queues.get(queue)
        if existing is not None:
            q = existing
            if q.exclusive_owner is not owner:
                raise locked(queue, "queue.declare")
            self._check_equivalent(q, durable, auto_delete, arguments)
            q.touch(now)
        else:
            validate_queue_args(queue, arguments)
            if qtype == "quorum" and (exclusive or auto_delete or not durable):
                prop = "exclusive-owner" if exclusive else "auto-delete" if auto_delete else "non-durable"
                raise ChannelError(406, f"invalid property '{prop}' for {q_res(queue)}")
            q = Queue(self, queue, durable=durable, exclusive_owner=owner, auto_delete=auto_delete,
                      arguments=arguments, now=now)
            self.queues[queue] = q
            q.apply_policy(now, self.topology.policy_for("queue", queue, q.settings.qtype))
            self.emit(QueueDeclared(now, ch.actor, queue, qtype, durable, exclusive, auto_delete))
            q.touch(now)
        ch.last_queue = queue
        return queue, q.message_count(), len(q.consumers)

    def _check_equivalent(self, q: Queue, durable: bool, auto_delete: bool,
                          arguments: dict[str, Any]) -> None:
        for key, cur, req in (("durable", q.durable, durable), ("auto_delete", q.auto_delete, auto_delete)):
            if cur != req:
                raise equivalence_error(key, q_res(q.name), req, cur, plain=True)
        cur_args, req_args = equivalence_args(q.arguments), equivalence_args(arguments)
        for key in sorted(set(cur_args) | set(req_args)):
            if not _same_arg(cur_args.get(key, _MISSING), req_args.get(key, _MISSING)):
                raise equivalence_error(key, q_res(q.name), req_args.get(key, _MISSING),
                                        cur_args.get(key, _MISSING))
        if queue_type(q.arguments) != queue_type(arguments):
            raise equivalence_error("x-queue-type", q_res(q.name), arguments.get("x-queue-type", _MISSING),
                                    q.arguments.get("x-queue-type", _MISSING))

    @command("queue.purge")
    def queue_purge(self, now: float, ch: Channel, queue: str) -> int:
        q = self._queue(ch, queue, "queue.purge")
        n = q.purge(now)
        self.emit(QueuePurged(now, ch.actor, q.name, n))
        return n

    @command("queue.delete")
    def queue_delete(self, now: float, ch: Channel, queue: str, if_unused: bool = False,
                     if_empty: bool = False) -> int:
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
        if if_unused and q.consumers:
            raise ChannelError(406, f"{q_res(queue)} in use")
        if if_empty and q.message_count():
            raise ChannelError(406, f"{q_res(queue)} not empty")
        return self.delete_queue(now, q, reason="client", actor=ch.actor)

    def delete_queue(self, now: float, q: Queue, reason: str, actor: str | None = None) -> int:
        """Delete ``q``: its ready messages are discarded (lost in a restart), never dead-lettered.

        Its unacknowledged messages stay on their channels (an ack of them is still
        accepted, as RabbitMQ does) and are discarded when settled or requeued.
        ``reason`` is :class:`~amqpsim.trace.events.QueueDeleted`'s; ``actor`` the client
        that asked (None: the broker did it).
        """
        if q.deleted:
            return 0
        q.deleted = True
        topo = self.topology
        del topo.queues[q.name]
        gone: list[str] = []
        for b in topo.bindings_to("queue", q.name):
            gone += topo.remove_binding(b)
        entries = q.store.clear()
        q.ready_bytes = 0
        for e in entries:
            if self._losing:
                self.emit(Lost(now, None, e.msg.id, e.copy, q.name, "restart"))
            else:
                self.emit(Discarded(now, e.msg.id, e.copy, q.name, "queue_deleted"))
        for c in list(q.consumers):
            q.detach_consumer(c)
            c.channel.cancel_by_broker(now, c)
        self.emit(QueueDeleted(now, actor, q.name, reason))
        self._auto_delete_exchanges(now, gone)
        return len(entries)


def _same_arg(a: Any, b: Any) -> bool:
    if a is _MISSING or b is _MISSING:
        return a is b
    if isinstance(a, bytes):
        a = a.decode()
    if isinstance(b, bytes):
        b = b.decode()
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return type(a) is type(b) and a == b
