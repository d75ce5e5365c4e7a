"""Same scenario + seed => byte-identical event log, in this process and in another one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sim_helpers import ROOT, SCENARIOS, run

import amqpsim
from amqpsim.sim import derive_seed

LIBRARY = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))


@pytest.mark.parametrize("name", LIBRARY)
def test_same_seed_same_bytes(name, tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    run(name).write_events(a)
    run(name).write_events(b)
    assert a.read_bytes() == b.read_bytes()


def test_other_seed_other_log(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    run("online-store").write_events(a)
    run("online-store", seed=43).write_events(b)
    assert a.read_bytes() != b.read_bytes()


def test_same_bytes_across_processes_and_hash_seeds(tmp_path):
    """Nothing may depend on Python's per-process string hashing (PYTHONHASHSEED)."""
    here = tmp_path / "here.jsonl"
    run("online-store", until=200).write_events(here)
    code = ("import amqpsim, sys; amqpsim.run(sys.argv[1], until=200).write_events(sys.argv[2])")
    for hash_seed in ("1", "12345"):
        there = tmp_path / f"there-{hash_seed}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-c", code, str(SCENARIOS / "online-store.yaml"), str(there)],
                       check=True, env=env, cwd=ROOT)
        assert there.read_bytes() == here.read_bytes()


def test_streams_are_stable_and_independent():
    assert derive_seed(42, "producer", "web#0", "arrivals") == derive_seed(42, "producer", "web#0", "arrivals")
    assert derive_seed(42, "producer", "web#0", "arrivals") != derive_seed(42, "producer", "web#1", "arrivals")
    assert derive_seed(42, "a") != derive_seed(43, "a")
    assert derive_seed(0, "a", "bc") != derive_seed(0, "ab", "c")


def test_adding_a_consumer_does_not_change_the_arrivals():
    base = {"name": "x", "duration": 30, "topology": {"queues": [{"name": "q"}, {"name": "r"}]},
            "producers": [{"name": "p", "routing_key": "q", "rate": {"poisson": 5}}],
            "consumers": [{"name": "w", "queue": "q", "service_time": {"exponential": 0.1}}]}
    more = {**base, "consumers": [*base["consumers"],
                                  {"name": "v", "queue": "r", "service_time": {"exponential": 1}}]}
    times = [[e.time for e in amqpsim.run(amqpsim.load_scenario(d)).event_list if e.kind == "publish"]
             for d in (base, more)]
    assert times[0] == times[1]
