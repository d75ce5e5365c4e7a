"""Base classes of AMQP classes, methods and frames (as ``pika.amqp_object``)."""

from __future__ import annotations


class AMQPObject:
    """Shows its non-default attributes like pika: ``<Basic.Ack(['delivery_tag=1', ...])>``."""

    NAME = "AMQPObject"
    INDEX: int | None = None

    def __repr__(self) -> str:
        items = [f"{k}={v}" for k, v in self.__dict__.items() if getattr(self.__class__, k, None) != v]
        if not items:
            return f"<{self.NAME}>"
        return f"<{self.NAME}({sorted(items)})>"

    def __eq__(self, other: object) -> bool:
        return other is not None and self.__dict__ == getattr(other, "__dict__", None)

    __hash__ = None  # type: ignore[assignment]

class Class(AMQPObject):
    NAME = "Unextended Class"

class Method(AMQPObject):
    NAME = "Unextended Method"
    synchronous = False

class Properties(AMQPObject):
    NAME = "Unextended Properties"
