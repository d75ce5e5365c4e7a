"""What producers and consumers share: a connection with one channel, and recovery.

A client opens a connection (actor = its instance name, e.g. ``worker#1``) and one
channel, declares the topology (:mod:`.topology`), then does its work. When the
broker closes the connection (a restart) the client retries every
``reconnect_interval`` seconds until the broker accepts it again; after a
``connection_loss`` fault it reconnects when the outage ends; a crashed consumer
restarts after its ``downtime``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..broker.errors import AMQPError, ConnectionError_

if TYPE_CHECKING:
    from ..broker import Channel, Connection
    from .engine import Simulation

#: reply code recorded when a TCP connection dies without a connection.close
NO_CLOSE_FRAME = 0


class Client:
    """Base class: ``connect``, ``on_connected`` (override), loss handling hooks."""

    def __init__(self, sim: Simulation, name: str) -> None:
        self.sim = sim
        self.name = name
        self.conn: Connection | None = None
        self.ch: Channel | None = None
        self.up = False  # the client believes it is connected
        self.stopped = False  # down for good (a crash without restart)
        self.failed = False  # could not set up (e.g. 405 on an exclusive queue): gives up
        self.gen = 0  # connection generation; callbacks of older ones are ignored
        self.reconnecting = False
        self.owns: list[str] = []
        #: in a cluster: the nodes to connect to, tried in order at every (re)connect
        self.nodes: tuple[str | None, ...] = (None,)
        self.start = 0.0  # it does not connect before this simulated second

    def connect_at_start(self) -> None:
        self.connect(self.sim.env.now)

    # ------------------------------------------------------------------ connecting
    def connect(self, now: float) -> bool:
        """Open connection + channel, declare, start working; False if the broker refused."""
        if self.up or self.stopped or self.failed or now < self.start:
            return self.up
        b = self.sim.broker
        conn = None
        for node in self.nodes:  # a client given several nodes tries them in order
            try:
                conn = b.connection_open(now, self.name, node)
                break
            except ConnectionError_:
                continue
        if conn is None:
            self.retry_later()
            return False
        self.conn = conn
        self.gen += 1
        gen = self.gen
        conn.on_close = lambda code, text: self._closed_by_broker(gen, code, text)
        conn.on_blocked = lambda reason: self.on_blocked(gen, reason)
        try:
            self.setting_up = True
            self.open_channel(now)
        except AMQPError as err:
            if conn.is_open:
                b.close_connection(now, conn)
            if self.transient(err):
                self.retry_later()  # e.g. a queue whose node is down: try again later
            else:
                self.failed = True
            return False
        finally:
            self.setting_up = False
        self.up = True
        self.on_connected(now)
        return True

    def open_channel(self, now: float) -> None:
        """A fresh channel on the current connection, topology declared."""
        assert self.conn is not None
        ch = self.sim.broker.channel_open(now, self.conn)
        self.ch = ch
        gen = self.gen
        ch.on_close = lambda code, text: self._channel_closed(gen, ch, code, text)
        self.sim.declare(now, ch, self)
        self.setup_channel(now, ch)

    def setup_channel(self, now: float, ch: Channel) -> None:
        """Override: basic.qos / basic.consume / confirm.select on a new channel."""

    def on_connected(self, now: float) -> None:
        """Override: the connection is up (again)."""

    def retry_later(self, delay: float | None = None) -> None:
        if self.reconnecting or self.stopped:
            return
        self.reconnecting = True

        def attempt() -> None:
            self.reconnecting = False
            self.connect(self.sim.env.now)

        self.sim.call_later(self.sim.config.reconnect_interval if delay is None else delay, attempt)

    # ------------------------------------------------------------------ losing it
    def _closed_by_broker(self, gen: int, code: int, text: str) -> None:
        if gen != self.gen:
            return
        now = self.sim.env.now
        self.up = False
        self.gen += 1
        self.connection_gone(now, crashed=False, why="connection_closed")
        self.retry_later()

    def _channel_closed(self, gen: int, ch: Channel, code: int, text: str) -> None:
        """The broker closed our channel (an error, the consumer ack timeout)."""
        if gen != self.gen or ch is not self.ch or self.setting_up:
            return
        now = self.sim.env.now
        self.channel_gone(now, why="channel_closed")
        if self.conn is not None and self.conn.is_open:
            try:
                self.setting_up = True
                self.open_channel(now)
            except AMQPError as err:
                if self.transient(err):
                    self.up = False
                    self.gen += 1
                    if self.conn is not None and self.conn.is_open:
                        self.sim.broker.close_connection(now, self.conn)
                    self.retry_later()
                else:
                    self.failed = True
            finally:
                self.setting_up = False

    setting_up = False

    def transient(self, err: AMQPError) -> bool:
        """Whether a set-up error may pass: in a cluster, a 404 (a queue whose node is down
        or cut off) is retried every ``reconnect_interval``; every other error is final."""
        return self.sim.broker.cluster is not None and err.reply_code == 404

    def cancelled(self, tag: str) -> None:
        """basic.cancel from the broker (in a cluster: the queue's node went): as a careful
        pika worker does, close the connection and start over (redeclare, consume again)."""
        conn = self.conn

        def start_over() -> None:
            if conn is not self.conn or conn is None or not conn.is_open:
                return
            now = self.sim.env.now
            self.up = False
            self.gen += 1
            self.connection_gone(now, crashed=False, why="connection_closed")
            self.sim.broker.close_connection(now, conn)
            self.retry_later()

        self.sim.call_later(0.0, start_over)  # not inside the broker's own reaction

    def drop_connection(self, now: float, text: str) -> None:
        """The TCP connection dies (crash / network): the broker notices at once."""
        conn = self.conn
        self.gen += 1
        if conn is not None and conn.is_open:
            self.sim.broker.close_connection(now, conn, NO_CLOSE_FRAME, text)

    def connection_gone(self, now: float, crashed: bool, why: str) -> None:
        """Override: forget per-connection state (``why`` as in :meth:`channel_gone`)."""
        self.channel_gone(now, why)

    def channel_gone(self, now: float, why: str) -> None:
        """Override: forget per-channel state. ``why`` (the reason of what a consumer
        loses with it, ``Lost.reason``): ``connection_closed`` (by the broker, e.g. a
        restart), ``channel_closed`` (by the broker, e.g. an error) or
        ``connection_lost`` (a network outage)."""

    def on_blocked(self, gen: int, reason: str | None) -> None:
        """Override: connection.blocked (reason) / connection.unblocked (None)."""

    def publish_held(self, now: float) -> bool:
        """Whether a publish now has to wait: during an alarm the broker stops reading a
        connection that publishes (it becomes blocked until the alarm clears)."""
        conn = self.conn
        return conn is not None and not self.sim.broker.reads_publish(now, conn)
