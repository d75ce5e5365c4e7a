"""Numbers the pictures show, computed from the event DataFrame (see :mod:`.data`).

Each function takes the normalised events (``events_of(run)``) and returns a
small DataFrame or dict; nothing here draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..trace.events import EventKind as K

__all__ = ["depth_series", "copy_fates", "fate_counts", "waits", "latencies", "deliveries",
           "fault_windows", "percentiles"]

_GONE = (K.ACK, K.EXPIRE, K.DEAD_LETTER, K.DROP, K.DISCARD, K.LOSS)
_STATE = {K.ENQUEUE: "ready", K.DELIVER: "unacked", K.REQUEUE: "ready", **{k: "gone" for k in _GONE}}
FAULT_KINDS = ("consumer_crash", "broker_restart", "slow_consumer", "connection_loss", "memory_alarm")


def percentiles(values: Any) -> dict[str, float]:
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return {"p50": np.nan, "p95": np.nan, "p99": np.nan, "mean": np.nan}
    p50, p95, p99 = np.percentile(arr, [50, 95, 99])
    return {"p50": float(p50), "p95": float(p95), "p99": float(p99), "mean": float(arr.mean())}


def depth_series(ev: pd.DataFrame) -> pd.DataFrame:
    """Ready and unacked copies per queue after each change: columns time, queue, ready, unacked."""
    d = ev.loc[ev["kind"].isin(_STATE.keys()) & ev["copy"].notna(), ["time", "kind", "copy", "queue"]].copy()
    if d.empty:
        return pd.DataFrame(columns=["time", "queue", "ready", "unacked"])
    d["state"] = d["kind"].map(_STATE)
    d.loc[(d["kind"] == K.DELIVER) & (ev.loc[d.index, "detail"] == "no_ack"), "state"] = "gone"  # auto-ack
    d["prev"] = d.groupby("copy")["state"].shift().fillna("gone")
    d["ready"] = (d["state"] == "ready").astype(int) - (d["prev"] == "ready").astype(int)
    d["unacked"] = (d["state"] == "unacked").astype(int) - (d["prev"] == "unacked").astype(int)
    d[["ready", "unacked"]] = d.groupby("queue")[["ready", "unacked"]].cumsum()
    out = d.groupby(["queue", "time"], sort=False)[["ready", "unacked"]].last().reset_index()
    return out[["time", "queue", "ready", "unacked"]].sort_values(["queue", "time"], kind="stable")


def copy_fates(ev: pd.DataFrame) -> pd.DataFrame:
    """One row per routed copy: msg, queue, fate key (see ``style.FATES``), deliveries, processed."""
    c = ev.loc[ev["copy"].notna()]
    enq = c.loc[c["kind"] == K.ENQUEUE].drop_duplicates("copy").set_index("copy")
    out = pd.DataFrame({"msg": enq["msg"], "queue": enq["queue"], "enqueued": enq["time"]})
    counts = c.groupby(["copy", "kind"]).size().unstack(fill_value=0)
    for kind in (K.DELIVER, K.PROCESSED):
        out[str(kind)] = counts[kind].reindex(out.index, fill_value=0) if kind in counts else 0
    out = out.rename(columns={"deliver": "deliveries"})
    term = c.loc[c["kind"].isin(_GONE)].drop_duplicates("copy").set_index("copy")
    kind = term["kind"].reindex(out.index)
    detail = term["detail"].reindex(out.index)
    fate = kind.map({K.ACK: "acked_once", K.EXPIRE: "expired", K.DROP: "dropped_overflow",
                     K.DISCARD: "discarded", K.LOSS: "lost", K.DEAD_LETTER: "dead_lettered"})
    fate = fate.fillna("remaining")
    acked = fate == "acked_once"
    fate[acked & (out["deliveries"] >= 2)] = "redelivered"
    fate[acked & out.index.isin(_duplicate_copies(ev))] = "duplicated"
    dl = fate == "dead_lettered"
    fate[dl] = "dead_lettered:" + detail[dl].fillna("other").astype(str)
    out["fate"] = fate
    out["ended"] = term["time"].reindex(out.index)
    return out


def _duplicate_copies(ev: pd.DataFrame) -> set[Any]:
    """Copies whose completion (ack, or ``processed`` when the ack could not be sent) repeated an
    earlier completion of the same logical message in the same queue (at-least-once duplicates)."""
    logical: dict[Any, Any] = {}
    links = ev.loc[(ev["kind"] == K.METHOD) & ev["detail"].fillna("").str.startswith("republish of ")]
    for msg, detail in links[["msg", "detail"]].itertuples(index=False):
        first = float(detail[len("republish of "):])
        logical[msg] = logical.get(first, first)
    comp = ev.loc[ev["kind"].isin([K.ACK, K.PROCESSED]) & ev["copy"].notna() & ev["queue"].notna()]
    if comp.empty:
        return set()
    keys = [comp["msg"].map(lambda m: logical.get(m, m)), comp["queue"]]
    n = comp.groupby(keys, sort=False).cumcount()
    return set(comp.loc[n >= 1, "copy"])


def fate_counts(ev: pd.DataFrame) -> dict[str, int]:
    """Routed copies per fate, plus publishes that reached no queue (``returned``, ``unroutable``)."""
    counts = copy_fates(ev)["fate"].value_counts().to_dict()
    unroutable = ev.loc[(ev["kind"] == K.UNROUTABLE) & ev["detail"].isna()]
    returned = int((ev["kind"] == K.RETURN).sum())
    counts["returned"] = returned
    counts["unroutable"] = max(0, unroutable["msg"].nunique() - returned)
    return {k: int(v) for k, v in counts.items()}


def waits(ev: pd.DataFrame) -> pd.DataFrame:
    """Queue wait per copy: first delivery minus enqueue. Columns copy, queue, wait."""
    c = ev.loc[ev["copy"].notna()]
    enq = c.loc[c["kind"] == K.ENQUEUE].drop_duplicates("copy").set_index("copy")
    dlv = c.loc[c["kind"] == K.DELIVER].drop_duplicates("copy").set_index("copy")
    both = enq[["queue", "time"]].join(dlv["time"].rename("delivered"), how="inner")
    return pd.DataFrame({"copy": both.index, "queue": both["queue"].values,
                         "wait": (both["delivered"] - both["time"]).values})


def latencies(ev: pd.DataFrame) -> pd.DataFrame:
    """Publish to ack per acked copy. Columns copy, queue, consumer (the acking actor), latency."""
    pub = ev.loc[ev["kind"] == K.PUBLISH].drop_duplicates("msg").set_index("msg")["time"]
    ack = ev.loc[(ev["kind"] == K.ACK) & ev["copy"].notna()].drop_duplicates("copy")
    lat = ack["time"].values - pub.reindex(ack["msg"]).values
    out = pd.DataFrame({"copy": ack["copy"].values, "queue": ack["queue"].values,
                        "consumer": ack["actor"].fillna(ack["consumer"]).values, "latency": lat})
    return out.dropna(subset=["latency"])


def deliveries(ev: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each delivery's busy interval per consumer actor, and each actor's unacked count over time.

    A consumer handles its deliveries one at a time: a delivery's work starts when it
    arrives or when the previous one ends, and ends at ``processed`` (else at its
    ack/nack/reject, else when a crash or close took it back). Returns
    ``(busy: actor, queue, copy, start, end, outcome; unacked: time, actor, unacked)``.
    """
    kinds = {K.DELIVER, K.PROCESSED, K.ACK, K.NACK, K.REJECT, K.REQUEUE, K.LOSS}
    sel = ev.loc[ev["kind"].isin(kinds) & ev["copy"].notna()]
    open_: dict[Any, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    held: dict[str, int] = {}
    steps: list[tuple[float, str, int]] = []

    def close(copy: Any, end: float, outcome: str) -> None:
        d = open_.pop(copy)
        d["end"] = d.pop("processed", None) if d.get("processed") is not None else end
        d["outcome"] = d.get("outcome") or outcome
        if d.pop("counted"):
            held[d["actor"]] -= 1
            steps.append((end, d["actor"], held[d["actor"]]))
        rows.append(d)

    cols = ["time", "kind", "actor", "copy", "queue", "detail", "redelivered"]
    for t, kind, actor, copy, queue, detail, redelivered in sel[cols].itertuples(index=False):
        d = open_.get(copy)
        if kind == K.DELIVER:
            if d is not None:
                close(copy, t, "interrupted")
            auto = detail == "no_ack"
            actor = _s(actor) or "client"
            open_[copy] = {"actor": actor, "queue": queue, "copy": copy, "deliver": t, "counted": not auto,
                           "outcome": "acked_once" if auto else None, "again": bool(_s(redelivered))}
            if not auto:
                held[actor] = held.get(actor, 0) + 1
                steps.append((t, actor, held[actor]))
        elif d is None:
            continue
        elif kind == K.PROCESSED:
            d["processed"] = t
            if d["outcome"] is not None:  # auto-ack: nothing else will come
                close(copy, t, d["outcome"])
        elif kind == K.ACK:
            if detail != "auto":
                close(copy, t, "redelivered" if d["again"] else "acked_once")
            elif t > d["deliver"]:  # auto-ack: the simulation acks when processing finishes
                close(copy, t, "acked_once")
        elif kind in (K.NACK, K.REJECT):
            requeue = "requeue=True" in str(detail)
            close(copy, t, "requeued" if requeue else "rejected")
        else:  # requeue / loss without a client settle: a crash or a close took it back
            close(copy, t, "lost" if kind == K.LOSS else "interrupted")
    end = float(ev["time"].max()) if len(ev) else 0.0
    for copy in list(open_):
        d = open_[copy]
        d["counted"] = False  # still held when the run ended: the window does not shrink
        close(copy, d.get("processed") or (d["deliver"] if d["outcome"] else end),
              d["outcome"] or "in progress")
    busy = pd.DataFrame(rows, columns=["actor", "queue", "copy", "deliver", "end", "outcome", "again"])
    busy = busy.sort_values(["actor", "deliver", "end"], kind="stable")
    prev_end = busy.groupby("actor")["end"].transform(lambda s: s.cummax().shift())
    busy["start"] = np.fmax(busy["deliver"], prev_end.fillna(-np.inf))
    busy["start"] = np.fmin(busy["start"], busy["end"])
    unacked = pd.DataFrame(steps, columns=["time", "actor", "unacked"])
    return busy.reset_index(drop=True), unacked


def _s(x: Any) -> Any:
    """``None`` for a missing value (pandas gives NaN), else the value."""
    return None if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA else x


def fault_windows(ev: pd.DataFrame) -> list[dict[str, Any]]:
    """Fault windows: kind, target, label, start, end (``end`` None for an instant fault)."""
    out: list[dict[str, Any]] = []
    open_: dict[str, dict[str, Any]] = {}
    f = ev.loc[ev["kind"].isin([K.FAULT_START, K.FAULT_END])]
    cols = ["time", "kind", "detail", "actor", "consumer", "queue"]
    for t, kind, detail, actor, consumer, queue in f[cols].itertuples(index=False):
        detail, actor, consumer, queue = (_s(x) for x in (detail, actor, consumer, queue))
        text = detail or "fault"
        fkind = next((k for k in FAULT_KINDS if k in text), text.split()[0] if text.split() else "fault")
        rest = text.replace(fkind, "", 1).strip(" :=,")
        target = consumer or queue or (actor if actor not in (None, "fault", "broker", "sim") else None) or rest
        key = f"{fkind}|{target}"
        if kind == K.FAULT_START:
            w = {"kind": fkind, "target": target or None, "start": float(t), "end": None,
                 "label": fkind.replace("_", " ") + (f" {target}" if target else "")}
            out.append(w)
            open_[key] = w
        elif key in open_:
            open_.pop(key)["end"] = float(t)
        else:
            match = next((w for w in reversed(out) if w["kind"] == fkind and w["end"] is None), None)
            if match is not None:
                match["end"] = float(t)
    if not any(w["kind"] == "memory_alarm" for w in out):
        b = ev.loc[ev["kind"].isin([K.BLOCKED, K.UNBLOCKED]), ["time", "kind"]]
        for t, kind in b.itertuples(index=False):
            if kind == K.BLOCKED:
                out.append({"kind": "memory_alarm", "target": None, "start": float(t), "end": None,
                            "label": "memory alarm: publishers blocked"})
            elif out and out[-1]["kind"] == "memory_alarm" and out[-1]["end"] is None:
                out[-1]["end"] = float(t)
    return out
