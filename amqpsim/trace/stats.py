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

import math

QUANTILES: tuple[tuple[str, float], ...] = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))
ZERO = 1e-9


class ExactQuantiles:
    """Keeps all samples."""

    __slots__ = ("values", "total")

    def __init__(self) -> None:
        self.values: list[float] = []
        self.total = 0.0

    def add(self, x: float) -> None:
        self.values.append(x)
        self.total += x

    @property
    def count(self) -> int:
        return len(self.values)

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


class SketchQuantiles:
    """A log-bucket histogram with relative accuracy ``accuracy``."""

    __slots__ = ("buckets", "zeros", "n", "total", "_log_g", "_g")

    def __init__(self, accuracy: float = 0.01) -> None:
        self._g = (1 + accuracy) / (1 - accuracy)
        self._log_g = math.log(self._g)
        self.buckets: dict[int, int] = {}
        self.zeros = 0
        self.n = 0
        self.total = 0.0

    def add(self, x: float) -> None:
        self.n += 1
        self.total += x
        if x < ZERO:
            self.zeros += 1
            return
        i = math.ceil(math.log(x) / self._log_g)
        b = self.buckets
        b[i] = b.get(i, 0) + 1

    @property
    def count(self) -> int:
        return self.n

    def quantile(self, q: float) -> float:
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


def _summary(q: ExactQuantiles | SketchQuantiles) -> dict[str, float]:
    n = q.count
    out: dict[str, float] = {"mean": q.total / n if n else 0.0}
    for name, p in QUANTILES:
        out[name] = q.quantile(p)
    out["count"] = n
    return out


def quantiles(exact: bool) -> ExactQuantiles | SketchQuantiles:
    return ExactQuantiles() if exact else SketchQuantiles()
