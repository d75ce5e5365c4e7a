"""Declarative random quantities (service times, sizes, priorities).

Everything here is plain data read from YAML as a one-key tagged mapping
(``{exponential: 0.5}``) and sampled with a caller-supplied ``random.Random``.
Nothing is ever evaluated. Each class has ``kind`` and typed parameters.

=========================================  ========================================
YAML                                       class, parameters
=========================================  ========================================
``5`` or ``{constant: 5}``                 :class:`Constant` ``value``
``{exponential: 0.5}`` (mean)              :class:`Exponential` ``mean``
``{uniform: [a, b]}``                      :class:`Uniform` ``low``, ``high``
``{lognormal: {mean: m, sigma: s}}``       :class:`Lognormal` ``mean``, ``sigma``
``{choice: {512: 0.9, 4096: 0.1}}``        :class:`Choice` ``weights`` (value -> weight)
=========================================  ========================================

``Lognormal.mean`` is the mean of the quantity itself (not of its logarithm);
``sigma`` is the standard deviation of its logarithm.
"""

from __future__ import annotations

import math
import random
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_serializer,
)
from pydantic_core import PydanticCustomError

from .errors import did_you_mean

__all__ = ["Choice", "Constant", "Distribution", "Exponential", "Lognormal", "Uniform"]

NonNeg = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


def _number(x: float) -> float | int:
    """Dump integral floats as ints (``512`` rather than ``512.0``)."""
    return int(x) if float(x).is_integer() and abs(x) < 2**53 else x


class _Tagged(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    hidden_keys: ClassVar[frozenset[str]] = frozenset({"kind"})


class _Dist(_Tagged):
    def sample(self, rng: random.Random) -> float:
        raise NotImplementedError

    def sample_int(self, rng: random.Random) -> int:
        """A sample rounded to the nearest integer (sizes, priorities)."""
        return int(round(self.sample(rng)))

    @property
    def expected(self) -> float:
        """The mean of the distribution."""
        raise NotImplementedError


class Constant(_Dist):
    kind: Literal["constant"] = "constant"
    value: NonNeg

    def sample(self, rng: random.Random) -> float:
        return self.value

    @property
    def expected(self) -> float:
        return self.value

    @model_serializer
    def _dump(self) -> dict[str, Any]:
        return {"constant": _number(self.value)}


class Exponential(_Dist):
    kind: Literal["exponential"] = "exponential"
    mean: Positive

    def sample(self, rng: random.Random) -> float:
        return rng.expovariate(1.0 / self.mean)

    @property
    def expected(self) -> float:
        return self.mean

    @model_serializer
    def _dump(self) -> dict[str, Any]:
        return {"exponential": _number(self.mean)}


class Uniform(_Dist):
    kind: Literal["uniform"] = "uniform"
    low: NonNeg
    high: NonNeg

    def sample(self, rng: random.Random) -> float:
        return rng.uniform(self.low, self.high)

    @property
    def expected(self) -> float:
        return (self.low + self.high) / 2

    @model_serializer
    def _dump(self) -> dict[str, Any]:
        return {"uniform": [_number(self.low), _number(self.high)]}


class Lognormal(_Dist):
    kind: Literal["lognormal"] = "lognormal"
    mean: Positive
    sigma: NonNeg

    def sample(self, rng: random.Random) -> float:
        mu = math.log(self.mean) - self.sigma**2 / 2
        return rng.lognormvariate(mu, self.sigma)

    @property
    def expected(self) -> float:
        return self.mean

    @model_serializer
    def _dump(self) -> dict[str, Any]:
        return {"lognormal": {"mean": _number(self.mean), "sigma": _number(self.sigma)}}


class Choice(_Dist):
    kind: Literal["choice"] = "choice"
    weights: dict[NonNeg, Positive] = Field(min_length=1)

    def sample(self, rng: random.Random) -> float:
        values = list(self.weights)
        return rng.choices(values, weights=list(self.weights.values()))[0]

    @property
    def expected(self) -> float:
        total = sum(self.weights.values())
        return sum(v * w for v, w in self.weights.items()) / total

    @model_serializer
    def _dump(self) -> dict[str, Any]:
        return {"choice": {_number(v): _number(w) for v, w in self.weights.items()}}


_DIST_FORMS = "a number, {constant: s}, {exponential: mean}, {uniform: [a, b]}, " \
    "{lognormal: {mean: m, sigma: s}} or {choice: {value: weight}}"


def _tag(v: Any, tags: tuple[str, ...], forms: str) -> tuple[str, Any]:
    """Split a one-key tagged mapping, or raise a helpful error."""
    if not isinstance(v, dict) or len(v) != 1:
        raise PydanticCustomError("tagged", "expected {forms}", {"forms": forms})
    ((tag, param),) = v.items()
    if tag not in tags:
        hint = did_you_mean(tag, tags)
        raise PydanticCustomError(
            "unknown_tag", "unknown kind '{tag}'; expected {forms}",
            {"tag": tag, "forms": forms, "suggestion": hint},
        )
    return tag, param


def _to_distribution(v: Any) -> Any:
    if isinstance(v, _Dist):
        return v
    if isinstance(v, int | float) and not isinstance(v, bool):
        return {"kind": "constant", "value": v}
    tag, p = _tag(v, ("constant", "exponential", "uniform", "lognormal", "choice"), _DIST_FORMS)
    if tag == "constant":
        return {"kind": tag, "value": p}
    if tag == "exponential":
        return {"kind": tag, "mean": p}
    if tag == "uniform":
        if not (isinstance(p, list) and len(p) == 2):
            raise PydanticCustomError("uniform", "uniform needs a list [low, high]")
        if all(isinstance(x, int | float) for x in p) and p[0] > p[1]:
            raise PydanticCustomError("uniform", "uniform [low, high] needs low <= high")
        return {"kind": tag, "low": p[0], "high": p[1]}
    if tag == "lognormal":
        return {"kind": tag, **p} if isinstance(p, dict) else {"kind": tag, "mean": p}
    return {"kind": tag, "weights": p}


Distribution = Annotated[
    Constant | Exponential | Uniform | Lognormal | Choice,
    Field(discriminator="kind"),
    BeforeValidator(_to_distribution),
]
"""A non-negative random quantity; ``.sample(rng) -> float``."""
