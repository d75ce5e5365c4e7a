"""The wire of a simulated connection: frames in, ``Frame`` events out, waiting.

Frames the broker sends wait in ``_incoming`` until the client does I/O
(:meth:`ConnectionIO._process_io`), which every call on the connection or its
channels does first. Every AMQP method frame is also written to the broker's
event log as a :class:`~amqpsim.trace.events.Frame` (see the package docstring
for the convention).
"""

from __future__ import annotations

import contextlib
import functools
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..trace.events import Frame
from . import exceptions, frame, spec
from .wire import method_name, reply_text

if TYPE_CHECKING:
    from .blocking_channel import BlockingChannel
    from .world import Timer, World

#: method attribute -> Frame field, copied from the method when present (``fields`` given
#: to :meth:`ConnectionIO._emit` take precedence)
_FRAME_FIELDS = (("queue", "queue"), ("exchange", "exchange"), ("source", "exchange"),
                 ("routing_key", "routing_key"), ("consumer_tag", "consumer"), ("delivery_tag", "delivery_tag"),
                 ("reply_code", "reply_code"))


class ConnectionIO:
    """Frame handling, ``Frame`` events, blocked-connection handling and waiting for a connection."""

    _world: World
    _broker: Any
    _conn: Any
    _params: Any
    _channels: dict[int, BlockingChannel]
    _incoming: deque[tuple]
    _ready_events: deque[Callable[[], None]]
    _pending_dispatch: dict[int, None]
    _closed: bool
    _close_error: BaseException | None
    _deferred: list[Frame] | None
    _outbox: deque[Callable[[], None]]
    _blocked_timer: Timer | None
    _blocked_callbacks: list[Callable]
    _unblocked_callbacks: list[Callable]

    # ---------------------------------------------------------------- the trace
    def _emit(self, direction: str, method: Any, number: int, defer: bool = True, **fields: Any) -> None:
        """A ``Frame`` on channel ``number`` (0: the connection); ``direction`` is C>S or S>C;
        ``fields`` (exchange, queue, routing_key, consumer, delivery_tag, reply_code) add to
        what the method itself carries. Inside :meth:`_defer_frames` an S>C frame is held."""
        values: dict[str, Any] = dict.fromkeys(field for _, field in _FRAME_FIELDS)
        for attr, field in _FRAME_FIELDS:
            value = method.__dict__.get(attr)
            if value is not None:
                values[field] = value
        values.update(fields)
        event = Frame(self._world.now, self._conn.actor, f"{self._conn.name}/ch-{number}", direction,
                      method_name(method), **values)
        if direction == "S>C" and defer and self._deferred is not None:
            self._deferred.append(event)
        else:
            self._broker.emit(event)

    @contextlib.contextmanager
    def _defer_frames(self) -> Iterator[None]:
        """Hold the S>C frames of a synchronous call so that its -Ok is logged first."""
        outer, self._deferred = self._deferred, []
        try:
            yield
        finally:
            held, self._deferred = self._deferred, outer
            for event in held:
                self._broker.emit(event)

    # ---------------------------------------------------------------- frames from the broker
    def _receive(self, *frame_: Any) -> None:
        self._incoming.append(frame_)

    def _on_broker_close(self, code: int, text: str) -> None:
        if code == 0:  # no connection.close: the node died (a cluster's node_crash)
            self._receive("conn_lost", 0)
            return
        text = reply_text(text)
        self._emit("S>C", spec.Connection.Close(code, text, 0, 0), 0)
        self._receive("conn_close", 0, code, text)

    def _on_broker_blocked(self, reason: str | None) -> None:
        if reason is None:
            self._emit("S>C", spec.Connection.Unblocked(), 0)
            self._receive("unblocked", 0)
            self._world.soon.append(self._flush_outbox)
        else:
            self._emit("S>C", spec.Connection.Blocked(reason), 0)
            self._receive("blocked", 0, reason)

    def _process_io(self) -> None:
        """Fire due timers and handle every frame that has arrived; raise a connection close once."""
        self._world.fire_due()
        while self._incoming:
            kind, number, *args = self._incoming.popleft()
            if kind == "conn_close":
                self._emit("C>S", spec.Connection.CloseOk(), 0)
                self._terminate(exceptions.ConnectionClosedByBroker(*args))
            elif kind == "conn_lost":
                self._terminate(exceptions.StreamLostError(
                    "Stream connection lost: ConnectionResetError(104, 'Connection reset by peer')"))
            elif kind == "blocked":
                self._on_blocked_frame(*args)
            elif kind == "unblocked":
                self._on_unblocked_frame()
            elif number in self._channels:
                self._channels[number]._on_frame(kind, *args)
        if self._close_error is not None:
            error, self._close_error = self._close_error, None
            raise error

    def _terminate(self, error: BaseException | None) -> None:
        if self._closed:
            return
        self._closed = True
        self._close_error = error
        for ch in list(self._channels.values()):
            ch._on_close_meta(error)
        self._channels.clear()
        self._outbox.clear()
        self._ready_events.clear()
        self._pending_dispatch.clear()
        self._world.cancel_timers(self)

    # ---------------------------------------------------------------- blocked connection
    def _on_blocked_frame(self, reason: str) -> None:
        method_frame = frame.Method(0, spec.Connection.Blocked(reason))
        self._ready_events.extend(functools.partial(cb, self, method_frame) for cb in self._blocked_callbacks)
        timeout = self._params.blocked_connection_timeout
        if timeout is not None and self._blocked_timer is None:
            self._blocked_timer = self._world.call_later(timeout, self._on_blocked_timeout, owner=self)

    def _on_unblocked_frame(self) -> None:
        method_frame = frame.Method(0, spec.Connection.Unblocked())
        self._ready_events.extend(functools.partial(cb, self, method_frame) for cb in self._unblocked_callbacks)
        if self._blocked_timer is not None:
            self._blocked_timer.cancelled = True
            self._blocked_timer = None

    def _on_blocked_timeout(self) -> None:
        """pika tears the TCP connection down; the broker sees the client vanish."""
        self._blocked_timer = None
        self._broker.close_connection(self._world.now, self._conn, 0,
                                      "client closed TCP connection (blocked_connection_timeout)")
        self._terminate(exceptions.ConnectionBlockedTimeout("Blocked connection timeout expired."))

    def _flush_outbox(self) -> None:
        while self._outbox and not self._closed and not self._conn.blocked:
            self._outbox.popleft()()

    def _wait_outbox(self) -> None:
        """A synchronous request queues behind held publishes: wait until the broker reads them."""
        while self._outbox:
            if self._wait_io(lambda: not self._outbox, None) == "idle":
                raise exceptions.SimulationIdle(
                    f"t={self._world.now:g}: the broker blocks this connection (resource alarm) and nothing "
                    "is scheduled that could unblock it")

    # ---------------------------------------------------------------- waiting
    def _check_open(self) -> None:
        if self._closed:
            raise exceptions.ConnectionWrongStateError()

    def _wait_io(self, predicate: Callable[[], bool], deadline: float | None) -> str:
        """Process I/O until ``predicate()``, the deadline ('timeout') or nothing can happen ('idle')."""
        while True:
            self._process_io()
            if predicate():
                return "ready"
            if deadline is not None and self._world.now >= deadline:
                return "timeout"
            outcome = self._world.wait_until(
                lambda: bool(self._incoming) or self._close_error is not None or predicate(), deadline)
            if outcome == "idle":
                self._process_io()
                return "ready" if predicate() else "idle"
