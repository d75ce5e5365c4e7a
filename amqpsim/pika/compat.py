"""The one piece of ``pika.compat`` a client sees: the ``long`` integer marker."""

from __future__ import annotations


class long(int):  # noqa: N801 - pika's name
    """An integer sent (and received) as the AMQP field type 'l' (64-bit) instead of 'I'.

    pika decodes every 'l' field as ``long``: integers outside 32 bits, and what
    RabbitMQ sends as ``long`` (x-death ``count``, ``x-delivery-count``). It equals
    the plain ``int`` and prints as ``5L``.
    """

    def __str__(self) -> str:
        return str(int(self))

    def __repr__(self) -> str:
        return str(self) + "L"
