"""The event log written to disk while the run goes, so no run has to keep it in memory.

An :class:`EventWriter` is a recorder batch listener
(``amqpsim.run(..., events=False, listeners=[writer])``): it writes each batch as it
comes, in the same format as :func:`~amqpsim.trace.io.write_events` (chosen by the
file's extension), and holds at most one row group in memory. ``.jsonl.gz`` and
``.parquet`` are the compact choices (about 15x and 20x smaller than plain JSONL).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .io import arrow_schema, jsonl_line, log_format, open_text, to_arrow, to_frame, write_csv_frame

__all__ = ["EventWriter"]


class EventWriter:
    """Writes events to ``path`` as they are handed over; :meth:`close` finishes the file."""

    def __init__(self, path: str | Path, row_group: int = 65_536) -> None:
        self.path = Path(path)
        self.format = log_format(self.path)  # raises ValueError for an unknown extension
        self.row_group = row_group
        self.written = 0
        self._pending: list[Any] = []  # Parquet and CSV: the rows of the next group
        self._text: IO[str] | None = None
        self._parquet: Any = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.format == "jsonl":
            self._text = open_text(self.path, "w")
        elif self.format == "parquet":
            import pyarrow.parquet as pq

            self._parquet = pq.ParquetWriter(str(self.path), arrow_schema())
        else:
            self.path.write_text("")

    def take(self, events: list[Any]) -> None:
        """Write a batch of events (a recorder batch listener)."""
        if self._text is not None:
            seq = self.written
            self._text.write("".join(jsonl_line(seq + i, ev) + "\n" for i, ev in enumerate(events)))
            self.written += len(events)
            return
        self._pending.extend(events)
        if len(self._pending) >= self.row_group:
            self._write_group()

    __call__ = take

    def _write_group(self) -> None:
        rows, self._pending = self._pending, []
        if not rows:
            return
        if self._parquet is not None:
            table = to_arrow(rows)
            table = table.set_column(1, table.schema.field("seq").with_nullable(False), _seq_array(self.written, len(rows)))
            self._parquet.write_table(table)
        else:
            df = to_frame(rows)
            df["seq"] += self.written
            write_csv_frame(df, self.path, header=self.written == 0)
        self.written += len(rows)

    def close(self) -> int:
        """Finish the file; returns how many events it holds."""
        if self._text is not None:
            self._text.close()
            self._text = None
        else:
            self._write_group()
            if self._parquet is not None:
                self._parquet.close()
                self._parquet = None
        return self.written

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _seq_array(start: int, n: int) -> Any:
    import pyarrow as pa

    return pa.array(range(start, start + n), type=pa.int64())
