"""`RealCluster`: the `ClusterControl` of a fresh real 3-node RabbitMQ 3.10.8 cluster on loopback.

Drives the scripts in .ci/cluster/ (copied from the shared rabbitmq-cluster lab): cluster-up.sh
boots rabbit1..3@localhost (AMQP 127.0.0.1:5681-5683, distribution 25681-25683) and joins 2 and 3
to 1; cluster-down.sh stops them (rabbitmqctl stop, then kill -9 of the recorded pids) and removes
our iptables rules; partition.sh cuts distribution traffic with iptables DROP; start-node.sh
restarts a node on its kept data; unstick-global.sh is the by-hand fix of rabbitmq-server #6034.
Needs root, iptables, rabbitmq-server from apt and escript. Every process it stops, it stops by the
pid the scripts recorded.

    with RealCluster(pika, partition_handling="pause_minority") as cluster:
        result = experiment(pika, cluster, "ns")
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

LAB = Path(__file__).resolve().parents[2] / ".ci" / "cluster"
RMQ_BIN = Path("/usr/lib/rabbitmq/bin")
NODES = ("rabbit1", "rabbit2", "rabbit3")  # as control.NODES
RUN = os.environ.get("AMQPSIM_CLUSTER_RUN", "/tmp/amqpsim-cluster")
AMQP_PORTS = {node: 5680 + i for i, node in enumerate(NODES, start=1)}


def missing_prerequisites() -> list[str]:
    """What this machine lacks to start the cluster (empty: it can)."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (iptables, nodes run as root)")
    for tool in ("iptables", "escript"):
        if shutil.which(tool) is None:
            missing.append(tool)
    if not (RMQ_BIN / "rabbitmq-server").exists():
        missing.append(f"{RMQ_BIN}/rabbitmq-server (apt-get install rabbitmq-server)")
    for node, port in AMQP_PORTS.items():
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                missing.append(f"a free port {port} for {node} (something listens there)")
    return missing


def _num(node: str) -> int:
    if node not in NODES:
        raise ValueError(f"unknown node {node!r}; nodes are {NODES}")
    return NODES.index(node) + 1


def _node_of(text: str) -> str | None:
    m = re.search(r"rabbit(\d)@", text or "")
    return f"rabbit{m.group(1)}" if m else None


