"""Compare scenarios side by side over the same seeds, with confidence intervals.

>>> c = amqpsim.compare(["scenarios/routing-topic.yaml",               # doctest: +SKIP
...                      "scenarios/routing-fanout-filter.yaml"], seeds=10)
>>> c.table()                                                         # doctest: +SKIP

Each scenario runs once per seed (the same seeds for every scenario). Every
number in the table is the mean over the seeds with a Student-t confidence
interval (``level``, 95 % by default): ``mean ± t(1 - (1 - level) / 2, n - 1) * s / sqrt(n)``.

When the scenarios run clusters the table ends with a ``cluster`` section:
confirmed_lost, unconfirmed and, per queue, seconds unavailable and leader changes
(``amqpsim compare scenarios/compare/queue-type-*.yaml``: one faulty workload with a
classic, a mirrored and a quorum queue).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from statistics import fmean, stdev
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..scenario import Scenario
from ..trace.events import Fate
from .sweep import Progress, ScenarioLike, as_scenario, run_summaries

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["Comparison", "Interval", "compare", "t_interval", "t_quantile"]

FATES = tuple(f.value for f in Fate)
EVENTS = ("redelivered", "duplicates", "unroutable", "returned", "nacked")


# --- statistics ---------------------------------------------------------------

def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (scipy's ``t.ppf``)."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError(f"need 0 < p < 1 and df > 0, got p={p}, df={df}")
    from scipy.stats import t as student_t  # here: scipy.stats takes ~0.5 s to import

    return float(student_t.ppf(p, df))


@dataclass(frozen=True)
class Interval:
    """A mean over ``n`` seeds and its confidence interval (``nan`` bounds for n < 2)."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0


def t_interval(values: Iterable[float | None], level: float = 0.95) -> Interval:
    """Mean and Student-t confidence interval of the values (``None``/``nan`` dropped)."""
    xs = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if not xs:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = fmean(xs)
    if len(xs) < 2:
        return Interval(mean, math.nan, math.nan, 1)
    half = t_quantile(1.0 - (1.0 - level) / 2.0, len(xs) - 1) * stdev(xs) / math.sqrt(len(xs))
    return Interval(mean, mean - half, mean + half, len(xs))


# --- metrics ------------------------------------------------------------------

Metric = Callable[[dict[str, Any]], float | None]


def _per_second(key: str) -> Metric:
    def metric(s: dict[str, Any]) -> float | None:
        t = s.get("sim_time") or 0.0
        return s["messages"][key] / t if t > 0 else None
    return metric


def _ratio(key: str) -> Metric:
    def metric(s: dict[str, Any]) -> float | None:
        published = s["messages"]["published"]
        return s["messages"][key] / published if published else None
    return metric


def _consumers(key: str, how: Callable[[list[float]], float]) -> Metric:
    def metric(s: dict[str, Any]) -> float | None:
        values = [c[key] for c in s.get("consumers", {}).values() if key in c]
        return how(values) if values else None
    return metric


def _get(*path: str) -> Metric:
    def metric(s: dict[str, Any]) -> float | None:
        node: Any = s
        for part in path:
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node if isinstance(node, int | float) and not isinstance(node, bool) else None
    return metric


def metrics(summaries: Iterable[dict[str, Any]]) -> list[tuple[str, str, Metric]]:
    """The rows of the comparison: (section, metric, function of a summary)."""
    summaries = list(summaries)
    rows: list[tuple[str, str, Metric]] = [
        ("throughput", "published / s", _per_second("published")),
        ("throughput", "acked / s", _per_second("acked")),
        ("throughput", "copies / publish", _ratio("routed_copies")),
        ("work", "deliveries", _get("messages", "delivered")),
        ("work", "deliveries / publish", _ratio("delivered")),
        ("work", "consumer busy (mean)", _consumers("busy_fraction", fmean)),
    ]
    rejected = _consumers("rejected", sum)
    if any(rejected(s) for s in summaries):
        rows.append(("work", "rejected by consumers", rejected))
    rows += [("latency (s)", f"publish to ack {k}", _get("latency", k))
             for k in ("mean", "p50", "p95", "p99")]
    queues = sorted({q for s in summaries for q in s.get("queues", {})})
    rows += [("queue wait (s)", f"{q} {k}", _get("queues", q, "wait", k))
             for q in queues for k in ("mean", "p95", "p99")]
    for name in FATES + EVENTS:  # fates always shown if acked; others when they occur
        metric = _get("messages", name)
        if name == "acked" or any(metric(s) for s in summaries):
            rows.append(("fates (copies)" if name in FATES else "events", name, metric))
    return rows + cluster_metrics(summaries)


