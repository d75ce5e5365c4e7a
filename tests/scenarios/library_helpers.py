"""Shared helpers for the scenario-library tests (a plain module, imported by name).

* :func:`names` lists the scenarios in ``scenarios/``; :func:`result` runs one with
  its own seed, once per test process (runs are deterministic, so they are cached).
* Goldens: :func:`golden_of` turns a run summary into the JSON that is stored in
  ``golden/<name>.json`` (floats rounded to 6 digits); :func:`golden_diff` lists
  the keys that differ between a stored golden and a fresh one; :func:`dumps`
  writes a golden (lists of numbers on one line, so the files stay readable).
* :func:`of` filters an event log; :func:`queues_of` (message -> queues it was
  enqueued in), :func:`most_unacked` (largest number of manual-ack deliveries a
  consumer held at once) and :func:`recording_deliveries` (what each consumer
  received, properties and headers included) help the lesson tests.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import amqpsim
from amqpsim.sim import RunResult
from amqpsim.trace.events import Event

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
GOLDEN = Path(__file__).resolve().parent / "golden"
DIGITS = 6
REGEN_HINT = ("if the change is intended, regenerate the goldens: "
              "python tests/scenarios/regen.py [NAME ...]  or  pytest tests/scenarios --regen-goldens")


def names() -> list[str]:
    return sorted(p.stem for p in SCENARIOS.glob("*.yaml"))


def path(name: str) -> Path:
    return SCENARIOS / f"{name}.yaml"


@cache
def result(name: str) -> RunResult:
    """The run of ``scenarios/<name>.yaml`` with its own seed and the full event log."""
    r = amqpsim.run(path(name))
    assert r.error is None, f"{name}: failed in {r.phase}: {r.error!r}"
    return r


_MISSING = object()


def of(events: list[Event], *kinds: str, **where: Any) -> list[Event]:
    """The events of the given kinds (all kinds if none) whose fields equal ``where`` (a
    record without such a field does not match)."""
    ks = set(kinds)
    return [e for e in events if (not ks or e.kind in ks)
            and all(getattr(e, k, _MISSING) == v for k, v in where.items())]


def queues_of(events: list[Event]) -> dict[int, Counter[str]]:
    """Message id -> how many copies of it entered each queue."""
    out: dict[int, Counter[str]] = defaultdict(Counter)
    for e in events:
        if e.kind == "enqueue":
            out[e.msg][e.queue] += 1
    return out


def most_unacked(events: list[Event]) -> dict[str, int]:
    """Consumer instance -> the most manual-ack deliveries it held unsettled at once."""
    held: dict[str, set[tuple[str, int]]] = defaultdict(set)
    most: dict[str, int] = defaultdict(int)
    owner: dict[tuple[str, int], str] = {}
    for e in events:
        if e.kind == "deliver" and not e.auto_ack:
            key = (e.channel, e.delivery_tag)
            owner[key] = e.actor
            held[e.actor].add(key)
            most[e.actor] = max(most[e.actor], len(held[e.actor]))
        elif e.kind in ("ack", "settle") and (e.channel, e.delivery_tag) in owner:
            key = (e.channel, e.delivery_tag)
            held[owner.pop(key)].discard(key)
        elif e.kind == "channel_close" and e.channel is not None:
            for key in [k for k in owner if k[0] == e.channel]:
                held[owner.pop(key)].discard(key)
    return dict(most)


@contextmanager
def recording_deliveries() -> Iterator[list[tuple[float, str, Any]]]:
    """Within the block, every delivery a simulated consumer receives is appended to the
    yielded list as ``(time, consumer instance, Delivery)`` (the Delivery carries the
    message properties: reply_to, correlation_id, headers with x-death, ...)."""
    from amqpsim.sim.consumer import ConsumerClient

    seen: list[tuple[float, str, Any]] = []
    original = ConsumerClient._deliver

    def spy(self: Any, d: Any) -> None:
        seen.append((float(self.sim.env.now), self.name, d))
        original(self, d)

    ConsumerClient._deliver = spy  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        ConsumerClient._deliver = original  # type: ignore[method-assign]


# ---------------------------------------------------------------------- goldens
def _round(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return repr(value)
        return round(value, DIGITS) + 0.0  # + 0.0: no "-0.0"
    if isinstance(value, dict):
        return {str(k): _round(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_round(v) for v in value]
    return value


def golden_of(summary: dict[str, Any]) -> dict[str, Any]:
    """The golden form of a summary: exactly what ``amqpsim run --json`` writes, as
    plain JSON data, floats rounded to 6 digits."""
    return _round(json.loads(json.dumps(summary)))


def golden_path(name: str) -> Path:
    return GOLDEN / f"{name}.json"


def load_golden(name: str) -> dict[str, Any]:
    return json.loads(golden_path(name).read_text(encoding="utf-8"))


def _flat(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        if not value and prefix:
            yield prefix, {}
        for k in sorted(value):
            yield from _flat(value[k], f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, list):
        if not value:
            yield prefix, []
        for i, v in enumerate(value):
            yield from _flat(v, f"{prefix}[{i}]")
    else:
        yield prefix, value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, int | float) \
            or not isinstance(b, int | float):
        return type(a) is type(b) and a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b  # counts: exact
    # floats: equal after rounding to DIGITS (half a unit of slack for rounding at a boundary)
    return abs(round(a, DIGITS) - round(b, DIGITS)) <= 1.5 * 10 ** -DIGITS


def golden_diff(expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    """One line per key that was added, removed or changed (dotted paths, ``[i]`` for lists)."""
    want, got = dict(_flat(expected)), dict(_flat(found))
    lines = []
    for key in sorted(want.keys() | got.keys()):
        if key not in got:
            lines.append(f"  - {key}: {want[key]!r} (missing now)")
        elif key not in want:
            lines.append(f"  + {key}: {got[key]!r} (new)")
        elif not _same(want[key], got[key]):
            lines.append(f"  ~ {key}: {want[key]!r} -> {got[key]!r}")
    return lines


def format_diff(name: str, lines: list[str], limit: int = 40) -> str:
    shown = lines[:limit]
    more = f"\n  ... and {len(lines) - limit} more" if len(lines) > limit else ""
    return (f"golden summary of {name!r} changed in {len(lines)} key(s) "
            f"(golden -> now):\n" + "\n".join(shown) + more + "\n" + REGEN_HINT)


def dumps(value: Any, indent: int = 0) -> str:
    """JSON with sorted keys, one key per line, and lists of scalars on one line."""
    pad = "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{json.dumps(k)}: {dumps(value[k], indent + 1)}" for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        items = [pad + dumps(v, indent + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + "  " * indent + "]"
    return json.dumps(value)


def cli_summary(name: str, tmp_dir: Path) -> dict[str, Any]:
    """What ``amqpsim run scenarios/<name>.yaml --json FILE`` writes (its own seed)."""
    from amqpsim.cli import main

    out = tmp_dir / f"{name}.summary.json"
    status = main(["run", str(path(name)), "--json", str(out), "--quiet"])
    if status != 0 or not out.exists():
        raise RuntimeError(f"amqpsim run {path(name)} --json {out} failed (exit status {status})")
    return json.loads(out.read_text(encoding="utf-8"))


def write_golden(name: str) -> Path:
    """Run ``amqpsim run scenarios/<name>.yaml --json`` and store the golden of its summary."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        summary = cli_summary(name, Path(tmp))
    out = golden_path(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(dumps(golden_of(summary)) + "\n", encoding="utf-8")
    return out
