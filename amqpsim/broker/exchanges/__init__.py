"""Exchange types. Each keeps its own binding index and answers ``route()``.

An exchange type's ``route(routing_keys, headers)`` returns the *destinations*
(``Binding.dest`` pairs ``(kind, name)``) its bindings select; the topology walks
exchange-to-exchange destinations and alternate exchanges.
"""

from __future__ import annotations

from .base import Binding, ExchangeType
from .direct import DirectExchange
from .fanout import FanoutExchange
from .headers import HeadersExchange, validate_x_match
from .topic import TopicExchange

TYPES: dict[str, type[ExchangeType]] = {
    "direct": DirectExchange,
    "fanout": FanoutExchange,
    "topic": TopicExchange,
    "headers": HeadersExchange,
}

__all__ = [
    "TYPES",
    "Binding",
    "ExchangeType",
    "DirectExchange",
    "FanoutExchange",
    "TopicExchange",
    "HeadersExchange",
    "validate_x_match",
]
