"""``pika.adapters``: only the blocking adapter is simulated."""

from .blocking_connection import BlockingChannel, BlockingConnection

__all__ = ["BlockingChannel", "BlockingConnection"]
