"""Consumers of a BlockingChannel: ``basic_consume``/``basic_cancel``, ``start_consuming``
and the ``consume()`` generator, with pika's dispatch rules.

When nothing can happen any more (no message to dispatch, no timer anywhere in the
simulated world) a real ``start_consuming`` would block forever; here it returns
(like a program stopped with Ctrl-C), and ``consume()`` without
``inactivity_timeout`` ends its iteration. The time at which that was decided is
``amqpsim.pika.clock()``.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from . import exceptions, spec, wire
from .pending import (
    ConsumerCancellationEvt,
    ConsumerDeliveryEvt,
    ConsumerInfo,
    QueueConsumerGeneratorInfo,
)

LOGGER = logging.getLogger(__name__)


class ConsumingMixin:
    """The consumer half of :class:`~amqpsim.pika.blocking_channel.BlockingChannel`."""

    _consumer_infos: dict[str, ConsumerInfo]
    _queue_consumer_generator: QueueConsumerGeneratorInfo | None
    _pending_events: deque
    _cancel_callbacks: list[Callable]
    _unsent_consumers: dict[str, bool]  # tag -> close() has tried to cancel it
    _number: int
    _connection: Any
    _world: Any
    _broker: Any
    _bch: Any
    _closing_reason: BaseException | None

    if TYPE_CHECKING:  # provided by BlockingChannel
        def _call(self, *args: Any, **kwargs: Any) -> Any: ...
        def _raise_if_not_open(self) -> None: ...
        def _raise_if_closed_by_broker(self) -> None: ...
        def _reject_requeue(self, delivery_tag: int) -> None: ...
        @property
        def is_closed(self) -> bool: ...

    @property
    def consumer_tags(self) -> list[str]:
        return list(self._consumer_infos)

    def _generate_consumer_tag(self) -> str:
        return f"ctag{self._number}.{self._world.rng.getrandbits(128):032x}"

    def basic_consume(self, queue: str, on_message_callback: Callable[[Any, Any, Any, bytes], None],
                      auto_ack: bool = False, exclusive: bool = False, consumer_tag: str | None = None,
                      arguments: dict | None = None) -> str:
        """Start a consumer; ``on_message_callback(channel, method, properties, body)`` is called from
        ``start_consuming``/``process_data_events``/``sleep``. Returns the consumer tag."""
        if not isinstance(queue, str):
            raise TypeError(f"queue must be a str or unicode str, but got {queue!r}")
        if not callable(on_message_callback):
            raise TypeError(f"callback on_message_callback must be callable, but got {on_message_callback!r}")
        return self._basic_consume_impl(queue, auto_ack, exclusive, consumer_tag, arguments,
                                        on_message_callback=on_message_callback)

    def _basic_consume_impl(self, queue: str, auto_ack: bool, exclusive: bool, consumer_tag: str | None,
                            arguments: dict | None = None, on_message_callback: Callable | None = None,
                            alternate_event_sink: Callable | None = None) -> str:
        self._raise_if_not_open()
        tag = consumer_tag or self._generate_consumer_tag()
        if tag in self._consumer_infos or tag in self._unsent_consumers:
            raise exceptions.DuplicateConsumerTag(tag)
        self._consumer_infos[tag] = ConsumerInfo(tag, auto_ack, on_message_callback, alternate_event_sink)
        try:
            try:
                encoded = wire.encode(arguments) or {}
                method = wire.marshal(spec.Basic.Consume(queue=queue, consumer_tag=tag, no_ack=auto_ack,
                                                         exclusive=exclusive, arguments=encoded))
            except Exception:
                self._unsent_consumers[tag] = False
                raise
            self._call(method, lambda: self._broker.basic_consume(self._world.now, self._bch, queue, tag, auto_ack,
                                                                  exclusive, encoded),
                       lambda t: spec.Basic.ConsumeOk(t))
        except Exception:
            if tag in self._consumer_infos:
                del self._consumer_infos[tag]
                self._connection._request_channel_dispatch(-self._number)
            raise
        info = self._consumer_infos.get(tag)
        if info is not None and info.setting_up:
            info.state = ConsumerInfo.ACTIVE
        return tag

    def _cancel_unsent_consumers(self) -> None:
        """What pika's channel close does with the consumers whose Basic.Consume failed to encode.

        pika registers a consumer before it encodes Basic.Consume; when that fails (a
        consumer tag over 255 bytes, an argument it cannot encode) the tag stays taken
        on the channel (``DuplicateConsumerTag`` for ever after), and ``close()`` sends
        a Basic.Cancel for it. For a tag too long that fails in turn: the first
        ``close()`` raises ``ShortStringTooLong`` and leaves the channel open, the
        second closes it (conformance case ``short_string_limits``).
        """
        for tag, cancelling in list(self._unsent_consumers.items()):
            if not cancelling:
                self._unsent_consumers[tag] = True
                wire.marshal(spec.Basic.Cancel(consumer_tag=tag))

    def basic_cancel(self, consumer_tag: str) -> list[tuple[Any, Any, bytes]]:
        """Cancel a consumer. Messages already received but not yet dispatched are rejected
        (requeued) for a manual-ack consumer, returned as ``(method, properties, body)`` for an
        auto-ack one (as pika)."""
        return self._basic_cancel(consumer_tag, receive_first=True)

    def _basic_cancel(self, consumer_tag: str, receive_first: bool) -> list[tuple[Any, Any, bytes]]:
        """``receive_first``: take the frames that have arrived before deciding what is pending.
        Either way Basic.Cancel goes out before anything else is read, as pika sends it: a message
        the broker redelivers meanwhile (after our rejects) is rejected again once it arrives."""
        info = self._consumer_infos.get(consumer_tag)
        if info is None:
            LOGGER.warning("User is attempting to cancel an unknown consumer=%s; already cancelled by user "
                           "or broker?", consumer_tag)
            return []
        try:
            self._raise_if_not_open()
            if receive_first:
                self._connection._process_io()
                self._raise_if_closed_by_broker()
            by_broker = info.cancelled_by_broker
            info.state = ConsumerInfo.TEARING_DOWN
            pending = self._remove_pending_deliveries(consumer_tag)
            if not info.auto_ack:
                for evt in pending:
                    self._reject_requeue(evt.method.delivery_tag)
            if not by_broker:
                self._call(spec.Basic.Cancel(consumer_tag),
                           lambda: self._broker.basic_cancel(self._world.now, self._bch, consumer_tag),
                           lambda _: spec.Basic.CancelOk(consumer_tag), flush=False)
            if info.auto_ack:
                return [(e.method, e.properties, e.body) for e in pending]
            return []
        finally:
            if consumer_tag in self._consumer_infos:
                del self._consumer_infos[consumer_tag]
                self._connection._request_channel_dispatch(-self._number)

    def _remove_pending_deliveries(self, consumer_tag: str) -> list[ConsumerDeliveryEvt]:
        remaining: deque = deque()
        taken: list[ConsumerDeliveryEvt] = []
        for evt in self._pending_events:
            if type(evt) is ConsumerDeliveryEvt and evt.method.consumer_tag == consumer_tag:
                taken.append(evt)
            elif not (type(evt) is ConsumerCancellationEvt and evt.method.consumer_tag == consumer_tag):
                remaining.append(evt)
        self._pending_events = remaining
        return taken

    def _cancel_all_consumers(self) -> None:
        if self._consumer_infos:
            if self._queue_consumer_generator is not None:
                self.cancel()
            for tag in list(self._consumer_infos):
                self.basic_cancel(tag)

    def _dispatch_events(self) -> None:
        while self._pending_events:
            evt = self._pending_events.popleft()
            if type(evt) is ConsumerDeliveryEvt:
                info = self._consumer_infos.get(evt.method.consumer_tag)
                if info is not None and info.on_message_callback is not None:
                    info.on_message_callback(self, evt.method, evt.properties, evt.body)
            elif type(evt) is ConsumerCancellationEvt:
                self._consumer_infos.pop(evt.method.consumer_tag, None)
                for callback in self._cancel_callbacks:
                    callback(evt.method_frame)
            else:
                evt.dispatch()  # type: ignore[attr-defined]

    # ---------------------------------------------------------------- consuming loops
    def _process_data_events(self, time_limit: float | None) -> str:
        outcome = self._connection._process_data_events(time_limit)
        if self.is_closed and isinstance(self._closing_reason, exceptions.ChannelClosedByBroker):
            raise self._closing_reason
        return outcome

    def start_consuming(self) -> None:
        """Dispatch deliveries (and timers) until no consumer is left on this channel — or until
        nothing can ever happen again in the simulation, when it returns."""
        with self._connection._acquire_event_dispatch() as allowed:
            if not allowed:
                raise exceptions.ReentrancyError("start_consuming may not be called from the scope of another "
                                                 "BlockingConnection or BlockingChannel callback")
        self._raise_if_not_open()
        while self._consumer_infos:
            if self._process_data_events(None) == "idle":
                LOGGER.info("start_consuming: nothing can happen any more at t=%g; returning", self._world.now)
                return

    def stop_consuming(self, consumer_tag: str | None = None) -> None:
        if consumer_tag:
            self.basic_cancel(consumer_tag)
        else:
            self._cancel_all_consumers()

    def _on_consumer_generator_event(self, evt: Any) -> None:
        assert self._queue_consumer_generator is not None
        self._queue_consumer_generator.pending_events.append(evt)
        self._connection._request_channel_dispatch(-self._number)

    def consume(self, queue: str, auto_ack: bool = False, exclusive: bool = False,
                arguments: dict | None = None, inactivity_timeout: float | None = None,
                consumer_tag: str | None = None) -> Iterator[tuple[Any, Any, Any]]:
        """Yield ``(method, properties, body)`` per message; ``(None, None, None)`` after
        ``inactivity_timeout`` simulated seconds without one. Stop it with ``cancel()``."""
        self._raise_if_not_open()
        params = (queue, auto_ack, exclusive)
        if self._queue_consumer_generator is not None:
            if params != self._queue_consumer_generator.params:
                raise ValueError("Consume with different params not allowed on existing queue consumer "
                                 f"generator; previous params: {self._queue_consumer_generator.params!r}; "
                                 f"new params: {params!r}")
        else:
            tag = consumer_tag or self._generate_consumer_tag()
            self._queue_consumer_generator = QueueConsumerGeneratorInfo(params, tag)
            try:
                self._basic_consume_impl(queue, auto_ack, exclusive, tag, arguments,
                                         alternate_event_sink=self._on_consumer_generator_event)
            except Exception:
                self._queue_consumer_generator = None
                raise
        while self._queue_consumer_generator is not None:
            gen = self._queue_consumer_generator
            if gen.pending_events:
                evt = gen.pending_events.popleft()
                if type(evt) is ConsumerCancellationEvt:
                    self._queue_consumer_generator = None
                    break
                yield evt.method, evt.properties, evt.body  # type: ignore[attr-defined]
                continue
            if inactivity_timeout is None:
                if self._process_data_events(None) == "idle":
                    return
                continue
            deadline = self._world.now + inactivity_timeout
            delta = inactivity_timeout
            while self._queue_consumer_generator is not None and not self._queue_consumer_generator.pending_events:
                self._process_data_events(delta)
                if not self._queue_consumer_generator or self._queue_consumer_generator.pending_events:
                    break
                delta = deadline - self._world.now
                if delta <= 0.0:
                    yield None, None, None
                    break

    def get_waiting_message_count(self) -> int:
        gen = self._queue_consumer_generator
        if gen is None:
            return 0
        count = len(gen.pending_events)
        if count and type(gen.pending_events[-1]) is ConsumerCancellationEvt:
            count -= 1
        return count

    def cancel(self) -> int:
        """Cancel the ``consume()`` consumer, rejecting (requeueing) its undelivered messages."""
        gen = self._queue_consumer_generator
        if gen is None:
            LOGGER.warning("cancel: queue consumer generator is inactive (already cancelled by client or broker?)")
            return 0
        try:
            _, auto_ack, _ = gen.params
            if not auto_ack:
                for _ in range(self.get_waiting_message_count()):
                    evt = gen.pending_events.popleft()
                    self._reject_requeue(evt.method.delivery_tag)  # type: ignore[attr-defined]
            self._basic_cancel(gen.consumer_tag, receive_first=False)
        finally:
            self._queue_consumer_generator = None
        return 0
