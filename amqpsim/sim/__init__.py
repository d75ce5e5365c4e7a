"""The simulation: SimPy processes around the pure broker.

>>> from amqpsim.sim import run
>>> result = run("scenarios/online-store.yaml")          # doctest: +SKIP
>>> result.summary["messages"]["acked"]                    # doctest: +SKIP

``build(scenario, seed)`` gives the SimPy model (:class:`Simulation`) without
running it; ``run`` goes through the phases load, validate, build, run, collect
and returns a :class:`RunResult`.
"""

from __future__ import annotations

import os

from ..scenario import Scenario, load_scenario
from ..trace.recorder import Recorder
from .config import SimConfig
from .engine import Simulation
from .rng import derive_seed, stream
from .runner import RunResult, check_runnable, run


def build(scenario: str | os.PathLike[str] | Scenario, seed: int | None = None, *, events: bool = True,
          config: SimConfig | None = None) -> Simulation:
    """The SimPy model of a scenario, built at t=0 and ready to ``run()``."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    check_runnable(sc, None) if sc.duration is None else None
    return Simulation(sc, sc.seed if seed is None else seed, Recorder(keep=events), config).build()


__all__ = ["RunResult", "SimConfig", "Simulation", "build", "derive_seed", "run", "stream"]
