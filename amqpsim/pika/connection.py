"""Connection parameters (as ``pika.connection``): ``ConnectionParameters`` takes
pika's keyword arguments, ``URLParameters`` parses ``amqp://user:pass@host:port/vhost?query``.

Only ``host``, ``port``, ``virtual_host``, ``credentials``, ``channel_max``,
``client_properties`` (``connection_name``), ``connection_attempts``,
``retry_delay`` and ``blocked_connection_timeout`` affect the simulation; the
others are kept for compatibility.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from .credentials import PlainCredentials


class SSLOptions:
    """Accepted and ignored: the simulated broker has no TLS."""

    def __init__(self, context: Any = None, server_hostname: str | None = None) -> None:
        self.context = context
        self.server_hostname = server_hostname


class Parameters:
    DEFAULT_USERNAME = "guest"
    DEFAULT_PASSWORD = "guest"
    DEFAULT_BLOCKED_CONNECTION_TIMEOUT = None
    DEFAULT_CHANNEL_MAX = 65535
    DEFAULT_CLIENT_PROPERTIES = None
    DEFAULT_CREDENTIALS = PlainCredentials(DEFAULT_USERNAME, DEFAULT_PASSWORD)
    DEFAULT_CONNECTION_ATTEMPTS = 1
    DEFAULT_FRAME_MAX = 131072
    DEFAULT_HEARTBEAT_TIMEOUT = None
    DEFAULT_HOST = "localhost"
    DEFAULT_LOCALE = "en_US"
    DEFAULT_PORT = 5672
    DEFAULT_RETRY_DELAY = 2.0
    DEFAULT_SOCKET_TIMEOUT = 10.0
    DEFAULT_STACK_TIMEOUT = 15.0
    DEFAULT_SSL = False
    DEFAULT_SSL_OPTIONS = None
    DEFAULT_SSL_PORT = 5671
    DEFAULT_VIRTUAL_HOST = "/"
    DEFAULT_TCP_OPTIONS = None

    def __init__(self) -> None:
        self.blocked_connection_timeout: float | None = self.DEFAULT_BLOCKED_CONNECTION_TIMEOUT
        self.channel_max: int = self.DEFAULT_CHANNEL_MAX
        self.client_properties: dict[str, Any] | None = self.DEFAULT_CLIENT_PROPERTIES
        self.connection_attempts: int = self.DEFAULT_CONNECTION_ATTEMPTS
        self.credentials: Any = self.DEFAULT_CREDENTIALS
        self.frame_max: int = self.DEFAULT_FRAME_MAX
        self.heartbeat: Any = self.DEFAULT_HEARTBEAT_TIMEOUT
        self.host: str = self.DEFAULT_HOST
        self.locale: str = self.DEFAULT_LOCALE
        self.port: int = self.DEFAULT_PORT
        self.retry_delay: float = self.DEFAULT_RETRY_DELAY
        self.socket_timeout: float | None = self.DEFAULT_SOCKET_TIMEOUT
        self.stack_timeout: float | None = self.DEFAULT_STACK_TIMEOUT
        self.ssl_options: Any = self.DEFAULT_SSL_OPTIONS
        self.virtual_host: str = self.DEFAULT_VIRTUAL_HOST
        self.tcp_options: dict[str, Any] | None = self.DEFAULT_TCP_OPTIONS

    def __repr__(self) -> str:
        return (f"<{self.__class__.__name__} host={self.host} port={self.port} "
                f"virtual_host={self.virtual_host} ssl={bool(self.ssl_options)}>")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Parameters):
            return vars(self) == vars(other)
        return NotImplemented

    __hash__ = object.__hash__

    def _check(self) -> None:
        if self.connection_attempts < 1:
            raise ValueError(f"connection_attempts must be > 0, but got {self.connection_attempts}")
        if self.retry_delay < 0:
            raise ValueError(f"retry_delay must be >= 0, but got {self.retry_delay}")
        if self.blocked_connection_timeout is not None and self.blocked_connection_timeout < 0:
            raise ValueError("blocked_connection_timeout must be >= 0")
        if not isinstance(self.virtual_host, str) or not isinstance(self.host, str):
            raise TypeError("host and virtual_host must be str")


_NAMES = ("host", "port", "virtual_host", "credentials", "channel_max", "frame_max", "heartbeat",
          "ssl_options", "connection_attempts", "retry_delay", "socket_timeout", "stack_timeout", "locale",
          "blocked_connection_timeout", "client_properties", "tcp_options")
_UNSET: Any = object()


class ConnectionParameters(Parameters):
    """pika's ``ConnectionParameters(host, port, virtual_host, credentials, ...)``."""

    def __init__(self, host: str = _UNSET, port: int = _UNSET, virtual_host: str = _UNSET,
                 credentials: Any = _UNSET, channel_max: int = _UNSET, frame_max: int = _UNSET,
                 heartbeat: Any = _UNSET, ssl_options: Any = _UNSET, connection_attempts: int = _UNSET,
                 retry_delay: float = _UNSET, socket_timeout: float | None = _UNSET,
                 stack_timeout: float | None = _UNSET, locale: str = _UNSET,
                 blocked_connection_timeout: float | None = _UNSET,
                 client_properties: dict[str, Any] | None = _UNSET, tcp_options: dict | None = _UNSET,
                 **kwargs: Any) -> None:
        super().__init__()
        if kwargs:
            raise TypeError(f"unexpected kwargs: {kwargs!r}")
        given = locals()
        for name in _NAMES:
            if given[name] is not _UNSET:
                setattr(self, name, given[name])
        if port is _UNSET:
            self.port = self.DEFAULT_SSL_PORT if self.ssl_options else self.DEFAULT_PORT
        self._check()


_URL_ARGS: dict[str, Callable[[str], Any]] = {"blocked_connection_timeout": float, "channel_max": int, "connection_attempts": int,
             "frame_max": int, "heartbeat": int, "locale": str, "retry_delay": float, "socket_timeout": float,
             "stack_timeout": float, "client_properties": json.loads, "ssl_options": json.loads,
             "tcp_options": json.loads}


class URLParameters(Parameters):
    """``amqp://username:password@host:port/<virtual_host>[?query-string]`` (vhost URL-encoded)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        if url[0:4].lower() == "amqp":
            url = "http" + url[4:]
        parts = urlparse(url)
        if parts.scheme not in ("http", "https", ""):
            raise ValueError(f"Unexpected URL scheme {parts.scheme!r}; supported scheme values: amqp, amqps")
        if parts.scheme == "https":
            self.ssl_options = SSLOptions()
        if parts.hostname is not None:
            self.host = parts.hostname
        self.port = parts.port if parts.port is not None else (
            self.DEFAULT_SSL_PORT if self.ssl_options else self.DEFAULT_PORT)
        if parts.username is not None:
            self.credentials = PlainCredentials(unquote(parts.username), unquote(parts.password or ""))
        if len(parts.path) > 1:
            self.virtual_host = unquote(parts.path.split("/")[1])
        for name, values in parse_qs(parts.query).items():
            if name not in _URL_ARGS:
                raise ValueError(f"Unknown URL parameter: {name!r}")
            if len(values) != 1:
                raise ValueError(f"Expected exactly one value for URL parameter {name}, but got "
                                 f"{len(values)} values: {values}")
            setattr(self, name, _URL_ARGS[name](values[0]))
        self._check()
