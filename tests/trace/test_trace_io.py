"""Event logs to and from DataFrames, JSONL, Parquet and CSV: every record kind comes back equal."""

from __future__ import annotations

import json
import typing

import pytest

from amqpsim.trace import events as E
from amqpsim.trace.io import COLUMN_TYPES, from_frame, read_events, to_frame, write_events

#: a value of each column type; each record gets distinct ones (its index), so a swapped field shows
_SAMPLE = {"float": lambda i: 0.1 * i + 1 / 3, "int": lambda i: 1000 + i, "bool": lambda i: i % 2 == 0,
           "str": lambda i: f"s{i}", "list": lambda i: ("q-a", f"q{i}")}


def _one(cls: type, k: int) -> typing.Any:
    """A record of class ``cls`` with every field set (and ``None``/``""`` where a field allows it)."""
    hints = typing.get_type_hints(cls)
    values = []
    for i, name in enumerate(E.fields_of(cls)):
        optional = type(None) in typing.get_args(hints[name])
        if optional and i % 3 == 1:
            values.append(None)
        elif COLUMN_TYPES[name] == "str" and i % 3 == 2:
            values.append("")  # the default exchange's name: an empty string is not a missing value
        else:
            values.append(_SAMPLE[COLUMN_TYPES[name]](k * 31 + i))
    return cls(*values)


#: one record of every kind, twice (a kind whose fields are all set, and again with others)
EVERY_KIND = [_one(cls, k) for k, cls in enumerate(list(E.RECORDS.values()) * 2)]


def test_the_sample_covers_every_kind_and_column():
    assert {ev.kind for ev in EVERY_KIND} == set(E.EventKind)
    set_columns = {f for ev in EVERY_KIND for f in E.fields_of(type(ev)) if getattr(ev, f) is not None}
    assert set_columns | {"seq", "kind"} == set(E.COLUMNS)


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".parquet", ".csv"])
def test_every_kind_round_trips(tmp_path, suffix):
    path = tmp_path / f"log{suffix}"
    assert write_events(EVERY_KIND, path) == len(EVERY_KIND)
    back = read_events(path)
    assert back == EVERY_KIND
    assert [type(a) for a in back] == [type(b) for b in EVERY_KIND]
    routed = [ev for ev in back if isinstance(ev, E.Routed)]
    assert routed and all(isinstance(ev.queues, tuple) for ev in routed)


def test_empty_log_round_trips(tmp_path):
    for suffix in (".jsonl", ".parquet", ".csv"):
        path = tmp_path / f"empty{suffix}"
        assert write_events([], path) == 0
        assert read_events(path) == []
    assert list(to_frame([]).columns) == list(E.COLUMNS)


def test_frame_has_a_row_per_event_and_every_column():
    df = to_frame(EVERY_KIND)
    assert list(df.columns) == list(E.COLUMNS)
    assert df["seq"].tolist() == list(range(len(EVERY_KIND)))
    assert df["kind"].tolist() == [str(ev.kind) for ev in EVERY_KIND]
    assert str(df["msg"].dtype) == "Int64" and str(df["copy"].dtype) == "Int64"
    assert str(df["redelivered"].dtype) == "boolean" and str(df["requeue"].dtype) == "boolean"
    assert df["time"].dtype == float
    enq = df.loc[df["kind"] == "enqueue"].iloc[0]
    assert enq["requeue"] is __import__("pandas").NA  # a field the kind does not have is missing
    assert from_frame(df) == EVERY_KIND


def test_jsonl_is_compact_ordered_and_stable(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_events(EVERY_KIND, a)
    write_events(list(EVERY_KIND), b)
    assert a.read_bytes() == b.read_bytes()
    lines = a.read_text().splitlines()
    assert len(lines) == len(EVERY_KIND) and "null" not in a.read_text() and ": " not in lines[0]
    for seq, (line, ev) in enumerate(zip(lines, EVERY_KIND, strict=True)):
        obj = json.loads(line)
        assert list(obj)[:3] == ["time", "seq", "kind"] and obj["seq"] == seq and obj["kind"] == ev.kind
        assert list(obj)[3:] == [f for f in E.fields_of(type(ev))[1:] if getattr(ev, f) is not None]
    route = next(json.loads(x) for x in lines if json.loads(x)["kind"] == "route")
    assert isinstance(route["queues"], list)


def test_parquet_schema_is_fixed(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    write_events([E.Unblocked(1.0)], tmp_path / "a.parquet")
    write_events(EVERY_KIND, tmp_path / "b.parquet")
    a, b = (pq.read_schema(tmp_path / f"{x}.parquet") for x in "ab")
    assert a.equals(b) and a.names == list(E.COLUMNS)
    assert a.field("msg").type == pa.int64() and a.field("requeue").type == pa.bool_()
    assert a.field("queues").type == pa.list_(pa.string())


def test_unknown_extension(tmp_path):
    with pytest.raises(ValueError, match="jsonl"):
        write_events(EVERY_KIND, tmp_path / "log.txt")
