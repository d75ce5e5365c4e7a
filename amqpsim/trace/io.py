"""Event logs in and out: pandas DataFrame, JSONL and Parquet (chosen by file extension).

JSONL writes one JSON object per event, fields in :data:`~amqpsim.trace.events.FIELDS`
order, ``None`` fields left out, no spaces; the same events always give the same
bytes. Parquet uses a fixed Arrow schema (nullable integer columns stay integers).
Reading either back gives :class:`~amqpsim.trace.events.Event` records equal to
the ones written.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from .events import FIELDS, Event

INT_FIELDS = ("seq", "msg", "copy", "delivery_tag", "reply_code", "size")
STR_FIELDS = ("kind", "actor", "exchange", "queue", "routing_key", "consumer", "detail", "channel")


def _line(ev: Event) -> str:
    return json.dumps({k: v for k, v in zip(FIELDS, ev, strict=True) if v is not None},
                      separators=(",", ":"))


def _open(path: Path, mode: str) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, mode + "t", encoding="utf-8")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8", newline="\n")


def _format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    ext = suffixes[-1] if suffixes else ""
    if ext in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if ext in (".parquet", ".pq"):
        return "parquet"
    if ext == ".csv":
        return "csv"
    raise ValueError(f"unknown event log format {path.name!r}: use .jsonl, .parquet or .csv")


# ---------------------------------------------------------------------- JSONL
def write_jsonl(events: Iterable[Event], path: str | Path) -> int:
    path = Path(path)
    n = 0
    with _open(path, "w") as f:
        for ev in events:
            f.write(_line(ev))
            f.write("\n")
            n += 1
    return n


def iter_jsonl(path: str | Path) -> Iterator[Event]:
    with _open(Path(path), "r") as f:
        for line in f:
            if line.strip():
                yield Event(**json.loads(line))


# ---------------------------------------------------------------------- Arrow / Parquet / pandas
def _arrow_schema() -> Any:
    import pyarrow as pa

    types = {"time": pa.float64(), "redelivered": pa.bool_()}
    types.update({k: pa.int64() for k in INT_FIELDS})
    types.update({k: pa.string() for k in STR_FIELDS})
    return pa.schema([(f, types[f]) for f in FIELDS])


def to_arrow(events: Iterable[Event]) -> Any:
    import pyarrow as pa

    schema = _arrow_schema()
    rows = list(events)
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in FIELDS]
    arrays = []
    for name, col in zip(FIELDS, cols, strict=True):
        values = [str(k) for k in col] if name == "kind" else list(col)
        arrays.append(pa.array(values, type=schema.field(name).type))
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parquet(events: Iterable[Event], path: str | Path) -> int:
    import pyarrow.parquet as pq

    table = to_arrow(events)
    pq.write_table(table, str(path))
    return table.num_rows


def iter_parquet(path: str | Path) -> Iterator[Event]:
    import pyarrow.parquet as pq

    table = pq.read_table(str(path))
    cols = [table.column(f).to_pylist() if f in table.column_names else [None] * table.num_rows
            for f in FIELDS]
    for row in zip(*cols, strict=True):
        yield Event(*row)


def to_frame(events: Iterable[Event]) -> Any:
    """A DataFrame with one row per event; integer columns are nullable ``Int64``."""
    import pandas as pd

    df = pd.DataFrame.from_records(list(events), columns=list(FIELDS))
    for k in INT_FIELDS:
        df[k] = df[k].astype("Int64")
    df["redelivered"] = df["redelivered"].astype("boolean")
    df["kind"] = df["kind"].astype(str)
    return df


def from_frame(df: Any) -> list[Event]:
    """Events from a DataFrame with the event columns (missing values become ``None``)."""
    cols = [df[f].astype(object).where(df[f].notna(), None).tolist() if f in df.columns
            else [None] * len(df) for f in FIELDS]
    out = []
    for row in zip(*cols, strict=True):
        vals = list(row)
        for i, f in enumerate(FIELDS):
            if f in INT_FIELDS and vals[i] is not None:
                vals[i] = int(vals[i])
            elif f == "redelivered" and vals[i] is not None:
                vals[i] = bool(vals[i])
        out.append(Event(*vals))
    return out


# ---------------------------------------------------------------------- by extension
def write_events(events: Iterable[Event], path: str | Path) -> int:
    """Write an event log; the format follows the extension (``.jsonl[.gz]``, ``.parquet``, ``.csv``)."""
    path = Path(path)
    fmt = _format(path)
    if fmt == "jsonl":
        return write_jsonl(events, path)
    if fmt == "parquet":
        return write_parquet(events, path)
    df = to_frame(events)
    df.to_csv(path, index=False)
    return len(df)


def read_events(path: str | Path) -> list[Event]:
    path = Path(path)
    fmt = _format(path)
    if fmt == "jsonl":
        return list(iter_jsonl(path))
    if fmt == "parquet":
        return list(iter_parquet(path))
    import pandas as pd

    return from_frame(pd.read_csv(path, keep_default_na=True))
