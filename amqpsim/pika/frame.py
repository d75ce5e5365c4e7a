"""Frames as returned by BlockingChannel's synchronous calls (as ``pika.frame``)."""

from __future__ import annotations

from typing import Any

from . import amqp_object

FRAME_METHOD = 1


class Frame(amqp_object.AMQPObject):
    NAME = "Frame"

    def __init__(self, frame_type: int, channel_number: int) -> None:
        self.frame_type = frame_type
        self.channel_number = channel_number


class Method(Frame):
    """A method frame: ``frame.method`` is e.g. a ``spec.Queue.DeclareOk``."""

    NAME = "METHOD"

    def __init__(self, channel_number: int, method: Any) -> None:
        Frame.__init__(self, FRAME_METHOD, channel_number)
        self.method = method
