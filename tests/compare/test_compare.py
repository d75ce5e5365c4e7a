"""amqpsim.compare: the t-interval, the numbers in the table, the report, the CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import fmean, stdev

import pytest
from rich.console import Console

import amqpsim
from amqpsim.cli import main
from amqpsim.scenario import load_scenario
from amqpsim.study.compare import Comparison, compare, t_interval, t_quantile

REPO = Path(__file__).resolve().parents[2]

ONE_WORKER = """\
name: one-worker
duration: 20
topology:
  queues: [{name: work}]
producers:
  - {name: web, exchange: "", routing_key: work, rate: {poisson: 8}}
consumers:
  - {name: worker, queue: work, instances: 1, prefetch: 1, service_time: {exponential: 0.1}}
"""
TWO_WORKERS = ONE_WORKER.replace("one-worker", "two-workers").replace("instances: 1",
                                                                       "instances: 2")


# --- statistics ---------------------------------------------------------------

@pytest.mark.parametrize("df, expected", [  # two-sided 95 % critical values (t tables)
    (1, 12.7062), (2, 4.3027), (3, 3.1824), (4, 2.7764), (9, 2.2622), (19, 2.0930),
    (29, 2.0452), (120, 1.9799)])
def test_t_quantile_matches_tables(df: int, expected: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=5e-5)


def test_t_quantile_other_levels_and_symmetry() -> None:
    assert t_quantile(0.995, 5) == pytest.approx(4.0321, abs=5e-5)
    assert t_quantile(0.95, 10) == pytest.approx(1.8125, abs=5e-5)
    assert t_quantile(0.025, 4) == pytest.approx(-t_quantile(0.975, 4))
    assert t_quantile(0.5, 7) == pytest.approx(0.0, abs=1e-12)
    assert t_quantile(0.975, 10_000) == pytest.approx(1.95996, abs=1e-3)  # -> normal
    with pytest.raises(ValueError):
        t_quantile(1.0, 3)


@pytest.mark.parametrize("n", [2, 3, 5, 10, 30, 200])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_t_interval_half_width_is_scipys(n: int, level: float) -> None:
    from scipy import stats

    values = [math.sin(i) * 3.0 + i % 4 for i in range(n)]
    iv = t_interval(values, level)
    low, high = stats.t.interval(level, n - 1, loc=fmean(values), scale=stats.sem(values))
    assert iv.n == n and iv.mean == pytest.approx(fmean(values))
    assert iv.half_width == pytest.approx((high - low) / 2.0, rel=1e-12)
    assert (iv.low, iv.high) == pytest.approx((low, high), rel=1e-12)


def test_t_interval_by_hand() -> None:
    values = [2.0, 4.0, 4.0, 5.0, 7.0]
    iv = t_interval(values)
    half = 2.776445 * stdev(values) / math.sqrt(5)
    assert iv.mean == pytest.approx(4.4) and iv.n == 5
    assert (iv.low, iv.high) == pytest.approx((4.4 - half, 4.4 + half), abs=1e-5)
    assert iv.half_width == pytest.approx(half, abs=1e-5)
    assert t_interval([1.0, 2.0, 3.0], level=0.99).half_width == \
        pytest.approx(9.924843 * 1.0 / math.sqrt(3), abs=1e-5)


def test_t_interval_edge_cases() -> None:
    assert t_interval([3.0, 3.0, 3.0]).half_width == 0.0
    one = t_interval([5.0, None, math.nan])
    assert one.mean == 5.0 and one.n == 1 and math.isnan(one.low)
    assert t_interval([]).n == 0 and math.isnan(t_interval([]).mean)


# --- the comparison -----------------------------------------------------------

@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return compare([ONE_WORKER, TWO_WORKERS], seeds=[0, 1, 2, 3], executor=ThreadPoolExecutor(4))


def _row(c: Comparison, metric: str, label: str) -> dict[str, float]:
    t = c.table()
    (row,) = t[(t["metric"] == metric) & (t["label"] == label)].to_dict("records")
    return row


def test_same_seeds_for_every_scenario(comparison: Comparison) -> None:
    assert comparison.labels == ["one-worker", "two-workers"]
    assert comparison.seeds == [0, 1, 2, 3]
    for label, summaries in comparison.summaries.items():
        assert [s["seed"] for s in summaries] == [0, 1, 2, 3]
        assert {s["scenario"] for s in summaries} == {label}


def test_table_numbers_are_means_and_t_intervals_of_the_runs(comparison: Comparison) -> None:
    for label, text in (("one-worker", ONE_WORKER), ("two-workers", TWO_WORKERS)):
        runs = [amqpsim.run(load_scenario(text), seed=s, events=False).summary
                for s in comparison.seeds]
        for metric, values in (
                ("acked / s", [r["messages"]["acked"] / r["sim_time"] for r in runs]),
                ("publish to ack p99", [r["latency"]["p99"] for r in runs]),
                ("work mean", [r["queues"]["work"]["wait"]["mean"] for r in runs]),
                ("acked", [r["messages"]["acked"] for r in runs])):
            row = _row(comparison, metric, label)
            half = t_quantile(0.975, 3) * stdev(values) / 2.0
            assert row["n"] == 4
            assert row["mean"] == pytest.approx(fmean(values))
            assert (row["low"], row["high"]) == pytest.approx((fmean(values) - half,
                                                                fmean(values) + half))


def test_two_workers_wait_less(comparison: Comparison) -> None:
    one, two = (_row(comparison, "work mean", label) for label in comparison.labels)
    assert two["mean"] < one["mean"] / 3
    assert two["high"] - two["low"] < one["high"] - one["low"]


def test_sections_and_fates(comparison: Comparison) -> None:
    wide = comparison.wide()
    sections = list(dict.fromkeys(s for s, _ in wide.index))
    assert sections == ["throughput", "work", "latency (s)", "queue wait (s)", "fates (copies)"]
    metrics = [m for _, m in wide.index]
    assert "acked" in metrics and "expired" not in metrics  # fates that never happen are left out
    cell = wide.loc[("throughput", "published / s"), "one-worker"]
    assert " ± " in cell


def test_rich_table(comparison: Comparison) -> None:
    console = Console(record=True, width=200)
    console.print(comparison.rich_table())
    text = console.export_text()
    assert "one-worker" in text and "two-workers" in text and "publish to ack p99" in text
    assert "95% confidence interval" in text


def test_labels_from_a_mapping_and_duplicates() -> None:
    c = compare({"a": ONE_WORKER, "b": ONE_WORKER}, seeds=2, executor=ThreadPoolExecutor(2))
    assert c.labels == ["a", "b"] and c.summaries["a"] == c.summaries["b"]
    twice = compare([ONE_WORKER, ONE_WORKER], seeds=1, executor=ThreadPoolExecutor(1))
    assert twice.labels == ["one-worker", "one-worker-2"]
    assert _row(twice, "acked", "one-worker")["n"] == 1
    assert twice.wide().loc[("fates (copies)", "acked"), "one-worker"].isdigit()


def test_package_level_compare_is_callable() -> None:
    c = amqpsim.compare([ONE_WORKER], seeds=1, executor=ThreadPoolExecutor(1))
    assert isinstance(c, Comparison)
    with pytest.raises(ValueError):
        compare([], seeds=1)


def test_report(comparison: Comparison, tmp_path: Path) -> None:
    page = comparison.report(tmp_path / "report")
    assert page.name == "report.html"
    names = {p.name for p in page.parent.iterdir()}
    assert {"ledger.png", "queue_depth-one-worker.png", "queue_depth-two-workers.png",
            "latency-one-worker.png", "latency-two-workers.png", "comparison.csv",
            "comparison.json"} <= names
    html = page.read_text()
    assert "one-worker vs two-workers" in html and "could not draw" not in html
    assert html.count("data:image/png;base64") == 5


# --- the shipped routing strategies --------------------------------------------

def test_routing_strategies() -> None:
    paths = [REPO / "scenarios" / f"routing-{s}.yaml" for s in ("topic", "direct", "fanout-filter")]
    short = {p.stem: load_scenario(p).with_overrides({"duration": 20}) for p in paths}
    c = compare(short, seeds=2)
    mean = {(m, label): _row(c, m, label)["mean"] for m in (
        "published / s", "deliveries / publish", "consumer busy (mean)", "billing mean")
        for label in c.labels}
    topic, direct, fanout = "routing-topic", "routing-direct", "routing-fanout-filter"
    assert mean["deliveries / publish", topic] == pytest.approx(1.5, abs=0.05)
    assert mean["deliveries / publish", direct] == pytest.approx(1.0, abs=0.01)
    assert mean["deliveries / publish", fanout] == pytest.approx(3.0, abs=0.01)
    assert mean["published / s", direct] == pytest.approx(1.5 * mean["published / s", topic],
                                                          rel=0.1)
    assert mean["consumer busy (mean)", fanout] > 1.6 * mean["consumer busy (mean)", topic]
    assert mean["billing mean", fanout] > 2 * mean["billing mean", topic]
    assert _row(c, "discarded", fanout)["mean"] > 0


# --- CLI ------------------------------------------------------------------------

def _files(tmp_path: Path) -> list[str]:
    paths = []
    for text in (ONE_WORKER, TWO_WORKERS):
        path = tmp_path / (text.split("\n")[0].split(": ")[1] + ".yaml")
        path.write_text(text)
        paths.append(str(path))
    return paths


def test_cli_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c.json"
    assert main(["compare", *_files(tmp_path), "--seeds", "2", "--json", str(out),
                 "--report", str(tmp_path / "rep")]) == 0
    printed = capsys.readouterr().out
    assert "one-worker" in printed and "two-workers" in printed and "report:" in printed
    assert (tmp_path / "rep" / "report.html").exists()
    data = json.loads(out.read_text())
    assert data["seeds"] == [0, 1] and data["labels"] == ["one-worker", "two-workers"]
    assert {"section", "metric", "label", "mean", "low", "high", "n"} == set(data["rows"][0])


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "amqpsim", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_cli_compare_exit_codes(tmp_path: Path) -> None:
    good = _files(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nconsumers: [{name: w, queue: nowhere}]\n")
    for args, message in (([good[0], str(tmp_path / "missing.yaml")], "no such scenario file"),
                          ([good[0], str(bad)], "no queue named 'nowhere'"),
                          ([*good, "--seeds", "0"], "--seeds must be at least 1")):
        done = _cli("compare", *args)
        assert done.returncode == 2, done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr
    assert _cli("compare").returncode == 2  # usage: no scenario
