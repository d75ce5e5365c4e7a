"""``BlockingChannel``: pika's channel API on a simulated broker channel.

Every call first processes the frames that have arrived (so a ``Channel.Close``
the broker sent after an earlier asynchronous call surfaces here as
``ChannelClosedByBroker``), then sends its method. Synchronous methods (declare,
bind, get, qos, consume, confirmed publish, ...) run on the broker at once and
raise ``ChannelClosedByBroker`` / ``ConnectionClosedByBroker`` when it refuses;
asynchronous ones (publish without confirms, ack, nack, reject) return and let
the error surface from the next call, as with a real broker.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..broker.errors import AMQPError as BrokerError
from ..broker.message import Delivery
from . import exceptions, frame, spec, wire
from .channel_frames import ChannelFrames
from .consuming import ConsumingMixin
from .pending import (
    ChannelPendingEvt,
    ConsumerInfo,
    QueueConsumerGeneratorInfo,
    ReturnedMessage,
)
from .topology import TopologyMixin, require_string

if TYPE_CHECKING:
    from .blocking_connection import BlockingConnection

LOGGER = logging.getLogger(__name__)


class BlockingChannel(ChannelFrames, ConsumingMixin, TopologyMixin):
    """One AMQP channel of a :class:`BlockingConnection` (``connection.channel()``)."""

    def __init__(self, connection: BlockingConnection, channel_number: int) -> None:
        self._connection = connection
        self._number = channel_number
        self._world = connection._world
        self._broker = connection._broker
        self._bch: Any = None
        self._state = "opening"
        self._closing_reason: BaseException | None = None
        self._consumer_infos: dict[str, ConsumerInfo] = {}
        self._queue_consumer_generator: QueueConsumerGeneratorInfo | None = None
        self._pending_events: deque[ChannelPendingEvt] = deque()
        self._delivery_confirmation = False
        self._confirm_result: Any = None
        self._puback_return: ReturnedMessage | None = None
        self._return_callbacks: list[Callable] = []
        self._cancel_callbacks: list[Callable] = []
        self._unsent_consumers: dict[str, bool] = {}  # see ConsumingMixin._basic_consume_impl

    def _open(self) -> None:
        def open_() -> Any:
            self._bch = self._broker.channel_open(self._world.now, self._connection._conn, self._number)
            for kind in ("deliver", "return", "confirm", "cancel", "close"):
                setattr(self._bch, f"on_{kind}", getattr(self, f"_hook_{kind}"))

        self._call(spec.Channel.Open(), open_, lambda _: spec.Channel.OpenOk(), opening=True)
        self._state = "open"

    def __int__(self) -> int:
        return self._number

    def __repr__(self) -> str:
        return f"<BlockingChannel {self._connection._conn.name}/ch-{self._number} {self._state}>"

    def __enter__(self) -> BlockingChannel:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self.is_open:
            self.close()

    @property
    def channel_number(self) -> int:
        return self._number

    @property
    def connection(self) -> BlockingConnection:
        return self._connection

    @property
    def is_closed(self) -> bool:
        return self._state == "closed"

    @property
    def is_open(self) -> bool:
        return self._state == "open"

    # ---------------------------------------------------------------- sending
    def _raise_if_not_open(self) -> None:
        if self._state == "open":
            return
        if self._state == "opening":
            raise exceptions.ChannelWrongStateError("Channel is opening, but is not usable yet.")
        if self._state == "closing":
            raise exceptions.ChannelWrongStateError("Channel is closing.")
        raise exceptions.ChannelWrongStateError("Channel is closed.")

    def _raise_if_closed_by_broker(self) -> None:
        if self.is_closed and isinstance(self._closing_reason, exceptions.ChannelClosedByBroker):
            raise self._closing_reason

    def _invoke(self, action: Callable[[], Any]) -> tuple[bool, Any]:
        """Run a broker command; a refusal is only recorded (its close frames are on their way)."""
        try:
            return True, action()
        except BrokerError as err:
            if self._bch is not None and self._bch.is_open and self._connection._conn.is_open:
                raise RuntimeError(f"broker raised {err!r} without closing the channel") from err
            return False, None

    def _call(self, method: Any, action: Callable[[], Any], reply: Callable[[Any], Any] | None = None,
              opening: bool = False, flush: bool = True, **fields: Any) -> Any:
        """Send ``method`` and run ``action`` on the broker. ``reply(result)`` builds the -Ok method
        (or ``(method, event_fields)``) of a synchronous method; without it the call is asynchronous.
        ``flush=False``: send without first processing the frames that have arrived."""
        if not opening:
            self._raise_if_not_open()
        wire.marshal(method)
        conn = self._connection
        if reply is not None:
            conn._wait_outbox()
        if flush:
            conn._process_io()
            self._raise_if_closed_by_broker()
        conn._emit("C>S", method, self._number, **fields)
        if reply is None:
            if conn._outbox:  # behind publishes the broker has not read yet (resource alarm)
                conn._outbox.append(lambda: self._send_held(action))
            else:
                self._invoke(action)
            return None
        with conn._defer_frames():
            ok, result = self._invoke(action)
            if ok:
                answer = reply(result)
                answer, extra = answer if isinstance(answer, tuple) else (answer, {})
                conn._emit("S>C", answer, self._number, defer=False, **extra)
        conn._process_io()
        self._raise_if_closed_by_broker()
        return result

    def _send_held(self, action: Callable[[], Any]) -> None:
        self._invoke(action)

    def _frame(self, method: Any) -> frame.Method:
        return frame.Method(self._number, method)

    # ---------------------------------------------------------------- channel
    def close(self, reply_code: int = 0, reply_text: str = "Normal shutdown") -> None:
        """Cancel the consumers, then ``Channel.Close``: the broker requeues unacked messages."""
        self._raise_if_not_open()
        try:
            self._cancel_all_consumers()
            self._cancel_unsent_consumers()
            self._call(spec.Channel.Close(reply_code, reply_text, 0, 0),
                       lambda: self._broker.channel_close(self._world.now, self._bch),
                       lambda _: spec.Channel.CloseOk())
            self._state = "closed"
            self._closing_reason = exceptions.ChannelClosedByClient(reply_code, reply_text)
            self._connection._channels.pop(self._number, None)
        finally:
            self._cleanup()

    def flow(self, active: bool) -> bool:
        raise NotImplementedError("channel.flow is not simulated (the amqpsim broker has no channel.flow)")

    def add_on_cancel_callback(self, callback: Callable[[Any], None]) -> None:
        """``callback(method_frame)`` when the broker cancels a consumer (``spec.Basic.Cancel``)."""
        self._cancel_callbacks.append(callback)

    def add_on_return_callback(self, callback: Callable[[Any, Any, Any, bytes], None]) -> None:
        """``callback(channel, method, properties, body)`` for each ``Basic.Return``."""
        self._return_callbacks.append(callback)

    # ---------------------------------------------------------------- publishing
    def basic_publish(self, exchange: str, routing_key: str, body: bytes | str, properties: Any = None,
                      mandatory: bool = False) -> None:
        """Publish; with ``confirm_delivery()`` on, wait for the confirm and raise ``NackError`` for a
        nack or ``UnroutableError`` for a returned mandatory message, as pika does."""
        self._raise_if_not_open()
        body = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        method = wire.marshal(spec.Basic.Publish(exchange=exchange, routing_key=routing_key, mandatory=mandatory))
        props = wire.to_broker(properties)
        broker, w = self._broker, self._world
        if self._delivery_confirmation:
            self._confirm_result = None
        conn = self._connection
        conn._process_io()
        self._raise_if_closed_by_broker()
        conn._emit("C>S", method, self._number)

        def send() -> None:
            self._invoke(lambda: broker.basic_publish(w.now, self._bch, exchange, routing_key, body, props,
                                                      mandatory))

        if conn._outbox or not broker.reads_publish(w.now, conn._conn):
            conn._outbox.append(send)  # the broker stops reading a publishing connection during an alarm
        else:
            send()
        if not self._delivery_confirmation:
            return
        conn._wait_outbox()
        conn._process_io()
        self._raise_if_closed_by_broker()
        if self._confirm_result is None:  # held (a cluster: a quorum queue without a leader, a cut)
            if conn._wait_io(lambda: self._confirm_result is not None or not self.is_open, None) == "idle":
                raise exceptions.SimulationIdle(
                    f"t={w.now:g}: basic_publish waits for a confirm that nothing scheduled can bring "
                    "(e.g. a quorum queue that lost its majority for good)")
            self._raise_if_closed_by_broker()
        conf, self._confirm_result = self._confirm_result, None
        if isinstance(conf, spec.Basic.Nack):
            returned = [self._puback_return] if self._puback_return is not None else []
            self._puback_return = None
            raise exceptions.NackError(returned)
        if self._puback_return is not None:
            messages, self._puback_return = [self._puback_return], None
            raise exceptions.UnroutableError(messages)

    def confirm_delivery(self) -> None:
        """Turn on publisher confirms: ``basic_publish`` then waits for the broker's ack/nack."""
        if self._delivery_confirmation:
            LOGGER.error("confirm_delivery: confirmation was already enabled on channel=%s", self._number)
            return
        self._call(spec.Confirm.Select(), lambda: self._broker.confirm_select(self._world.now, self._bch),
                   lambda _: spec.Confirm.SelectOk())
        self._delivery_confirmation = True

    # ---------------------------------------------------------------- acknowledgements
    def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        self._call(spec.Basic.Ack(delivery_tag, multiple),
                   lambda: self._broker.basic_ack(self._world.now, self._bch, delivery_tag, multiple))

    def basic_nack(self, delivery_tag: int = 0, multiple: bool = False, requeue: bool = True) -> None:
        self._call(spec.Basic.Nack(delivery_tag, multiple, requeue),
                   lambda: self._broker.basic_nack(self._world.now, self._bch, delivery_tag, multiple, requeue))

    def basic_reject(self, delivery_tag: int = 0, requeue: bool = True) -> None:
        self._raise_if_not_open()
        if not isinstance(delivery_tag, int):
            raise TypeError("delivery_tag must be an integer")
        self._call(spec.Basic.Reject(delivery_tag, requeue),
                   lambda: self._broker.basic_reject(self._world.now, self._bch, delivery_tag, requeue))

    def basic_recover(self, requeue: bool = False) -> None:
        self._call(spec.Basic.Recover(requeue),
                   lambda: self._broker.basic_recover(self._world.now, self._bch, requeue),
                   lambda _: spec.Basic.RecoverOk())

    def basic_qos(self, prefetch_size: int = 0, prefetch_count: int = 0, global_qos: bool = False) -> None:
        self._raise_if_not_open()
        for name, value in (("prefetch_size", prefetch_size), ("prefetch_count", prefetch_count)):
            if int(value) < 0:
                raise ValueError(f"{name} must be >= 0, but got {value}")
        self._call(spec.Basic.Qos(prefetch_size, prefetch_count, global_qos),
                   lambda: self._broker.basic_qos(self._world.now, self._bch, prefetch_size, prefetch_count,
                                                  global_qos),
                   lambda _: spec.Basic.QosOk())

    def basic_get(self, queue: str, auto_ack: bool = False) -> tuple[Any, Any, Any]:
        """``(spec.Basic.GetOk, BasicProperties, body)``, or ``(None, None, None)`` if the queue is empty."""
        require_string(queue, "queue")

        def reply(d: Delivery | None) -> Any:
            if d is None:
                return spec.Basic.GetEmpty(), {"queue": queue}
            return spec.Basic.GetOk(), wire.delivery_fields(d)

        d = self._call(spec.Basic.Get(queue=queue, no_ack=auto_ack),
                       lambda: self._broker.basic_get(self._world.now, self._bch, queue, auto_ack), reply)
        return (None, None, None) if d is None else wire.get_ok(d)
