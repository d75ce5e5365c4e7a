"""pika's exception classes: the same names, hierarchy, arguments and attributes.

Mirrors ``pika.exceptions`` (pika 1.3/1.4) so that ``except pika.exceptions.X``
works unchanged. One addition, not in pika: :class:`SimulationIdle`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class AMQPError(Exception):
    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: An unspecified AMQP error has occurred; {self.args}"


class AMQPConnectionError(AMQPError):
    def __repr__(self) -> str:
        if len(self.args) == 2:
            return f"{self.__class__.__name__}: ({self.args[0]}) {self.args[1]}"
        return f"{self.__class__.__name__}: {self.args}"


class ConnectionOpenAborted(AMQPConnectionError):
    """Client closed connection while opening."""


class StreamLostError(AMQPConnectionError):
    """Stream (TCP) connection lost."""


class IncompatibleProtocolError(AMQPConnectionError):
    pass


class AuthenticationError(AMQPConnectionError):
    pass


class ProbableAuthenticationError(AMQPConnectionError):
    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}: Client was disconnected at a connection stage indicating a "
                f"probable authentication error: {self.args}")


class ProbableAccessDeniedError(AMQPConnectionError):
    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}: Client was disconnected at a connection stage indicating a "
                f"probable denial of access to the specified virtual host: {self.args}")


class NoFreeChannels(AMQPConnectionError):
    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: The connection has run out of free channels"


class ConnectionWrongStateError(AMQPConnectionError):
    """Connection is in wrong state for the requested operation."""

    def __repr__(self) -> str:
        if self.args:
            return super().__repr__()
        return f"{self.__class__.__name__}: The connection is in wrong state for the requested operation."


class ConnectionClosed(AMQPConnectionError):
    def __init__(self, reply_code: int, reply_text: str) -> None:
        super().__init__(int(reply_code), str(reply_text))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: ({self.reply_code}) {self.reply_text!r}"

    @property
    def reply_code(self) -> int:
        return self.args[0]

    @property
    def reply_text(self) -> str:
        return self.args[1]


class ConnectionClosedByBroker(ConnectionClosed):
    """Connection.Close from broker."""


class ConnectionClosedByClient(ConnectionClosed):
    """Connection was closed at request of Pika client."""


class ConnectionBlockedTimeout(AMQPConnectionError):
    """RabbitMQ-specific: timed out waiting for connection.unblocked."""


class AMQPHeartbeatTimeout(AMQPConnectionError):
    """Connection was dropped as result of heartbeat timeout."""


class AMQPChannelError(AMQPError):
    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: {self.args!r}"


class ChannelWrongStateError(AMQPChannelError):
    """Channel is in wrong state for the requested operation."""


class ChannelClosed(AMQPChannelError):
    """The channel closed by client or by broker."""

    def __init__(self, reply_code: int, reply_text: str) -> None:
        super().__init__(int(reply_code), str(reply_text))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: ({self.reply_code}) {self.reply_text!r}"

    @property
    def reply_code(self) -> int:
        return self.args[0]

    @property
    def reply_text(self) -> str:
        return self.args[1]


class ChannelClosedByBroker(ChannelClosed):
    """``Channel.Close`` from broker; raised by ``BlockingConnection``."""


class ChannelClosedByClient(ChannelClosed):
    """Channel closed by client upon receipt of ``Channel.CloseOk``."""


class DuplicateConsumerTag(AMQPChannelError):
    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}: The consumer tag specified already exists for this "
                f"channel: {self.args[0]}")


class ConsumerCancelled(AMQPChannelError):
    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: Server cancelled consumer"


class UnroutableError(AMQPChannelError):
    """One or more unroutable messages returned by the broker via Basic.Return
    (publisher-confirms mode, raised upon the Basic.Ack that follows)."""

    def __init__(self, messages: Sequence[Any]) -> None:
        super().__init__(f"{len(messages)} unroutable message(s) returned")
        self.messages = messages

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: {len(self.messages)} unroutable messages returned by broker"


class NackError(AMQPChannelError):
    """A message published in publisher-confirms mode was Nack'ed by the broker."""

    def __init__(self, messages: Sequence[Any]) -> None:
        super().__init__(f"{len(messages)} message(s) NACKed")
        self.messages = messages

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: {len(self.messages)} unroutable messages returned by broker"


class InvalidChannelNumber(AMQPError):
    pass


class ProtocolSyntaxError(AMQPError):
    pass


class UnexpectedFrameError(ProtocolSyntaxError):
    pass


class ProtocolVersionMismatch(ProtocolSyntaxError):
    pass


class BodyTooLongError(ProtocolSyntaxError):
    pass


class InvalidFrameError(ProtocolSyntaxError):
    pass


class InvalidFieldTypeException(ProtocolSyntaxError):
    pass


class UnsupportedAMQPFieldException(ProtocolSyntaxError):
    pass


class MethodNotImplemented(AMQPError):
    pass


class ChannelError(Exception):
    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: An unspecified error occurred with the Channel"


class ReentrancyError(Exception):
    """The requested operation would result in unsupported recursion or reentrancy."""


class ShortStringTooLong(AMQPError):
    def __repr__(self) -> str:
        return "%s: AMQP Short String can contain up to 255 bytes: %.300s" % (  # noqa: UP031 - pika's
            self.__class__.__name__, self.args[0])


class DuplicateGetOkCallback(ChannelError):
    pass


class SimulationIdle(RuntimeError):
    """amqpsim only (not in pika): a wait without time limit can never end.

    Raised by ``process_data_events(time_limit=None)`` (and by a blocked publish)
    when nothing is left to dispatch and nothing is scheduled anywhere in the
    simulated world, i.e. the call would block forever. Deliberately *not* an
    ``AMQPError``, so reconnect loops don't swallow it.
    """
