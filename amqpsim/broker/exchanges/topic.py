"""Topic exchange: dot-separated words, ``*`` = exactly one word, ``#`` = zero or more.

Bindings live in a trie keyed by word, as in RabbitMQ's ``rabbit_db_topic_exchange``.
Keys are split like RabbitMQ's ``split_topic_key``: ``""`` has zero words and empty
words are kept (``"a..b"`` is ``[a, "", b]``). ``*`` and ``#`` are wildcards only as
whole words. Results for a routing key are cached until the bindings change.
"""

from __future__ import annotations

from .base import Binding, ExchangeType


def split_key(key: str) -> list[str]:
    return key.split(".") if key else []


class _Node:
    __slots__ = ("children", "dests")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.dests: dict[tuple[str, str], int] = {}


class TopicExchange(ExchangeType):
    name = "topic"
    CACHE_SIZE = 4096

    def __init__(self) -> None:
        super().__init__()
        self.root = _Node()
        self.cache: dict[str, list[tuple[str, str]]] = {}

    def add(self, b: Binding) -> None:
        if b in self.bindings:
            return
        super().add(b)
        node = self.root
        for word in split_key(b.routing_key):
            node = node.children.setdefault(word, _Node())
        node.dests[b.dest] = node.dests.get(b.dest, 0) + 1
        self.cache.clear()

    def remove(self, b: Binding) -> None:
        if b not in self.bindings:
            return
        super().remove(b)
        path = [self.root]
        words = split_key(b.routing_key)
        for word in words:
            path.append(path[-1].children[word])
        leaf = path[-1]
        leaf.dests[b.dest] -= 1
        if not leaf.dests[b.dest]:
            del leaf.dests[b.dest]
        for i in range(len(words) - 1, -1, -1):  # prune empty branches
            node = path[i + 1]
            if node.dests or node.children:
                break
            del path[i].children[words[i]]
        self.cache.clear()

    def match(self, key: str) -> list[tuple[str, str]]:
        hit = self.cache.get(key)
        if hit is None:
            out: dict[tuple[str, str], None] = {}
            _walk(self.root, split_key(key), 0, out)
            hit = list(out)
            if len(self.cache) >= self.CACHE_SIZE:
                self.cache.clear()
            self.cache[key] = hit
        return hit

    def route(self, routing_keys, headers):
        if len(routing_keys) == 1:
            return self.match(routing_keys[0])
        out: dict[tuple[str, str], None] = {}
        for rk in routing_keys:
            out.update(dict.fromkeys(self.match(rk)))
        return list(out)


def _walk(node: _Node, words: list[str], i: int, out: dict) -> None:
    children = node.children
    if i == len(words):
        out.update(dict.fromkeys(node.dests))
    else:
        child = children.get(words[i])
        if child is not None:
            _walk(child, words, i + 1, out)
        child = children.get("*")
        if child is not None:
            _walk(child, words, i + 1, out)
    hash_node = children.get("#")
    if hash_node is not None:  # '#' swallows zero or more words
        for j in range(i, len(words) + 1):
            _walk(hash_node, words, j, out)
