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

from ..trace.events import ChannelOpened, ConnectionClosed, ConnectionOpened, ProtocolError
from .channel import Channel, ChannelHost
from .core import BrokerCore
from .errors import METHOD_IDS, AMQPError, ConnectionError_

F = TypeVar("F", bound=Callable[..., Any])


class Connection:
    """A client connection. Owns its channels (by number), whether it is open and
    whether the broker has blocked it (resource alarm), and the client callbacks
    ``on_close`` and ``on_blocked`` (by default they append to ``connection.inbox``).
    Exclusive queues name it as their owner (``Queue.exclusive_owner``)."""

    def __init__(self, host: ChannelHost, name: str, actor: str) -> None:
        self.host = host
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

    def open_channel(self, now: float, number: int | None = None) -> Channel:
        """channel.open (``number`` None: the next free one); a number in use is a 504
        (a connection error: the caller closes the connection)."""
        if number is None:
            self.next_channel += 1
            number = self.next_channel
        if number in self.channels:
            raise ConnectionError_(504, f"second 'channel.open' seen on channel {number}", "channel.open")
        ch = Channel(self.host, self, number, now)
        self.channels[number] = ch
        self.host.emit(ChannelOpened(now, self.actor, ch.id))
        return ch

    def forget(self, ch: Channel) -> None:
        """``ch`` is closed."""
        self.channels.pop(ch.number, None)

    def close_channels(self, now: float, code: int, text: str) -> bool:
        """The connection closes: every channel closes with it. False if it was closed already."""
        if not self.is_open:
            return False
        self.is_open = False
        for ch in list(self.channels.values()):
            ch.close(now, code, text)
        return True

    def block(self, reason: str) -> None:
        """connection.blocked (sent once, until :meth:`unblock`)."""
        if not self.blocked:
            self.blocked = True
            self.on_blocked(reason)

    def unblock(self) -> None:
        """connection.unblocked, if it was blocked."""
        if self.blocked:
            self.blocked = False
            self.on_blocked(None)


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
        try:
            return conn.open_channel(now, number)
        except ConnectionError_ as err:
            self.close_connection(now, conn, err.reply_code, err.reply_text, by_broker=True)
            raise

    def channel_close(self, now: float, ch: Channel) -> None:
        """Client-initiated channel.close."""
        ch.close(now, 200, "Normal shutdown")

    def close_channel_by_broker(self, now: float, ch: Channel, err: AMQPError) -> None:
        ch.close_by_broker(now, err)

    def close_connection(self, now: float, conn: Connection, code: int = 200,
                         text: str = "Normal shutdown", by_broker: bool = False) -> None:
        if not conn.close_channels(now, code, text):
            return
        self.vhost.delete_exclusive(now, conn)
        self.connections.pop(conn.name, None)
        self.emit(ConnectionClosed(now, conn.actor, conn.name, code, text, by_broker))
        if by_broker:
            conn.on_close(code, text)
