"""Event logs to and from JSONL, Parquet, CSV and DataFrames."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim"))
from sim_helpers import run  # noqa: E402

from amqpsim.trace.io import from_frame, read_events, to_frame, write_events  # noqa: E402


@pytest.fixture(scope="module")
def events():
    return run("publisher-retry").event_list


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".parquet"])
def test_roundtrip(events, tmp_path, suffix):
    path = tmp_path / f"log{suffix}"
    assert write_events(events, path) == len(events)
    back = read_events(path)
    assert back == events


def test_dataframe_roundtrip_and_types(events):
    df = to_frame(events)
    assert str(df["msg"].dtype) == "Int64" and str(df["redelivered"].dtype) == "boolean"
    assert from_frame(df) == events


def test_csv_is_readable(events, tmp_path):
    path = tmp_path / "log.csv"
    write_events(events, path)
    back = read_events(path)
    assert len(back) == len(events) and [e.kind for e in back] == [e.kind for e in events]


def test_jsonl_is_compact_and_stable(events, tmp_path):
    a = tmp_path / "a.jsonl"
    write_events(events[:3], a)
    first = a.read_text().splitlines()[0]
    assert first.startswith('{"time":0,"seq":1,"kind":"connection_open"') and "null" not in first


def test_unknown_extension(events, tmp_path):
    with pytest.raises(ValueError, match="jsonl"):
        write_events(events, tmp_path / "log.txt")
