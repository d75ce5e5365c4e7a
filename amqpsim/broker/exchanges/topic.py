"""Topic exchange: dot-separated words, ``*`` = exactly one word, ``#`` = zero or more.

Bindings live in a trie keyed by word, as in RabbitMQ's ``rabbit_db_topic_exchange``.
Keys are split like RabbitMQ's ``split_topic_key``: ``""`` has zero words and empty
words are kept (``"a..b"`` is ``[a, "", b]``). ``*`` and ``#`` are wildcards only as
whole words (so a routing-key word ``*`` is just a word).

Matching runs the trie as an automaton whose states are *sets* of trie nodes,
built lazily and kept until the bindings change (a DFA): a state's transition on
a word that no node of the state has as a literal child is the same for every such
word, so even keys never seen before (ids, timestamps) cost one or two dict
lookups per word. Results are also cached per routing key.
"""

from __future__ import annotations

from .base import Binding, ExchangeType

Dest = tuple[str, str]


def split_key(key: str) -> list[str]:
    return key.split(".") if key else []


class _Node:
    """A trie node: literal-word children, the ``*`` and ``#`` children, and the
    destinations of the binding keys that end here (with a count per destination:
    bindings that differ only in their arguments)."""

    __slots__ = ("children", "star", "hash", "dests", "is_hash", "closure", "dsucc")

    def __init__(self, is_hash: bool = False) -> None:
        self.children: dict[str, _Node] = {}
        self.star: _Node | None = None
        self.hash: _Node | None = None
        self.dests: dict[Dest, int] = {}
        self.is_hash = is_hash  # a '#' node: it may swallow any word and stay
        # derived from the subtree, kept up to date by refresh():
        self.closure: tuple[_Node, ...] = (self,)  # this node and the '#'s after it (zero words)
        self.dsucc: tuple[_Node, ...] = (self,) if is_hash else ()  # where any one word leads

    def refresh(self) -> None:
        self.closure = (self,) + self.hash.closure if self.hash is not None else (self,)
        own = (self,) if self.is_hash else ()
        self.dsucc = own + self.star.closure if self.star is not None else own

    def get(self, word: str) -> _Node | None:
        if word == "*":
            return self.star
        if word == "#":
            return self.hash
        return self.children.get(word)

    def add(self, word: str) -> _Node:
        node = self.get(word)
        if node is None:
            node = _Node(is_hash=word == "#")
            if word == "*":
                self.star = node
            elif word == "#":
                self.hash = node
            else:
                self.children[word] = node
        return node

    def drop(self, word: str) -> None:
        if word == "*":
            self.star = None
        elif word == "#":
            self.hash = None
        else:
            del self.children[word]

    def empty(self) -> bool:
        return not (self.dests or self.children or self.star or self.hash)


class _State:
    """A DFA state: the trie nodes a key prefix has reached (closed under '#' = zero words)."""

    __slots__ = ("nodes", "trans", "default", "result")

    def __init__(self, nodes: tuple[_Node, ...]) -> None:
        self.nodes = nodes
        self.trans: dict[str, _State] | None = None  # literal words only: bounded by the bindings
        self.default: _State | None = None  # the move on any word that is no node's literal child
        self.result: list[Dest] | None = None  # destinations when the key ends here


class TopicExchange(ExchangeType):
    name = "topic"
    CACHE_SIZE = 4096
    MAX_STATES = 100_000

    def __init__(self) -> None:
        super().__init__()
        self.root = _Node()
        self.cache: dict[str, list[Dest]] = {}
        self.n_states = 0
        self.start = self._start()

    def _changed(self) -> None:
        """Bindings changed: forget every cached result and automaton state."""
        self.cache.clear()
        self.n_states = 0
        self.start = self._start()

    def add(self, b: Binding) -> None:
        if b in self.bindings:
            return
        super().add(b)
        path = [self.root]
        for word in split_key(b.routing_key):
            path.append(path[-1].add(word))
        path[-1].dests[b.dest] = path[-1].dests.get(b.dest, 0) + 1
        for node in reversed(path):
            node.refresh()
        self._changed()

    def remove(self, b: Binding) -> None:
        if b not in self.bindings:
            return
        super().remove(b)
        words = split_key(b.routing_key)
        path = [self.root]
        for word in words:
            nxt = path[-1].get(word)
            assert nxt is not None
            path.append(nxt)
        leaf = path[-1]
        leaf.dests[b.dest] -= 1
        if not leaf.dests[b.dest]:
            del leaf.dests[b.dest]
        for i in range(len(words) - 1, -1, -1):  # prune empty branches
            if not path[i + 1].empty():
                break
            path[i].drop(words[i])
            del path[i + 1]
        for node in reversed(path):
            node.refresh()
        self._changed()

    # ---------------------------------------------------------------- the automaton
    def _start(self) -> _State:
        return _State(self.root.closure)

    def _move(self, st: _State, word: str) -> _State:
        """The next state on ``word``; kept per literal word, or as the state's default move.

        States are not shared between prefixes: they grow like a trie of the key
        prefixes seen (non-literal words all share the default move), up to
        ``MAX_STATES``, when the automaton starts afresh.
        """
        self.n_states += 1
        if self.n_states > self.MAX_STATES:
            self.n_states = 0
            self.start = self._start()
        nxt: list[_Node] = []
        literal = False
        for node in st.nodes:
            if node.dsucc:
                nxt.extend(node.dsucc)
            if node.children:
                child = node.children.get(word)
                if child is not None:
                    literal = True
                    nxt.extend(child.closure)
        new = _State(tuple(dict.fromkeys(nxt)))  # a '#' can be reached twice
        if literal:
            if st.trans is None:
                st.trans = {}
            st.trans[word] = new
        else:
            st.default = new
        return new

    def match(self, key: str) -> list[Dest]:
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        st = self.start
        for word in split_key(key):
            nxt = st.trans.get(word) if st.trans is not None else None
            if nxt is None:
                nxt = st.default
                if nxt is None or any(word in node.children for node in st.nodes):
                    nxt = self._move(st, word)
            st = nxt
            if not st.nodes:
                break
        hit = st.result
        if hit is None:
            out: dict[Dest, int] = {}
            for node in st.nodes:
                if node.dests:
                    out.update(node.dests)
            hit = st.result = list(out)
        if len(self.cache) >= self.CACHE_SIZE:
            self.cache.clear()
        self.cache[key] = hit
        return hit

    def route(self, routing_keys: tuple[str, ...], headers: dict | None) -> list[Dest]:
        if len(routing_keys) == 1:
            return self.match(routing_keys[0])
        out: dict[Dest, None] = {}
        for rk in routing_keys:
            out.update(dict.fromkeys(self.match(rk)))
        return list(out)
