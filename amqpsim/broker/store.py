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


class FifoStore:
    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: deque[Entry] = deque()

    def __len__(self) -> int:
        return len(self.items)

    def push(self, e: Entry) -> None:
        self.items.append(e)

    def peek(self) -> Entry | None:
        return self.items[0] if self.items else None

    def pop(self) -> Entry:
        return self.items.popleft()

    def push_front(self, e: Entry) -> None:
        self.items.appendleft(e)

    def insert_by_seq(self, e: Entry) -> None:
        items = self.items
        if not items or e.seq < items[0].seq:
            items.appendleft(e)
        elif e.seq > items[-1].seq:
            items.append(e)
        else:
            tmp = list(items)
            insort(tmp, e, key=lambda x: x.seq)
            self.items = deque(tmp)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.items)

    def clear(self) -> list[Entry]:
        out = list(self.items)
        self.items.clear()
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
            if level.items:
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
        return len(self.items) + len(self.returns)

    def push_return(self, e: Entry) -> None:
        self.returns.append(e)

    def peek(self) -> Entry | None:
        if self.returns:
            return self.returns[0]
        return self.items[0] if self.items else None

    def pop(self) -> Entry:
        return self.returns.popleft() if self.returns else self.items.popleft()

    def __iter__(self) -> Iterator[Entry]:
        yield from self.returns
        yield from self.items

    def clear(self) -> list[Entry]:
        out = list(self)
        self.items.clear()
        self.returns.clear()
        return out