class RealCluster:
    """A fresh cluster per `with` block; see control.ClusterControl for each method's contract."""

    def __init__(self, pika: Any, partition_handling: str = "ignore",
                 net_ticktime: float = 10.0, run_dir: str = RUN) -> None:
        self.pika = pika
        self.run = run_dir
        self.env = dict(os.environ, RUN=run_dir, HOME=f"{run_dir}/home",
                        PARTITION_MODE=partition_handling, TICK=str(int(net_ticktime)))
        self.down: set[str] = set()  # nodes killed or stopped through this object
        self.log: list[str] = []     # what the control did and saw (for a failing test's report)
        self.beam_cpu = 0.0          # CPU seconds of the nodes' Erlang VMs that have ended so far

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> RealCluster:
        try:
            self._script("cluster-up.sh", timeout=600)  # ~12 s on an idle machine
        except BaseException:
            self._script("cluster-down.sh", timeout=120, check=False)  # what it did start
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        for node in NODES:
            if node not in self.down:
                self.beam_cpu += self._cpu(node)
        self._script("cluster-down.sh", timeout=120)
        self._note(f"down; the nodes used {self.beam_cpu:.1f} CPU-s")

    # -- ClusterControl -------------------------------------------------------------------------

    def params(self, node: str) -> Any:
        return self.pika.ConnectionParameters(host="127.0.0.1", port=AMQP_PORTS[node],
                                              connection_attempts=1)

    def kill(self, node: str) -> None:
        pid = self._beam_pid(node)
        self.beam_cpu += self._cpu(node)
        os.kill(pid, signal.SIGKILL)
        self._await_exit(pid, 30)
        self.down.add(node)
        self._note(f"kill -9 {node} (pid {pid})")

    def stop(self, node: str) -> None:
        n = _num(node)
        pid = self._beam_pid(node)
        self.beam_cpu += self._cpu(node)
        self.ctl(n, "stop", f"{self.run}/n{n}/pid", timeout=90)
        self._await_exit(pid, 30)
        self.down.add(node)
        self._note(f"rabbitmqctl stop {node}")

    def start(self, node: str) -> None:
        n = _num(node)
        if Path(f"{self.run}/n{n}/pid").exists() and self._alive(self._beam_pid(node)):
            raise RuntimeError(f"{node} is still running")
        self._script("start-node.sh", str(n), timeout=120)
        self.ctl(n, "await_startup", "-t", "120", timeout=150)
        self.down.discard(node)
        self._note(f"started {node}")

    def partition(self, groups: list[list[str]]) -> None:
        flat = [node for group in groups for node in group]
        if sorted(flat) != sorted(NODES):
            raise ValueError(f"groups must cover each node once: {groups}")
        for i, group in enumerate(groups):
            for other in groups[i + 1:]:
                for a in group:
                    for b in other:
                        self._script("partition.sh", "cut", str(_num(a)), str(_num(b)))
        self._note(f"partition {groups}")

    def heal(self, timeout: float = 90.0, unstick_after: float = 5.0) -> None:
        self._script("partition.sh", "heal")
        t0 = time.monotonic()
        self._note("heal")
        alive = [n for n in NODES if n not in self.down]
        want = "[" + ",".join(str(_num(n)) for n in alive) + "]"
        unstuck = False
        mon = subprocess.Popen(["escript", str(LAB / "monitor.escript"), "300"], env=self.env,
                               cwd=self.run,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            views: dict[str, tuple[str, ...]] = {}
            assert mon.stdout is not None
            for line in mon.stdout:
                f = line.split()
                if len(f) == 5 and f[0].isdigit():
                    views[f"rabbit{f[1]}"] = tuple(f[2:])
                if all(views.get(n) == ("true", "[]", want) for n in alive):
                    self._note(f"whole {time.monotonic() - t0:.1f}s after heal"
                               f"{' (unstuck)' if unstuck else ''}")
                    return
                waited = time.monotonic() - t0
                if waited > unstick_after and not unstuck:
                    # 3.10.8 on OTP 25: a paused node can hang in global:sync (fixed in 3.10.9)
                    for n in alive:
                        self._script("unstick-global.sh", str(_num(n)), check=False)
                    unstuck = True
                    self._note(f"unstick-global.sh on {alive} at {waited:.1f}s: {views}")
                if waited > timeout:
                    raise RuntimeError(f"cluster not whole {timeout}s after heal: {views}")
            raise RuntimeError("monitor.escript ended")
        finally:
            mon.kill()
            mon.wait()

    def sleep(self, seconds: float, *connections: Any) -> None:
        deadline = time.monotonic() + seconds
        while True:
            open_ = [c for c in connections if c.is_open]
            for c in open_:
                c.process_data_events(time_limit=0 if len(open_) > 1 else
                                      max(0.0, deadline - time.monotonic()))
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if len(open_) != 1:
                time.sleep(min(left, 0.02))

    def now(self) -> float:
        return time.monotonic()

    def leader(self, queue: str) -> str | None:
        for node in NODES:
            if node in self.down:
                continue
            # tab-separated, since the JSON formatter prints a pid without its node name
            try:
                out = self.ctl(_num(node), "list_queues", "name", "type", "leader", "pid", "-q",
                               "--no-table-headers", "-t", "20", timeout=40)
            except (RuntimeError, subprocess.TimeoutExpired):
                continue  # e.g. paused by pause_minority: ask the next node
            for line in out.splitlines():
                f = line.split("\t")
                if len(f) == 4 and f[0] == queue:
                    return _node_of(f[2] if f[1] == "quorum" else f[3])
            # not listed: e.g. a node paused by pause_minority answers with no queues (seen in CI,
            # which read no leader during a partition): ask the next node
        return None

    def set_policy(self, name: str, pattern: str, definition: dict[str, Any],
                   apply_to: str = "queues", priority: int = 0) -> None:
        node = next(n for n in NODES if n not in self.down)
        self.ctl(_num(node), "set_policy", name, pattern, json.dumps(definition),
                 "--apply-to", apply_to, "--priority", str(priority))
        self._note(f"set_policy {name} {pattern} {definition}")

    # -- helpers --------------------------------------------------------------------------------

    def ctl(self, n: int, *args: str, tool: str = "rabbitmqctl", check: bool = True,
            timeout: float = 60) -> str:
        cmd = [str(RMQ_BIN / tool), "-n", f"rabbit{n}@localhost", *args]
        r = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout,
                           cwd=self.run)  # an Erlang crash dump lands there
        if check and r.returncode:
            raise RuntimeError(f"{' '.join(cmd)}: rc={r.returncode} {r.stdout}{r.stderr}")
        return r.stdout + r.stderr

    def _script(self, name: str, *args: str, check: bool = True, timeout: float = 60) -> str:
        r = subprocess.run(["bash", str(LAB / name), *args], env=self.env, capture_output=True,
                           text=True, timeout=timeout, cwd="/tmp")
        if check and r.returncode:
            raise RuntimeError(f"{name} {' '.join(args)}: rc={r.returncode} {r.stdout}{r.stderr}")
        return r.stdout

    def _beam_pid(self, node: str) -> int:
        return int(Path(f"{self.run}/n{_num(node)}/pid").read_text().strip())

    def _cpu(self, node: str) -> float:
        """CPU seconds (user + system) the node's running Erlang VM has used."""
        try:
            f = Path(f"/proc/{self._beam_pid(node)}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ValueError):
            return 0.0
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _alive(pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, IndexError):
            return False
        return state not in ("Z", "X")

    def _await_exit(self, pid: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self._alive(pid):
            if time.monotonic() > deadline:
                raise RuntimeError(f"pid {pid} still alive after {seconds}s")
            time.sleep(0.05)

    def _note(self, what: str) -> None:
        self.log.append(f"{time.strftime('%H:%M:%S')} {what}")
