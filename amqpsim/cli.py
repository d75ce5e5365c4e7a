"""The ``amqpsim`` command line: a thin wrapper over the public library API.

Each subcommand is one ``cmd_*`` function taking the parsed arguments and
returning an exit status; :func:`build_parser` registers them. Exit statuses:
0 success, 1 the command ran but reports a failure, 2 bad input (invalid
scenario, missing file, bad usage).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from amqpsim.scenario import (
    DefinitionsWarning,
    ScenarioError,
    ScenarioWarning,
    choose_vhost,
    dump_yaml,
    export_definitions,
    import_definitions,
    load_scenario,
    read_definitions,
    scenario_name,
)

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

Command = Callable[[argparse.Namespace], int]


def cmd_validate(args: argparse.Namespace) -> int:
    """Check each scenario file; print ``ok: FILE (NAME)`` (after its warnings, if
    any: they do not change the exit status) or its problems."""
    status = EXIT_OK
    for path in args.scenarios:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ScenarioWarning)
                scenario = load_scenario(Path(path))
        except ScenarioError as exc:
            print(exc, file=sys.stderr)
            status = EXIT_BAD_INPUT
        else:
            _print_warnings(caught)
            print(f"ok: {path} ({scenario.name})")
    return status


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario: progress bar on long runs, then the summary (``--quiet``: none; a
    failed run prints one line on stderr instead).

    Exit status 0 when the run completed and every routed copy has exactly one
    fate; 1 when the run failed or conservation is violated; 2 for a bad scenario.
    """
    from amqpsim import run  # lazy: validate must not need simpy

    writer = None
    if args.events:
        from amqpsim.trace import EventWriter

        try:
            writer = EventWriter(args.events)
        except (OSError, ValueError) as exc:
            print(f"{args.events}: cannot write events: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    console = _console(args)
    with _SimProgress(console, quiet=args.quiet) as bar:
        result = run(Path(args.scenario), seed=args.seed, events=False, exact=not args.stream,
                     pictures=bool(args.report), until=args.until, progress=bar.update,
                     listeners=[writer.take] if writer else [])
    if writer is not None:
        writer.close()
    status = EXIT_OK
    if result.error is not None:
        print(f"amqpsim run: the run failed during {result.phase}: "
              f"{type(result.error).__name__}: {result.error}", file=sys.stderr)
        status = EXIT_FAILED
    if result.summary and args.json:
        text = json.dumps(result.summary, indent=2) + "\n"
        if _write(text, args.json) != EXIT_OK:
            return EXIT_BAD_INPUT
    if result.summary and not args.quiet and args.json != "-" and result.error is None:
        from amqpsim.trace import print_summary

        print_summary(result.summary, console)
    if args.report and result.summary:
        from amqpsim.viz import write_report  # lazy: matplotlib only when a report is asked for

        page = write_report(result, args.report)
        print(f"report: {page}", file=sys.stderr if args.json == "-" else sys.stdout)
    if result.summary and not result.summary["invariants"]["conservation"]:
        print("amqpsim run: conservation violated (a routed copy without exactly one fate)",
              file=sys.stderr)
        status = EXIT_FAILED
    return status


def _console(args: argparse.Namespace) -> Any:
    from rich.console import Console

    return Console(stderr=args.json == "-")


class _SimProgress:
    """A rich progress bar over simulated time, shown once a run takes over half a second."""

    def __init__(self, console: Any, quiet: bool) -> None:
        self.console = console
        self.quiet = quiet
        self.bar: object | None = None
        self.task: object | None = None
        self.t0 = 0.0

    def __enter__(self) -> _SimProgress:
        import time

        self.t0 = time.monotonic()
        return self

    def update(self, now: float, end: float | None) -> None:
        import time

        if self.quiet:
            return
        if self.bar is None:
            if time.monotonic() - self.t0 < 0.5:
                return
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("simulating"), BarColumn(),
                                TextColumn("{task.completed:,.0f} / {task.total:,.0f} s simulated"),
                                TimeElapsedColumn(), console=self.console, transient=True)
            self.bar.start()  # type: ignore[attr-defined]
            self.task = self.bar.add_task("run", total=end)  # type: ignore[attr-defined]
        self.bar.update(self.task, completed=now)  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()  # type: ignore[attr-defined]


