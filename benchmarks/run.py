"""amqpsim benchmarks: ``make bench`` (or ``python benchmarks/run.py [--quick] [--huge]``).

Prints, for this machine:

1. **M/M/4 work queue** (Poisson publishes at 3.2/s, 4 consumers, prefetch 1, manual
   ack, exponential service of mean 1 s: utilisation 0.8), 200,000 messages,
   simulated by

   - amqpsim, summary only (``events=False``),
   - amqpsim with the full event log (``events=True``),
   - the plainest SimPy program of the same model (a ``simpy.Store``, a producer
     process and 4 consumer processes),
   - Ciw (``ciw.create_network`` with 4 servers),

   as messages simulated per second and the ratio to plain SimPy and to Ciw. Two
   more rows split amqpsim's time per message: the SimPy kernel work it schedules
   (a producer timeout and a service-completion timeout per message) and its broker,
   clients and event records recording as a summary-only run does, to a ledger that
   reads nothing (no summary statistics).
2. **Topic routing** throughput at 10, 1,000 and 10,000 bindings: the table of
   ``benchmarks/topic_routing.py`` (the broker's own routing benchmark), run as is.
3. **Peak memory** (max RSS) of a summary-only run of 10^5 and 10^6 messages, and
   with ``--huge`` the time and memory of a 10^7-message summary-only run.
4. **A cluster**: the M/M/4 workload on a quorum queue, on one node and on a 3-node
   cluster (the queue's leader on rabbit1, the publisher on rabbit2, the workers on
   rabbit3): CPU per message of each (the cluster may cost at most 2x).
5. **A report** (``amqpsim run --report``: the run folds the pictures' series, then
   draws them and writes report.html) of 300,000 messages: CPU time and peak memory
   against a summary-only run of the same messages; and a report of 10^6 messages.

Every case runs in its own fresh Python process (so one case's heap does not
affect the next). Rates use the process's **CPU time**, which other load on the
machine disturbs much less than wall-clock time; the wall-clock rate is shown
too. On a shared virtual machine even CPU time varies by 10-30 % from run to run,
so each M/M/4 case runs ``--repeat`` times (default 3), the cases interleaved, and
the fastest run counts (as ``timeit`` does). ``--instructions`` adds a figure no
neighbour can disturb: instructions per message counted by valgrind's callgrind,
``(I(2n) - I(n)) / n`` with n = 10,000 (start-up cancels out). ``--json FILE``
also writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LAM, MU, SERVERS = 3.2, 1.0, 4  # M/M/4 at utilisation 0.8


# ---------------------------------------------------------------------------- the cases
def mm4_scenario(n: int) -> Any:
    import amqpsim

    return amqpsim.load_scenario({
        "name": "bench-mm4",
        "topology": {"queues": [{"name": "work"}]},
        "producers": [{"name": "pub", "exchange": "", "routing_key": "work", "rate": {"poisson": LAM},
                       "count": n, "confirms": False, "persistent": False}],
        "consumers": [{"name": "worker", "queue": "work", "instances": SERVERS, "prefetch": 1,
                       "ack": "manual", "service_time": {"exponential": 1 / MU}}],
    })


def cluster_scenario(n: int, cluster: bool) -> Any:
    """The M/M/4 workload on a quorum queue: on one node, or on 3 nodes with the leader,
    the publisher and the workers on different nodes."""
    import amqpsim

    nodes: dict[str, Any] = {"node": "rabbit1"} if cluster else {}
    return amqpsim.load_scenario({
        "name": "bench-cluster",
        **({"cluster": {"nodes": 3}} if cluster else {}),
        "topology": {"queues": [{"name": "work", "durable": True, "arguments": {"x-queue-type": "quorum"},
                                 **nodes}]},
        "producers": [{"name": "pub", "routing_key": "work", "rate": {"poisson": LAM}, "count": n,
                       **({"node": "rabbit2"} if cluster else {})}],
        "consumers": [{"name": "worker", "queue": "work", "instances": SERVERS, "prefetch": 1,
                       "service_time": {"exponential": 1 / MU}, **({"node": "rabbit3"} if cluster else {})}],
    })


def case_cluster(n: int, cluster: bool) -> dict[str, Any]:
    amqpsim = _import_amqpsim()
    sc = cluster_scenario(n, cluster)
    with _clock() as c:
        r = amqpsim.run(sc, seed=1, events=False)
    r.raise_for_error()
    assert r.summary["messages"]["acked"] == n
    return {**c.result, "messages": n, "mean_wait": r.summary["queues"]["work"]["wait"]["mean"]}


def _import_amqpsim() -> Any:
    """amqpsim with the modules a run imports on first use (the engine, the broker, the
    trace) already imported: the clock measures simulating, as for SimPy and Ciw, whose
    imports are done before their clocks start too (a first run would pay ~0.07 s)."""
    import amqpsim
    import amqpsim.sim.engine  # noqa: F401
    import amqpsim.sim.runner  # noqa: F401

    return amqpsim


def case_amqpsim(n: int, events: bool) -> dict[str, Any]:
    amqpsim = _import_amqpsim()
    sc = mm4_scenario(n)
    with _clock() as c:
        r = amqpsim.run(sc, seed=1, events=events)
    r.raise_for_error()
    assert r.summary["messages"]["acked"] == n
    return {**c.result, "messages": n, "mean_wait": r.summary["queues"]["work"]["wait"]["mean"]}


def case_simpy(n: int) -> dict[str, Any]:
    import simpy

    env = simpy.Environment()
    store = simpy.Store(env)
    arrivals, services = random.Random(1), random.Random(2)
    waits = [0.0, 0]

    def producer():  # type: ignore[no-untyped-def]
        for _ in range(n):
            yield env.timeout(arrivals.expovariate(LAM))
            store.put(env.now)

    def consumer():  # type: ignore[no-untyped-def]
        while True:
            t = yield store.get()
            waits[0] += env.now - t
            waits[1] += 1
            yield env.timeout(services.expovariate(MU))

    with _clock() as c:
        env.process(producer())
        for _ in range(SERVERS):
            env.process(consumer())
        env.run()
    assert waits[1] == n
    return {**c.result, "messages": n, "mean_wait": waits[0] / waits[1]}


def case_skeleton(n: int) -> dict[str, Any]:
    """Only the SimPy work amqpsim schedules per message: a producer timeout, a service timeout."""
    import simpy

    env = simpy.Environment()
    arrivals, services = random.Random(1), random.Random(2)

    def done(_ev: Any) -> None:
        return None

    def producer():  # type: ignore[no-untyped-def]
        for _ in range(n):
            yield env.timeout(arrivals.expovariate(LAM))
            env.timeout(services.expovariate(MU)).callbacks.append(done)

    with _clock() as c:
        env.process(producer())
        env.run()
    return {**c.result, "messages": n, "mean_wait": float("nan")}


class _NoLedger:
    """A ledger that reads nothing: what a summary-only run costs without its summary."""

    def take(self, rows: list) -> None:
        return None


def case_no_stats(n: int) -> dict[str, Any]:
    """amqpsim's broker and clients recording as in a summary-only run (no route events,
    events handed over in batches), to a ledger that reads nothing."""
    from amqpsim.sim.engine import Simulation
    from amqpsim.trace.recorder import Recorder

    sc = mm4_scenario(n)
    with _clock() as c:
        rec = Recorder(keep=False)
        rec.batch_listeners.append(_NoLedger().take)
        Simulation(sc, 1, rec).build().run()
    return {**c.result, "messages": n, "mean_wait": float("nan")}


def case_ciw(n: int) -> dict[str, Any]:
    import ciw

    net = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(LAM)],
                             service_distributions=[ciw.dists.Exponential(MU)], number_of_servers=[SERVERS])
    ciw.seed(1)
    with _clock() as c:
        q = ciw.Simulation(net)
        q.simulate_until_max_customers(n, method="Finish")
    recs = q.get_all_records()
    return {**c.result, "messages": len(recs), "mean_wait": sum(r.waiting_time for r in recs) / len(recs)}


def case_memory(n: int) -> dict[str, Any]:
    import resource

    amqpsim = _import_amqpsim()
    sc = mm4_scenario(n)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with _clock() as c:
        r = amqpsim.run(sc, seed=1, events=False)
    r.raise_for_error()
    assert r.summary["messages"]["acked"] == n
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {**c.result, "messages": n, "maxrss_mb": peak / 1024, "base_mb": base / 1024}


def case_report(n: int) -> dict[str, Any]:
    """``amqpsim run --report``: the run folds the pictures' series, then the report is drawn."""
    import resource
    import tempfile

    amqpsim = _import_amqpsim()
    from amqpsim.viz import write_report

    sc = mm4_scenario(n)
    with _clock() as c, tempfile.TemporaryDirectory() as out:
        r = amqpsim.run(sc, seed=1, events=False, exact=False, pictures=True)
        r.raise_for_error()
        write_report(r, out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {**c.result, "messages": n, "maxrss_mb": peak / 1024}


CASES = {"report": case_report, "amqpsim-summary": lambda n: case_amqpsim(n, False), "amqpsim-events": lambda n: case_amqpsim(n, True),
         "simpy": case_simpy, "ciw": case_ciw, "skeleton": case_skeleton, "no-stats": case_no_stats, "memory": case_memory,
         "quorum-1-node": lambda n: case_cluster(n, False), "quorum-3-nodes": lambda n: case_cluster(n, True)}


class _clock:
    def __enter__(self) -> _clock:
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.result = {"cpu": time.process_time() - self.cpu, "wall": time.perf_counter() - self.wall}


# ---------------------------------------------------------------------------- the driver
def run_case(name: str, n: int) -> dict[str, Any]:
    """Run one case in a fresh interpreter; its figures come back as JSON on stdout."""
    proc = subprocess.run([sys.executable, __file__, "--case", name, str(n)], capture_output=True, text=True,
                          cwd=ROOT)
    if proc.returncode:
        raise RuntimeError(f"case {name} ({n}) failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def best_of(name: str, n: int, runs: list[dict[str, Any]]) -> dict[str, Any]:
    r = min(runs, key=lambda x: x["cpu"])
    return {**r, "repeats": [x["cpu"] for x in runs]}


def instructions(name: str, n: int = 10_000) -> float | None:
    """Instructions per message of a case, counted by callgrind (None without valgrind)."""
    if shutil.which("valgrind") is None:
        return None

    def count(k: int) -> int:
        proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                               __file__, "--case", name, str(k)], capture_output=True, text=True, cwd=ROOT)
        m = re.search(r"Collected : (\d+)", proc.stderr)
        if proc.returncode or m is None:
            raise RuntimeError(f"callgrind of {name} ({k}) failed:\n{proc.stderr[-2000:]}")
        return int(m.group(1))

    return (count(2 * n) - count(n)) / n


