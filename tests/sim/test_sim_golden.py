"""Each scenario of the simulation's library has a golden summary (ARCHITECTURE.md).

A behaviour change of the broker or the simulation shows up here as a diff.
Regenerate after an intended change with ``AMQPSIM_UPDATE_GOLDEN=1 pytest tests/sim``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sim_helpers import run

GOLDEN = Path(__file__).parent / "golden"
NAMES = ["online-store", "crash-ack-modes", "restart-durability", "publisher-retry", "ack-timeout"]


def _diff(a: object, b: object, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += _diff(a.get(k), b.get(k), f"{path}.{k}" if path else k)
        return out
    return [] if a == b else [f"{path}: golden {a!r}, now {b!r}"]


@pytest.mark.parametrize("name", NAMES)
def test_summary_matches_golden(name):
    summary = run(name).summary
    summary = json.loads(json.dumps({k: v for k, v in summary.items() if k != "series"}))
    path = GOLDEN / f"{name}.json"
    if os.environ.get("AMQPSIM_UPDATE_GOLDEN") or not path.exists():
        path.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    golden = json.loads(path.read_text())
    assert not _diff(golden, summary), "\n".join(_diff(golden, summary)[:20])
