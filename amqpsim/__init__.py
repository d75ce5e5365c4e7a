"""amqpsim: a discrete-event simulator of RabbitMQ (AMQP 0-9-1).

>>> import amqpsim
>>> result = amqpsim.run("scenarios/online-store.yaml")   # doctest: +SKIP
>>> result.summary["invariants"]["conservation"]           # doctest: +SKIP
True

The names are imported on first use, so ``import amqpsim`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .scenario import load_scenario
    from .sim import RunResult, run
    from .study import compare, sweep

__all__ = ["RunResult", "compare", "load_scenario", "run", "sweep"]
__version__ = "0.1.0"

_LAZY = {"load_scenario": "amqpsim.scenario", "run": "amqpsim.sim", "RunResult": "amqpsim.sim",
         "compare": "amqpsim.study", "sweep": "amqpsim.study"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name])
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'amqpsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
