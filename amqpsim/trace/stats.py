"""Running statistics: mean and percentiles, exact or in bounded memory.

:class:`ExactQuantiles` keeps every sample (used when the event log is kept
anyway). :class:`SketchQuantiles` keeps a logarithmic histogram (the DDSketch
idea): bucket ``i`` holds values in ``(g**(i-1), g**i]`` with
``g = (1 + a) / (1 - a)``, and a bucket answers with ``2 g**i / (g + 1)``, so every
percentile it reports is within a relative error ``a`` (1 % by default) of a
sample at the same rank. Memory grows with the *range* of the values
(``log(max/min) / log(g)`` buckets, ~1400 per factor 10**6), never with their
number. Values below ``1e-9`` s count as zero. The mean is exact in both: a running
sum in event order, so both modes give the same float.

Percentiles use the rank ``q * (n - 1)``: :class:`ExactQuantiles` interpolates
linearly between the two neighbouring samples (NumPy's default), the sketch
answers with the bucket that holds the rank.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from itertools import repeat
from math import ceil, log
from operator import truediv

QUANTILES: tuple[tuple[str, float], ...] = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))
ZERO = 1e-9


class ExactQuantiles:
    """Keeps all samples."""

    __slots__ = ("values", "add")

    def __init__(self) -> None:
        self.values: list[float] = []
        #: take a sample: a bound ``list.append``, so adding costs no Python call
        self.add: Callable[[float], None] = self.values.append

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def total(self) -> float:
        t = 0.0
        for x in self.values:  # in arrival order, as the sketch sums: the same float
            t += x
        return t

    def fold(self) -> None:
        """Nothing is buffered (the interface :class:`SketchQuantiles` needs)."""

    def quantile(self, q: float) -> float:
        xs = sorted(self.values)
        if not xs:
            return 0.0
        r = q * (len(xs) - 1)
        lo = int(r)
        hi = min(lo + 1, len(xs) - 1)
        return xs[lo] + (xs[hi] - xs[lo]) * (r - lo)

    def summary(self) -> dict[str, float]:
        return _summary(self)

    def points(self) -> tuple[list[float], list[int]]:
        """The distribution as values and their weights: every sample, weight 1."""
        return list(self.values), [1] * len(self.values)


class SketchQuantiles:
    """A log-bucket histogram with relative accuracy ``accuracy``.

    :attr:`add` only appends to a buffer (a bound ``list.append``: no Python call per
    sample); :meth:`fold` moves the buffer into the histogram in bulk, with C-level
    ``map`` and ``Counter``, several times cheaper per sample than a Python-level add.
    The owner folds now and then to keep memory bounded; the reading methods fold first.
    """

    __slots__ = ("buckets", "zeros", "n", "_total", "_log_g", "_g", "pending", "add")

    def __init__(self, accuracy: float = 0.01) -> None:
        self._g = (1 + accuracy) / (1 - accuracy)
        self._log_g = log(self._g)
        self.buckets: dict[int, int] = {}
        self.zeros = 0
        self.n = 0
        self._total = 0.0
        self.pending: list[float] = []
        self.add: Callable[[float], None] = self.pending.append

    def fold(self) -> None:
        """Move the buffered samples into the histogram."""
        xs = self.pending
        if not xs:
            return
        total = self._total
        for x in xs:  # a running sum in arrival order: the same float as the exact mode's
            total += x
        self._total = total
        self.n += len(xs)
        pos = [x for x in xs if x >= ZERO]
        self.zeros += len(xs) - len(pos)
        b = self.buckets
        for i, k in Counter(map(ceil, map(truediv, map(log, pos), repeat(self._log_g)))).items():
            b[i] = b.get(i, 0) + k
        xs.clear()

    @property
    def count(self) -> int:
        self.fold()
        return self.n

    @property
    def total(self) -> float:
        self.fold()
        return self._total

    def quantile(self, q: float) -> float:
        self.fold()
        if not self.n:
            return 0.0
        rank = int(q * (self.n - 1))
        seen = self.zeros
        if rank < seen:
            return 0.0
        for i in sorted(self.buckets):
            seen += self.buckets[i]
            if rank < seen:
                return 2 * self._g**i / (self._g + 1)
        return 0.0  # pragma: no cover - ranks never exceed n - 1

    def summary(self) -> dict[str, float]:
        return _summary(self)

    def points(self) -> tuple[list[float], list[int]]:
        """The distribution as values and their weights: each bucket's value and count."""
        self.fold()
        keys = sorted(self.buckets)
        values = [0.0] * bool(self.zeros) + [2 * self._g**i / (self._g + 1) for i in keys]
        weights = [self.zeros] * bool(self.zeros) + [self.buckets[i] for i in keys]
        return values, weights


def _summary(q: ExactQuantiles | SketchQuantiles) -> dict[str, float]:
    n = q.count
    out: dict[str, float] = {"mean": q.total / n if n else 0.0}
    for name, p in QUANTILES:
        out[name] = q.quantile(p)
    out["count"] = n
    return out


def quantiles(exact: bool) -> ExactQuantiles | SketchQuantiles:
    return ExactQuantiles() if exact else SketchQuantiles()
