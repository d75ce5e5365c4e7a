"""Every scenario in scenarios/ validates, runs, conserves messages and states its lesson."""

from __future__ import annotations

import re

import pytest
import yaml
from library_helpers import golden_path, names, path, result

from amqpsim.cli import main
from amqpsim.scenario import load_scenario

LIBRARY = names()

#: the scenarios the issue asks for ("Simulation engine and scenarios", "Scenario library")
REQUIRED = {
    "tutorial-work-queues", "tutorial-pubsub", "tutorial-routing", "tutorial-topics", "tutorial-rpc",
    "online-store", "restart-durability", "crash-ack-modes", "prefetch-fairness", "unroutable",
    "poison-message", "retry-backoff", "ttl-head-of-line", "ack-timeout", "overflow-modes",
    "publisher-retry",
}


def first_sentence(text: str) -> str:
    """Up to the first full stop that ends a sentence ('.' then whitespace or the end)."""
    return re.split(r"(?<=\.)\s", text.strip(), maxsplit=1)[0]


def test_the_library_is_complete():
    assert len(LIBRARY) >= 16, LIBRARY
    assert REQUIRED <= set(LIBRARY), sorted(REQUIRED - set(LIBRARY))


def test_first_sentence():
    assert first_sentence("A b.c d. Rest. More.") == "A b.c d."
    assert first_sentence("Only one sentence.") == "Only one sentence."


@pytest.mark.parametrize("name", LIBRARY)
def test_validates(name, capsys):
    scenario = load_scenario(path(name))
    assert scenario.name == name, "the file name is the scenario name"
    assert main(["validate", str(path(name))]) == 0
    assert f"ok: {path(name)}" in capsys.readouterr().out


@pytest.mark.parametrize("name", LIBRARY)
def test_description_starts_with_its_lesson(name):
    raw = yaml.safe_load(path(name).read_text(encoding="utf-8"))
    assert "seed" in raw, "a library scenario sets its seed explicitly"
    lesson = first_sentence(load_scenario(path(name)).description)
    assert lesson.endswith("."), f"{name}: the description must start with a full sentence"
    assert "\n" not in lesson and 40 <= len(lesson) <= 230, \
        f"{name}: the first sentence is the one-line lesson ({len(lesson)} chars): {lesson!r}"


@pytest.mark.parametrize("name", LIBRARY)
def test_runs_with_conservation(name):
    r = result(name)
    s = r.summary
    assert s["scenario"] == name and s["seed"] == load_scenario(path(name)).seed
    assert s["invariants"]["conservation"] is True, s["invariants"]
    assert s["invariants"]["violations"] == 0
    m = s["messages"]
    fates = ("acked", "dead_lettered", "expired", "dropped_overflow", "discarded", "lost", "remaining",
             *(f for f in ("truncated", "retained") if f in m))  # the stream fates, with a stream
    assert m["routed_copies"] == sum(m[f] for f in fates) == s["invariants"]["fate_sum"]
    assert m["published"] > 0
    # the ledger, built from the event log alone, agrees with the summary
    assert r.ledger.conservation and r.ledger.routed_copies == m["routed_copies"]
    counts = r.ledger.fate_counts()
    assert {f: counts[f] for f in fates} == {f: m[f] for f in fates}
    # small enough to stay fast (a run of the library takes well under a second each)
    assert len(r.event_list) < 60_000


@pytest.mark.parametrize("name", LIBRARY)
def test_has_a_golden(name):
    assert golden_path(name).exists(), \
        f"no golden for {name}: run python tests/scenarios/regen.py {name}"
