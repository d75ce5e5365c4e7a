"""Frames the broker sends to a BlockingChannel: logged when sent, handled at the client's next I/O.

A ``_hook_*`` runs inside the broker (it is installed as the broker channel's
callback): it logs the ``S>C`` ``Frame`` event and queues the frame on the
connection. The matching ``_on_*`` runs when the client processes its input and
does what pika's channel does with it: deliveries and returns become pending
events (dispatched later), confirms answer a waiting publish, ``Channel.Close``
closes the channel.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..broker.message import Delivery, Returned
from . import exceptions, frame, spec, wire
from .pending import (
    ChannelPendingEvt,
    ConsumerCancellationEvt,
    ConsumerDeliveryEvt,
    ConsumerInfo,
    QueueConsumerGeneratorInfo,
    ReturnedMessage,
    ReturnedMessageEvt,
)

if TYPE_CHECKING:
    from .blocking_connection import BlockingConnection

LOGGER = logging.getLogger(__name__)


class ChannelFrames:
    """The receiving side of :class:`~amqpsim.pika.blocking_channel.BlockingChannel`."""

    _connection: BlockingConnection
    _number: int
    _world: Any
    _broker: Any
    _bch: Any
    _state: str
    _closing_reason: BaseException | None
    _consumer_infos: dict[str, ConsumerInfo]
    _queue_consumer_generator: QueueConsumerGeneratorInfo | None
    _pending_events: deque[ChannelPendingEvt]
    _delivery_confirmation: bool
    _confirm_result: Any
    _puback_return: ReturnedMessage | None
    _return_callbacks: list[Callable]

    if TYPE_CHECKING:
        def _invoke(self, action: Callable[[], Any]) -> tuple[bool, Any]: ...
        def _frame(self, method: Any) -> frame.Method: ...

    def _hook_deliver(self, d: Delivery) -> None:
        self._connection._emit("S>C", spec.Basic.Deliver(), self._number, **wire.delivery_fields(d))
        self._connection._receive("deliver", self._number, d)

    def _hook_return(self, r: Returned) -> None:
        self._connection._emit("S>C", spec.Basic.Return(), self._number, reply_code=r.reply_code,
                               exchange=r.exchange, routing_key=r.routing_key)
        self._connection._receive("return", self._number, r)

    def _hook_confirm(self, seq: int, ack: bool, multiple: bool) -> None:
        method = spec.Basic.Ack(seq, multiple) if ack else spec.Basic.Nack(seq, multiple, False)
        self._connection._emit("S>C", method, self._number)
        self._connection._receive("confirm", self._number, method)

    def _hook_cancel(self, tag: str) -> None:
        self._connection._emit("S>C", spec.Basic.Cancel(tag), self._number)
        self._connection._receive("cancel", self._number, tag)

    def _hook_close(self, code: int, text: str) -> None:
        self._connection._emit("S>C", spec.Channel.Close(code, text, 0, 0), self._number)
        self._connection._receive("close", self._number, code, text)

    def _on_frame(self, kind: str, *args: Any) -> None:
        getattr(self, f"_on_{kind}")(*args)

    def _reject_requeue(self, delivery_tag: int) -> None:
        """Basic.Reject(requeue) of a delivery for a consumer being cancelled (no I/O, as pika's impl)."""
        self._connection._emit("C>S", spec.Basic.Reject(delivery_tag, True), self._number)
        self._invoke(lambda: self._broker.basic_reject(self._world.now, self._bch, delivery_tag, True))

    def _on_deliver(self, d: Delivery) -> None:
        info = self._consumer_infos.get(d.consumer_tag or "")
        if info is None:
            LOGGER.error("Unexpected delivery: %r", d)
            return
        if info.tearing_down:  # arrived while we cancel it: requeue (or drop, if auto-ack)
            if not info.auto_ack:
                self._reject_requeue(d.delivery_tag)
            return
        evt = ConsumerDeliveryEvt(*wire.deliver(d))
        if info.alternate_event_sink is not None:
            info.alternate_event_sink(evt)
        else:
            self._add_pending_event(evt)

    def _on_return(self, r: Returned) -> None:
        method, props, body = wire.returned(r)
        for callback in self._return_callbacks:
            self._add_pending_event(ReturnedMessageEvt(callback, self, method, props, body))
        if self._delivery_confirmation:
            LOGGER.warning("Published message was returned: channel=%s; method=%r", self._number, method)
            self._puback_return = ReturnedMessage(method, props, body)

    def _on_confirm(self, method: Any) -> None:
        if self._confirm_result is None:
            self._confirm_result = method

    def _on_cancel(self, tag: str) -> None:
        info = self._consumer_infos.get(tag)
        if info is None:
            return
        if not info.tearing_down:
            info.state = ConsumerInfo.CANCELLED_BY_BROKER
        evt = ConsumerCancellationEvt(self._frame(spec.Basic.Cancel(consumer_tag=tag)))
        if info.alternate_event_sink is not None:
            info.alternate_event_sink(evt)
        else:
            self._add_pending_event(evt)

    def _on_close(self, code: int, text: str) -> None:
        LOGGER.warning("Received remote Channel.Close (%s): %r on %r", code, text, self)
        self._connection._emit("C>S", spec.Channel.CloseOk(), self._number)
        self._on_close_meta(exceptions.ChannelClosedByBroker(code, text))
        self._connection._channels.pop(self._number, None)
        self._connection._request_channel_dispatch(-self._number)

    def _on_close_meta(self, reason: BaseException | None) -> None:
        self._state = "closed"
        self._closing_reason = reason
        self._cleanup()

    def _cleanup(self) -> None:
        self._pending_events = deque()
        self._consumer_infos = {}
        self._queue_consumer_generator = None
        self._confirm_result = None

    def _add_pending_event(self, evt: ChannelPendingEvt) -> None:
        self._pending_events.append(evt)
        self._connection._request_channel_dispatch(self._number)

