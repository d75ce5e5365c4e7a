"""Comparing queue types on one faulty cluster workload (scenarios/compare/queue-type-*.yaml).

The three scenarios are one workload: a 3-node cluster, a shop publishing persistent,
confirmed orders, a slower worker, rabbit2 and rabbit3 crashing for 5 s at t=20 and
rabbit1 (the queue's home) for 30 s at t=40. Only the queue type differs. Across
seeds: the quorum queue loses nothing and is leaderless for well under a second; the
mirrored queue promotes an unsynchronised mirror and loses confirmed orders on every
seed; the classic queue loses nothing (durable, persistent) but is gone for 30 s.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rich.console import Console

from amqpsim.cli import main
from amqpsim.scenario import load_scenario
from amqpsim.study.compare import Comparison, compare

REPO = Path(__file__).resolve().parents[2]
FILES = [REPO / "scenarios" / "compare" / f"queue-type-{k}.yaml"
         for k in ("classic", "mirrored", "quorum")]
SEEDS = [0, 1, 2, 3, 4]

pytestmark = pytest.mark.xdist_group("compare-queue-types")


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return compare(FILES, seeds=SEEDS, executor=ThreadPoolExecutor(3))


def _per_seed(c: Comparison, label: str, *path: str) -> list[float]:
    out = []
    for s in c.summaries[label]:
        node = s
        for part in path:
            node = node[part]
        out.append(node)
    return out


def test_one_workload_only_the_queue_type_differs() -> None:
    def strip(d: dict) -> dict:  # type: ignore[type-arg]
        d = {k: v for k, v in d.items() if k not in ("name", "description")}
        d["topology"] = {"queues": [{k: v for k, v in q.items() if k != "arguments"}
                                    for q in d["topology"]["queues"]]}
        return d

    classic, mirrored, quorum = (load_scenario(f).to_dict(compact=True) for f in FILES)
    assert strip(classic) == strip(mirrored) == strip(quorum)
    assert quorum["topology"]["queues"][0]["arguments"] == {"x-queue-type": "quorum"}
    assert mirrored["topology"]["policies"][0]["definition"]["ha-mode"] == "all"
    assert "policies" not in classic["topology"]


def test_quorum_loses_nothing_on_every_seed(comparison: Comparison) -> None:
    assert _per_seed(comparison, "quorum", "messages", "confirmed_lost") == [0] * len(SEEDS)
    assert _per_seed(comparison, "quorum", "messages", "lost") == [0] * len(SEEDS)
    down = _per_seed(comparison, "quorum", "cluster", "queues", "orders", "unavailable")
    assert all(0 < d < 1 for d in down)  # an election, not the node's 30 s


def test_mirrored_loses_confirmed_messages(comparison: Comparison) -> None:
    lost = _per_seed(comparison, "mirrored", "messages", "confirmed_lost")
    assert all(n > 0 for n in lost)  # the unsynchronised mirror's missing backlog
    assert _per_seed(comparison, "mirrored", "messages", "lost") == lost
    assert _per_seed(comparison, "mirrored", "cluster", "queues", "orders",
                     "unavailable") == [0.0] * len(SEEDS)  # promoted at once: lossy, available


def test_classic_is_unavailable_not_lossy(comparison: Comparison) -> None:
    assert _per_seed(comparison, "classic", "messages", "confirmed_lost") == [0] * len(SEEDS)
    down = _per_seed(comparison, "classic", "cluster", "queues", "orders", "unavailable")
    assert down == [pytest.approx(30.0)] * len(SEEDS)  # the home node's downtime
    assert _per_seed(comparison, "classic", "cluster", "queues", "orders",
                     "leader_changes") == [0] * len(SEEDS)


def test_the_table_has_cluster_rows_with_intervals(comparison: Comparison) -> None:
    t = comparison.table()
    cl = t[t.section == "cluster"].set_index(["metric", "label"])
    assert set(cl.index.get_level_values(0)) == {
        "confirmed_lost", "unconfirmed", "orders unavailable (s)", "orders leader changes"}
    lost = cl.loc["confirmed_lost"]
    assert lost.loc["quorum", "mean"] == 0 and lost.loc["classic", "mean"] == 0
    assert lost.loc["mirrored", "low"] > 0  # the interval excludes zero
    assert (lost["n"] == len(SEEDS)).all()
    down = cl.loc["orders unavailable (s)", "mean"]
    assert down["quorum"] < 1 < down["classic"]
    wide = comparison.wide()
    assert list(dict.fromkeys(s for s, _ in wide.index))[-1] == "cluster"
    assert " ± " in wide.loc[("cluster", "confirmed_lost"), "mirrored"]


def test_the_report_draws_each_cluster_over_time(comparison: Comparison, tmp_path: Path) -> None:
    page = comparison.report(tmp_path).read_text(encoding="utf-8")
    assert 'id="cluster_timeline"' in page and "confirmed_lost" in page
    assert "could not draw" not in page
    assert sorted(p.name for p in tmp_path.glob("cluster_timeline-*.png")) == [
        "cluster_timeline-classic.png", "cluster_timeline-mirrored.png",
        "cluster_timeline-quorum.png"]


def test_cli_compare_prints_and_writes_the_cluster_rows(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c.json"
    assert main(["compare", *map(str, FILES), "--seeds", "2", "--workers", "1",
                 "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "cluster" in text and "confirmed_lost" in text and "leader changes" in text
    rows = json.loads(out.read_text())["rows"]
    lost = {r["label"]: r["mean"] for r in rows if r["metric"] == "confirmed_lost"}
    assert lost["classic"] == lost["quorum"] == 0 < lost["mirrored"]


def test_rich_table_ends_with_the_cluster_section(comparison: Comparison) -> None:
    console = Console(record=True, width=200)
    console.print(comparison.rich_table())
    text = console.export_text()
    assert text.index("confirmed_lost") > text.index("publish to ack p99")