def rate(r: dict[str, Any], key: str = "cpu") -> float:
    return r["messages"] / r[key] if r[key] > 0 else float("inf")


def main() -> int:
    ap = argparse.ArgumentParser(description="amqpsim benchmarks (see the module docstring)")
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test, ~1 minute)")
    ap.add_argument("--huge", action="store_true", help="also run 10^7 messages, summary only (long)")
    ap.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    ap.add_argument("--repeat", type=int, default=3, metavar="R",
                    help="runs of each M/M/4 case; the fastest counts (default 3)")
    ap.add_argument("--instructions", action="store_true",
                    help="also count instructions per message with valgrind (a few minutes)")
    ap.add_argument("--case", nargs=2, metavar=("NAME", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        name, n = args.case
        print(json.dumps(CASES[name](int(n))))
        return 0

    n = 20_000 if args.quick else 200_000
    mem_sizes = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    topic_n = 20_000 if args.quick else 100_000
    res: dict[str, Any] = {"machine": f"{platform.python_implementation()} {platform.python_version()}, "
                                      f"{platform.machine()}, {os.cpu_count()} CPUs", "n": n}
    print(f"amqpsim benchmarks on {res['machine']} (rates from CPU time; wall-clock in brackets)\n")

    print(f"M/M/{SERVERS} work queue, lambda={LAM}/s, mu={MU}/s (utilisation {LAM / (SERVERS * MU):.1f}), "
          f"{n:,} messages")
    names = ("amqpsim-summary", "amqpsim-events", "simpy", "ciw", "no-stats", "skeleton")
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for _ in range(max(args.repeat, 1)):  # interleaved: a slow spell of the machine hits every case
        for name in names:
            runs[name].append(run_case(name, n))
    mm = res["mm4"] = {name: best_of(name, n, runs[name]) for name in names}
    print(f"  (fastest of {max(args.repeat, 1)} runs each)")
    simpy_rate, ciw_rate = rate(mm["simpy"]), rate(mm["ciw"])
    print(f"  {'model':<34}{'msg/s':>10} {'(wall)':>10}{'x SimPy':>9}{'x Ciw':>7}{'mean wait':>11}")
    labels = {"amqpsim-summary": "amqpsim, summary only", "amqpsim-events": "amqpsim, full event log",
              "simpy": "plain SimPy (Store + processes)", "ciw": "Ciw",
              "no-stats": "(amqpsim, no summary, no log)", "skeleton": "(SimPy: amqpsim's 2 timeouts/msg)"}
    for name, label in labels.items():
        r = mm[name]
        print(f"  {label:<34}{rate(r):>10,.0f} {'(' + format(rate(r, 'wall'), ',.0f') + ')':>10}"
              f"{rate(r) / simpy_rate:>9.2f}{rate(r) / ciw_rate:>7.2f}{r['mean_wait']:>11.3f}")
    us = {name: 1e6 * r["cpu"] / r["messages"] for name, r in mm.items()}
    print(f"  CPU per message: SimPy kernel {us['skeleton']:.1f} us + broker, clients and 4 event records "
          f"{us['no-stats'] - us['skeleton']:.1f} us + summary statistics {us['amqpsim-summary'] - us['no-stats']:.1f}"
          f" us = {us['amqpsim-summary']:.1f} us (plain SimPy: {us['simpy']:.1f} us, Ciw: {us['ciw']:.1f} us)")

    if args.instructions:
        ins = res["instructions"] = {name: instructions(name) for name in ("amqpsim-summary", "amqpsim-events",
                                                                           "simpy", "ciw")}
        if ins["simpy"] is None:
            print("  instructions: valgrind not found")
        else:
            print("  instructions per message (callgrind): " + ", ".join(
                f"{name} {v:,.0f} ({ins['simpy'] / v:.2f}x SimPy)" for name, v in ins.items() if v))

    print(f"\nTopic routing: benchmarks/topic_routing.py --messages {topic_n:,}")
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "topic_routing.py"), "--messages",
                           str(topic_n)], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        raise RuntimeError(f"topic_routing.py failed:\n{proc.stderr}")
    res["topic"] = proc.stdout
    print("\n".join("  " + line for line in proc.stdout.rstrip().splitlines()))

    sizes = (*mem_sizes, 10_000_000) if args.huge else mem_sizes
    print("\nPeak memory, summary only (max RSS of a fresh process; 'base' is after imports)")
    print(f"  {'messages':>12}{'max RSS MB':>12}{'base MB':>9}{'CPU s':>9}{'wall s':>9}{'msg/s':>10}")
    mem = res["memory"] = {}
    for size in sizes:
        r = mem[str(size)] = run_case("memory", size)
        print(f"  {size:>12,}{r['maxrss_mb']:>12.1f}{r['base_mb']:>9.1f}{r['cpu']:>9.1f}{r['wall']:>9.1f}"
              f"{rate(r):>10,.0f}")
    growth = mem[str(mem_sizes[1])]["maxrss_mb"] - mem[str(mem_sizes[0])]["maxrss_mb"]
    print(f"  growth {mem_sizes[0]:,} -> {mem_sizes[1]:,} messages: {growth:+.1f} MB")

    cluster_n = n // 2
    print(f"\nA cluster: the M/M/4 workload on a quorum queue, {cluster_n:,} messages (fastest of "
          f"{max(args.repeat, 1)})")
    cl_runs: dict[str, list[dict[str, Any]]] = {"quorum-1-node": [], "quorum-3-nodes": []}
    for _ in range(max(args.repeat, 1)):
        for name in cl_runs:
            cl_runs[name].append(run_case(name, cluster_n))
    cl = res["cluster"] = {name: best_of(name, cluster_n, runs_) for name, runs_ in cl_runs.items()}
    for name, r in cl.items():
        print(f"  {name:<16}{rate(r):>10,.0f} msg/s {1e6 * r['cpu'] / r['messages']:>8.1f} us/msg")
    cluster_cost = cl["quorum-3-nodes"]["cpu"] / cl["quorum-1-node"]["cpu"]

    report_n = 30_000 if args.quick else 300_000
    print(f"\nReport (run + pictures + report.html), against a summary-only run of the same {report_n:,} messages")
    rep = res["report"] = {"report": run_case("report", report_n), "summary": run_case("memory", report_n)}
    if not args.quick:
        rep["report_1e6"] = run_case("report", 1_000_000)
    for key, r in rep.items():
        print(f"  {key:<12}{r['messages']:>12,} msgs{r['cpu']:>9.1f} CPU s{r['maxrss_mb']:>9.1f} MB max RSS")
    report_cost = rep["report"]["cpu"] / rep["summary"]["cpu"]

    targets = [
        ("summary-only >= 0.5x plain SimPy", rate(mm["amqpsim-summary"]) / simpy_rate, 0.5),
        ("summary-only >= 3x Ciw", rate(mm["amqpsim-summary"]) / ciw_rate, 3.0),
        ("full event log >= 0.25x plain SimPy", rate(mm["amqpsim-events"]) / simpy_rate, 0.25),
    ]
    print("\nTargets")
    for label, got, want in targets:
        print(f"  {label:<40} {got:6.2f}  {'met' if got >= want else 'NOT met'}")
    print(f"  {'summary-only memory flat (< 60 MB growth)':<40} {growth:+6.1f}  "
          f"{'met' if growth < 60 else 'NOT met'}")
    print(f"  {'report <= 2.5x the summary-only CPU':<40} {report_cost:6.2f}  "
          f"{'met' if report_cost <= 2.5 else 'NOT met'}")
    print(f"  {'3-node cluster <= 2x one node per message':<40} {cluster_cost:6.2f}  "
          f"{'met' if cluster_cost <= 2.0 else 'NOT met'}")
    peak = rep["report"]["maxrss_mb"]
    print(f"  {'report <= 300 MB peak':<40} {peak:6.0f}  {'met' if peak <= 300 else 'NOT met'}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