def _write(text: str, output: str | None) -> int:
    """Write ``text`` to ``output`` (``None`` or ``-``: stdout); exit status."""
    if output in (None, "-"):
        sys.stdout.write(text)
        return EXIT_OK
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"{output}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def _records(df: Any) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts: full float precision, NaN as null."""
    def plain(v: Any) -> Any:
        v = v.item() if hasattr(v, "item") else v
        return None if isinstance(v, float) and v != v else v
    return [{k: plain(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)


def cmd_import_definitions(args: argparse.Namespace) -> int:
    """RabbitMQ definitions JSON -> a scenario with that topology (no clients yet)."""
    path = Path(args.definitions)
    defs = read_definitions(path)
    vhost = choose_vhost(defs, args.vhost)
    version = defs.get("rabbitmq_version") or defs.get("rabbit_version") or "?"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DefinitionsWarning)
        scenario = import_definitions(
            defs, args.name or scenario_name(path.stem), vhost=vhost,
            description=f"Topology of vhost {vhost!r} imported from {path.name} (RabbitMQ "
                        f"{version} definitions); add producers and consumers to simulate it.")
    _print_warnings(caught)
    return _write(dump_yaml(scenario), args.output)


def cmd_export_definitions(args: argparse.Namespace) -> int:
    """A scenario's topology -> definitions JSON for ``rabbitmqctl import_definitions``."""
    scenario = load_scenario(Path(args.scenario))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DefinitionsWarning)
        defs = export_definitions(scenario)
    _print_warnings(caught)
    return _write(json.dumps(defs, indent=2, sort_keys=True) + "\n", args.output)


def _executor(args: argparse.Namespace) -> tuple[Any, Callable[[], None]]:
    """(executor or None for the default, close) from --workers / --dask."""
    if args.dask and args.workers is not None:
        raise _UsageError("use --workers or --dask, not both")
    if args.dask:
        try:
            from dask.distributed import Client
        except ImportError:
            raise _UsageError("--dask needs dask: pip install 'amqpsim[dask]'") from None
        try:
            client = Client(args.dask, timeout=10)
        except (OSError, TimeoutError) as exc:
            raise _UsageError(f"cannot reach the Dask scheduler {args.dask}: {exc}") from None
        return client.get_executor(), client.close
    if args.workers is not None:
        from amqpsim.study import local_pool

        if args.workers < 1:
            raise _UsageError(f"--workers must be at least 1, got {args.workers}")
        pool = local_pool(workers=args.workers)
        return pool, pool.shutdown
    return None, lambda: None


class _UsageError(Exception):
    """A bad combination of options: exit status 2."""


