"""run(): phases, RunResult, streaming mode, failures, the CLI."""

from __future__ import annotations

import json

import pytest
from sim_helpers import SCENARIOS, run, simple

import amqpsim
from amqpsim.cli import main
from amqpsim.scenario import ScenarioError
from amqpsim.sim import RunResult, SimConfig, build


def test_package_exports():
    assert set(amqpsim.__all__) >= {"load_scenario", "run", "RunResult"}
    assert amqpsim.RunResult is RunResult


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, amqpsim; print(sorted(m for m in ('simpy', 'pandas', 'matplotlib', 'pydantic') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=SCENARIOS.parent).stdout
    assert out.strip() == "[]"


def test_run_result_has_everything():
    r = run("online-store")
    assert r.ok and r.phase == "done" and r.seed == 42 and r.scenario.name == "online-store"
    assert set(r.timings) == {"load", "validate", "build", "run", "collect"}
    df = r.events
    assert len(df) == len(r.event_list) and list(df.columns)[:3] == ["time", "seq", "kind"]
    assert r.ledger.conservation
    assert "online-store" in repr(r)


def test_streaming_mode_gives_the_same_summary_except_percentiles():
    full = run("online-store").summary
    lean = run("online-store", events=False).summary

    def strip(s, approx):
        s = json.loads(json.dumps(s))
        for block in [s["latency"], *(q["wait"] for q in s["queues"].values())]:
            for k in ("p50", "p95", "p99"):
                approx.append((block.pop(k), k))
        return s

    a, b = [], []
    assert strip(full, a) == strip(lean, b)
    for (x, _), (y, _) in zip(a, b, strict=True):
        assert y == pytest.approx(x, rel=0.03, abs=1e-6)
    with pytest.raises(RuntimeError, match="events=True"):
        _ = amqpsim.run(SCENARIOS / "online-store.yaml", events=False).events


def test_bad_scenario_raises_scenario_error():
    with pytest.raises(ScenarioError):
        amqpsim.run("name: x\nproducers: [{name: p, rate: {poisson: 1}}]\n")
    with pytest.raises(ScenarioError):
        amqpsim.run(SCENARIOS / "missing.yaml")


def test_a_failing_run_still_returns_what_happened(monkeypatch):
    from amqpsim.sim import consumer

    def boom(self, d):
        if self.sim.env.now > 5:
            raise RuntimeError("worker exploded")
        return orig(self, d)

    orig = consumer.ConsumerClient._start
    monkeypatch.setattr(consumer.ConsumerClient, "_start", boom)
    r = amqpsim.run(amqpsim.load_scenario(simple(n=100, rate=10, duration=30)))
    assert not r.ok and r.phase == "run" and "exploded" in str(r.error)
    assert 5 < r.summary["sim_time"] < 6
    assert r.summary["messages"]["published"] > 40 and r.summary["invariants"]["conservation"]
    with pytest.raises(RuntimeError):
        r.raise_for_error()


def test_build_gives_a_simpy_model_to_run_yourself():
    sim = build(amqpsim.load_scenario(simple(n=20, rate=10, duration=10)), seed=3)
    assert sim.env.now == 0 and len(sim.consumers) == 2 and len(sim.producers) == 1
    assert sim.run() == 10.0
    assert sum(1 for e in sim.recorder.events if e.kind == "ack") == 20


def test_config_changes_client_behaviour():
    d = simple(n=400, rate=100, workers=1, service={"constant": 0.001}, duration=10)
    d["faults"] = [{"at": 2, "kind": "connection_loss", "target": "p", "downtime": 1}]
    r = amqpsim.run(amqpsim.load_scenario(d), config=SimConfig(loss_detection=0.5))
    assert r.summary["jepsen"]["lost_in_transit"] in (50, 51)


def test_progress_is_reported():
    seen = []
    amqpsim.run(SCENARIOS / "online-store.yaml", progress=lambda now, end: seen.append((now, end)))
    assert len(seen) > 50 and seen[-1] == (600.0, 600.0)
    assert [t for t, _ in seen] == sorted(t for t, _ in seen)


# ---------------------------------------------------------------------- CLI
def test_cli_run_writes_json_and_events(tmp_path, capsys):
    js, ev = tmp_path / "s.json", tmp_path / "e.parquet"
    status = main(["run", str(SCENARIOS / "restart-durability.yaml"), "--json", str(js), "--events", str(ev),
                   "--seed", "4"])
    assert status == 0
    summary = json.loads(js.read_text())
    assert summary["seed"] == 4 and summary["messages"]["lost"] == 60
    from amqpsim.trace.io import read_events

    assert len(read_events(ev)) > 100
    assert "conservation" in capsys.readouterr().out


def test_cli_json_to_stdout_and_quiet(capsys):
    assert main(["run", str(SCENARIOS / "restart-durability.yaml"), "--json", "-", "--stream"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["scenario"] == "restart-durability"
    assert main(["run", str(SCENARIOS / "restart-durability.yaml"), "--quiet", "--until", "10"]) == 0
    assert capsys.readouterr().out == ""


def test_cli_bad_scenario_exits_2_without_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nconsumers: [{name: w, queue: nowhere}]\n")
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "nowhere" in err and "Traceback" not in err
    assert main(["run", str(tmp_path / "absent.yaml")]) == 2
