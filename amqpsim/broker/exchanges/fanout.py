"""Fanout exchange: every binding matches; keys and arguments are ignored."""

from __future__ import annotations

from .base import ExchangeType


class FanoutExchange(ExchangeType):
    name = "fanout"

    def route(self, routing_keys, headers):
        return list(dict.fromkeys(b.dest for b in self.bindings))
