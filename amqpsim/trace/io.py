"""The event log in and out: a pandas DataFrame, JSONL, Parquet or CSV (chosen by extension).

Every form is the *flat view* of the log: one row per event, with the columns
:data:`~amqpsim.trace.events.COLUMNS` -- ``time``, ``seq`` (the event's position in
the log, from 0), ``kind`` (an :class:`~amqpsim.trace.events.EventKind` value), then
every field of every record class. A row fills only the fields of its own kind; the
others are missing (``None``, ``<NA>`` or ``NaN``). What each field means, and its
vocabulary where it has one, is documented on the record classes in
:mod:`amqpsim.trace.events`.

Column types (:data:`COLUMN_TYPES`) follow the records: ``time`` a float, the integer
fields nullable integers (``Int64`` in pandas, ``int64`` in Arrow), the flags nullable
booleans, the names and reasons strings, and ``queues`` (of ``route`` events) a list
of queue names.

* JSONL (``.jsonl``, ``.jsonl.gz``): one compact JSON object per event, keys in the
  order time, seq, kind, then the record's fields; missing fields are left out and
  ``queues`` is a JSON list. The same events always give the same bytes.
* Parquet: a fixed Arrow schema covering every column, whatever kinds the log holds.
* CSV: every column; a missing value is ``\\N``, ``queues`` a JSON list.

Reading any of them back gives records equal to those written (``queues`` a tuple).
"""

from __future__ import annotations

import gzip
import json
import types
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from .events import COLUMNS, RECORDS, as_row, fields_of, from_row, kind_of

__all__ = ["COLUMN_TYPES", "to_frame", "from_frame", "write_events", "read_events", "iter_jsonl"]


def _column_types() -> dict[str, str]:
    """Each column's type (``float``, ``int``, ``bool``, ``str`` or ``list``), from the records."""
    found: dict[str, str] = {"seq": "int", "kind": "str"}
    for cls in RECORDS.values():
        hints = typing.get_type_hints(cls)
        for name in fields_of(cls):
            hint = hints[name]
            if isinstance(hint, types.UnionType):  # ``X | None``
                (hint,) = (a for a in typing.get_args(hint) if a is not type(None))
            base = typing.get_origin(hint) or hint
            typ = "list" if base is tuple else base.__name__
            assert found.setdefault(name, typ) == typ, f"field {name} has two types"
    return {c: found[c] for c in COLUMNS}


#: column -> ``float`` | ``int`` | ``bool`` | ``str`` | ``list``
COLUMN_TYPES: dict[str, str] = _column_types()
_LISTS = tuple(c for c, t in COLUMN_TYPES.items() if t == "list")


def _columns(events: Iterable[Any]) -> tuple[int, dict[str, np.ndarray]]:
    """The log as columns: object arrays with ``None`` where a row's kind lacks the field."""
    events = list(events)
    n = len(events)
    cols = {c: np.full(n, None, dtype=object) for c in COLUMNS}
    cols["seq"] = np.arange(n, dtype=np.int64)
    positions: dict[type, list[int]] = {}
    for i, ev in enumerate(events):
        positions.setdefault(type(ev), []).append(i)
    for cls, where in positions.items():
        rows = [events[i] for i in where]
        cols["kind"][where] = kind_of(cls).value
        for name, values in zip(fields_of(cls), list(zip(*rows, strict=True))[:-1], strict=True):
            if name in _LISTS:  # a tuple per row: numpy must not spread it over a dimension
                for i, v in zip(where, values, strict=True):
                    cols[name][i] = v
            else:
                cols[name][where] = values
    return n, cols


def _record(row: dict[str, Any]) -> Any:
    """The record of a row read back (lists become tuples)."""
    for name in _LISTS:
        if row.get(name) is not None:
            row[name] = tuple(row[name])
    return from_row(row)


# ---------------------------------------------------------------------- pandas
def to_frame(events: Iterable[Any]) -> Any:
    """A DataFrame with one row per event and the columns :data:`COLUMNS`, typed as
    :data:`COLUMN_TYPES` (``Int64`` and ``boolean`` for the nullable ones)."""
    import pandas as pd

    n, cols = _columns(events)
    data: dict[str, Any] = {}
    for name, values in cols.items():
        typ = COLUMN_TYPES[name]
        if typ == "float":
            data[name] = values.astype(float)
        elif typ == "int":
            data[name] = values if name == "seq" else pd.array(values, dtype="Int64")
        elif typ == "bool":
            data[name] = pd.array(values, dtype="boolean")
        else:
            data[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, index=pd.RangeIndex(n))


