"""What every exchange type shares: the binding record and the type interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def freeze(value: Any) -> Any:
    """A hashable stand-in for an argument value (tables and arrays included)."""
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return (type(value).__name__, value)


@dataclass(frozen=True, slots=True)
class Binding:
    """A binding; its identity is (source, destination kind, destination, key, arguments)."""

    source: str
    destination: str
    destination_type: str  # "queue" | "exchange"
    routing_key: str
    arguments: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    args_key: tuple = field(default=(), repr=False)

    @classmethod
    def make(
        cls, source: str, destination: str, destination_type: str, routing_key: str, arguments: dict | None
    ) -> Binding:
        args = dict(arguments or {})
        return cls(source, destination, destination_type, routing_key, args, freeze(args))

    @property
    def dest(self) -> tuple[str, str]:
        return (self.destination_type, self.destination)


class ExchangeType:
    """Base: a list of bindings in insertion order; subclasses index them for routing."""

    name = "abstract"

    def __init__(self) -> None:
        self.bindings: dict[Binding, None] = {}

    def add(self, b: Binding) -> None:
        self.bindings[b] = None

    def remove(self, b: Binding) -> None:
        self.bindings.pop(b, None)

    def route(self, routing_keys: tuple[str, ...], headers: dict | None) -> list[tuple[str, str]]:
        raise NotImplementedError
