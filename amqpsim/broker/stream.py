"""A stream queue's log (``x-queue-type: stream``) as RabbitMQ 3.10.8 keeps it.

A stream is an append-only log: every routed copy gets the next *offset* and stays
until retention removes it; consumers read from an offset of their own and nothing
they do removes anything. The log is made of *chunks* (the messages the writer
appended at once: a reader gets whole chunks) in *segments* (files of at most
``x-stream-max-segment-size-bytes``, 500 MB by default); retention removes whole
segments, the oldest first, never the one being written.

What 3.10.8 does that a learner would not guess (each proved by a conformance case):

- ``x-stream-offset: last`` starts at the first message of the *last chunk*, not at
  the last message: a burst published without confirms is one chunk, and ``last``
  delivers all of it (``stream_offsets``; unit-tested here: the real broker splits a burst under load).
- Every segment but the first starts with a tracking chunk that takes an offset of
  its own and is never delivered: offsets skip one at each new segment
  (``stream_segments_and_retention``).
- An absolute offset past the end is not clamped: the consumer waits for *that*
  offset (``stream_offset_past_the_end_waits``); a negative one means ``first``.
- Retention runs when a segment is full and a new one starts (its first chunk written):
  while the segments hold more than ``x-max-length-bytes`` (or the oldest one's newest
  message is older than ``x-max-age``) the oldest goes, never the new one
  (``stream_segments_and_retention``).

Sizes are body bytes: RabbitMQ also counts a chunk header and the message's AMQP 1.0
encoding (~150 bytes per chunk), so a segment of amqpsim fills later than a real one.

Chunk boundaries, deterministic here: a chunk takes the copies appended at one
instant until a reader reads it or a publish in confirm mode lands in it (a confirm
waits for its chunk to be written, so a confirmed publisher writes one message a
chunk); a copy appended later starts a new chunk.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from typing import Any

from .message import Entry

__all__ = ["DEFAULT_SEGMENT_BYTES", "Chunk", "Segment", "StreamLog", "duration"]

DEFAULT_SEGMENT_BYTES = 500_000_000
_UNITS = {"Y": 365 * 86400.0, "M": 30 * 86400.0, "D": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_DURATION = re.compile(r"([0-9]+)([YMDhms])")


def duration(v: Any) -> float | None:
    """Seconds of an ``x-max-age`` or an interval ``x-stream-offset`` such as ``"30m"`` (None: not one)."""
    if isinstance(v, bytes):
        v = v.decode()
    m = _DURATION.fullmatch(v) if isinstance(v, str) else None
    return None if m is None else int(m.group(1)) * _UNITS[m.group(2)]


class Chunk:
    """Copies appended at once: the first at offset ``first``, the others at the next ones."""

    __slots__ = ("first", "entries", "time", "size", "sealed")

    def __init__(self, first: int, time: float) -> None:
        self.first = first
        self.entries: list[Entry] = []
        self.time = time  # its timestamp: when it was written
        self.size = 0
        self.sealed = False

    @property
    def end(self) -> int:
        """The offset after its last copy."""
        return self.first + len(self.entries)


class Segment:
    """A segment file: its chunks (a tracking chunk first, except in the first segment)."""

    __slots__ = ("chunks", "size", "newest")

    def __init__(self) -> None:
        self.chunks: list[Chunk] = []
        self.size = 0
        self.newest = 0.0  # when its last chunk was written


class StreamLog:
    """The offsets, chunks and segments of one stream, and its retention.

    ``max_bytes`` (``x-max-length-bytes``) and ``max_age`` (seconds, ``x-max-age``) are
    the retention limits (None: none); ``segment_bytes`` the segment size.
    """

    def __init__(self, segment_bytes: int | None = None, max_bytes: int | None = None,
                 max_age: float | None = None) -> None:
        self.segment_bytes = DEFAULT_SEGMENT_BYTES if segment_bytes is None else segment_bytes
        self.max_bytes = max_bytes
        self.max_age = max_age
        self.segments: list[Segment] = [Segment()]
        self.chunks: list[Chunk] = []  # every chunk with copies, oldest first
        self.firsts: list[int] = []  # their first offsets (for bisect)
        self.next_offset = 0
        self.length = 0  # copies in the log

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[Entry]:
        for c in self.chunks:
            yield from c.entries

    # ---------------------------------------------------------------- writing
    def append(self, now: float, e: Entry, seal: bool) -> list[tuple[Entry, str]]:
        """Append ``e`` (its ``seq`` becomes its offset); ``seal``: its chunk is written at once
        (a confirmed publish). Returns the copies retention removed, with why."""
        last = self.chunks[-1] if self.chunks else None
        rolled = False
        if last is None or last.sealed or last.time != now or last.end != self.next_offset:
            rolled = self._start_chunk(now)
            last = self.chunks[-1]
        e.seq = self.next_offset
        self.next_offset += 1
        last.entries.append(e)
        last.size += e.msg.size
        seg = self.segments[-1]
        seg.size += e.msg.size
        seg.newest = now
        self.length += 1
        if seal:
            last.sealed = True
        # RabbitMQ evaluates retention when a segment starts, asynchronously: by then the chunk
        # that started it is written (conformance case stream_segments_and_retention)
        return self._retain(now) if rolled else []

    def _start_chunk(self, now: float) -> bool:
        """Start a chunk, in a new segment when the last one is full; True: a new segment."""
        if self.chunks and self.chunks[-1].entries:
            self.chunks[-1].sealed = True
        seg = self.segments[-1]
        rolled = seg.size >= self.segment_bytes and bool(seg.chunks)
        if rolled:
            seg = Segment()
            self.segments.append(seg)
            self.next_offset += 1  # the new segment's tracking chunk (never delivered)
        c = Chunk(self.next_offset, now)
        seg.chunks.append(c)
        self.chunks.append(c)
        self.firsts.append(c.first)
        return rolled

    def _retain(self, now: float) -> list[tuple[Entry, str]]:
        """A new segment started: drop the oldest segments while all of them hold more than
        ``max_bytes`` or their newest message is older than ``max_age`` (never the new one).

        Not modelled: with a limit smaller than one segment, 3.10.8 eventually drops the
        current segment too (and the next message starts a new one)."""
        out: list[tuple[Entry, str]] = []
        while len(self.segments) > 1:
            old = self.segments[0]
            total = sum(s.size for s in self.segments)
            if self.max_bytes is not None and total > self.max_bytes:
                why = "max-length-bytes"
            elif self.max_age is not None and old.newest < now - self.max_age:
                why = "max-age"
            else:
                break
            self.segments.pop(0)
            n = len(old.chunks)
            del self.chunks[:n]
            del self.firsts[:n]
            for c in old.chunks:
                self.length -= len(c.entries)
                out += [(e, why) for e in c.entries]
        return out

    def seal(self) -> None:
        """A reader read the last chunk: it is written, later copies start another."""
        if self.chunks:
            self.chunks[-1].sealed = True

    def clear(self) -> list[Entry]:
        """The stream is deleted: every copy it held."""
        out = list(self)
        self.segments = [Segment()]
        self.chunks.clear()
        self.firsts.clear()
        self.length = 0
        return out

    # ---------------------------------------------------------------- reading
    @property
    def first_offset(self) -> int:
        """The offset ``first`` means: the oldest copy (the next offset when empty)."""
        return self.chunks[0].first if self.chunks else self.next_offset

    @property
    def last_chunk_offset(self) -> int:
        """The offset ``last`` means: the first copy of the last chunk."""
        return self.chunks[-1].first if self.chunks else self.next_offset

    def offset_at(self, t: float) -> int:
        """The first chunk written at or after ``t`` (a timestamp or interval offset)."""
        for c in self.chunks:
            if c.time >= t:
                return c.first
        return self.next_offset

    def read(self, position: int) -> tuple[int, list[Entry]]:
        """The chunk a reader at ``position`` gets next: (its offset after it, the copies from
        ``position`` on). A position before the log (retention took it) reads the first chunk;
        nothing to read: ``(position, [])``."""
        if not self.chunks or position >= self.next_offset:
            return position, []
        if position < self.chunks[0].first:
            position = self.chunks[0].first
        i = bisect_right(self.firsts, position) - 1
        c = self.chunks[i]
        if position >= c.end:  # a tracking offset between chunks: the next chunk
            if i + 1 >= len(self.chunks):
                return position, []
            c = self.chunks[i + 1]
            position = c.first
        return c.end, c.entries[position - c.first:]
