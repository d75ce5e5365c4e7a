"""Cluster conformance: experiments.py against a real 3-node RabbitMQ 3.10.8 cluster (a fresh one
per experiment, started and stopped by real.RealCluster with the scripts in .ci/cluster/) and
against amqpsim.pika's simulated cluster, compared with the real outcomes in recorded/.

test_real_cluster needs root, iptables and rabbitmq-server; without them it skips, or fails when
AMQPSIM_REQUIRE_CLUSTER=1 (CI). AMQPSIM_RECORD_CLUSTER=1 rewrites recorded/<name>.json from the
real run. The module is one xdist group: experiments run one at a time.
"""

from __future__ import annotations

import fcntl
import importlib
import importlib.util
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
NS = "cc"  # prefix of every name an experiment creates (fixed, so texts compare exactly)
EXPERIMENT_TIMEOUT = 900  # s, cluster start and stop included (45-75 s idle; 2-3 min seen under load)
NODE_ADDRESSES = {"rabbit1": ("127.0.0.1", 5681), "rabbit2": ("127.0.0.1", 5682),
                  "rabbit3": ("127.0.0.1", 5683)}

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]


def _load(name: str) -> Any:
    """Import a sibling module under a unique name (a bare `import real` could collide)."""
    full = f"amqpsim_cluster_conformance_{name}"
    if full not in sys.modules:
        spec = importlib.util.spec_from_file_location(full, HERE / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[full] = module
        spec.loader.exec_module(module)
    return sys.modules[full]


experiments = _load("experiments")
real = _load("real")
NAMES = list(experiments.EXPERIMENTS)


def _recorded(name: str) -> Path:
    return HERE / "recorded" / f"{name}.json"


def check_timing(exp: Any, result: dict) -> None:
    """Each timing fact within the experiment's window (the same window for real and simulated)."""
    assert set(result["timing"]) == set(exp.timing)
    for key, (lo, hi) in exp.timing.items():
        value = result["timing"][key]
        assert value is not None and lo <= value <= hi, f"{key}={value} outside [{lo}, {hi}] s"


@pytest.fixture(scope="module")
def cluster_host() -> Any:
    """This machine, once it can run the real cluster; holds a lock so that only one test process
    at a time runs it (the ports and iptables rules are machine-wide)."""
    with open("/tmp/amqpsim-cluster.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # before the port check: another run may hold them
        missing = real.missing_prerequisites()
        if missing:
            reason = "cannot start a real 3-node RabbitMQ cluster: no " + ", no ".join(missing)
            if os.environ.get("AMQPSIM_REQUIRE_CLUSTER") == "1":
                pytest.fail(f"{reason} (AMQPSIM_REQUIRE_CLUSTER=1)")
            pytest.skip(reason)
        yield
        fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.mark.parametrize("name", NAMES)
def test_real_cluster(name: str, cluster_host: Any) -> None:
    import pika

    exp = experiments.EXPERIMENTS[name]

    def timed_out(*_: Any) -> None:
        raise TimeoutError(f"{name} still running after {EXPERIMENT_TIMEOUT} s")

    previous = signal.signal(signal.SIGALRM, timed_out)
    signal.alarm(EXPERIMENT_TIMEOUT)
    try:
        with real.RealCluster(pika, exp.partition_handling, exp.net_ticktime) as cluster:
            result = exp.run(pika, cluster, NS)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    print(json.dumps(result, indent=1), "\n", cluster.log)
    if os.environ.get("AMQPSIM_RECORD_CLUSTER") == "1":
        _recorded(name).write_text(json.dumps(result, indent=1) + "\n")
    exp.check(result)
    check_timing(exp, result)


@pytest.mark.parametrize("name", NAMES)
def test_recorded_outcome_passes_its_checks(name: str) -> None:
    """The reference outcomes in recorded/ show the facts the experiments check for."""
    exp = experiments.EXPERIMENTS[name]
    result = json.loads(_recorded(name).read_text())
    exp.check(result)
    check_timing(exp, result)


@pytest.mark.parametrize("name", NAMES)
def test_simulator_matches_real(name: str) -> None:
    sim = importlib.import_module("amqpsim.pika")
    if not hasattr(sim, "simulate_cluster"):
        pytest.skip("amqpsim.pika cluster control not yet available")
    exp = experiments.EXPERIMENTS[name]
    recorded = json.loads(_recorded(name).read_text())
    cluster = sim.simulate_cluster(NODE_ADDRESSES, partition_handling=exp.partition_handling,
                                   net_ticktime=exp.net_ticktime)
    result = exp.run(sim, cluster, NS)
    exp.check(result)
    check_timing(exp, result)  # timing facts: within the stated windows
    assert result["facts"] == recorded["facts"]  # exact facts: exactly as on the real cluster
