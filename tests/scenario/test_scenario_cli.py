"""The command line: ``amqpsim validate`` exit codes and output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from scenario_helpers import FULL_EXAMPLE

from amqpsim.cli import main

REPO = Path(__file__).resolve().parents[2]


def _bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ntopology: {queues: [{name: warehouse}]}\n"
                    "consumers: [{name: w, queue: warehose}]\n")
    return path


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(FULL_EXAMPLE)]) == 0
    assert capsys.readouterr().out == f"ok: {FULL_EXAMPLE} (online-store)\n"


def test_validate_invalid_prints_problems_and_exits_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _bad(tmp_path)
    assert main(["validate", str(FULL_EXAMPLE), str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == f"ok: {FULL_EXAMPLE} (online-store)\n"
    assert err == (f"{bad}:3: consumers[0].queue: no queue named 'warehose' "
                   "(did you mean 'warehouse'?)\n")


def test_validate_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.yaml"
    assert main(["validate", str(missing)]) == 2
    assert capsys.readouterr().err == f"{missing}: no such scenario file\n"


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["validate"]) == 2
    assert main(["frobnicate"]) == 2
    capsys.readouterr()


def test_run_on_an_invalid_scenario_exits_2(tmp_path: Path) -> None:
    assert main(["run", str(_bad(tmp_path))]) == 2


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "amqpsim", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)


def test_python_m_amqpsim_validate(tmp_path: Path) -> None:
    ok = _run("validate", str(FULL_EXAMPLE))
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, f"ok: {FULL_EXAMPLE} (online-store)\n", "")
    bad = _run("validate", str(_bad(tmp_path)))
    assert bad.returncode == 2 and bad.stdout == ""
    assert "no queue named 'warehose'" in bad.stderr and "Traceback" not in bad.stderr
    unsafe = tmp_path / "unsafe.yaml"
    unsafe.write_text('name: x\nseed: !!python/object/apply:os.system ["echo hi"]\n')
    res = _run("validate", str(unsafe))
    assert res.returncode == 2 and "Traceback" not in res.stderr and "hi" not in res.stdout
    assert f"{unsafe}:2: YAML tag '!!python/object/apply:os.system' is not allowed" in res.stderr
    missing = _run("validate", "no/such/file.yaml")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


# --- what RabbitMQ refuses at declare time: validate and run agree ---------------

QUORUM_MASTER_LOCATOR = """\
name: locator
topology:
  queues:
    - name: q
      type: quorum
      arguments: {x-queue-master-locator: min-masters}
producers: [{name: p, routing_key: q, rate: {constant: 1}, count: 1}]
"""
LOCATOR_LINE = ("topology.queues[0].arguments.x-queue-master-locator: 406 PRECONDITION_FAILED - "
                "invalid arg 'x-queue-master-locator' for queue 'q' in vhost '/' of queue type "
                "rabbit_quorum_queue")


def test_validate_and_run_refuse_what_rabbitmq_refuses(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "locator.yaml"
    bad.write_text(QUORUM_MASTER_LOCATOR)
    assert main(["validate", str(bad)]) == 2
    assert capsys.readouterr() == ("", f"{bad}:6: {LOCATOR_LINE}\n")
    assert main(["run", str(bad)]) == 2
    assert capsys.readouterr() == ("", f"{bad}:6: {LOCATOR_LINE}\n")


def test_python_m_amqpsim_run_refused_topology_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "locator.yaml"
    bad.write_text(QUORUM_MASTER_LOCATOR.replace("{x-queue-master-locator: min-masters}",
                                                 "{x-max-priority: 5}\n      durable: false"))
    res = _run("run", str(bad))
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr.splitlines() == [
        f"{bad}:6: topology.queues[0].arguments.x-max-priority: 406 PRECONDITION_FAILED - invalid "
        "arg 'x-max-priority' for queue 'q' in vhost '/' of queue type rabbit_quorum_queue",
        f"{bad}:7: topology.queues[0].durable: 406 PRECONDITION_FAILED - invalid property "
        "'non-durable' for queue 'q' in vhost '/'"]


def test_every_shipped_scenario_validates() -> None:
    files = sorted(str(p.relative_to(REPO)) for p in (REPO / "scenarios").glob("*.yaml"))
    res = _run("validate", *files)
    assert (res.returncode, res.stderr) == (0, "")
    assert len(res.stdout.splitlines()) == len(files)


def test_run_that_fails_while_building_prints_one_line_and_exits_1(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from amqpsim.sim.engine import Simulation

    def boom(self: Simulation) -> Simulation:
        raise RuntimeError("no room for the queue")

    monkeypatch.setattr(Simulation, "build", boom)
    assert main(["run", str(FULL_EXAMPLE)]) == 1
    assert capsys.readouterr() == (
        "", "amqpsim run: the run failed during build: RuntimeError: no room for the queue\n")


def test_unexpected_failure_prints_one_line_and_exits_1(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import amqpsim

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("summary")

    monkeypatch.setattr(amqpsim, "run", broken)
    monkeypatch.delenv("AMQPSIM_DEBUG", raising=False)
    assert main(["run", str(FULL_EXAMPLE)]) == 1
    assert capsys.readouterr() == ("", "amqpsim run: failed: KeyError: 'summary'\n")
    monkeypatch.setenv("AMQPSIM_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["run", str(FULL_EXAMPLE)])
