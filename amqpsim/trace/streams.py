"""Streams as the summary and the pictures see them: what each stream holds, where each consumer reads.

The fold (:mod:`.live`) counts a stream's copies (its ``depth`` is the stream's
length: reading removes nothing), its last appended offset (``last_offset``) and each
consumer's last delivered offset per stream (``ConsumerStats.offsets``). A
:class:`StreamReads` per stream adds what the summary and the pictures need besides:

* the offsets in the stream, oldest first (``Appended`` adds one; ``Truncated``
  removes the oldest, as retention removes whole segments from the head; a deletion
  empties it), so the oldest offset is exact even though offsets skip one at each new
  segment (its tracking chunk);
* the consumers that subscribed to it (``ConsumerStarted``), read or not.

In the summary a stream's entry gains ``length`` (messages in the stream at the end),
``first_offset``/``last_offset`` (``None`` while empty) and ``consumers``: per
consumer, the ``offset`` of the last message delivered to it (``None``: none yet) and
its ``lag``, the offsets appended after that one (the whole stream when it has read
none). A consumer that resubscribes from ``first`` reads old offsets again: its
offset may go down. Memory follows the stream's length.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

__all__ = ["StreamReads", "StreamSeries"]


class StreamReads:
    __slots__ = ("name", "offsets", "readers")

    def __init__(self, name: str) -> None:
        self.name = name
        self.offsets: deque[int] = deque()  # the offsets in the stream, oldest first
        self.readers: dict[str, None] = {}  # the consumers that subscribed, in order

    @property
    def length(self) -> int:
        return len(self.offsets)

    @property
    def first(self) -> int | None:
        return self.offsets[0] if self.offsets else None

    @property
    def last(self) -> int | None:
        return self.offsets[-1] if self.offsets else None

    def truncate(self, offset: int) -> None:
        """Retention removed the message at ``offset`` (and, being head-first, any older one)."""
        offsets = self.offsets
        while offsets and offsets[0] <= offset:
            offsets.popleft()

    def lag(self, offset: int | None) -> int:
        """Offsets appended after ``offset`` (a consumer's last); all of the stream for ``None``."""
        if offset is None or not self.offsets:
            return self.length
        return max(self.offsets[-1] - offset, 0)

    def summary(self, consumers: dict[str, Any]) -> dict[str, Any]:
        """The stream's extra summary keys; ``consumers``: the fold's ``ConsumerStats`` by name."""
        readers = {}
        for name in sorted(self.readers):
            c = consumers.get(name)
            offset = c.offsets.get(self.name) if c is not None else None
            readers[name] = {"offset": offset, "lag": self.lag(offset)}
        return {"length": self.length, "first_offset": self.first, "last_offset": self.last,
                "consumers": readers}


@dataclass
class StreamSeries:
    """A stream at the end of each time bin: its ``length``, its ``first`` and ``last``
    offsets (``None`` while empty) and each consumer's offset (``None`` before it read)."""

    length: list[int] = field(default_factory=list)
    first: list[int | None] = field(default_factory=list)
    last: list[int | None] = field(default_factory=list)
    readers: dict[str, list[int | None]] = field(default_factory=dict)

    def close(self, reads: StreamReads, consumers: dict[str, Any]) -> None:
        """Append the stream's state at the end of a bin."""
        n = len(self.length)
        self.length.append(reads.length)
        self.first.append(reads.first)
        self.last.append(reads.last)
        for name in reads.readers:
            c = consumers.get(name)
            self.readers.setdefault(name, [None] * n).append(c.offsets.get(reads.name) if c is not None else None)

    def merge(self) -> None:
        """Two bins became one: keep the state at the end of each pair."""
        self.length, self.first, self.last = self.length[1::2], self.first[1::2], self.last[1::2]
        self.readers = {c: xs[1::2] for c, xs in self.readers.items()}
