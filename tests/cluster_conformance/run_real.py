"""Run cluster experiments against a fresh real 3-node cluster each and print the outcomes as JSON.

    python tests/cluster_conformance/run_real.py                      # all experiments
    python tests/cluster_conformance/run_real.py quorum_leader_killed  # selected ones
    python tests/cluster_conformance/run_real.py --record              # also rewrite recorded/

Needs root, iptables and rabbitmq-server (see real.py). The test suite does the same
(test_cluster_conformance.py; AMQPSIM_RECORD_CLUSTER=1 rewrites recorded/ there).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from experiments import EXPERIMENTS  # noqa: E402
from real import RealCluster  # noqa: E402

NS = "cc"  # the prefix of every name an experiment creates (fixed: texts compare exactly)


def record_path(name: str) -> Path:
    return HERE / "recorded" / f"{name}.json"


def main() -> int:
    import pika

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("names", nargs="*", help="experiment names (default: all)")
    ap.add_argument("--record", action="store_true", help="write recorded/<name>.json")
    args = ap.parse_args()
    for name in args.names or list(EXPERIMENTS):
        exp = EXPERIMENTS[name]
        t0 = time.monotonic()
        with RealCluster(pika, exp.partition_handling, exp.net_ticktime) as cluster:
            result = exp.run(pika, cluster, NS)
        print(json.dumps({name: result}, indent=1))
        print(f"# {name}: {time.monotonic() - t0:.1f}s; control log: {cluster.log}", file=sys.stderr)
        exp.check(result)
        if args.record:
            record_path(name).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
