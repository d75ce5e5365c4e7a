"""What basic.publish checks in a message's properties, as RabbitMQ 3.10.8 does.

In ``rabbit_channel``'s order, after the exchange exists (404) and is not internal (403):

1. ``user_id`` must name the connection's user (:func:`check_user_id`);
2. ``expiration`` must parse (:func:`.publish.check_expiration`);
3. the ``CC`` and ``BCC`` headers must be arrays (:func:`sender_selected`).

All three are 406 PRECONDITION_FAILED channel errors, raised by the publish itself
(in a transaction too, before tx.commit). The conformance cases are
``user_id_checked`` and ``cc_bcc_header_forms``.
"""

from __future__ import annotations

from typing import Any

from .errors import ChannelError
from .message import Properties
from .validate import amqp_type

#: the sender-selected distribution headers, in the order RabbitMQ reads them
ROUTING_HEADERS = ("CC", "BCC")


def check_user_id(props: Properties, user: str) -> None:
    """A ``user_id`` other than the authenticated user's name is refused.

    The comparison is exact (``'Guest'`` is not ``'guest'``; an empty string is a
    value too). RabbitMQ lets users tagged ``impersonator`` through; the simulated
    broker has no such users.
    """
    if props.user_id is not None and props.user_id != user:
        raise ChannelError(406, f"user_id property set to '{props.user_id}' but authenticated user was '{user}'")


def header_routes(headers: dict[str, Any] | None) -> tuple[str, ...]:
    """The extra routing keys of ``CC`` then ``BCC`` (``rabbit_basic:header_routes``).

    Both must be arrays, whatever the client's order of the headers (``CC`` is
    checked first): a single string, bytes, a number or void is a 406 "invalid
    message: {unacceptable_type_in_header,"CC",longstr}". Of an array's items only
    the strings route; bytes (pika's binary), numbers, nested arrays are ignored
    silently. Header names are case-sensitive: ``cc`` is an ordinary header.
    """
    if not headers:
        return ()
    keys: list[str] = []
    for name in ROUTING_HEADERS:
        if name not in headers:
            continue
        value = headers[name]
        if not isinstance(value, list | tuple):
            raise ChannelError(406, f'invalid message: {{unacceptable_type_in_header,"{name}",{amqp_type(value)}}}')
        keys += [k for k in value if isinstance(k, str)]
    return tuple(keys)


def sender_selected(routing_key: str, props: Properties) -> tuple[Properties, tuple[str, ...], tuple[str, ...]]:
    """``(properties, routing_keys, death_keys)`` of a message published with ``routing_key``.

    The message routes with the key, the CC keys and the BCC keys; ``BCC`` is
    stripped from the properties at once (no consumer, no basic.return, no
    dead-lettered copy ever sees it: an empty ``headers`` table stays). x-death's
    ``routing-keys`` are the key and the CC keys only.
    """
    headers = props.headers
    if not headers or ("CC" not in headers and "BCC" not in headers):
        return props, (routing_key,), (routing_key,)
    routes = header_routes(headers)
    cc = header_routes({"CC": headers["CC"]}) if "CC" in headers else ()
    if "BCC" in headers:
        props = props.copy(headers={k: v for k, v in headers.items() if k != "BCC"})
    return props, (routing_key, *routes), (routing_key, *cc)
