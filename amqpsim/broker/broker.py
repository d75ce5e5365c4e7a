"""The broker: AMQP 0-9-1 commands with RabbitMQ's semantics, on a clock it is given.

Every command takes ``now`` (simulated seconds) and the client's :class:`Channel`,
emits events to the injected recorder, and either returns its ``-ok`` result or
raises :class:`ChannelError` / :class:`ConnectionError_` after closing the channel
or the connection as RabbitMQ would. Timers (TTL, queue expiry, ack timeout) are
kept in a heap: the driver asks :meth:`Broker.next_deadline` and calls
:meth:`Broker.advance`.
"""

from __future__ import annotations

import functools
import heapq
import random
from collections.abc import Callable
from typing import Any

from ..trace.events import EventKind as K
from ..trace.events import Recorder
from . import deadletter
from .args import equivalence_args, queue_type, validate_queue_args
from .consumer import Channel, Consumer
from .errors import (
    METHOD_IDS,
    AMQPError,
    ChannelError,
    ConnectionError_,
    locked,
    not_found_exchange,
    not_found_queue,
    q_res,
    x_res,
)
from .exchanges import TYPES, Binding, validate_x_match
from .message import EMPTY_PROPERTIES, Delivery, Message, Properties, Returned
from .publish import PublishOutcome, check_expiration, death_keys_of, routing_keys_of
from .queue import Queue
from .topology import Exchange, Policy, Topology
from .validate import equivalence_error


class Connection:
    def __init__(self, broker: Broker, name: str, actor: str) -> None:
        self.broker = broker
        self.name = name
        self.actor = actor
        self.channels: dict[int, Channel] = {}
        self.is_open = True
        self.blocked = False
        self.next_channel = 0
        self.inbox: list = []
        self.on_close: Callable[[int, str], None] = lambda c, t: self.inbox.append(("close", c, t))
        self.on_blocked: Callable[[str | None], None] = lambda reason: self.inbox.append(("blocked", reason))

    def __repr__(self) -> str:
        return f"Connection({self.name!r})"


def command(method: str) -> Callable:
    """Run a channel command; on an AMQP error close the channel (or connection) first."""

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(self: Broker, now: float, ch: Channel, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, now, ch, *args, **kwargs)
            except AMQPError as err:
                if err.method is None:
                    err.method = method
                    err.class_id, err.method_id = METHOD_IDS.get(method, (0, 0))
                self.emit(now, K.ERROR, actor=ch.actor, channel=ch.id, reply_code=err.reply_code,
                          detail=err.reply_text)
                if err.hard:
                    self.close_connection(now, ch.connection, err.reply_code, err.reply_text, by_broker=True)
                else:
                    self.close_channel_by_broker(now, ch, err)
                raise

        return run

    return wrap


