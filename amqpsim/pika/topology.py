"""Exchanges, queues and bindings of a BlockingChannel (synchronous methods returning frames).

Each method returns a ``frame.Method`` whose ``.method`` is pika's ``-Ok`` method,
e.g. ``channel.queue_declare('').method.queue``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import frame, spec, wire
from .exchange_type import ExchangeType


def require_string(value: Any, name: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str or unicode str, but got {value!r}")


class TopologyMixin:
    """exchange_* / queue_* / tx_* of :class:`~amqpsim.pika.blocking_channel.BlockingChannel`."""

    _broker: Any
    _world: Any
    _bch: Any

    if TYPE_CHECKING:  # provided by BlockingChannel
        def _call(self, method: Any, action: Callable[[], Any], reply: Callable[[Any], Any] | None = None,
                  opening: bool = False, **fields: Any) -> Any: ...

        def _frame(self, method: Any) -> frame.Method: ...

    # ---------------------------------------------------------------- exchanges
    def exchange_declare(self, exchange: str, exchange_type: ExchangeType | str = ExchangeType.direct,
                         passive: bool = False, durable: bool = False, auto_delete: bool = False,
                         internal: bool = False, arguments: dict | None = None) -> frame.Method:
        arguments = wire.encode(arguments)
        require_string(exchange, "exchange")
        etype = exchange_type.value if isinstance(exchange_type, ExchangeType) else exchange_type
        self._call(spec.Exchange.Declare(exchange=exchange, type=etype, passive=passive, durable=durable,
                                         auto_delete=auto_delete, internal=internal, arguments=arguments),
                   lambda: self._broker.exchange_declare(self._world.now, self._bch, exchange, etype, passive,
                                                         durable, auto_delete, internal, arguments),
                   lambda _: spec.Exchange.DeclareOk())
        return self._frame(spec.Exchange.DeclareOk())

    def exchange_delete(self, exchange: str | None = None, if_unused: bool = False) -> frame.Method:
        name = exchange or ""
        self._call(spec.Exchange.Delete(exchange=name, if_unused=if_unused),
                   lambda: self._broker.exchange_delete(self._world.now, self._bch, name, if_unused),
                   lambda _: spec.Exchange.DeleteOk())
        return self._frame(spec.Exchange.DeleteOk())

    def exchange_bind(self, destination: str, source: str, routing_key: str = "",
                      arguments: dict | None = None) -> frame.Method:
        arguments = wire.encode(arguments)
        require_string(destination, "destination")
        require_string(source, "source")
        self._call(spec.Exchange.Bind(destination=destination, source=source, routing_key=routing_key,
                                      arguments=arguments),
                   lambda: self._broker.exchange_bind(self._world.now, self._bch, destination, source,
                                                      routing_key, arguments),
                   lambda _: spec.Exchange.BindOk())
        return self._frame(spec.Exchange.BindOk())

    def exchange_unbind(self, destination: str | None = None, source: str | None = None,
                        routing_key: str = "", arguments: dict | None = None) -> frame.Method:
        arguments = wire.encode(arguments)
        dest, src = destination or "", source or ""
        self._call(spec.Exchange.Unbind(destination=dest, source=src, routing_key=routing_key,
                                        arguments=arguments),
                   lambda: self._broker.exchange_unbind(self._world.now, self._bch, dest, src, routing_key,
                                                        arguments),
                   lambda _: spec.Exchange.UnbindOk())
        return self._frame(spec.Exchange.UnbindOk())

    # ---------------------------------------------------------------- queues
    def queue_declare(self, queue: str, passive: bool = False, durable: bool = False, exclusive: bool = False,
                      auto_delete: bool = False, arguments: dict | None = None) -> frame.Method:
        """Returns a frame whose ``.method`` is ``spec.Queue.DeclareOk(queue, message_count, consumer_count)``."""
        arguments = wire.encode(arguments)
        require_string(queue, "queue")
        name, messages, consumers = self._call(
            spec.Queue.Declare(queue=queue, passive=passive, durable=durable, exclusive=exclusive,
                               auto_delete=auto_delete, arguments=arguments),
            lambda: self._broker.queue_declare(self._world.now, self._bch, queue, passive, durable, exclusive,
                                               auto_delete, arguments),
            lambda r: spec.Queue.DeclareOk(*r))
        return self._frame(spec.Queue.DeclareOk(name, messages, consumers))

    def queue_delete(self, queue: str, if_unused: bool = False, if_empty: bool = False) -> frame.Method:
        count = self._call(spec.Queue.Delete(queue=queue, if_unused=if_unused, if_empty=if_empty),
                           lambda: self._broker.queue_delete(self._world.now, self._bch, queue, if_unused,
                                                             if_empty),
                           lambda n: spec.Queue.DeleteOk(n))
        return self._frame(spec.Queue.DeleteOk(count))

    def queue_purge(self, queue: str) -> frame.Method:
        count = self._call(spec.Queue.Purge(queue=queue),
                           lambda: self._broker.queue_purge(self._world.now, self._bch, queue),
                           lambda n: spec.Queue.PurgeOk(n))
        return self._frame(spec.Queue.PurgeOk(count))

    def queue_bind(self, queue: str, exchange: str, routing_key: str | None = None,
                   arguments: dict | None = None) -> frame.Method:
        arguments = wire.encode(arguments)
        require_string(queue, "queue")
        require_string(exchange, "exchange")
        key = queue if routing_key is None else routing_key
        self._call(spec.Queue.Bind(queue=queue, exchange=exchange, routing_key=key, arguments=arguments),
                   lambda: self._broker.queue_bind(self._world.now, self._bch, queue, exchange, key, arguments),
                   lambda _: spec.Queue.BindOk())
        return self._frame(spec.Queue.BindOk())

    def queue_unbind(self, queue: str, exchange: str, routing_key: str | None = None,
                     arguments: dict | None = None) -> frame.Method:
        arguments = wire.encode(arguments)
        key = queue if routing_key is None else routing_key
        self._call(spec.Queue.Unbind(queue=queue, exchange=exchange, routing_key=key, arguments=arguments),
                   lambda: self._broker.queue_unbind(self._world.now, self._bch, queue, exchange, key,
                                                     arguments),
                   lambda _: spec.Queue.UnbindOk())
        return self._frame(spec.Queue.UnbindOk())

    # ---------------------------------------------------------------- transactions
    def tx_select(self) -> frame.Method:
        """Make the channel transactional: publishes and acks wait for ``tx_commit``."""
        self._call(spec.Tx.Select(), lambda: self._broker.tx_select(self._world.now, self._bch),
                   lambda _: spec.Tx.SelectOk())
        return self._frame(spec.Tx.SelectOk())

    def tx_commit(self) -> frame.Method:
        self._call(spec.Tx.Commit(), lambda: self._broker.tx_commit(self._world.now, self._bch),
                   lambda _: spec.Tx.CommitOk())
        return self._frame(spec.Tx.CommitOk())

    def tx_rollback(self) -> frame.Method:
        self._call(spec.Tx.Rollback(), lambda: self._broker.tx_rollback(self._world.now, self._bch),
                   lambda _: spec.Tx.RollbackOk())
        return self._frame(spec.Tx.RollbackOk())
