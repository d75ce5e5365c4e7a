"""Parameter sweeps: one run per (grid point, seed), on any executor.

>>> df = amqpsim.sweep("scenarios/online-store.yaml",                  # doctest: +SKIP
...                    grid={"consumers.0.prefetch": [1, 10, 100]}, seeds=range(5))
>>> df.groupby("consumers.0.prefetch")["latency.p99"].mean()           # doctest: +SKIP

Each run is a picklable task ``(scenario as a dict, seed)`` executed by
:func:`run_summary`; every run is seeded, so the rows are identical whichever
:class:`concurrent.futures.Executor` runs them (a local process pool by default,
a thread pool, or Dask's ``Client.get_executor()``) and in whatever order the
runs finish.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from typing import Any

import pandas as pd

from ..scenario import Scenario, ScenarioError, load_scenario

__all__ = ["expand_grid", "flatten", "local_pool", "run_summaries", "run_summary", "sweep"]

ScenarioLike = Scenario | str | os.PathLike[str] | Mapping[str, Any]
Progress = bool | Callable[[int, int], None]
Task = tuple[dict[str, Any], int]


def as_scenario(source: ScenarioLike) -> Scenario:
    """A :class:`Scenario` from a scenario, a path, YAML text or a mapping."""
    return source if isinstance(source, Scenario) else load_scenario(source)


def run_summary(scenario: dict[str, Any], seed: int) -> dict[str, Any]:
    """Run one seeded simulation without keeping its events; the summary without
    its time series. A top-level function, so process pools can pickle it."""
    from .. import run  # lazy: the simulation layer is heavy to import

    result = run(load_scenario(scenario), seed=seed, events=False).raise_for_error()
    summary = dict(result.summary)
    summary.pop("series", None)
    return summary


def expand_grid(grid: Mapping[str, Iterable[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the first key varying slowest."""
    keys = list(grid)
    values = []
    for key in keys:
        vals = grid[key]
        vals = [vals] if isinstance(vals, str | bytes) or not isinstance(vals, Iterable) \
            else list(vals)
        if not vals:
            raise ValueError(f"grid key {key!r} has no values")
        values.append(vals)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys (``latency.p99``); lists are left out."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        elif not isinstance(value, list | tuple | set):
            out[name] = value
    return out


def _seeds(seeds: int | Iterable[int] | None, scenario: Scenario) -> list[int]:
    if seeds is None:
        return [scenario.seed]
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds must be at least 1, got {seeds}")
        return list(range(seeds))
    out = [int(s) for s in seeds]
    if not out:
        raise ValueError("seeds is empty")
    return out


def _reporter(progress: Progress, total: int, description: str
              ) -> tuple[Callable[[int], None], Callable[[], None]]:
    """(advance(done), close()) for ``progress``: a rich bar, a callback or nothing."""
    if callable(progress):
        return (lambda done: progress(done, total)), (lambda: None)
    if not progress:
        return (lambda done: None), (lambda: None)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True))
    task = bar.add_task(description, total=total)
    bar.start()
    return (lambda done: bar.update(task, completed=done)), bar.stop


def local_pool(tasks: int | None = None, workers: int | None = None) -> ProcessPoolExecutor:
    """A process pool with one worker per CPU (at most ``tasks``).

    On Linux, workers are forked from this process while it has a single thread
    (fast, no ``if __name__ == "__main__"`` guard needed); from a process with
    threads (a Jupyter kernel, a Dask client), which forking can deadlock, they are
    forked from a clean server process ("forkserver") that imports amqpsim once.
    """
    n = workers or max(1, min(tasks or os.cpu_count() or 1, os.cpu_count() or 1))
    if sys.platform == "linux" and threading.active_count() == 1:
        return ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork"))
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return ProcessPoolExecutor(max_workers=n)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["amqpsim.sweep", "amqpsim.sim"])
    return ProcessPoolExecutor(max_workers=n, mp_context=context)


def run_summaries(tasks: Sequence[Task], executor: Executor | None = None,
                  progress: Progress = False, description: str = "runs"
                  ) -> list[dict[str, Any]]:
    """The summaries of ``tasks`` (scenario dict, seed), in the order given.

    ``executor`` defaults to a local :class:`ProcessPoolExecutor` (closed afterwards).
    ``progress``: ``True`` for a rich progress bar, or ``callback(done, total)``.
    """
    own = executor is None
    if executor is None:
        executor = local_pool(len(tasks))
    advance, close = _reporter(progress, len(tasks), description)
    results: list[dict[str, Any] | None] = [None] * len(tasks)
    try:
        futures: dict[Future[dict[str, Any]], int] = {
            executor.submit(run_summary, scenario, seed): i
            for i, (scenario, seed) in enumerate(tasks)}
        for done, future in enumerate(as_completed(futures), start=1):
            i = futures[future]
            try:
                results[i] = future.result()
            except ScenarioError:
                raise
            except Exception as exc:
                for f in futures:
                    f.cancel()
                raise RuntimeError(f"run {i} (seed {tasks[i][1]}) failed: {exc}") from exc
            advance(done)
    finally:
        close()
        if own:
            executor.shutdown(cancel_futures=True)
    return [r for r in results if r is not None]


def sweep(scenario: ScenarioLike, grid: Mapping[str, Iterable[Any]],
          seeds: int | Iterable[int] | None = None, executor: Executor | None = None,
          progress: Progress = False) -> pd.DataFrame:
    """Run ``scenario`` at every point of ``grid`` for every seed.

    ``grid`` maps dotted scenario paths to values, e.g.
    ``{"consumers.0.prefetch": [1, 10, 100], "producers.0.rate.poisson": [5, 10]}``;
    every point is validated (a bad path raises :class:`ScenarioError` with a "did
    you mean") before anything runs. ``seeds``: a list, a count ``n`` (seeds
    ``0..n-1``) or ``None`` (the scenario's own seed).

    Returns one row per (grid point, seed), in grid-then-seed order: a column per
    grid key (named as the key), ``seed``, and the run's summary flattened with
    dotted names (``messages.acked``, ``queues.<name>.wait.mean``, ``latency.p99``).
    """
    base = as_scenario(scenario)
    points = expand_grid(grid)
    variants = [base.with_overrides(point) for point in points]
    seed_list = _seeds(seeds, base)
    tasks = [(v.to_dict(compact=True), s) for v in variants for s in seed_list]
    summaries = run_summaries(tasks, executor, progress, f"sweep {base.name}")
    rows = []
    for (point, seed), summary in zip(itertools.product(points, seed_list), summaries,
                                      strict=True):
        flat = flatten(summary)
        flat.pop("seed", None)
        rows.append({**point, "seed": seed, **flat})
    return pd.DataFrame(rows)


def parse_set(option: str) -> tuple[str, list[Any]]:
    """``"consumers.0.prefetch=1,10,100"`` -> ``("consumers.0.prefetch", [1, 10, 100])``.

    Values are YAML (``true``, ``4.3``, ``{exponential: 0.5}``), separated by commas
    outside brackets and braces.
    """
    import yaml  # type: ignore[import-untyped]

    key, sep, text = option.partition("=")
    key = key.strip()
    if not sep or not key or not text.strip():
        raise ValueError(f"--set expects PATH=VALUE[,VALUE...], got {option!r}")
    try:
        values = yaml.safe_load(f"[{text}]")
    except yaml.YAMLError:
        values = [yaml.safe_load(v) if v.strip() else v for v in text.split(",")]
    if not isinstance(values, list) or not values:
        raise ValueError(f"--set {key}: no values in {text!r}")
    return key, values
