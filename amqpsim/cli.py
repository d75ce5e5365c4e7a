"""The ``amqpsim`` command line: a thin wrapper over the public library API.

Each subcommand is one ``cmd_*`` function taking the parsed arguments and
returning an exit status; :func:`build_parser` registers them. Exit statuses:
0 success, 1 the command ran but reports a failure, 2 bad input (invalid
scenario, missing file, bad usage).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from amqpsim.scenario import ScenarioError, load_scenario

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

Command = Callable[[argparse.Namespace], int]


def cmd_validate(args: argparse.Namespace) -> int:
    """Check each scenario file; print ``ok: FILE (NAME)`` or its problems."""
    status = EXIT_OK
    for path in args.scenarios:
        try:
            scenario = load_scenario(Path(path))
        except ScenarioError as exc:
            print(exc, file=sys.stderr)
            status = EXIT_BAD_INPUT
        else:
            print(f"ok: {path} ({scenario.name})")
    return status


def cmd_run(args: argparse.Namespace) -> int:
    """Placeholder: validates the scenario, then hands it to :mod:`amqpsim.sim`."""
    scenario = load_scenario(Path(args.scenario))
    try:
        from amqpsim import sim  # lazy: validate must not need simpy
        run = sim.run  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        print("amqpsim run: the simulation layer (amqpsim.sim.run) is not available yet",
              file=sys.stderr)
        return EXIT_FAILED
    seed = scenario.seed if args.seed is None else args.seed
    run(scenario, seed=seed)
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

    p = add("run", cmd_run, "run a scenario (not implemented yet)")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    p.add_argument("--json", metavar="FILE", default=None, help="write the summary as JSON")
    # compare, sweep, import-definitions, export-definitions: add cmd_* functions here.
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
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
