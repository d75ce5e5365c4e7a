"""``run(scenario) -> RunResult`` in explicit phases: load, validate, build, run, collect.

A bad scenario (load, validate) raises :class:`~amqpsim.scenario.ScenarioError`
(a ``ValueError``): there is nothing to run. Anything that goes wrong later is
caught: the :class:`RunResult` then carries ``error`` and the ``phase`` it
happened in, and still holds the summary and the events up to that moment, so a
notebook can show why.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..scenario import Problem, Scenario, ScenarioError, load_scenario
from ..trace.recorder import Recorder
from ..trace.summary import Summarizer
from ..trace.views import RunView, ViewFold, fold_view
from .config import SimConfig
from .engine import Simulation

Progress = Callable[[float, "float | None"], None]
PHASES = ("load", "validate", "build", "run", "collect")


@dataclass
class RunResult:
    """What a run produced. ``events`` (a DataFrame) and ``ledger`` are computed on first use."""

    scenario: Scenario | None
    seed: int | None
    summary: dict[str, Any] = field(default_factory=dict)
    error: BaseException | None = None
    phase: str = "done"  # the phase that failed, or "done"
    timings: dict[str, float] = field(default_factory=dict)  # wall seconds per phase
    recorder: Recorder | None = field(default=None, repr=False)
    simulation: Simulation | None = field(default=None, repr=False)
    #: what the pictures draw, folded while the run went (``pictures=True``); see :attr:`view`
    folded_view: RunView | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def sim_time(self) -> float:
        return float(self.summary.get("sim_time", 0.0))

    def raise_for_error(self) -> RunResult:
        if self.error is not None:
            raise self.error
        return self

    @property
    def event_list(self) -> list[Any]:
        """The raw event records (needs ``events=True``)."""
        rec = self.recorder
        if rec is None or not rec.keep:
            raise RuntimeError("this run kept no event log: run it with events=True")
        return rec.events

    @cached_property
    def events(self) -> Any:
        """The event log as a pandas DataFrame (one row per event)."""
        from ..trace.io import to_frame

        return to_frame(self.event_list)

    @property
    def view(self) -> RunView:
        """What the pictures draw (:class:`~amqpsim.trace.views.RunView`): folded during the
        run, or else from the kept event log."""
        if self.folded_view is None:
            self.folded_view = fold_view(self.event_list, self.summary.get("scenario"), self.seed, self.sim_time,
                                         self.summary["series"]["interval"])
        return self.folded_view

    @cached_property
    def ledger(self) -> Any:
        """The delivery ledger (:class:`~amqpsim.trace.ledger.Ledger`): the kept event log
        folded again by the summary's fold, keeping a record per copy and per message."""
        from ..trace.ledger import Ledger

        return Ledger(self.event_list, end=self.sim_time)

    def write_events(self, path: str | os.PathLike[str]) -> int:
        """Write the event log (``.jsonl``, ``.jsonl.gz``, ``.parquet`` or ``.csv``)."""
        from ..trace.io import write_events

        return write_events(self.event_list, Path(path))

    def __repr__(self) -> str:
        name = self.scenario.name if self.scenario else None
        m = self.summary.get("messages", {})
        state = "ok" if self.ok else f"failed in {self.phase}: {self.error!r}"
        return (f"RunResult({name!r}, seed={self.seed}, sim_time={self.sim_time:g}, "
                f"published={m.get('published', 0)}, acked={m.get('acked', 0)}, {state})")


def check_runnable(scenario: Scenario, until: float | None) -> None:
    """Problems that make a valid scenario impossible to run to an end."""
    problems = []
    if scenario.duration is None and until is None:
        for i, p in enumerate(scenario.producers):
            if p.count is None:
                problems.append(Problem(
                    f"producer {p.name!r} has no count and the scenario no duration: the run "
                    "would never end (set duration, or count, or pass until)",
                    path=f"producers[{i}].count"))
    if until is not None and until <= 0:
        problems.append(Problem(f"until must be positive, found {until}", path="until"))
    if problems:
        raise ScenarioError(problems)


def _interval(scenario: Scenario, until: float | None) -> float:
    span = scenario.duration or until
    return span / 200 if span else 1.0


