"""Events a BlockingChannel holds until it may dispatch them (as in pika's blocking adapter),
and the bookkeeping of its consumers."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any


class ChannelPendingEvt:
    """Base class for BlockingChannel pending events."""


class ConsumerDeliveryEvt(ChannelPendingEvt):
    """A ``Basic.Deliver`` with its properties and body."""

    __slots__ = ("method", "properties", "body")

    def __init__(self, method: Any, properties: Any, body: bytes) -> None:
        self.method = method
        self.properties = properties
        self.body = body


class ConsumerCancellationEvt(ChannelPendingEvt):
    """A broker-initiated ``Basic.Cancel`` (e.g. the queue was deleted)."""

    __slots__ = ("method_frame",)

    def __init__(self, method_frame: Any) -> None:
        self.method_frame = method_frame

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} method_frame={self.method_frame!r}>"

    @property
    def method(self) -> Any:
        return self.method_frame.method


class ReturnedMessageEvt(ChannelPendingEvt):
    """A ``Basic.Return`` for a callback registered with ``add_on_return_callback``."""

    __slots__ = ("callback", "channel", "method", "properties", "body")

    def __init__(self, callback: Callable[..., None], channel: Any, method: Any, properties: Any,
                 body: bytes) -> None:
        self.callback = callback
        self.channel = channel
        self.method = method
        self.properties = properties
        self.body = body

    def dispatch(self) -> None:
        self.callback(self.channel, self.method, self.properties, self.body)


class ReturnedMessage:
    """A message returned via Basic.Return in publisher-confirms mode (in ``UnroutableError.messages``)."""

    __slots__ = ("method", "properties", "body")

    def __init__(self, method: Any, properties: Any, body: bytes) -> None:
        self.method = method
        self.properties = properties
        self.body = body


class ConsumerInfo:
    """An active consumer: its callback (or the generator's event sink) and state."""

    __slots__ = ("consumer_tag", "auto_ack", "on_message_callback", "alternate_event_sink", "state")

    SETTING_UP = 1
    ACTIVE = 2
    TEARING_DOWN = 3
    CANCELLED_BY_BROKER = 4

    def __init__(self, consumer_tag: str, auto_ack: bool, on_message_callback: Callable | None = None,
                 alternate_event_sink: Callable | None = None) -> None:
        self.consumer_tag = consumer_tag
        self.auto_ack = auto_ack
        self.on_message_callback = on_message_callback
        self.alternate_event_sink = alternate_event_sink
        self.state = self.SETTING_UP

    @property
    def setting_up(self) -> bool:
        return self.state == self.SETTING_UP

    @property
    def active(self) -> bool:
        return self.state == self.ACTIVE

    @property
    def tearing_down(self) -> bool:
        return self.state == self.TEARING_DOWN

    @property
    def cancelled_by_broker(self) -> bool:
        return self.state == self.CANCELLED_BY_BROKER


class QueueConsumerGeneratorInfo:
    """The consumer behind ``BlockingChannel.consume()`` and its buffered events."""

    __slots__ = ("params", "consumer_tag", "pending_events")

    def __init__(self, params: tuple[str, bool, bool], consumer_tag: str) -> None:
        self.params = params
        self.consumer_tag = consumer_tag
        self.pending_events: deque[ChannelPendingEvt] = deque()

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} params={self.params!r} consumer_tag={self.consumer_tag!r}>"
