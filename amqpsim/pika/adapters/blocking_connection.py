"""``pika.adapters.blocking_connection``: the names pika code imports from there."""

from ..blocking_channel import BlockingChannel
from ..blocking_connection import BlockingConnection
from ..pending import ReturnedMessage

__all__ = ["BlockingChannel", "BlockingConnection", "ReturnedMessage"]
