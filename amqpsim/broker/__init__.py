"""Pure AMQP 0-9-1 semantics as RabbitMQ implements them: no simpy, no I/O, no clock."""

from .broker import Broker
from .channel import Channel
from .connection import Connection
from .consumer import Consumer
from .errors import AMQPError, ChannelError, ConnectionError_
from .message import Delivery, Message, Properties, Returned
from .publishing import PublishOutcome
from .queue import Queue

__all__ = [
    "AMQPError",
    "Broker",
    "Channel",
    "ChannelError",
    "Connection",
    "ConnectionError_",
    "Consumer",
    "Delivery",
    "Message",
    "Properties",
    "PublishOutcome",
    "Queue",
    "Returned",
]
