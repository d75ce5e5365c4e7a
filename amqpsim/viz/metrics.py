"""Numbers the pictures show, computed from the event DataFrame (see :mod:`.data`).

Each function takes the normalised events (``events_of(run)``) and returns a
small DataFrame or dict; nothing here draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..trace.events import FATE_OF, Fate, kind_of
from ..trace.events import EventKind as K

__all__ = ["depth_series", "copy_fates", "fate_counts", "waits", "latencies", "deliveries",
           "fault_windows", "percentiles"]

#: the kind that ends a copy -> the fate it stands for
_FATE = {kind_of(cls): fate.value for cls, fate in FATE_OF.items()}
_STATE = {K.ENQUEUE: "ready", K.DELIVER: "unacked", K.REQUEUE: "ready", **{k: "gone" for k in _FATE}}


def _flag(col: pd.Series) -> np.ndarray:
    """A nullable boolean column as plain booleans (missing: False)."""
    return col.fillna(False).to_numpy(dtype=bool)


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
    d.loc[_flag(ev.loc[d.index, "auto_ack"]), "state"] = "gone"  # an auto-ack delivery settles the copy
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
    term = c.loc[c["kind"].isin(_FATE)].drop_duplicates("copy").set_index("copy")
    fate = term["kind"].reindex(out.index).map(_FATE).fillna(Fate.REMAINING.value)
    acked = fate == Fate.ACKED
    fate[acked] = "acked_once"
    fate[acked & (out["deliveries"] >= 2)] = "redelivered"
    fate[acked & out.index.isin(_duplicate_copies(ev))] = "duplicated"
    dl = fate == Fate.DEAD_LETTERED
    fate[dl] = fate[dl] + ":" + term["reason"].reindex(out.index)[dl].astype(str)
    out["fate"] = fate
    out["ended"] = term["time"].reindex(out.index)
    return out


def _duplicate_copies(ev: pd.DataFrame) -> set[Any]:
    """Copies whose completion (ack, or ``processed`` when the ack could not be sent) repeated an
    earlier completion of the same logical message in the same queue (at-least-once duplicates).
    A ``republish`` event makes its ``msg`` the same logical message as its ``original``."""
    logical: dict[Any, Any] = {}
    for msg, original in ev.loc[ev["kind"] == K.REPUBLISH, ["msg", "original"]].itertuples(index=False):
        logical[msg] = logical.get(original, original)
    comp = ev.loc[ev["kind"].isin([K.ACK, K.PROCESSED]) & ev["copy"].notna() & ev["queue"].notna()]
    if comp.empty:
        return set()
    keys = [comp["msg"].map(lambda m: logical.get(m, m)), comp["queue"]]
    n = comp.groupby(keys, sort=False).cumcount()
    return set(comp.loc[n >= 1, "copy"])


def fate_counts(ev: pd.DataFrame) -> dict[str, int]:
    """Routed copies per fate, plus publishes that reached no queue (``returned``, ``unroutable``)."""
    counts = copy_fates(ev)["fate"].value_counts().to_dict()
    unroutable = ev.loc[(ev["kind"] == K.UNROUTABLE) & ~_flag(ev["dead_letter"])]  # client publishes
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
    kinds = {K.DELIVER, K.PROCESSED, K.ACK, K.SETTLE, K.REQUEUE, K.LOSS}
    sel = ev.loc[ev["kind"].isin(kinds) & ev["copy"].notna(), ["time", "kind", "actor", "copy", "queue"]]
    flags = {f: _flag(ev.loc[sel.index, f]) for f in ("auto_ack", "auto", "requeue", "redelivered")}
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

    for (t, kind, actor, copy, queue), auto_ack, auto, requeue, redelivered in zip(
            sel.itertuples(index=False), *flags.values(), strict=True):
        d = open_.get(copy)
        if kind == K.DELIVER:
            if d is not None:
                close(copy, t, "interrupted")
            actor = _s(actor) or "client"
            open_[copy] = {"actor": actor, "queue": queue, "copy": copy, "deliver": t, "counted": not auto_ack,
                           "outcome": "acked_once" if auto_ack else None, "again": bool(redelivered)}
            if not auto_ack:
                held[actor] = held.get(actor, 0) + 1
                steps.append((t, actor, held[actor]))
        elif d is None:
            continue
        elif kind == K.PROCESSED:
            d["processed"] = t
            if d["outcome"] is not None:  # auto-ack: nothing else will come
                close(copy, t, d["outcome"])
        elif kind == K.ACK:
            if not auto:
                close(copy, t, "redelivered" if d["again"] else "acked_once")
            elif t > d["deliver"]:  # auto-ack: the simulation acks when processing finishes
                close(copy, t, "acked_once")
        elif kind == K.SETTLE:
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
    """Fault windows: kind, target, label, start, end (``end`` None while a fault lasts to the end
    or for an instant one). Without a ``memory_alarm`` fault, the broker's resource alarms
    (``blocked`` ... ``unblocked``) are shown as one."""
    out: list[dict[str, Any]] = []
    open_: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    f = ev.loc[ev["kind"].isin([K.FAULT_START, K.FAULT_END]), ["time", "kind", "fault", "target"]]
    for t, kind, fault, target in f.itertuples(index=False):
        target = _s(target)
        if kind == K.FAULT_START:
            w = {"kind": fault, "target": target, "start": float(t), "end": None,
                 "label": fault.replace("_", " ") + (f" {target}" if target else "")}
            out.append(w)
            open_.setdefault((fault, target), []).append(w)
        elif open_.get((fault, target)):
            open_[(fault, target)].pop(0)["end"] = float(t)
    if not any(w["kind"] == "memory_alarm" for w in out):
        b = ev.loc[ev["kind"].isin([K.BLOCKED, K.UNBLOCKED]), ["time", "kind"]]
        for t, kind in b.itertuples(index=False):
            if kind == K.BLOCKED:
                out.append({"kind": "memory_alarm", "target": None, "start": float(t), "end": None,
                            "label": "memory alarm: publishers blocked"})
            elif out and out[-1]["kind"] == "memory_alarm" and out[-1]["end"] is None:
                out[-1]["end"] = float(t)
    return out
