"""Ready-message stores: FIFO (optionally priority levels), with requeue positions.

Classic queues put a requeued message back at its *original position* (they keep
publish order by sequence id). Quorum queues return it to a *returns* queue served
before the others, in the order of the returns, when a delivery limit is set,
else to the back (as RabbitMQ 3.10.8 does).
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from collections.abc import Iterator

from .message import Entry


class FifoStore(deque):  # type: ignore[type-arg]
    """A FIFO of entries: a ``deque`` (so ``len`` and truth tests cost no Python call)
    whose ``pop`` takes the *head* (the store interface every store shares)."""

    __slots__ = ()

    push = deque.append
    pop = deque.popleft  # type: ignore[assignment]
    push_front = deque.appendleft

    def peek(self) -> Entry | None:
        return self[0] if self else None

    def insert_by_seq(self, e: Entry) -> None:
        if not self or e.seq < self[0].seq:
            self.appendleft(e)
        elif e.seq > self[-1].seq:
            self.append(e)
        else:
            tmp = list(self)
            insort(tmp, e, key=lambda x: x.seq)
            deque.clear(self)
            self.extend(tmp)

    def clear(self) -> list[Entry]:  # type: ignore[override]
        out = list(self)
        deque.clear(self)
        return out


class PriorityStore:
    """One FIFO per priority level; the head is the head of the highest non-empty level."""

    __slots__ = ("levels", "count")

    def __init__(self, max_priority: int) -> None:
        self.levels = [FifoStore() for _ in range(max_priority + 1)]
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def _top(self) -> FifoStore | None:
        for level in reversed(self.levels):
            if level:
                return level
        return None

    def push(self, e: Entry) -> None:
        self.levels[e.priority].push(e)
        self.count += 1

    def peek(self) -> Entry | None:
        top = self._top()
        return top.peek() if top else None

    def pop(self) -> Entry:
        top = self._top()
        assert top is not None
        self.count -= 1
        return top.pop()

    def push_front(self, e: Entry) -> None:
        self.levels[e.priority].push_front(e)
        self.count += 1

    def insert_by_seq(self, e: Entry) -> None:
        self.levels[e.priority].insert_by_seq(e)
        self.count += 1

    def __iter__(self) -> Iterator[Entry]:
        for level in reversed(self.levels):
            yield from level

    def clear(self) -> list[Entry]:
        out = list(self)
        for level in self.levels:
            level.clear()
        self.count = 0
        return out


class QuorumStore(FifoStore):
    """A quorum queue's messages: returned ones (delivery limit set) are served first."""

    __slots__ = ("returns",)

    def __init__(self) -> None:
        super().__init__()
        self.returns: deque[Entry] = deque()

    def __len__(self) -> int:
        return deque.__len__(self) + len(self.returns)

    def push_return(self, e: Entry) -> None:
        self.returns.append(e)

    def peek(self) -> Entry | None:
        if self.returns:
            return self.returns[0]
        return self[0] if deque.__len__(self) else None

    def pop(self) -> Entry:  # type: ignore[override]
        return self.returns.popleft() if self.returns else self.popleft()

    def __iter__(self) -> Iterator[Entry]:
        yield from self.returns
        yield from deque.__iter__(self)

    def clear(self) -> list[Entry]:  # type: ignore[override]
        out = list(self)
        deque.clear(self)
        self.returns.clear()
        return out
