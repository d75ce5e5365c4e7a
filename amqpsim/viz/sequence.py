"""AMQP sequence diagrams: the method frames between clients and the broker, top to bottom.

Frames come from ``frame`` events when the run recorded them (:mod:`amqpsim.pika`
sessions: ``direction`` ``C>S`` or ``S>C``, ``method`` = pika's name, ``actor`` = the
client); otherwise they are synthesized from what the broker did: declares, binds,
publishes, deliveries, acks, returns, confirms and channel/connection closes with
their reply codes. Meant for short runs: ``max_frames`` keeps it readable.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from ..trace.events import EventKind as K
from . import style as S
from .data import events_of, name_of
from .metrics import _s

__all__ = ["sequence_diagram", "sequence_frames"]

BROKER = "broker"
REPLY_NAMES = {200: "REPLY_SUCCESS", 312: "NO_ROUTE", 313: "NO_CONSUMERS", 320: "CONNECTION_FORCED",
               403: "ACCESS_REFUSED", 404: "NOT_FOUND", 405: "RESOURCE_LOCKED", 406: "PRECONDITION_FAILED",
               503: "COMMAND_INVALID", 504: "CHANNEL_ERROR", 505: "UNEXPECTED_FRAME", 530: "NOT_ALLOWED",
               540: "NOT_IMPLEMENTED", 541: "INTERNAL_ERROR"}


def _ch(channel: Any) -> str:
    text = _s(channel)
    return f"ch{str(text).rsplit('-', 1)[-1]}" if text else ""


def _reply(code: int, text: Any) -> str:
    return f"{code} {_s(text) or REPLY_NAMES.get(code, '')}".strip()


def _synth(e: Any) -> list[tuple[str, str, str]]:
    """(direction, method, arguments) frames for one broker event; direction '>' is client → broker."""
    k = e.kind
    x, q, rk, tag = _s(e.exchange), _s(e.queue), _s(e.routing_key), _s(e.delivery_tag)
    tag = int(tag) if tag is not None else None
    code = int(e.reply_code) if _s(e.reply_code) is not None else None
    if k == K.CONNECTION_OPEN:
        return [(">", "Connection.Open", "after Start/Tune"), ("<", "Connection.Open-Ok", "")]
    if k == K.CHANNEL_OPEN:
        return [(">", "Channel.Open", ""), ("<", "Channel.Open-Ok", "")]
    if k == K.EXCHANGE_DECLARE:
        return [(">", "Exchange.Declare", f"{x!r} type={e.exchange_type}"), ("<", "Exchange.Declare-Ok", "")]
    if k == K.QUEUE_DECLARE:
        return [(">", "Queue.Declare", repr(q)), ("<", "Queue.Declare-Ok", "")]
    if k in (K.BIND, K.UNBIND):
        cls = "Exchange" if e.destination_type == "exchange" else "Queue"
        verb = "Bind" if k == K.BIND else "Unbind"
        return [(">", f"{cls}.{verb}", f"{e.destination!r} ← {e.source!r} key={rk!r}"), ("<", f"{cls}.{verb}-Ok", "")]
    if k == K.QOS:
        return [(">", "Basic.Qos", f"prefetch={int(e.prefetch_count)}"), ("<", "Basic.Qos-Ok", "")]
    if k == K.CONSUME:
        tag_text = str(_s(e.consumer))
        tag_text = tag_text if len(tag_text) <= 18 else tag_text[:17] + "…"
        return [(">", "Basic.Consume", repr(q)), ("<", "Basic.Consume-Ok", f"tag={tag_text}")]
    if k == K.CANCEL:
        if e.by == "broker":
            return [("<", "Basic.Cancel", "queue deleted")]
        if e.by == "client":
            return [(">", "Basic.Cancel", ""), ("<", "Basic.Cancel-Ok", "")]
        return []  # consumers end with their channel: no basic.cancel on the wire
    if k == K.PUBLISH:
        return [(">", "Basic.Publish", f"{x or '(default)'!s} / {rk!r}")]
    if k == K.RETURN:
        return [("<", "Basic.Return", _reply(code or 312, None))]
    if k == K.CONFIRM:
        return [("<", "Basic.Ack" if e.ack else "Basic.Nack", f"confirm #{tag}")]
    if k == K.DELIVER:
        method = "Basic.Deliver" if _s(e.consumer) is not None else "Basic.Get-Ok"
        again = " redelivered" if e.redelivered else ""
        return [("<", method, f"tag={tag} {q!r}{again}")]
    if k == K.ACK and not e.auto:
        return [(">", "Basic.Ack", f"tag={tag}")]
    if k == K.SETTLE:
        method = "Basic.Nack" if e.outcome == "nack" else "Basic.Reject"
        return [(">", method, f"tag={tag} requeue={bool(e.requeue)}")]
    if k == K.CHANNEL_CLOSE:
        if code == 200:
            return [(">", "Channel.Close", "200"), ("<", "Channel.Close-Ok", "")]
        return [("<", "Channel.Close", _reply(int(code or 0), e.reply_text)), (">", "Channel.Close-Ok", "")]
    if k == K.CONNECTION_CLOSE:
        if not e.by_broker:
            return [(">", "Connection.Close", str(code)), ("<", "Connection.Close-Ok", "")]
        return [("<", "Connection.Close", _reply(int(code or 0), e.reply_text)), (">", "Connection.Close-Ok", "")]
    return []


def _frame_args(e: Any) -> str:
    """A short argument text for a recorded frame, from the fields the client copied into the event."""
    method = e.method
    x, q, rk, tag, code = (_s(getattr(e, f)) for f in ("exchange", "queue", "routing_key", "delivery_tag",
                                                         "reply_code"))
    parts = []
    if method == "Basic.Publish" or method == "Basic.Return":
        parts.append(f"{x or '(default)'} / {rk!r}")
    elif method.endswith(("Bind", "Unbind")):
        parts.append(f"{q!r} ← {x!r} key={rk!r}")
    elif q is not None and method.startswith(("Queue.", "Basic.Consume", "Basic.Get")):
        parts.append(repr(q))
    elif x is not None and method.startswith("Exchange."):
        parts.append(repr(x))
    if tag is not None:
        parts.append(f"tag={int(tag)}")
    if code is not None:
        parts.append(f"{int(code)} {REPLY_NAMES.get(int(code), '')}".strip())
    return " ".join(parts)


def _recorded_frames(ev: pd.DataFrame) -> list[dict[str, Any]]:
    """Frames recorded by :mod:`amqpsim.pika` (``frame`` events)."""
    out = []
    for e in ev.loc[ev["kind"] == K.FRAME].itertuples(index=False):
        client = str(_s(e.actor) or str(_s(e.channel) or "client").split("/")[0])
        src, dst = (client, BROKER) if e.direction == "C>S" else (BROKER, client)
        code = _s(e.reply_code)
        out.append({"time": float(e.time), "src": src, "dst": dst, "method": e.method, "args": _frame_args(e),
                    "reply_code": int(code) if code is not None else None, "channel": _ch(e.channel)})
    return out


def sequence_frames(run: Any) -> pd.DataFrame:
    """The frames a sequence diagram shows: time, src, dst, method, args, reply_code, channel."""
    ev = events_of(run)
    rows = _recorded_frames(ev)
    if not rows:
        conns = ev.loc[ev["kind"] == K.CONNECTION_CLOSE]
        closing = set(zip(conns["time"], conns["connection"], strict=True))
        for e in ev.itertuples(index=False):
            if e.kind == K.CHANNEL_CLOSE and (e.time, str(e.channel).split("/")[0]) in closing:
                continue  # channels end with their connection: no channel.close on the wire
            client = str(_s(e.actor) or "client")
            code = _s(e.reply_code)
            for direction, method, args in _synth(e):
                src, dst = (client, BROKER) if direction == ">" else (BROKER, client)
                mine = code is not None and str(int(code)) in args
                rows.append({"time": float(e.time), "src": src, "dst": dst, "method": method, "args": args,
                             "reply_code": int(code) if mine else None, "channel": _ch(e.channel)})
    return pd.DataFrame(rows, columns=["time", "src", "dst", "method", "args", "reply_code", "channel"])


def _color(method: str, code: int | None) -> str:
    if method == "Basic.Return":
        return S.FATES["returned"][1]
    if method in ("Basic.Nack", "Basic.Reject"):
        return S.FATES["dead_lettered:rejected"][1]
    if method.endswith("Close") and code is not None and code != 200:
        return S.FAULT
    if method.startswith("Basic.Publish"):
        return S.PRODUCER_STYLE[1]
    if method.startswith(("Basic.Deliver", "Basic.Get")):
        return S.READY
    if method.startswith("Basic.Ack"):
        return S.FATES["acked_once"][1]
    if method.startswith(("Exchange", "Queue")):
        return "#5E35B1"
    return S.MUTED


SETUP = ("Connection.", "Channel.Open", "Exchange.", "Queue.", "Basic.Qos", "Basic.Consume", "Confirm.")


@S.styled
def sequence_diagram(run: Any, max_frames: int = 40, actors: list[str] | None = None, setup: bool = True,
                     title: str | None = None) -> Figure:
    """Who said what to whom: AMQP methods between each client and the broker, in order.

    ``actors`` limits the clients shown; at most ``max_frames`` frames are drawn;
    ``setup=False`` leaves out connection, channel, declare, qos and consume frames
    so the messages themselves show (closes with an error code are kept).
    """
    frames = sequence_frames(run)
    if not setup:
        routine = frames["method"].str.startswith(SETUP) & frames["reply_code"].fillna(200).eq(200)
        frames = frames.loc[~routine]
    if actors is not None:
        frames = frames.loc[frames["src"].isin(actors) | frames["dst"].isin(actors)]
    hidden = max(0, len(frames) - max_frames)
    frames = frames.iloc[:max_frames]
    clients = list(dict.fromkeys(a for a in pd.concat([frames["src"], frames["dst"]]) if a != BROKER))
    publishers = set(frames.loc[frames["method"] == "Basic.Publish", "src"])
    left = [c for c in clients if c in publishers or not publishers]
    right = [c for c in clients if c not in left]
    lanes = left + [BROKER] + right
    gap = 3.2 if len(lanes) <= 4 else 2.5
    xs = {name: gap * i for i, name in enumerate(lanes)}
    n = len(frames)
    fig = S.figure(max(6.0, gap * len(lanes) + 1.6), 1.5 + 0.36 * (n + (1 if hidden else 0)) + 0.4)
    ax = fig.add_subplot()
    top = 0.9
    for name, x in xs.items():
        ax.plot([x, x], [top - 0.3, -n - 0.2], color="#B0BEC5", lw=1.2, ls="--", zorder=0)
        face, edge = ("#FFE0B2", "#E65100") if name == BROKER else ("#E3F2FD", S.READY)
        ax.text(x, top, "RabbitMQ broker" if name == BROKER else name, ha="center", va="center",
                fontsize=10, fontweight="bold", color=S.INK,
                bbox={"boxstyle": "round,pad=0.5", "fc": face, "ec": edge, "lw": 1.5})
    for i, f in enumerate(frames.itertuples(index=False)):
        y = -i - 0.3
        x0, x1 = xs[f.src], xs[f.dst]
        color = _color(f.method, f.reply_code)
        ax.annotate("", xy=(x1, y), xytext=(x0, y), gid=f"frame:{f.method}",
                    arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.4, "shrinkA": 0, "shrinkB": 0})
        label = f.method + (f"  {f.args}" if f.args else "")
        if len(label) > 58:
            label = label[:57] + "…"
        ax.text((x0 + x1) / 2, y + 0.07, label, ha="center", va="bottom", fontsize=8, color=color,
                fontweight="bold" if f.method.startswith("Basic") else "normal")
        ax.text(min(xs.values()) - 0.45, y, f"{f.time:.3f}s", ha="right", va="center", fontsize=7.5,
                color=S.MUTED)
        if f.channel:
            ax.text(x0 + (0.12 if x1 > x0 else -0.12), y - 0.06, f.channel, ha="left" if x1 > x0 else "right",
                    va="top", fontsize=6.5, color=S.MUTED)
    if hidden:
        ax.text(xs[BROKER], -n - 0.3, f"… {hidden} more frames (raise max_frames to see them)", ha="center",
                va="center", fontsize=8.5, color=S.MUTED, style="italic")
    ax.set_xlim(min(xs.values()) - 1.3, max(xs.values()) + 1.3)
    ax.set_ylim(-n - 0.8, top + 0.5)
    ax.set_axis_off()
    name = name_of(run, "")
    ax.set_title(title or ("AMQP frames" + (f" — {name}" if name else "")), loc="left")
    fig.frames = frames  # type: ignore[attr-defined]
    return fig
