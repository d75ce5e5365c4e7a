"""amqpsim.sweep: grid expansion, rows and columns, executors, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import amqpsim
from amqpsim.cli import main
from amqpsim.scenario import ScenarioError, load_scenario
from amqpsim.study.sweep import expand_grid, flatten, parse_set, run_summary, sweep

REPO = Path(__file__).resolve().parents[2]

SMALL = """\
name: small
duration: 20
topology:
  queues: [{name: work}]
producers:
  - {name: web, exchange: "", routing_key: work, rate: {poisson: 15}}
consumers:
  - {name: worker, queue: work, instances: 2, prefetch: 1, service_time: {exponential: 0.1}}
"""
GRID = {"consumers.0.prefetch": [1, 10], "consumers.0.instances": [1, 2]}


class RefusingExecutor(Executor):
    """Fails the test if anything is submitted."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("nothing should run")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return sweep(SMALL, GRID, seeds=[3, 4], executor=ThreadPoolExecutor(2))


def test_one_row_per_point_and_seed_in_grid_order(frame: pd.DataFrame) -> None:
    assert list(frame.columns[:3]) == ["consumers.0.prefetch", "consumers.0.instances", "seed"]
    assert frame[["consumers.0.prefetch", "consumers.0.instances", "seed"]].values.tolist() == [
        [1, 1, 3], [1, 1, 4], [1, 2, 3], [1, 2, 4], [10, 1, 3], [10, 1, 4], [10, 2, 3], [10, 2, 4]]


def test_summary_is_flattened_with_dotted_names(frame: pd.DataFrame) -> None:
    for column in ("messages.acked", "messages.published", "queues.work.wait.mean",
                   "queues.work.wait.p99", "latency.p99", "latency.mean", "sim_time",
                   "consumers.worker#0.busy_fraction", "invariants.conservation"):
        assert column in frame.columns, column
    assert not any(c.startswith("series") for c in frame.columns)
    assert frame["invariants.conservation"].all()
    assert "consumers.worker#1.delivered" in frame.columns  # from the 2-instance points


def test_rows_are_the_runs_of_the_overridden_scenarios(frame: pd.DataFrame) -> None:
    base = load_scenario(SMALL)
    row = frame.iloc[5]  # prefetch 10, 1 instance, seed 4
    variant = base.with_overrides({"consumers.0.prefetch": 10, "consumers.0.instances": 1})
    expected = flatten(amqpsim.run(variant, seed=4, events=False).summary)
    for column in ("messages.acked", "messages.delivered", "latency.p99", "queues.work.wait.p95"):
        assert row[column] == expected[column]


def test_identical_results_whichever_executor(frame: pd.DataFrame) -> None:
    default = sweep(SMALL, GRID, seeds=[3, 4])  # a local process pool
    pd.testing.assert_frame_equal(default, frame)


