"""Connections and channels: opening, closing, and how AMQP errors close them.

:func:`command` wraps every channel method of the broker: an :class:`AMQPError`
raised inside closes the channel (soft error) or the whole connection (hard
error) exactly as RabbitMQ does (:meth:`ConnectionMethods.command_failed`), then
propagates to the caller. The two commands of every message, ``basic.publish`` and
``basic.ack``, do the same in their own body instead (the generic wrapper's argument
passing is a noticeable part of their cost).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from ..trace.events import (
    ChannelClosed,
    ChannelOpened,
    ConnectionClosed,
    ConnectionOpened,
    ConsumerCancelled,
    ProtocolError,
)
from .consumer import Channel
from .core import BrokerCore
from .errors import METHOD_IDS, AMQPError, ConnectionError_

F = TypeVar("F", bound=Callable[..., Any])


class Connection:
    """A client connection: its channels; the owner of its exclusive queues."""

    def __init__(self, broker: BrokerCore, name: str, actor: str) -> None:
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


def command(method: str) -> Callable[[F], F]:
    """Run a channel command; on an AMQP error close the channel (or connection) first."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(self: BrokerCore, now: float, ch: Channel, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, now, ch, *args, **kwargs)
            except AMQPError as err:
                self.command_failed(now, ch, err, method)
                raise

        return run  # type: ignore[return-value]

    return wrap


class ConnectionMethods(BrokerCore):
    """connection.open/close and channel.open/close (mixed into :class:`Broker`)."""

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
            self.close_channel_by_broker(now, ch, err)

    def connection_open(self, now: float, actor: str | None = None) -> Connection:
        if not self.running:
            raise ConnectionError_(320, "broker not running")
        self._conn_seq += 1
        name = f"conn-{self._conn_seq}"
        conn = Connection(self, name, actor or name)
        self.connections[name] = conn
        self.emit(ConnectionOpened(now, conn.actor, name))
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
        ch.opened_at = now
        conn.channels[number] = ch
        self.emit(ChannelOpened(now, conn.actor, ch.id))
        return ch

    def channel_close(self, now: float, ch: Channel) -> None:
        """Client-initiated channel.close."""
        self._teardown_channel(now, ch, 200, "Normal shutdown")

    def close_channel_by_broker(self, now: float, ch: Channel, err: AMQPError) -> None:
        if ch.is_open:
            self._teardown_channel(now, ch, err.reply_code, err.reply_text)
            ch.on_close(err.reply_code, err.reply_text)

    def _teardown_channel(self, now: float, ch: Channel, code: int, text: str) -> None:
        """Cancel the channel's consumers, requeue its unacked messages, forget it;
        ``code`` and ``text`` are the close's (200 for a normal close).

        As in RabbitMQ the queues first learn that the channel is gone (its consumers
        leave, its deliveries return to their original positions) and only then
        dispatch again to the remaining consumers, or auto-delete.
        """
        if not ch.is_open:
            return
        ch.is_open = False
        ch.connection.channels.pop(ch.number, None)
        queues = []
        for c in list(ch.consumers.values()):
            ch.consumers.pop(c.tag, None)
            self.emit(ConsumerCancelled(now, ch.actor, ch.id, c.queue.name, c.tag, "channel"))
            if c in c.queue.consumers:
                c.queue.detach_consumer(c)
                queues.append(c.queue)
        ch.requeue_all(now, "channel_closed", dispatch=False)
        for q in dict.fromkeys(queues):
            if not q.deleted:
                q.consumers_changed(now)
        self.emit(ChannelClosed(now, ch.actor, ch.id, code, text))

    def close_connection(self, now: float, conn: Connection, code: int = 200,
                         text: str = "Normal shutdown", by_broker: bool = False) -> None:
        if not conn.is_open:
            return
        conn.is_open = False
        for ch in list(conn.channels.values()):
            self._teardown_channel(now, ch, code, text)
        for q in [q for q in self.queues.values() if q.exclusive_owner is conn]:
            self.delete_queue(now, q, reason="exclusive")
        self.connections.pop(conn.name, None)
        self.emit(ConnectionClosed(now, conn.actor, conn.name, code, text, by_broker))
        if by_broker:
            conn.on_close(code, text)
