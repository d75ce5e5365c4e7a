"""Run the conformance cases against a real RabbitMQ and print each outcome as JSON.

    python tests/conformance/run_real.py                   # all cases
    python tests/conformance/run_real.py topic_matrix ...  # selected cases
    python tests/conformance/run_real.py --repeat 3        # also check determinism
    python tests/conformance/run_real.py --sim             # run amqpsim.pika instead
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import CASES, run_case  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("names", nargs="*", help="case names (default: all)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5672)
    ap.add_argument("--repeat", type=int, default=1, help="run each case N times, report changes")
    ap.add_argument("--sim", action="store_true", help="use amqpsim.pika instead of pika")
    args = ap.parse_args()

    if args.sim:
        import amqpsim.pika as pika_module
    else:
        import pika as pika_module
    params = pika_module.ConnectionParameters(host=args.host, port=args.port)

    unstable, start = [], time.monotonic()
    for name in args.names or list(CASES):
        t0 = time.monotonic()
        outcomes = []
        for _ in range(args.repeat):
            if args.sim:
                pika_module.reset_brokers()
            outcomes.append(run_case(name, pika_module, params))
        took = time.monotonic() - t0
        print(json.dumps({name: outcomes[0]}, indent=1, sort_keys=False, default=repr))
        print(f"# {name}: {took:.2f}s for {args.repeat} run(s)", file=sys.stderr)
        if any(o != outcomes[0] for o in outcomes[1:]):
            unstable.append(name)
            for o in outcomes[1:]:
                print(json.dumps({f"{name} (other run)": o}, default=repr), file=sys.stderr)
    print(f"# total {time.monotonic() - start:.1f}s; unstable: {unstable or 'none'}",
          file=sys.stderr)
    return 1 if unstable else 0


if __name__ == "__main__":
    sys.exit(main())
