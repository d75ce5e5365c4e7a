"""Credentials (as ``pika.credentials``). The simulated broker knows RabbitMQ's default user,
``guest``/``guest`` (``amqpsim.pika.blocking_connection.USERS``); other credentials are refused
as RabbitMQ refuses them: ``ProbableAuthenticationError`` with ``403 ACCESS_REFUSED``."""

from __future__ import annotations


class PlainCredentials:
    TYPE = "PLAIN"

    def __init__(self, username: str, password: str, erase_on_connect: bool = False) -> None:
        self.username: str | None = username
        self.password: str | None = password
        self.erase_on_connect = erase_on_connect

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PlainCredentials):
            return (self.username, self.password, self.erase_on_connect) == (
                other.username, other.password, other.erase_on_connect)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.username, self.password))

    def __repr__(self) -> str:
        return f"PlainCredentials({self.username!r}, ...)"

    def erase_credentials(self) -> None:
        if self.erase_on_connect:
            self.username = self.password = None


class ExternalCredentials:
    TYPE = "EXTERNAL"

    def __init__(self) -> None:
        self.erase_on_connect = False

    def erase_credentials(self) -> None:
        pass


VALID_TYPES = [PlainCredentials, ExternalCredentials]
