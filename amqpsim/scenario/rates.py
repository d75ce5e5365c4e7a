"""Publish rates and routing-key choices: tagged mappings, like distributions.

==================================  ==============================================
YAML                                class, parameters
==================================  ==============================================
``{constant: r}``                   :class:`ConstantRate` ``rate`` (msg/s)
``{poisson: r}``                    :class:`PoissonRate` ``rate`` (msg/s)
``{burst: {size: n, every: s}}``    :class:`BurstRate` ``size``, ``every``
``{choice: {key: weight}}``         :class:`KeyChoice` ``choice`` (routing keys)
==================================  ==============================================
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from functools import partial
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_serializer,
)
from pydantic_core import PydanticCustomError

from .distributions import Positive, _number, _tag, _Tagged

__all__ = ["BurstRate", "ConstantRate", "KeyChoice", "PoissonRate", "Rate", "RoutingKey"]


class _Rate(_Tagged):
    @property
    def mean_rate(self) -> float:
        """Long-run messages per second."""
        raise NotImplementedError

    def gaps(self, rng: random.Random) -> Iterator[float]:
        """Endless delays (seconds) before each publish, counted from ``start``."""
        raise NotImplementedError

    def gap_sampler(self, rng: random.Random) -> Callable[[], float]:
        """The same delays as :meth:`gaps`, one per call."""
        return partial(next, self.gaps(rng))


class ConstantRate(_Rate):
    """One message every ``1/rate`` seconds, the first at ``start``."""

    kind: Literal["constant"] = "constant"
    rate: Positive

    @property
    def mean_rate(self) -> float:
        return self.rate

    def gaps(self, rng: random.Random) -> Iterator[float]:
        yield 0.0
        while True:
            yield 1.0 / self.rate

    @model_serializer
    def _dump(self) -> dict[str, Any]:
        return {"constant": _number(self.rate)}


class PoissonRate(_Rate):
    """Exponential gaps of mean ``1/rate`` (the first one too)."""

    kind: Literal["poisson"] = "poisson"
    rate: Positive

    @property
    def mean_rate(self) -> float:
        return self.rate

    def gaps(self, rng: random.Random) -> Iterator[float]:
        while True:
            yield rng.expovariate(self.rate)

    def gap_sampler(self, rng: random.Random) -> Callable[[], float]:
        return partial(rng.expovariate, self.rate)  # (no generator to resume per publish)

    @model_serializer
    def _dump(self) -> dict[str, Any]:
        return {"poisson": _number(self.rate)}


class BurstRate(_Rate):
    """``size`` messages at once every ``every`` seconds, the first burst at ``start``."""

    kind: Literal["burst"] = "burst"
    size: int = Field(gt=0)
    every: Positive

    @property
    def mean_rate(self) -> float:
        return self.size / self.every

    def gaps(self, rng: random.Random) -> Iterator[float]:
        yield from [0.0] * self.size
        while True:
            yield self.every
            yield from [0.0] * (self.size - 1)

    @model_serializer
    def _dump(self) -> dict[str, Any]:
        return {"burst": {"size": self.size, "every": _number(self.every)}}


def _to_rate(v: Any) -> Any:
    if isinstance(v, _Rate):
        return v
    forms = "{constant: r}, {poisson: r} or {burst: {size: n, every: s}}"
    tag, p = _tag(v, ("constant", "poisson", "burst"), forms)
    if tag == "burst":
        if not isinstance(p, dict):
            raise PydanticCustomError("burst", "burst needs {size: n, every: s}")
        return {"kind": tag, **p}
    return {"kind": tag, "rate": p}


Rate = Annotated[
    ConstantRate | PoissonRate | BurstRate,
    Field(discriminator="kind"),
    BeforeValidator(_to_rate),
]
"""A producer's publish rate; ``.kind``, ``.mean_rate``, ``.gaps(rng)``."""


# --- routing keys ----------------------------------------------------------

class KeyChoice(BaseModel):
    """``{choice: {order.created: 0.9, order.cancelled: 0.1}}``: a weighted pick."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    kind: ClassVar[str] = "choice"
    choice: dict[str, Positive] = Field(min_length=1)

    def sample(self, rng: random.Random) -> str:
        return rng.choices(list(self.choice), weights=list(self.choice.values()))[0]


def _key_tag(v: Any) -> str:
    return "choice" if isinstance(v, dict | KeyChoice) else "str"


RoutingKey = Annotated[
    Annotated[str, Tag("str")] | Annotated[KeyChoice, Tag("choice")],
    Discriminator(_key_tag),
]
"""A fixed routing key (``str``) or a :class:`KeyChoice`."""