@contextmanager
def _relaxed_gc() -> Iterator[None]:
    """Collect cyclic garbage less often while the simulation runs (restored after).

    A run keeps millions of long-lived objects (the event log): with the default
    thresholds (700, 10, 10) the collector traverses them again and again, which
    cost 20-40 % of the time of a 10^5..10^6-message run with ``events=True``
    (~10 % without). The young generation is collected every 20,000 allocations
    instead of 700, which keeps at most a few MB of garbage waiting. Nothing in a
    run depends on when garbage is collected.
    """
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 20_000), max(old[1], 50), max(old[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _retain(scenario: Scenario, config: SimConfig) -> float:
    retry = any(p.confirms and p.retry_unconfirmed for p in scenario.producers)
    return config.retain if retry else 0.0


def run(scenario: str | os.PathLike[str] | Scenario, seed: int | None = None, events: bool = True,
        until: float | None = None, progress: Progress | None = None,
        config: SimConfig | None = None, exact: bool | None = None, pictures: bool | None = None,
        listeners: Sequence[Callable[[list[Any]], None]] = ()) -> RunResult:
    """Simulate a scenario (a path, YAML text or a :class:`Scenario`).

    ``seed`` overrides the scenario's seed. ``events=False`` keeps no event log
    (the summary is computed while running). ``exact`` (default: ``events``) keeps
    every latency and wait sample for exact percentiles; without, they are within
    1 % and memory stays flat. ``pictures`` (default: ``events``) also folds what the
    pictures draw (:attr:`RunResult.view`), in memory that does not grow with the
    number of messages. ``listeners`` are handed the events in batches as the
    run goes (e.g. a :class:`~amqpsim.trace.stream.EventWriter`). ``until``
    caps the simulated time. ``progress(now, end)`` is called as simulated time
    advances, about 200 times (``end``: the duration, or for a run that stops when
    drained an estimate from the producers' counts and rates).
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    timings["load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    check_runnable(sc, until)
    timings["validate"] = time.perf_counter() - t0
    seed = sc.seed if seed is None else seed
    config = config or SimConfig()

    recorder = Recorder(keep=events, routes=events or bool(listeners))
    fold = ViewFold if (events if pictures is None else pictures) else Summarizer
    summarizer = fold(exact=events if exact is None else exact, retain=_retain(sc, config), interval=_interval(sc, until),
                            max_bins=config.max_bins)
    end = sc.duration if until is None else until if sc.duration is None else min(sc.duration, until)
    if progress is not None:
        recorder.listeners.append(_progress_listener(progress, end or _expected_end(sc)))
    recorder.batch_listeners.extend([*listeners, summarizer.take])
    result = RunResult(sc, seed, recorder=recorder, timings=timings)
    sim: Simulation | None = None
    phase = "build"
    try:
        t0 = time.perf_counter()
        sim = result.simulation = Simulation(sc, seed, recorder, config).build()
        timings["build"] = time.perf_counter() - t0
        phase = "run"
        t0 = time.perf_counter()
        with _relaxed_gc():
            sim.run(until)
        timings["run"] = time.perf_counter() - t0
    except Exception as exc:  # noqa: BLE001 - a failed run still returns what happened
        timings.setdefault(phase, time.perf_counter() - t0)
        result.error, result.phase = exc, phase
    t0 = time.perf_counter()
    try:
        sim_time = float(sim.env.now) if sim is not None else 0.0
        recorder.flush()
        summarizer.finish(sim_time)
        result.summary = summarizer.summary(sc.name, seed, sim_time)
        if isinstance(summarizer, ViewFold):
            result.folded_view = summarizer.view(result.summary)
        if progress is not None:
            progress(sim_time, end or sim_time)
    except Exception as exc:  # noqa: BLE001
        if result.error is None:
            result.error, result.phase = exc, "collect"
    timings["collect"] = time.perf_counter() - t0
    return result


def _expected_end(scenario: Scenario) -> float | None:
    """When the producers of a run without duration should be done (for a progress bar)."""
    ends = [p.start + (p.count or 0) / p.rate.mean_rate for p in scenario.producers]
    return max(ends) if ends and max(ends) > 0 else None


def _progress_listener(progress: Progress, end: float | None) -> Callable[[Any], None]:
    step = end / 200 if end else 1.0
    state = {"next": step}

    def listener(ev: Any) -> None:
        t = ev.time
        if t >= state["next"]:
            progress(t, end)
            state["next"] = (t // step + 1) * step

    return listener
