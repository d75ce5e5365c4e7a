"""AMQP reply codes and the exceptions that carry them.

A soft error closes the channel (:class:`ChannelError`), a hard error the whole
connection (:class:`ConnectionError_`). Reply texts follow RabbitMQ's format
``"<NAME> - <detail>"``.
"""

from __future__ import annotations

REPLY_NAMES: dict[int, str] = {
    200: "REPLY_SUCCESS",
    312: "NO_ROUTE",
    313: "NO_CONSUMERS",
    320: "CONNECTION_FORCED",
    402: "INVALID_PATH",
    403: "ACCESS_REFUSED",
    404: "NOT_FOUND",
    405: "RESOURCE_LOCKED",
    406: "PRECONDITION_FAILED",
    501: "FRAME_ERROR",
    502: "SYNTAX_ERROR",
    503: "COMMAND_INVALID",
    504: "CHANNEL_ERROR",
    505: "UNEXPECTED_FRAME",
    506: "RESOURCE_ERROR",
    530: "NOT_ALLOWED",
    540: "NOT_IMPLEMENTED",
    541: "INTERNAL_ERROR",
}

#: (class-id, method-id) of the AMQP methods, for channel.close / connection.close
METHOD_IDS: dict[str, tuple[int, int]] = {
    "channel.open": (20, 10),
    "exchange.declare": (40, 10),
    "exchange.delete": (40, 20),
    "exchange.bind": (40, 30),
    "exchange.unbind": (40, 40),
    "queue.declare": (50, 10),
    "queue.bind": (50, 20),
    "queue.purge": (50, 30),
    "queue.delete": (50, 40),
    "queue.unbind": (50, 50),
    "basic.qos": (60, 10),
    "basic.consume": (60, 20),
    "basic.cancel": (60, 30),
    "basic.publish": (60, 40),
    "basic.get": (60, 70),
    "basic.ack": (60, 80),
    "basic.reject": (60, 90),
    "basic.recover": (60, 110),
    "basic.nack": (60, 120),
    "confirm.select": (85, 10),
    "tx.select": (90, 10),
    "tx.commit": (90, 20),
    "tx.rollback": (90, 30),
}


class AMQPError(Exception):
    """An AMQP protocol exception with a reply code and RabbitMQ's reply text.

    ``field`` names what the client sent that caused it, as the method's field
    names: ``("durable",)``, ``("arguments", "x-max-priority")``, ``("exchange",)``;
    ``()`` when no single field is to blame. Validators use it to point at the
    place in a scenario. An empty ``detail`` gives the bare reply name, as
    RabbitMQ's ``INTERNAL_ERROR`` after a crash.
    """

    hard = False

    def __init__(self, code: int, detail: str, method: str | None = None,
                 field: tuple[str, ...] = ()) -> None:
        self.reply_code = code
        self.reply_text = f"{REPLY_NAMES[code]} - {detail}" if detail else REPLY_NAMES[code]
        self.method = method
        self.field = field
        self.class_id, self.method_id = METHOD_IDS.get(method or "", (0, 0))
        super().__init__(self.reply_code, self.reply_text)

    def __str__(self) -> str:
        return f"({self.reply_code}, {self.reply_text!r})"


class ChannelError(AMQPError):
    """A soft error: the broker closes the channel."""


class ConnectionError_(AMQPError):  # noqa: N801 - avoid shadowing the builtin
    """A hard error: the broker closes the connection."""

    hard = True


def q_res(name: str) -> str:
    return f"queue '{name}' in vhost '/'"


def x_res(name: str) -> str:
    return f"exchange '{name}' in vhost '/'"


def not_found_queue(name: str, method: str, field: tuple[str, ...] = ()) -> ChannelError:
    return ChannelError(404, f"no {q_res(name)}", method, field=field)


def not_found_exchange(name: str, method: str, field: tuple[str, ...] = ()) -> ChannelError:
    return ChannelError(404, f"no {x_res(name)}", method, field=field)


def locked(name: str, method: str) -> ChannelError:
    return ChannelError(
        405,
        f"cannot obtain exclusive access to locked {q_res(name)}. It could be originally "
        "declared on another connection or the exclusive property value does not match "
        "that of the original declaration.",
        method,
    )
