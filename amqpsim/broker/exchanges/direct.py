"""Direct exchange: a binding matches when its key equals one of the message's keys."""

from __future__ import annotations

from .base import Binding, ExchangeType


class DirectExchange(ExchangeType):
    name = "direct"

    def __init__(self) -> None:
        super().__init__()
        self.by_key: dict[str, dict[tuple[str, str], int]] = {}

    def add(self, b: Binding) -> None:
        if b in self.bindings:
            return
        super().add(b)
        dests = self.by_key.setdefault(b.routing_key, {})
        dests[b.dest] = dests.get(b.dest, 0) + 1  # bindings differing only in args

    def remove(self, b: Binding) -> None:
        if b not in self.bindings:
            return
        super().remove(b)
        dests = self.by_key[b.routing_key]
        dests[b.dest] -= 1
        if not dests[b.dest]:
            del dests[b.dest]
        if not dests:
            del self.by_key[b.routing_key]

    def route(self, routing_keys, headers):
        if len(routing_keys) == 1:
            return list(self.by_key.get(routing_keys[0], ()))
        out: dict[tuple[str, str], None] = {}
        for rk in routing_keys:
            out.update(dict.fromkeys(self.by_key.get(rk, ())))
        return list(out)