def cmd_compare(args: argparse.Namespace) -> int:
    """Run scenarios over the same seeds; a table side by side, optionally a report."""
    from rich.console import Console

    from amqpsim.study import compare

    if args.seeds < 1:
        raise _UsageError(f"--seeds must be at least 1, got {args.seeds}")
    scenarios = [load_scenario(Path(path)) for path in args.scenarios]
    executor, close = _executor(args)
    try:
        comparison = compare(scenarios, seeds=args.seeds, executor=executor, progress=True)
    except RuntimeError as exc:  # a run failed
        print(f"amqpsim compare: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        close()
    Console().print(comparison.rich_table())
    if args.report:
        print(f"report: {comparison.report(args.report)}")
    if args.json:
        text = json.dumps({"seeds": comparison.seeds, "level": comparison.level,
                           "labels": comparison.labels, "rows": _records(comparison.table())},
                          indent=2)
        return _write(text + "\n", args.json)
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run a scenario over a grid of overrides and seeds; one row per run."""
    from rich.console import Console
    from rich.table import Table

    from amqpsim.study import parse_set, sweep

    if args.seeds < 1:
        raise _UsageError(f"--seeds must be at least 1, got {args.seeds}")
    try:
        grid = dict(parse_set(option) for option in args.set)
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    scenario = load_scenario(Path(args.scenario))
    executor, close = _executor(args)
    try:
        df = sweep(scenario, grid, seeds=args.seeds, executor=executor, progress=True)
    except RuntimeError as exc:  # a run failed
        print(f"amqpsim sweep: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        close()
    keys = list(grid)
    points = df[keys].map(lambda v: json.dumps(v) if isinstance(v, dict | list) else v)
    shown = [c for c in ("messages.acked", "latency.p50", "latency.p99") if c in df.columns]
    table = Table(title=f"{scenario.name}: mean over {args.seeds} seeds", title_justify="left")
    for col in keys + shown:
        table.add_column(col, justify="right", overflow="fold")
    means = df[shown].groupby([points[k] for k in keys], sort=False).mean().reset_index() \
        if keys else df[shown].mean().to_frame().T
    for row in means.itertuples(index=False):
        table.add_row(*(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row))
    Console().print(table)
    if args.json:
        text = json.dumps({"scenario": scenario.name, "grid": grid,
                           "seeds": list(range(args.seeds)),
                           "rows": _records(df)}, indent=2)
        return _write(text + "\n", args.json)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="amqpsim", description="Discrete-event simulator of RabbitMQ (AMQP 0-9-1).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    p = add("validate", cmd_validate, "check scenario files without running them")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario YAML file(s)")

    p = add("run", cmd_run, "run a scenario and print its summary")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    p.add_argument("--json", metavar="FILE", default=None,
                   help="write the summary as JSON ('-': stdout)")
    p.add_argument("--events", metavar="FILE", default=None,
                   help="write the event log as the run goes (.jsonl.gz or .parquet are compact; "
                        ".jsonl, .csv)")
    p.add_argument("--until", type=float, default=None, metavar="T",
                   help="stop at simulated time T (seconds)")
    p.add_argument("--stream", action="store_true",
                   help="percentiles within 1 %% instead of exact: memory stays flat however long the run")
    p.add_argument("--quiet", "-q", action="store_true", help="print no progress and no summary")
    p.add_argument("--report", metavar="DIR", default=None,
                   help="write the pictures, summary.json and report.html into DIR")

    p = add("import-definitions", cmd_import_definitions,
            "make a scenario from RabbitMQ definitions (rabbitmqctl export_definitions)")
    p.add_argument("definitions", metavar="DEFS.json")
    p.add_argument("-o", "--output", metavar="SCENARIO.yaml", default=None,
                   help="where to write the scenario (default: stdout)")
    p.add_argument("--vhost", default=None, help="the vhost to import (default: '/')")
    p.add_argument("--name", default=None, help="scenario name (default: from the file name)")

    p = add("export-definitions", cmd_export_definitions,
            "write a scenario's topology as RabbitMQ definitions JSON")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("-o", "--output", metavar="DEFS.json", default=None,
                   help="where to write the definitions (default: stdout)")

    def add_executor_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--seeds", type=int, default=5, metavar="N",
                       help="run seeds 0..N-1 (default: 5)")
        p.add_argument("--workers", type=int, default=None, metavar="N",
                       help="local worker processes (default: one per CPU)")
        p.add_argument("--dask", metavar="ADDRESS", default=None,
                       help="run on a Dask cluster (scheduler address; needs amqpsim[dask])")
        p.add_argument("--json", metavar="FILE", default=None, help="write the results as JSON")

    p = add("compare", cmd_compare, "run scenarios over the same seeds and compare them")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    p.add_argument("--report", metavar="DIR", default=None,
                   help="write an HTML page with the table and pictures into DIR")
    add_executor_options(p)

    p = add("sweep", cmd_sweep, "run a scenario over a grid of parameters and seeds")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--set", action="append", default=[], metavar="PATH=V1,V2,...",
                   help="a grid axis, e.g. consumers.0.prefetch=1,10,100 (repeatable)")
    add_executor_options(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    except _UsageError as exc:
        print(f"amqpsim {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback (AMQPSIM_DEBUG=1: raise)
        if os.environ.get("AMQPSIM_DEBUG"):
            raise
        print(f"amqpsim {args.command}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
