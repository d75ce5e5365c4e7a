"""A client connection: its channels, and whether the broker blocks it.

Closing a connection (:meth:`.Broker.close_connection`) closes its channels, then the
vhost deletes the exclusive queues it owned.
"""

from __future__ import annotations

from collections.abc import Callable

from ..trace.events import ChannelOpened
from .channel import Channel, ChannelHost
from .errors import ConnectionError_

__all__ = ["Connection"]


class Connection:
    """A client connection. Owns its channels (by number), whether it is open and
    whether the broker has blocked it (resource alarm), and the client callbacks
    ``on_close`` and ``on_blocked`` (by default they append to ``connection.inbox``).
    Exclusive queues name it as their owner (``Queue.exclusive_owner``).

    ``user`` is the authenticated user's name (what a ``user_id`` property must say).
    """

    user = "guest"
    #: in a cluster, the node it is connected to (None: a single node)
    node: str | None = None

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