def _plain(value: Any, typ: str) -> Any:
    """A DataFrame or CSV cell as the record holds it: ``None``, int, bool, float, str or tuple."""
    import pandas as pd

    if typ == "list":
        if isinstance(value, str):
            return tuple(json.loads(value))
        return None if value is None or isinstance(value, float) else tuple(value)
    if pd.isna(value):
        return None
    if typ == "bool":
        return value == "True" if isinstance(value, str) else bool(value)
    return {"int": int, "float": float, "str": str}[typ](value)


def from_frame(df: Any) -> list[Any]:
    """The records of a DataFrame with the event columns (a frame from :func:`to_frame`, or
    read from CSV); columns it lacks are missing in every row."""
    present = [c for c in COLUMNS if c in df.columns and c != "seq"]
    cols = [[_plain(v, COLUMN_TYPES[c]) for v in df[c].astype(object).tolist()] for c in present]
    return [_record(dict(zip(present, row, strict=True))) for row in zip(*cols, strict=True)]


# ---------------------------------------------------------------------- JSONL
def _open(path: Path, mode: str) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, mode + "t", encoding="utf-8")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8", newline="\n")


def _line(seq: int, ev: Any) -> str:
    row = as_row(seq, ev)
    out = {"time": row.pop("time"), "seq": row.pop("seq"), "kind": row.pop("kind"), **row}
    return json.dumps({k: v for k, v in out.items() if v is not None}, separators=(",", ":"))


def write_jsonl(events: Iterable[Any], path: str | Path) -> int:
    n = 0
    with _open(Path(path), "w") as f:
        for seq, ev in enumerate(events):
            f.write(_line(seq, ev))
            f.write("\n")
            n += 1
    return n


def iter_jsonl(path: str | Path) -> Iterator[Any]:
    """The records of a JSONL log, in order."""
    with _open(Path(path), "r") as f:
        for line in f:
            if line.strip():
                yield _record(json.loads(line))


# ---------------------------------------------------------------------- Parquet
def _arrow_schema() -> Any:
    import pyarrow as pa

    types = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "str": pa.string(),
             "list": pa.list_(pa.string())}
    return pa.schema([pa.field(c, types[COLUMN_TYPES[c]], nullable=c not in ("time", "seq", "kind"))
                      for c in COLUMNS])


def to_arrow(events: Iterable[Any]) -> Any:
    """An Arrow table of the log with the fixed schema (every column, whatever the kinds)."""
    import pyarrow as pa

    schema = _arrow_schema()
    _, cols = _columns(events)
    arrays = [pa.array(cols[f.name], type=f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parquet(events: Iterable[Any], path: str | Path) -> int:
    import pyarrow.parquet as pq

    table = to_arrow(events)
    pq.write_table(table, str(path))
    return int(table.num_rows)


def read_parquet(path: str | Path) -> list[Any]:
    import pyarrow.parquet as pq

    return [_record(row) for row in pq.read_table(str(path)).to_pylist()]


# ---------------------------------------------------------------------- CSV
_NA = "\\N"


def write_csv(events: Iterable[Any], path: str | Path) -> int:
    df = to_frame(events)
    for name in _LISTS:
        df[name] = [None if v is None else json.dumps(list(v)) for v in df[name]]
    df.to_csv(path, index=False, na_rep=_NA)
    return len(df)


def read_csv(path: str | Path) -> list[Any]:
    import pandas as pd

    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[_NA])
    return from_frame(df.astype(object).where(df.notna(), None))


# ---------------------------------------------------------------------- by extension
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


def write_events(events: Iterable[Any], path: str | Path) -> int:
    """Write an event log; the format follows the extension (``.jsonl[.gz]``, ``.parquet``,
    ``.csv``). Returns the number of events written."""
    path = Path(path)
    writer = {"jsonl": write_jsonl, "parquet": write_parquet, "csv": write_csv}[_format(path)]
    return writer(events, path)


def read_events(path: str | Path) -> list[Any]:
    """The records of an event log written by :func:`write_events`, in order."""
    path = Path(path)
    fmt = _format(path)
    if fmt == "jsonl":
        return list(iter_jsonl(path))
    return read_parquet(path) if fmt == "parquet" else read_csv(path)
