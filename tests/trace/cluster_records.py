"""A fake cluster run as records (no broker, no simulation), and the summary it must fold to.

Three nodes under pause_minority, three queues (classic ``logs`` on rabbit3, mirrored
``orders`` on rabbit1, quorum ``payments`` on rabbit2). rabbit3 crashes at 5 and restarts
at 15 (``logs`` has no leader meanwhile and loses its copies); rabbit1 stops at 8 and
restarts at 12 (``orders`` fails over to an unsynchronised mirror at 10, losing msg 1);
a partition rabbit1 | rabbit2+rabbit3 from 20 to 90, detected at 65, pauses rabbit1 from
65 to 91; a second one from 100 is never detected nor healed and ``payments`` has no
leader from 110 to the end (120).
"""

from __future__ import annotations

from typing import Any

from amqpsim.trace.events import (
    Acked,
    ClusterFormed,
    Confirmed,
    ConnectionOpened,
    Delivered,
    Enqueued,
    Lost,
    NodeDown,
    NodeUp,
    PartitionChanged,
    Published,
    QueuePlaced,
    Returned,
    Unroutable,
)

END = 120.0
NODES = ("rabbit1", "rabbit2", "rabbit3")
R1, R2, R3 = NODES


def _publish(t: float, msg: int, tag: int | None, queue: str | None) -> list[Any]:
    out: list[Any] = [Published(t, "web#0", "conn-1/ch-1", msg, "", queue or "nowhere", tag, 10)]
    if queue is not None:
        out.append(Enqueued(t, msg, msg, queue, "", queue, 10))
    return out


def cluster_records(cluster: bool = True) -> list[Any]:
    """The fake run (``cluster=False``: its message records alone, as a single-node run)."""
    ev: list[Any] = []
    if cluster:
        ev += [ClusterFormed(0.0, NODES, "pause_minority", 60.0),
               QueuePlaced(0.0, "logs", "classic", R3, (R3,), (R3,), "declared"),
               QueuePlaced(0.0, "orders", "mirrored", R1, (R1, R2, R3), (R1, R2, R3), "declared"),
               QueuePlaced(0.0, "payments", "quorum", R2, (R2, R3, R1), (R2, R3, R1), "declared")]
    ev.append(ConnectionOpened(0.5, "web#0", "conn-1", R1 if cluster else None))
    ev += _publish(1.0, 1, 1, "orders")
    ev.append(Confirmed(1.0, "web#0", "conn-1/ch-1", 1, 1, True))  # confirmed, lost at 10
    ev += _publish(2.0, 2, 2, "logs")
    ev.append(Confirmed(2.0, "web#0", "conn-1/ch-1", 2, 2, True))  # confirmed and consumed
    ev.append(Delivered(3.0, "worker#0", "conn-2/ch-1", "ctag", 2, 2, "logs", "", "logs", 1, False, False))
    ev.append(Acked(3.0, "worker#0", "conn-2/ch-1", "ctag", 2, 2, "logs", 1, False, False))
    ev += _publish(3.0, 3, 3, "payments")  # never confirmed
    ev += _publish(4.0, 4, 4, "logs")  # lost at 5, confirmed after: confirmed-lost
    ev += _publish(4.0, 5, 5, "logs")  # lost at 5 and nacked: not confirmed-lost
    ev += _publish(4.0, 6, None, "logs")  # no confirms: in neither count
    ev += _publish(4.5, 7, 6, None)  # mandatory, returned, then confirmed
    ev += [Unroutable(4.5, "web#0", 7, "", "nowhere", False, "no_route"),
           Returned(4.5, "web#0", "conn-1/ch-1", 7, "", "nowhere", 312),
           Confirmed(4.5, "web#0", "conn-1/ch-1", 7, 6, True)]
    if cluster:
        ev += [NodeDown(5.0, R3, "crash"),
               QueuePlaced(5.0, "logs", "classic", None, (R3,), (), "unavailable"),
               QueuePlaced(5.0, "orders", "mirrored", R1, (R1, R2), (R1, R2), "mirror_lost"),
               QueuePlaced(5.0, "payments", "quorum", R2, (R2, R3, R1), (R2, R1), "mirror_lost")]
    ev += [Lost(5.0, None, m, m, "logs", "node_crash") for m in (4, 5, 6)]
    ev += [Confirmed(5.0, "web#0", "conn-1/ch-1", 5, 5, False), Confirmed(6.0, "web#0", "conn-1/ch-1", 4, 4, True)]
    if cluster:
        ev += [NodeDown(8.0, R1, "stop"),
               QueuePlaced(8.0, "orders", "mirrored", None, (R2,), (), "unavailable"),
               QueuePlaced(10.0, "orders", "mirrored", R2, (R2,), (R2,), "failover")]
    ev.append(Lost(10.0, None, 1, 1, "orders", "unsynchronised_mirror"))
    if cluster:
        ev += [NodeUp(12.0, R1, "restart"),
               QueuePlaced(12.0, "orders", "mirrored", R2, (R2, R1), (R2,), "mirror_added"),
               NodeUp(15.0, R3, "restart"),
               QueuePlaced(15.0, "logs", "classic", R3, (R3,), (R3,), "restored"),
               PartitionChanged(20.0, "start", (R1, f"{R2}+{R3}")),
               PartitionChanged(65.0, "detected", (R1, f"{R2}+{R3}")),
               NodeDown(65.0, R1, "pause"),
               PartitionChanged(90.0, "end", (R1, f"{R2}+{R3}")),
               NodeUp(91.0, R1, "resume"),
               PartitionChanged(100.0, "start", (f"{R1}+{R2}", R3)),
               QueuePlaced(110.0, "payments", "quorum", None, (R2, R3, R1), (R2, R1), "unavailable")]
    return ev


#: what the cluster run adds to the summary
MESSAGES = {"confirmed_lost": 2, "unconfirmed": 1}
CLUSTER = {
    "nodes": {R1: {"down": [[8.0, 12.0]], "paused": [[65.0, 91.0]], "restarts": 1},
              R2: {"down": [], "paused": [], "restarts": 0},
              R3: {"down": [[5.0, 15.0]], "paused": [], "restarts": 1}},
    "partitions": [{"start": 20.0, "end": 90.0, "detected": 65.0, "groups": [[R1], [R2, R3]]},
                   {"start": 100.0, "end": END, "detected": None, "groups": [[R1, R2], [R3]]}],
    "queues": {"logs": {"type": "classic", "leader_changes": 0, "unavailable": 10.0,
                        "leaders": [[0.0, R3], [5.0, None], [15.0, R3]]},
               "orders": {"type": "mirrored", "leader_changes": 1, "unavailable": 2.0,
                          "leaders": [[0.0, R1], [8.0, None], [10.0, R2]]},
               "payments": {"type": "quorum", "leader_changes": 0, "unavailable": 10.0,
                            "leaders": [[0.0, R2], [110.0, None]]}},
}