def test_identical_results_on_dask(frame: pd.DataFrame) -> None:
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(processes=False, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = sweep(SMALL, GRID, seeds=[3, 4], executor=client.get_executor())
    pd.testing.assert_frame_equal(on_dask, frame)


def test_bad_grid_path_fails_before_anything_runs() -> None:
    with pytest.raises(ScenarioError, match=r"unknown key 'prefech'.*did you mean 'prefetch'"):
        sweep(SMALL, {"consumers.0.prefech": [1, 2]}, executor=RefusingExecutor())
    with pytest.raises(ScenarioError, match="no item 3"):
        sweep(SMALL, {"consumers.3.prefetch": [1]}, executor=RefusingExecutor())
    with pytest.raises(ScenarioError, match="prefetch"):
        sweep(SMALL, {"consumers.0.prefetch": [1, -5]}, executor=RefusingExecutor())


def test_seeds_default_count_and_list() -> None:
    one = sweep(SMALL, {"consumers.0.prefetch": [2]}, executor=ThreadPoolExecutor(1))
    assert one["seed"].tolist() == [0]  # the scenario's own seed
    three = sweep(SMALL, {}, seeds=3, executor=ThreadPoolExecutor(3))
    assert three["seed"].tolist() == [0, 1, 2]
    with pytest.raises(ValueError):
        sweep(SMALL, {}, seeds=[], executor=RefusingExecutor())


def test_progress_callback() -> None:
    calls: list[tuple[int, int]] = []
    sweep(SMALL, {"consumers.0.prefetch": [1, 2]}, seeds=2, executor=ThreadPoolExecutor(2),
          progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_an_unrunnable_scenario_raises_scenario_error() -> None:
    endless = {"name": "x", "topology": {"queues": [{"name": "q"}]},
               "producers": [{"name": "p", "routing_key": "q", "rate": {"constant": 1}}]}
    with pytest.raises(ScenarioError, match="no count"):  # no duration, no count: never ends
        run_summary(endless, 0)
    with pytest.raises(ScenarioError, match="no count"):  # also through an executor
        sweep(endless, {}, seeds=[0, 1], executor=ThreadPoolExecutor(2))


def test_package_level_sweep_is_callable() -> None:
    df = amqpsim.sweep(SMALL, {"duration": [5]}, seeds=[1], executor=ThreadPoolExecutor(1))
    assert df["duration"].tolist() == [5] and df["sim_time"].tolist() == [5.0]


def test_expand_grid_and_flatten() -> None:
    assert expand_grid({"a": [1, 2], "b": "x"}) == [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]
    assert expand_grid({}) == [{}]
    with pytest.raises(ValueError, match="no values"):
        expand_grid({"a": []})
    assert flatten({"a": {"b": 1, "c": {"d": 2.5}}, "e": [1], "f": None}) == \
        {"a.b": 1, "a.c.d": 2.5, "f": None}


@pytest.mark.parametrize("option, expected", [
    ("consumers.0.prefetch=1,10,100", ("consumers.0.prefetch", [1, 10, 100])),
    ("broker.version=3.10, 4.3", ("broker.version", [3.1, 4.3])),
    ("consumers.0.ack=manual,auto", ("consumers.0.ack", ["manual", "auto"])),
    ("consumers.0.service_time={exponential: 0.5},{constant: 1}",
     ("consumers.0.service_time", [{"exponential": 0.5}, {"constant": 1}])),
])
def test_parse_set(option: str, expected: tuple[str, list[Any]]) -> None:
    assert parse_set(option) == expected


@pytest.mark.parametrize("option", ["prefetch", "=1", "a=", "a= "])
def test_parse_set_errors(option: str) -> None:
    with pytest.raises(ValueError):
        parse_set(option)


# --- CLI ------------------------------------------------------------------------

def _scenario(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


def test_cli_sweep_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.json"
    assert main(["sweep", str(_scenario(tmp_path)), "--set", "consumers.0.prefetch=1,10",
                 "--seeds", "2", "--workers", "2", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["grid"] == {"consumers.0.prefetch": [1, 10]} and data["seeds"] == [0, 1]
    rows = pd.DataFrame(data["rows"])
    expected = sweep(SMALL, {"consumers.0.prefetch": [1, 10]}, seeds=2,
                     executor=ThreadPoolExecutor(2))
    assert rows["messages.acked"].tolist() == expected["messages.acked"].tolist()
    assert "small: mean over 2 seeds" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--set", "consumers.0.prefech=1,2"], "did you mean 'prefetch'"),
    (["--set", "prefetch"], "--set expects PATH=VALUE"),
    (["--seeds", "0"], "--seeds must be at least 1"),
    (["--workers", "2", "--dask", "tcp://127.0.0.1:1"], "not both"),
])
def test_cli_sweep_bad_input_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = subprocess.run([sys.executable, "-m", "amqpsim", "sweep", str(_scenario(tmp_path)),
                           *args], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_cli_sweep_missing_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", str(tmp_path / "nope.yaml")]) == 2
    assert "no such scenario file" in capsys.readouterr().err


def test_cli_sweep_on_a_dask_scheduler(tmp_path: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    out = tmp_path / "out.json"
    with distributed.LocalCluster(processes=False, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        assert main(["sweep", str(_scenario(tmp_path)), "--set", "consumers.0.prefetch=1,10",
                     "--seeds", "2", "--dask", cluster.scheduler_address,
                     "--json", str(out)]) == 0
    rows = pd.DataFrame(json.loads(out.read_text())["rows"])
    expected = sweep(SMALL, {"consumers.0.prefetch": [1, 10]}, seeds=2,
                     executor=ThreadPoolExecutor(2))
    assert rows["latency.p99"].tolist() == expected["latency.p99"].tolist()