def cluster_metrics(summaries: list[dict[str, Any]]) -> list[tuple[str, str, Metric]]:
    """The cluster rows, only when some summary is a cluster run's: publishes confirmed
    and then lost, publishes never confirmed, and per queue the seconds without a
    leader (``unavailable``) and the number of leader changes."""
    if not any("cluster" in s for s in summaries):
        return []
    rows: list[tuple[str, str, Metric]] = [
        ("cluster", "confirmed_lost", _get("messages", "confirmed_lost")),
        ("cluster", "unconfirmed", _get("messages", "unconfirmed"))]
    queues = sorted({q for s in summaries for q in s.get("cluster", {}).get("queues", {})})
    for q in queues:
        rows += [("cluster", f"{q} unavailable (s)", _get("cluster", "queues", q, "unavailable")),
                 ("cluster", f"{q} leader changes",
                  _get("cluster", "queues", q, "leader_changes"))]
    return rows


# --- the comparison -----------------------------------------------------------

@dataclass
class Comparison:
    """Runs of several scenarios over the same seeds; see :meth:`table`."""

    scenarios: dict[str, Scenario]
    seeds: list[int]
    summaries: dict[str, list[dict[str, Any]]]
    level: float = 0.95
    _runs: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def labels(self) -> list[str]:
        return list(self.scenarios)

    def table(self) -> pd.DataFrame:
        """One row per (section, metric, label): ``mean``, ``low``, ``high``, ``n``."""
        rows = []
        for section, name, metric in metrics(s for ss in self.summaries.values() for s in ss):
            for label, summaries in self.summaries.items():
                iv = t_interval((metric(s) for s in summaries), self.level)
                rows.append({"section": section, "metric": name, "label": label,
                             "mean": iv.mean, "low": iv.low, "high": iv.high, "n": iv.n})
        return pd.DataFrame(rows, columns=["section", "metric", "label", "mean", "low", "high",
                                           "n"])

    def wide(self) -> pd.DataFrame:
        """Rows (section, metric), a column per label, cells ``"mean ± half-width"``."""
        t = self.table()
        t["cell"] = [_cell(r.mean, r.low, r.high, r.n) for r in t.itertuples()]
        wide = t.pivot(index=["section", "metric"], columns="label", values="cell")
        order = t.drop_duplicates(["section", "metric"]).set_index(["section", "metric"]).index
        return wide.loc[order, self.labels]

    def rich_table(self) -> Table:
        from rich.table import Table

        table = Table(title=f"{len(self.seeds)} seeds each; mean ± {self.level:.0%} "
                            "confidence interval (Student t)", title_justify="left")
        table.add_column("metric", overflow="fold")
        for label in self.labels:
            table.add_column(label, justify="right", overflow="fold")
        section = None
        for (sec, name), row in self.wide().iterrows():
            if sec != section:
                if section is not None:
                    table.add_section()
                table.add_row(f"[bold]{sec}[/bold]", *([""] * len(self.labels)))
                section = sec
            table.add_row(f"  {name}", *row.tolist())
        return table

    def runs(self) -> dict[str, Any]:
        """One run per scenario with its events (the first seed), for pictures."""
        if not self._runs:
            from .. import run

            self._runs = {label: run(s, seed=self.seeds[0], events=True)
                          for label, s in self.scenarios.items()}
        return self._runs

    def report(self, directory: str | Path) -> Path:
        """Write an HTML page with the table and pictures; returns ``index.html``."""
        from .compare_report import write_report

        return write_report(self, Path(directory))


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def _cell(mean: float, low: float, high: float, n: int) -> str:
    if n == 0:
        return "—"
    if n < 2 or math.isnan(low):
        return _num(mean)
    return f"{_num(mean)} ± {_num((high - low) / 2)}"


def _labelled(scenarios: Sequence[ScenarioLike] | Mapping[str, ScenarioLike]
              ) -> dict[str, Scenario]:
    if isinstance(scenarios, Mapping) and not isinstance(scenarios, Scenario) \
            and "name" not in scenarios:
        return {str(k): as_scenario(v) for k, v in scenarios.items()}
    out: dict[str, Scenario] = {}
    for source in scenarios:  # type: ignore[union-attr]
        s = as_scenario(source)
        label, i = s.name, 2
        while label in out:
            label, i = f"{s.name}-{i}", i + 1
        out[label] = s
    return out


def compare(scenarios: Sequence[ScenarioLike] | Mapping[str, ScenarioLike],
            seeds: int | Iterable[int] = 5, executor: Executor | None = None,
            progress: Progress = False, level: float = 0.95) -> Comparison:
    """Run each scenario over the same seeds (a count ``n`` means seeds ``0..n-1``).

    ``scenarios``: paths, YAML texts, mappings or :class:`Scenario` objects
    (labelled by name), or ``{label: scenario}``. ``executor`` as in
    :func:`amqpsim.sweep`.
    """
    labelled = _labelled(scenarios)
    if not labelled:
        raise ValueError("nothing to compare")
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if not seed_list:
        raise ValueError("seeds must not be empty")
    tasks = [(s.to_dict(compact=True), seed) for s in labelled.values() for seed in seed_list]
    results = run_summaries(tasks, executor, progress, "compare")
    k = len(seed_list)
    summaries = {label: results[i * k:(i + 1) * k] for i, label in enumerate(labelled)}
    return Comparison(labelled, seed_list, summaries, level)
