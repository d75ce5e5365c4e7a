"""exchange.declare/delete/bind/unbind and queue.bind/unbind (mixed into :class:`Broker`)."""

from __future__ import annotations

from ..trace.events import Bound, ExchangeDeclared, ExchangeDeleted, Unbound
from .channel import Channel
from .connection import command
from .core import BrokerCore
from .errors import ChannelError, ConnectionError_, not_found_exchange, not_found_queue, x_res
from .exchanges import TYPES, Binding, validate_x_match
from .topology import Exchange
from .validate import equivalence_error

DEFAULT_X = "operation not permitted on the default exchange"


class ExchangeMethods(BrokerCore):
    @command("exchange.declare")
    def exchange_declare(self, now: float, ch: Channel, exchange: str, exchange_type: str = "direct",
                         passive: bool = False, durable: bool = False, auto_delete: bool = False,
                         internal: bool = False, arguments: dict | None = None) -> None:
        arguments = dict(arguments or {})
        xs = self.exchanges
        if passive:
            if exchange == "":
                raise ChannelError(403, DEFAULT_X)
            if exchange not in xs:
                raise not_found_exchange(exchange, "exchange.declare")
            return
        if exchange_type not in TYPES:
            raise ConnectionError_(503, f"unknown exchange type '{exchange_type}'")
        if exchange == "":
            raise ChannelError(403, DEFAULT_X)
        x = xs.get(exchange)
        if x is None:
            if exchange.startswith("amq."):
                raise ChannelError(403, f"exchange name '{exchange}' contains reserved prefix 'amq.*'")
            x = Exchange(exchange, exchange_type, durable, auto_delete, internal, arguments)
            x.policy = self.topology.policy_for("exchange", exchange)
            self.topology.add_exchange(x)
            self.emit(ExchangeDeclared(now, ch.actor, exchange, exchange_type))
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
            raise ChannelError(403, DEFAULT_X)
        if exchange.startswith("amq."):
            raise ChannelError(403, f"deletion of system {x_res(exchange)} not allowed")
        x = self.exchanges.get(exchange)
        if x is None:
            return
        if if_unused and x.impl.bindings:
            raise ChannelError(406, f"{x_res(exchange)} in use")
        self._delete_exchange(now, x, ch.actor)

    def _delete_exchange(self, now: float, x: Exchange, actor: str | None = None) -> None:
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
                self._delete_exchange(now, x)

    def _bind(self, now: float, ch: Channel, b: Binding, unbind: bool, method: str) -> None:
        if b.source == "" or (b.destination_type == "exchange" and b.destination == ""):
            raise ChannelError(403, DEFAULT_X, method)
        x = self.exchanges.get(b.source)
        if b.destination_type == "queue":
            q = self.queues.get(b.destination)
            if q is not None:
                self._check_exclusive(q, ch, method)
            dest_exists = q is not None
        else:
            dest_exists = b.destination in self.exchanges
        if unbind:  # RabbitMQ 3.10: unbinding what does not exist is not an error
            if x is not None and self.topology.has_binding(b):
                self.emit(Unbound(now, ch.actor, b.source, b.destination, b.destination_type, b.routing_key))
                self._auto_delete_exchanges(now, self.topology.remove_binding(b))
            return
        if x is None:
            raise not_found_exchange(b.source, method)
        if not dest_exists:
            if b.destination_type == "queue":
                raise not_found_queue(b.destination, method)
            raise not_found_exchange(b.destination, method)
        if x.type == "headers":
            problem = validate_x_match(b.arguments)
            if problem:
                raise ChannelError(406, problem, method)
        if not self.topology.has_binding(b):
            self.topology.add_binding(b)
            self.emit(Bound(now, ch.actor, b.source, b.destination, b.destination_type, b.routing_key))

    @command("exchange.bind")
    def exchange_bind(self, now: float, ch: Channel, destination: str, source: str,
                      routing_key: str = "", arguments: dict | None = None) -> None:
        b = Binding.make(source, destination, "exchange", routing_key, arguments)
        self._bind(now, ch, b, False, "exchange.bind")

    @command("exchange.unbind")
    def exchange_unbind(self, now: float, ch: Channel, destination: str, source: str,
                        routing_key: str = "", arguments: dict | None = None) -> None:
        b = Binding.make(source, destination, "exchange", routing_key, arguments)
        self._bind(now, ch, b, True, "exchange.unbind")

    @command("queue.bind")
    def queue_bind(self, now: float, ch: Channel, queue: str, exchange: str,
                   routing_key: str | None = None, arguments: dict | None = None) -> None:
        queue, routing_key = self._bind_names(ch, queue, routing_key, "queue.bind")
        self._bind(now, ch, Binding.make(exchange, queue, "queue", routing_key, arguments), False, "queue.bind")

    @command("queue.unbind")
    def queue_unbind(self, now: float, ch: Channel, queue: str, exchange: str,
                     routing_key: str | None = None, arguments: dict | None = None) -> None:
        queue, routing_key = self._bind_names(ch, queue, routing_key, "queue.unbind")
        self._bind(now, ch, Binding.make(exchange, queue, "queue", routing_key, arguments), True, "queue.unbind")

    @staticmethod
    def _bind_names(ch: Channel, queue: str, routing_key: str | None, method: str) -> tuple[str, str]:
        """The queue "" means the channel's last declared queue (and then so does an empty key)."""
        if queue == "":
            if ch.last_queue is None:
                raise ChannelError(404, "no previously declared queue", method)
            queue = ch.last_queue
            if not routing_key:
                routing_key = queue
        return queue, routing_key if routing_key is not None else queue