class Broker:
    """One RabbitMQ node with one vhost ("/")."""

    def __init__(
        self,
        recorder: Recorder | None = None,
        *,
        version: str = "3.10",
        consumer_timeout: float | None = 1800.0,
        auto_ack_settles: bool = True,
        epoch: float = 1_767_225_600.0,
        seed: int = 0,
    ) -> None:
        self.recorder = recorder if recorder is not None else Recorder()
        self.emit = self.recorder.emit
        self.version = version
        self.consumer_timeout = consumer_timeout
        self.auto_ack_settles = auto_ack_settles
        self.epoch = epoch
        self.rng = random.Random(seed)
        self.topology = Topology()
        self.timers: list[tuple[float, int, Callable[[float], None]]] = []
        self._timer_seq = 0
        self.on_schedule: Callable[[float], None] | None = None
        self.msg_ids = 0
        self.copy_ids = 0
        self.connections: dict[str, Connection] = {}
        self._conn_seq = 0
        self.running = True
        self.alarm = False
        self._losing = False  # a restart: removed copies are lost, not discarded

    # ================================================================ timers
    def schedule(self, when: float, fn: Callable[[float], None]) -> None:
        self._timer_seq += 1
        heapq.heappush(self.timers, (when, self._timer_seq, fn))
        if self.on_schedule is not None:
            self.on_schedule(when)

    def next_deadline(self) -> float | None:
        return self.timers[0][0] if self.timers else None

    def advance(self, now: float) -> None:
        """Fire every timer due at or before ``now``, each at its own time."""
        timers = self.timers
        while timers and timers[0][0] <= now:
            when, _, fn = heapq.heappop(timers)
            fn(when)

    def new_copy_id(self) -> int:
        self.copy_ids += 1
        return self.copy_ids

    def _token(self, prefix: str) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(22))

    # ================================================================ queries
    @property
    def queues(self) -> dict[str, Queue]:
        return self.topology.queues

    @property
    def exchanges(self) -> dict[str, Exchange]:
        return self.topology.exchanges

    # ================================================================ connections
    def connection_open(self, now: float, actor: str | None = None) -> Connection:
        if not self.running:
            raise ConnectionError_(320, "broker not running")
        self._conn_seq += 1
        name = f"conn-{self._conn_seq}"
        conn = Connection(self, name, actor or name)
        self.connections[name] = conn
        self.emit(now, K.CONNECTION_OPEN, actor=conn.actor, detail=name)
        return conn

    def channel_open(self, now: float, conn: Connection, number: int | None = None) -> Channel:
        if number is None:
            conn.next_channel += 1
            number = conn.next_channel
        if number in conn.channels:
            err = ConnectionError_(504, f"second 'channel.open' seen on channel {number}", "channel.open")
            self.close_connection(now, conn, err.reply_code, err.reply_text, by_broker=True)
            raise err
        ch = Channel(self, conn, number)
        conn.channels[number] = ch
        self.emit(now, K.CHANNEL_OPEN, actor=conn.actor, channel=ch.id)
        return ch

    def channel_close(self, now: float, ch: Channel) -> None:
        """Client-initiated channel.close."""
        self._teardown_channel(now, ch, "channel.close")

    def close_channel_by_broker(self, now: float, ch: Channel, err: AMQPError) -> None:
        if ch.is_open:
            self._teardown_channel(now, ch, "channel error", code=err.reply_code)
            ch.on_close(err.reply_code, err.reply_text)

    def _teardown_channel(self, now: float, ch: Channel, why: str, code: int | None = None) -> None:
        if not ch.is_open:
            return
        ch.is_open = False
        ch.connection.channels.pop(ch.number, None)
        for c in list(ch.consumers.values()):
            self._remove_consumer(now, c, notify=False)
        ch.requeue_all(now, why)
        self.emit(now, K.CHANNEL_CLOSE, actor=ch.actor, channel=ch.id, reply_code=code, detail=why)

    def close_connection(self, now: float, conn: Connection, code: int = 200, text: str = "Normal shutdown",
                         by_broker: bool = False) -> None:
        if not conn.is_open:
            return
        conn.is_open = False
        for ch in list(conn.channels.values()):
            self._teardown_channel(now, ch, "connection closed", code=code if by_broker else None)
        for q in [q for q in self.queues.values() if q.exclusive_owner is conn]:
            self.delete_queue(now, q, reason="exclusive owner closed")
        self.connections.pop(conn.name, None)
        self.emit(now, K.CONNECTION_CLOSE, actor=conn.actor, reply_code=code, detail=text)
        if by_broker:
            conn.on_close(code, text)

    # ================================================================ exchanges
    @command("exchange.declare")
    def exchange_declare(self, now: float, ch: Channel, exchange: str, exchange_type: str = "direct",
                         passive: bool = False, durable: bool = False, auto_delete: bool = False,
                         internal: bool = False, arguments: dict | None = None) -> None:
        arguments = dict(arguments or {})
        xs = self.exchanges
        if passive:
            if exchange not in xs:
                raise not_found_exchange(exchange, "exchange.declare")
            return
        if exchange_type not in TYPES:
            raise ConnectionError_(503, f"unknown exchange type '{exchange_type}'")
        if exchange == "":
            raise ChannelError(403, "operation not permitted on the default exchange")
        x = xs.get(exchange)
        if x is None:
            if exchange.startswith("amq."):
                raise ChannelError(403, f"exchange name '{exchange}' contains reserved prefix 'amq.*'")
            x = Exchange(exchange, exchange_type, durable, auto_delete, internal, arguments)
            x.policy = self.topology.policy_for("exchange", exchange)
            xs[exchange] = x
            self.emit(now, K.EXCHANGE_DECLARE, actor=ch.actor, exchange=exchange, detail=exchange_type)
            return
        for key, cur, req in (("type", x.type, exchange_type), ("durable", x.durable, durable),
                              ("auto_delete", x.auto_delete, auto_delete), ("internal", x.internal, internal)):
            if cur != req:
                raise equivalence_error(key, x_res(exchange), req, cur, plain=True)
        cur_ae, req_ae = x.arguments.get("alternate-exchange"), arguments.get("alternate-exchange")
        if cur_ae != req_ae:
            raise equivalence_error("alternate-exchange", x_res(exchange), req_ae, cur_ae)

    @command("exchange.delete")
    def exchange_delete(self, now: float, ch: Channel, exchange: str, if_unused: bool = False) -> None:
        if exchange == "":
            raise ChannelError(403, "operation not permitted on the default exchange")
        if exchange.startswith("amq."):
            raise ChannelError(403, f"deletion of system {x_res(exchange)} not allowed")
        x = self.exchanges.get(exchange)
        if x is None:
            return
        if if_unused and x.impl.bindings:
            raise ChannelError(406, f"{x_res(exchange)} in use")
        self._delete_exchange(now, x)

    def _delete_exchange(self, now: float, x: Exchange) -> None:
        topo = self.topology
        gone = []
        for b in topo.bindings_from(x.name) + topo.bindings_to("exchange", x.name):
            gone += topo.remove_binding(b)
        del self.exchanges[x.name]
        self.emit(now, K.EXCHANGE_DELETE, exchange=x.name)
        self._auto_delete_exchanges(now, [g for g in gone if g != x.name])

    def _auto_delete_exchanges(self, now: float, names: list[str]) -> None:
        for name in names:
            x = self.exchanges.get(name)
            if x is not None and x.auto_delete and not x.impl.bindings:
                self._delete_exchange(now, x)

    def _bind(self, now: float, ch: Channel, b: Binding, unbind: bool, method: str) -> None:
        if b.source == "" or (b.destination_type == "exchange" and b.destination == ""):
            raise ChannelError(403, "operation not permitted on the default exchange", method)
        x = self.exchanges.get(b.source)
        if x is None:
            raise not_found_exchange(b.source, method)
        if b.destination_type == "queue":
            q = self.queues.get(b.destination)
            if q is None:
                raise not_found_queue(b.destination, method)
            self._check_exclusive(q, ch, method)
        elif b.destination not in self.exchanges:
            raise not_found_exchange(b.destination, method)
        if unbind:
            self.emit(now, K.UNBIND, actor=ch.actor, exchange=b.source, queue=b.destination,
                      routing_key=b.routing_key, detail=b.destination_type)
            self._auto_delete_exchanges(now, self.topology.remove_binding(b))
            return
        if x.type == "headers":
            problem = validate_x_match(b.arguments)
            if problem:
                raise ChannelError(406, problem, method)
        if not self.topology.has_binding(b):
            self.topology.add_binding(b)
            self.emit(now, K.BIND, actor=ch.actor, exchange=b.source, queue=b.destination,
                      routing_key=b.routing_key, detail=b.destination_type)

    @command("exchange.bind")
    def exchange_bind(self, now: float, ch: Channel, destination: str, source: str, routing_key: str = "",
                      arguments: dict | None = None) -> None:
        self._bind(now, ch, Binding.make(source, destination, "exchange", routing_key, arguments), False,
                   "exchange.bind")

    @command("exchange.unbind")
    def exchange_unbind(self, now: float, ch: Channel, destination: str, source: str, routing_key: str = "",
                        arguments: dict | None = None) -> None:
        self._bind(now, ch, Binding.make(source, destination, "exchange", routing_key, arguments), True,
                   "exchange.unbind")

    # ================================================================ queues
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
            ch.last_queue = q.name
            return q.name, q.message_count(), len(q.consumers)
        arguments = dict(arguments or {})
        durable = durable and not exclusive
        if queue == "":
            queue = self._token("amq.gen-")
        elif queue.startswith("amq."):
            raise ChannelError(403, f"queue name '{queue}' contains reserved prefix 'amq.*'")
        owner = ch.connection if exclusive else None
        q = self.queues.get(queue)
        if q is not None:
            if q.exclusive_owner is not owner:
                raise locked(queue, "queue.declare")
            for key, cur, req in (("durable", q.durable, durable), ("auto_delete", q.auto_delete, auto_delete)):
                if cur != req:
                    raise equivalence_error(key, q_res(queue), req, cur, plain=True)
            cur_args, req_args = equivalence_args(q.arguments), equivalence_args(arguments)
            for key in sorted(set(cur_args) | set(req_args)):
                if not _same_arg(cur_args.get(key, _MISSING), req_args.get(key, _MISSING)):
                    raise equivalence_error(key, q_res(queue), req_args.get(key, _MISSING),
                                            cur_args.get(key, _MISSING))
            if queue_type(q.arguments) != queue_type(arguments):
                raise equivalence_error("x-queue-type", q_res(queue), arguments.get("x-queue-type", _MISSING),
                                        q.arguments.get("x-queue-type", _MISSING))
            q.touch(now)
        else:
            validate_queue_args(queue, arguments)
            if queue_type(arguments) == "quorum" and (exclusive or auto_delete or not durable):
                prop = "exclusive" if exclusive else "auto_delete" if auto_delete else "non-durable"
                raise ChannelError(406, f"invalid property '{prop}' for {q_res(queue)}")
            q = Queue(self, queue, durable=durable, exclusive_owner=owner, auto_delete=auto_delete,
                      arguments=arguments, now=now)
            self.queues[queue] = q
            q.apply_policy(now, self.topology.policy_for("queue", queue, q.settings.qtype))
            self.emit(now, K.QUEUE_DECLARE, actor=ch.actor, queue=queue,
                      detail=f"durable={durable} exclusive={exclusive} auto_delete={auto_delete}")
            q.touch(now)
        ch.last_queue = queue
        return queue, q.message_count(), len(q.consumers)

    @command("queue.bind")
    def queue_bind(self, now: float, ch: Channel, queue: str, exchange: str, routing_key: str | None = None,
                   arguments: dict | None = None) -> None:
        if queue == "" and ch.last_queue is not None:
            queue = ch.last_queue
            if not routing_key:
                routing_key = queue
        b = Binding.make(exchange, queue, "queue", routing_key if routing_key is not None else queue, arguments)
        self._bind(now, ch, b, False, "queue.bind")

    @command("queue.unbind")
    def queue_unbind(self, now: float, ch: Channel, queue: str, exchange: str, routing_key: str | None = None,
                     arguments: dict | None = None) -> None:
        if queue == "" and ch.last_queue is not None:
            queue = ch.last_queue
        b = Binding.make(exchange, queue, "queue", routing_key if routing_key is not None else queue, arguments)
        self._bind(now, ch, b, True, "queue.unbind")

    @command("queue.purge")
    def queue_purge(self, now: float, ch: Channel, queue: str) -> int:
        q = self._queue(ch, queue, "queue.purge")
        n = q.purge(now)
        self.emit(now, K.QUEUE_PURGE, actor=ch.actor, queue=q.name, detail=str(n))
        return n

    @command("queue.delete")
    def queue_delete(self, now: float, ch: Channel, queue: str, if_unused: bool = False,
                     if_empty: bool = False) -> int:
        name = ch.last_queue if queue == "" and ch.last_queue else queue
        q = self.queues.get(name)
        if q is None:
            return 0
        self._check_exclusive(q, ch, "queue.delete")
        if if_unused and q.consumers:
            raise ChannelError(406, f"{q_res(name)} in use")
        if if_empty and q.message_count():
            raise ChannelError(406, f"{q_res(name)} not empty")
        return self.delete_queue(now, q, reason="queue.delete")

    def delete_queue(self, now: float, q: Queue, reason: str) -> int:
        if q.deleted:
            return 0
        q.deleted = True
        topo = self.topology
        del topo.queues[q.name]
        gone: list[str] = []
        for b in topo.bindings_to("queue", q.name):
            gone += topo.remove_binding(b)
        kind = K.LOSS if self._losing else K.DISCARD
        entries = q.store.clear()
        for e in entries:
            self.emit(now, kind, msg=e.msg.id, copy=e.copy, queue=q.name, detail=reason)
        for c in list(q.consumers):
            self._remove_consumer(now, c, notify=True)
        self.emit(now, K.QUEUE_DELETE, queue=q.name, detail=reason)
        self._auto_delete_exchanges(now, gone)
        return len(entries)

    # ================================================================ consumers
    @command("basic.qos")
    def basic_qos(self, now: float, ch: Channel, prefetch_size: int = 0, prefetch_count: int = 0,
                  global_qos: bool = False) -> None:
        if prefetch_size:
            raise ConnectionError_(540, f"prefetch_size!=0 ({prefetch_size})")
        if global_qos and self.version.startswith("3."):
            ch.global_prefetch = prefetch_count
            for q in dict.fromkeys(c.queue for c in ch.consumers.values()):
                q.dispatch(now)
        else:
            ch.prefetch_count = prefetch_count
        self.emit(now, K.QOS, actor=ch.actor, channel=ch.id, detail=f"prefetch={prefetch_count} global={global_qos}")

    @command("basic.consume")
    def basic_consume(self, now: float, ch: Channel, queue: str, consumer_tag: str = "", no_ack: bool = False,
                      exclusive: bool = False, arguments: dict | None = None) -> str:
        q = self._queue(ch, queue, "basic.consume")
        if consumer_tag in ch.consumers:
            raise ConnectionError_(530, f"attempt to reuse consumer tag '{consumer_tag}'")
        if q.consumers and (exclusive or any(c.exclusive for c in q.consumers)):
            raise ChannelError(403, f"{q_res(q.name)} in exclusive use")
        tag = consumer_tag or self._token("amq.ctag-")
        arguments = dict(arguments or {})
        c = Consumer(tag, ch, q, no_ack=no_ack, prefetch=ch.prefetch_count, priority=int(arguments.get("x-priority", 0)),
                     exclusive=exclusive, arguments=arguments)
        ch.consumers[tag] = c
        self.emit(now, K.CONSUME, actor=ch.actor, channel=ch.id, queue=q.name, consumer=tag,
                  detail=f"no_ack={no_ack} prefetch={c.prefetch}")
        q.add_consumer(now, c)
        return tag

    @command("basic.cancel")
    def basic_cancel(self, now: float, ch: Channel, consumer_tag: str) -> None:
        c = ch.consumers.get(consumer_tag)
        if c is not None:
            self._remove_consumer(now, c, notify=False)

    def _remove_consumer(self, now: float, c: Consumer, notify: bool) -> None:
        ch = c.channel
        ch.consumers.pop(c.tag, None)
        self.emit(now, K.CANCEL, actor=ch.actor, channel=ch.id, queue=c.queue.name, consumer=c.tag,
                  detail="broker" if notify else "client")
        if notify:
            ch.on_cancel(c.tag)
        if not c.queue.deleted:
            c.queue.remove_consumer(now, c)

    @command("basic.get")
    def basic_get(self, now: float, ch: Channel, queue: str, no_ack: bool = False) -> Delivery | None:
        q = self._queue(ch, queue, "basic.get")
        e = q.get(now)
        if e is None:
            return None
        return ch.deliver(now, q, None, e, message_count=q.message_count(), get_no_ack=no_ack)

    @command("basic.ack")
    def basic_ack(self, now: float, ch: Channel, delivery_tag: int = 0, multiple: bool = False) -> None:
        ch.ack(now, delivery_tag, multiple)

    @command("basic.nack")
    def basic_nack(self, now: float, ch: Channel, delivery_tag: int = 0, multiple: bool = False,
                   requeue: bool = True) -> None:
        ch.nack(now, delivery_tag, multiple, requeue, "basic.nack")

    @command("basic.reject")
    def basic_reject(self, now: float, ch: Channel, delivery_tag: int, requeue: bool = True) -> None:
        ch.nack(now, delivery_tag, False, requeue, "basic.reject")

    @command("basic.recover")
    def basic_recover(self, now: float, ch: Channel, requeue: bool = True) -> None:
        if not requeue:
            raise ConnectionError_(540, "requeue=false")
        ch.requeue_all(now, "basic.recover")

    @command("confirm.select")
    def confirm_select(self, now: float, ch: Channel) -> None:
        ch.confirm_mode = True

    # ================================================================ publishing
    @command("basic.publish")
    def basic_publish(self, now: float, ch: Channel, exchange: str, routing_key: str, body: bytes = b"",
                      properties: Properties | None = None, mandatory: bool = False,
                      immediate: bool = False, logical_id: Any = None) -> PublishOutcome:
        if immediate:
            raise ConnectionError_(540, "immediate=true")
        x = self.exchanges.get(exchange)
        if x is None:
            raise not_found_exchange(exchange, "basic.publish")
        if x.internal:
            raise ChannelError(403, f"cannot publish to internal {x_res(exchange)}")
        props = properties if properties is not None else EMPTY_PROPERTIES
        ttl_ms = check_expiration(props.expiration)
        seq = 0
        if ch.confirm_mode:
            ch.publish_seq += 1
            seq = ch.publish_seq
        self.msg_ids += 1
        if isinstance(body, str):
            body = body.encode()
        rks = routing_keys_of(routing_key, props.headers)
        msg = Message(self.msg_ids, exchange, routing_key, body, props, now, rks,
                      rks if len(rks) == 1 else death_keys_of(routing_key, props.headers), logical_id)
        self.emit(now, K.PUBLISH, actor=ch.actor, msg=msg.id, exchange=exchange, routing_key=routing_key,
                  channel=ch.id, size=len(body), delivery_tag=seq or None)
        targets = self.topology.route(exchange, rks, props.headers)
        out = PublishOutcome(msg.id, seq, tuple(targets))
        if not targets:
            self.emit(now, K.UNROUTABLE, actor=ch.actor, msg=msg.id, exchange=exchange, routing_key=routing_key)
            if mandatory:
                out.returned = True
                self.emit(now, K.RETURN, actor=ch.actor, msg=msg.id, exchange=exchange,
                          routing_key=routing_key, reply_code=312, channel=ch.id)
                ch.on_return(Returned(312, "NO_ROUTE", exchange, routing_key, props, body, msg.id))
        else:
            self.emit(now, K.ROUTE, msg=msg.id, exchange=exchange, detail=",".join(targets))
            queues = self.queues
            for name in targets:
                if not queues[name].offer(now, msg, ttl_ms):
                    out.refused.append(name)
        if seq:
            out.confirm = "nack" if out.refused else "ack"
            self.emit(now, K.CONFIRM_NACK if out.refused else K.CONFIRM, actor=ch.actor, msg=msg.id,
                      delivery_tag=seq, channel=ch.id)
            ch.on_confirm(seq, not out.refused, False)
        return out

    def dead_letter_publish(self, now: float, source: Queue, e: Any, reason: str) -> None:
        s = source.settings
        dlx = s.dlx
        assert dlx is not None
        msg = deadletter.dead_lettered_message(e.msg, source.name, reason, dlx, s.dlrk,
                                               deadletter.timestamp(self.epoch, now))
        if dlx not in self.exchanges:
            self.emit(now, K.UNROUTABLE, msg=msg.id, exchange=dlx, detail="dead-letter: no such exchange")
            return
        targets = self.topology.route(dlx, msg.routing_keys, msg.properties.headers)
        targets, cycling = deadletter.drop_cycles(reason, msg, targets)
        if cycling:
            self.emit(now, K.UNROUTABLE, msg=msg.id, exchange=dlx, detail="dead-letter cycle: " + ",".join(cycling))
        if not targets:
            if not cycling:
                self.emit(now, K.UNROUTABLE, msg=msg.id, exchange=dlx, routing_key=msg.routing_key,
                          detail="dead-letter")
            return
        self.emit(now, K.ROUTE, msg=msg.id, exchange=dlx, routing_key=msg.routing_key, detail=",".join(targets))
        for name in targets:
            self.queues[name].offer(now, msg, None)

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
            q.apply_policy(now, topo.policy_for("queue", q.name, q.settings.qtype))
        for x in topo.exchanges.values():
            x.policy = topo.policy_for("exchange", x.name)

    # ================================================================ faults
    def set_alarm(self, now: float, active: bool, reason: str = "memory") -> None:
        if self.alarm == active:
            return
        self.alarm = active
        for conn in self.connections.values():
            conn.blocked = active
            conn.on_blocked(f"low on {reason}" if active else None)
        self.emit(now, K.BLOCKED if active else K.UNBLOCKED, actor="broker", detail=reason)

    def stop(self, now: float) -> None:
        """A node stop: connections forced closed (320); what is not durable is lost."""
        self._losing = True
        try:
            for conn in list(self.connections.values()):
                self.close_connection(now, conn, 320, "CONNECTION_FORCED - broker forced connection closure "
                                      "with reason 'shutdown'", by_broker=True)
            for q in list(self.queues.values()):
                if not q.durable:
                    self.delete_queue(now, q, reason="restart")
                elif not q.is_quorum:
                    kept = []
                    for e in q.store.clear():
                        if e.msg.persistent:
                            kept.append(e)
                        else:
                            self.emit(now, K.LOSS, msg=e.msg.id, copy=e.copy, queue=q.name, detail="restart")
                    q.ready_bytes = 0
                    for e in kept:
                        q.store.push(e)
                        q.ready_bytes += e.msg.size
            for x in [x for x in self.exchanges.values() if not x.durable]:
                if x.name in self.exchanges:
                    self._delete_exchange(now, x)
        finally:
            self._losing = False
        self.running = False
        self.timers.clear()

    def start(self, now: float) -> None:
        self.running = True
        for q in self.queues.values():
            q.armed_ttl = None
            q.touch(now)
            q._expire_head(now)


_MISSING = object()


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
