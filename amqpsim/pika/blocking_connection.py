"""``BlockingConnection`` over a simulated broker, with pika's blocking-adapter semantics.

Frames the broker sends (deliveries, returns, confirms, cancels, channel and
connection closes) wait in ``_incoming`` until the client does I/O: any call on
the connection or one of its channels processes them first. Consumer and timer
callbacks are dispatched only by ``process_data_events``, ``sleep``,
``start_consuming`` and ``consume`` (never while one is already being
dispatched), exactly as pika's BlockingConnection does.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..broker.errors import ConnectionError_
from . import exceptions, spec
from .blocking_channel import BlockingChannel
from .connection import ConnectionParameters, Parameters
from .io import ConnectionIO
from .world import Timer, World, world

LOGGER = logging.getLogger(__name__)
SERVER_CHANNEL_MAX = 2047
SERVER_FRAME_MAX = 131072
SERVER_HEARTBEAT = 60
#: the simulated broker's users and passwords: RabbitMQ's default user (add your own here)
USERS: dict[str, str] = {"guest": "guest"}


class _TimerEvt:
    __slots__ = ("callback", "timer")

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.timer: Timer | None = None

    def __call__(self) -> None:
        self.callback()


class BlockingConnection(ConnectionIO):
    """``pika.BlockingConnection(parameters)`` connected to the simulated broker at host:port."""

    def __init__(self, parameters: Parameters | Sequence[Parameters] | None = None,
                 _impl_class: Any = None) -> None:
        self._world: World = world()
        self._channels: dict[int, BlockingChannel] = {}
        self._incoming: deque[tuple] = deque()
        self._ready_events: deque[Callable[[], None]] = deque()
        self._pending_dispatch: dict[int, None] = {}  # channel numbers (negative: just wake up)
        self._dispatch_depth = 0
        self._closed = False
        self._close_error: BaseException | None = None
        self._deferred = None
        self._outbox: deque[Callable[[], None]] = deque()  # sends held while the broker blocks us
        self._blocked_timer: Timer | None = None
        self._blocked_callbacks: list[Callable] = []
        self._unblocked_callbacks: list[Callable] = []
        if parameters is None:
            parameters = ConnectionParameters()
        configs = [parameters] if isinstance(parameters, Parameters) else list(parameters)
        if not configs:
            raise ValueError(f"Expected a non-empty sequence of connection parameters, but got {configs!r}.")
        error: BaseException | None = None
        for params in configs:
            try:
                self._open(params)
                return
            except exceptions.AMQPConnectionError as exc:
                error = exc
        assert error is not None
        raise error

    # ---------------------------------------------------------------- opening
    def _open(self, params: Parameters) -> None:
        w = self._world
        broker = w.broker(params.host, params.port)
        node = w.node_for(params.host, params.port)
        for attempt in range(params.connection_attempts):
            w.fire_due()
            if broker.running and (node is None or broker.cluster.up(node)):
                break
            if attempt + 1 < params.connection_attempts:
                w.wait_until(lambda: False, w.now + params.retry_delay)
        else:
            raise exceptions.AMQPConnectionError(ConnectionRefusedError(111, "Connection refused"))
        actor = (params.client_properties or {}).get("connection_name")
        user = getattr(params.credentials, "username", None)
        try:
            conn = broker.connection_open(w.now, actor, node)
        except ConnectionError_ as exc:
            raise exceptions.AMQPConnectionError(ConnectionRefusedError(111, "Connection refused")) from exc
        if user:
            conn.user = user  # the authenticated user (checked below): a user_id property must name it
        self._broker, self._conn, self._params = broker, conn, params
        self._channel_max = min(params.channel_max or SERVER_CHANNEL_MAX, SERVER_CHANNEL_MAX)
        self._emit("S>C", spec.Connection.Start(), 0)
        self._emit("C>S", spec.Connection.StartOk(), 0)
        credentials = params.credentials
        if USERS.get(credentials.username) != credentials.password:  # RabbitMQ's answer to a bad login
            text = ("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. "
                    "For details see the broker logfile.")
            self._emit("S>C", spec.Connection.Close(403, text, 0, 0), 0)
            broker.close_connection(w.now, conn, 403, text, by_broker=True)
            self._closed = True
            raise exceptions.ProbableAuthenticationError(repr(exceptions.ConnectionClosedByBroker(403, text)))
        for direction, method in (("S>C", spec.Connection.Tune(SERVER_CHANNEL_MAX, SERVER_FRAME_MAX,
                                                               SERVER_HEARTBEAT)),
                                  ("C>S", spec.Connection.TuneOk(self._channel_max, SERVER_FRAME_MAX,
                                                                 SERVER_HEARTBEAT)),
                                  ("C>S", spec.Connection.Open(params.virtual_host))):
            self._emit(direction, method, 0)
        if params.virtual_host != "/":  # the simulated broker has the one vhost "/"
            text = f"NOT_ALLOWED - vhost {params.virtual_host} not found"
            self._emit("S>C", spec.Connection.Close(530, text, 10, 40), 0)
            self._emit("C>S", spec.Connection.CloseOk(), 0)
            broker.close_connection(w.now, conn, 530, text, by_broker=True)
            self._closed = True
            raise exceptions.ProbableAccessDeniedError(repr(exceptions.ConnectionClosedByBroker(530, text)))
        self._emit("S>C", spec.Connection.OpenOk(), 0)
        conn.on_close = self._on_broker_close
        conn.on_blocked = self._on_broker_blocked

    def __repr__(self) -> str:
        state = "CLOSED" if self._closed else "OPEN"
        return f"<{self.__class__.__name__} {self._conn.name} {state} params={self._params!r}>"

    def __enter__(self) -> BlockingConnection:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self.is_open:
            self.close()

    @contextlib.contextmanager
    def _acquire_event_dispatch(self) -> Iterator[bool]:
        self._dispatch_depth += 1
        try:
            yield self._dispatch_depth == 1
        finally:
            self._dispatch_depth -= 1

    def _request_channel_dispatch(self, channel_number: int) -> None:
        self._pending_dispatch[channel_number] = None

    def _process_data_events(self, time_limit: float | None) -> str:
        """process_data_events; returns 'ready', 'timeout' or 'idle' (never raises SimulationIdle)."""
        self._check_open()
        with self._acquire_event_dispatch() as acquired:
            def terminator() -> bool:
                return bool(acquired and (self._pending_dispatch or self._ready_events))

            deadline = None if time_limit is None else self._world.now + time_limit
            outcome = self._wait_io(terminator, deadline)
        busy = bool(self._ready_events or self._pending_dispatch)
        if self._ready_events:
            self._dispatch_connection_events()
        if self._pending_dispatch:
            self._dispatch_channel_events()
        if time_limit == 0 and not busy:
            self._world.empty_poll()
        elif busy:
            self._world.empty_polls = 0
        return outcome

    def _dispatch_connection_events(self) -> None:
        with self._acquire_event_dispatch() as acquired:
            if not acquired:
                return
            for _ in range(len(self._ready_events)):
                if not self._ready_events:
                    break
                self._ready_events.popleft()()

    def _dispatch_channel_events(self) -> None:
        with self._acquire_event_dispatch() as acquired:
            if not acquired:
                return
            candidates = list(self._pending_dispatch)
            self._pending_dispatch.clear()
            for number in candidates:
                ch = self._channels.get(number)
                if number > 0 and ch is not None and ch.is_open:
                    ch._dispatch_events()

    def process_data_events(self, time_limit: float | None = 0) -> None:
        """Process frames and dispatch callbacks, letting simulated time pass up to ``time_limit``
        seconds (``None``: until something is dispatched). With ``None`` and nothing that could
        ever happen, raises :class:`~amqpsim.pika.exceptions.SimulationIdle` instead of hanging."""
        if self._process_data_events(time_limit) == "idle":
            raise exceptions.SimulationIdle(
                f"process_data_events(time_limit=None) at t={self._world.now:g}: nothing to dispatch and "
                "nothing scheduled, it would block forever (is the other side running? see "
                "amqpsim.pika.run_concurrently)")

    def sleep(self, duration: float) -> None:
        """Let ``duration`` simulated seconds pass, dispatching callbacks meanwhile (as pika)."""
        assert duration >= 0, duration
        deadline = self._world.now + duration
        time_limit = duration
        while True:
            self._process_data_events(time_limit)
            time_limit = deadline - self._world.now
            if time_limit <= 0:
                break

    # ---------------------------------------------------------------- timers and callbacks
    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback()`` after ``delay`` simulated seconds (dispatched like other callbacks)."""
        if not callable(callback):
            raise TypeError(f"callback callback must be callable, but got {callback!r}")
        evt = _TimerEvt(callback)
        evt.timer = self._world.call_later(delay, functools.partial(self._ready_events.append, evt), owner=self)
        return evt.timer

    def add_callback_threadsafe(self, callback: Callable[[], None]) -> None:
        if self.is_closed:
            raise exceptions.ConnectionWrongStateError(
                "BlockingConnection.add_callback_threadsafe() called on closed or closing connection.")
        self.call_later(0, callback)

    def remove_timeout(self, timeout_id: Timer) -> None:
        timeout_id.cancelled = True
        for evt in list(self._ready_events):
            if isinstance(evt, _TimerEvt) and evt.timer is timeout_id:
                self._ready_events.remove(evt)

    def add_on_connection_blocked_callback(self, callback: Callable[[Any, Any], None]) -> None:
        self._blocked_callbacks.append(callback)

    def add_on_connection_unblocked_callback(self, callback: Callable[[Any, Any], None]) -> None:
        self._unblocked_callbacks.append(callback)

    def update_secret(self, new_secret: str, reason: str) -> None:
        self._check_open()
        self._process_io()

    # ---------------------------------------------------------------- channels and closing
    def channel(self, channel_number: int | None = None) -> BlockingChannel:
        if self._closed:
            raise exceptions.ConnectionWrongStateError(
                f"Channel allocation requires an open connection: {self!r}")
        if not channel_number:
            if len(self._channels) >= self._channel_max:
                raise exceptions.NoFreeChannels()
            channel_number = next(n for n in range(1, len(self._channels) + 2) if n not in self._channels)
        ch = BlockingChannel(self, channel_number)
        self._channels[channel_number] = ch
        ch._open()
        return ch

    def close(self, reply_code: int = 200, reply_text: str = "Normal shutdown") -> None:
        if not self.is_open:
            raise exceptions.ConnectionWrongStateError(
                f"{self.__class__.__name__}.close({reply_code}, {reply_text!r}) called on closed connection.")
        for ch in list(self._channels.values()):
            if ch.is_open:
                try:
                    ch.close(reply_code, reply_text)
                except exceptions.ChannelClosed as exc:
                    LOGGER.warning("Got ChannelClosed while closing channel from connection.close: %r", exc)
        self._wait_outbox()
        self._process_io()
        self._emit("C>S", spec.Connection.Close(reply_code, reply_text, 0, 0), 0)
        self._broker.close_connection(self._world.now, self._conn, reply_code, reply_text)
        self._emit("S>C", spec.Connection.CloseOk(), 0)
        self._terminate(None)

    @property
    def is_closed(self) -> bool:
        return self._closed

    @property
    def is_open(self) -> bool:
        return not self._closed

    @property
    def basic_nack_supported(self) -> bool:
        return True

    @property
    def consumer_cancel_notify_supported(self) -> bool:
        return True

    @property
    def exchange_exchange_bindings_supported(self) -> bool:
        return True

    @property
    def publisher_confirms_supported(self) -> bool:
        return True

    basic_nack = basic_nack_supported
    consumer_cancel_notify = consumer_cancel_notify_supported
    exchange_exchange_bindings = exchange_exchange_bindings_supported
    publisher_confirms = publisher_confirms_supported
