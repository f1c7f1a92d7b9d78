"""Where a coding run's rows go: table schemas, an in-memory sink, a streaming folder sink,
and the running counts behind the summary."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.csvrows import spreadsheet_safe

if TYPE_CHECKING:
    import pandas as pd


def table_columns(meta_keys: Sequence[str], timed: bool) -> dict[str, list[str]]:
    """Column order of the three streamed tables."""
    times = [m.START_TIME, m.END_TIME] if timed else []
    return {
        m.SEGMENTS_FILE: [*m.SEGMENT_COLUMNS, *times, *meta_keys, m.TEXT],
        m.CODINGS_FILE: [*m.CODING_COLUMNS, *meta_keys],
        m.TRANSCRIPTS_FILE: [
            m.TRANSCRIPT_ID,
            m.SOURCE_FILE,
            m.LANGUAGE,
            m.COUNTRY,
            m.ROLE,
            *meta_keys,
            m.TEXT,
        ],
    }


_INT_COLUMNS = {m.SEGMENT_INDEX, m.START, m.END, m.N_WORDS}
_FLOAT_COLUMNS = {m.START_TIME, m.END_TIME}
_BOOL_COLUMNS = {m.IS_INTERVIEWER}


def arrow_schema(columns: Sequence[str]):
    """The fixed Arrow schema of a table: ints, floats, bools as such; everything else text."""
    import pyarrow as pa

    def kind(name: str):
        if name in _INT_COLUMNS:
            return pa.int64()
        if name in _FLOAT_COLUMNS:
            return pa.float64()
        if name in _BOOL_COLUMNS:
            return pa.bool_()
        return pa.string()

    return pa.schema([pa.field(c, kind(c)) for c in columns])


def table_from_rows(rows: list[dict], columns: Sequence[str]):
    """An Arrow table of the table's schema from row dicts (missing keys are null)."""
    import pyarrow as pa

    # Column by column: Table.from_pylist is several times slower on many small dicts.
    return pa.Table.from_pydict(
        {c: [row.get(c) for row in rows] for c in columns}, schema=arrow_schema(columns)
    )


class MemorySink:
    """Collects the tables as DataFrames (for the Python API)."""

    def __init__(self, columns: dict[str, list[str]]) -> None:
        self.columns = columns
        self.rows: dict[str, list[dict]] = {name: [] for name in columns}

    def add(self, name: str, rows: list[dict]) -> None:
        self.rows[name].extend(rows)

    def frames(self) -> dict[str, pd.DataFrame]:
        out = {}
        for name, columns in self.columns.items():
            table = table_from_rows(self.rows[name], columns)
            out[name] = table.to_pandas()
        return out


class _ParquetOut:
    """One table's Parquet output: a single file, or a folder of part files of a fixed size.

    Part files are named part-00000.parquet, part-00001.parquet, ... and each holds exactly
    `partition_rows` rows (the last one fewer), so the files depend only on the rows written.
    An empty table is still one (empty) part, so the folder always carries the schema.
    """

    def __init__(self, path: Path, schema, partition_rows: int | None) -> None:
        self.path = path
        self.schema = schema
        self.partition_rows = partition_rows
        self.parts = 0  # part files finished
        self.in_part = 0  # rows in the open part file
        self.writer = None
        if partition_rows is None:
            self.writer = self._open(path)
        else:
            path.mkdir()

    def _open(self, path: Path):
        import pyarrow.parquet as pq

        return pq.ParquetWriter(path, self.schema, compression="zstd")

    def write(self, table, row_group: int) -> None:
        if self.partition_rows is None:
            assert self.writer is not None  # a single file is opened in __init__
            self.writer.write_table(table, row_group_size=row_group)
            return
        offset = 0
        while offset < table.num_rows:
            if self.writer is None:
                self.writer = self._open(self.path / m.PART_FILE.format(self.parts))
                self.in_part = 0
            take = min(table.num_rows - offset, self.partition_rows - self.in_part)
            self.writer.write_table(table.slice(offset, take), row_group_size=row_group)
            offset += take
            self.in_part += take
            if self.in_part >= self.partition_rows:
                self.writer.close()
                self.writer = None
                self.parts += 1

    def close(self) -> None:
        if self.writer is None and self.parts == 0:
            self.writer = self._open(self.path / m.PART_FILE.format(0))
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def abort(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(Exception):  # already failing; the folder is thrown away
                self.writer.close()


class FolderSink:
    """Writes the tables into a folder as rows arrive: Parquet row groups plus CSV.

    With `partition_rows`, segments, codings and transcripts are partitioned Parquet datasets
    (`<table>.parquet/part-NNNNN.parquet`, that many rows per part); otherwise one file each.
    CSV files are single files either way.
    """

    ROW_GROUP = 20_000
    # Rows are also written once their texts reach this many characters: 20,000 transcripts'
    # full texts are far more than memory should hold.
    MAX_TEXT_CHARS = 8_000_000

    def __init__(
        self, folder: Path, columns: dict[str, list[str]], partition_rows: int | None = None
    ) -> None:
        self.folder = folder
        self.columns = columns
        self.schemas = {name: arrow_schema(cols) for name, cols in columns.items()}
        self.buffers: dict[str, list[dict]] = {name: [] for name in columns}
        self.text_chars = dict.fromkeys(columns, 0)
        self.parquet = {
            name: _ParquetOut(folder / f"{name}.parquet", schema, partition_rows)
            for name, schema in self.schemas.items()
        }
        self.csv = {
            name: open(folder / f"{name}.csv", "w", encoding="utf-8", newline="")  # noqa: SIM115
            for name in columns
            if name != m.TRANSCRIPTS_FILE  # the full texts live in Parquet only
        }
        self._csv_started = {name: False for name in self.csv}

    def add(self, name: str, rows: list[dict]) -> None:
        self.buffers[name].extend(rows)
        self.text_chars[name] += sum(len(row.get(m.TEXT) or "") for row in rows)
        if (
            len(self.buffers[name]) >= self.ROW_GROUP
            or self.text_chars[name] >= self.MAX_TEXT_CHARS
        ):
            self._flush(name)

    def _flush(self, name: str) -> None:
        rows = self.buffers[name]
        if not rows:
            return
        table = table_from_rows(rows, self.columns[name])
        self.parquet[name].write(table, self.ROW_GROUP)
        if name in self.csv:
            spreadsheet_safe(table.to_pandas()).to_csv(  # no cell may start a formula
                self.csv[name], index=False, header=not self._csv_started[name], lineterminator="\n"
            )
            self._csv_started[name] = True
        self.buffers[name] = []
        self.text_chars[name] = 0

    def abort(self) -> None:
        """Close every file without finishing it (the run failed; the folder is discarded)."""
        for out in self.parquet.values():
            out.abort()
        for handle in self.csv.values():
            handle.close()

    def close(self) -> None:
        import pandas as pd

        for name in self.columns:
            self._flush(name)
            self.parquet[name].close()
        for name, handle in self.csv.items():
            if not self._csv_started[name]:
                pd.DataFrame(columns=self.columns[name]).to_csv(
                    handle, index=False, lineterminator="\n"
                )
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()


# --- the run ---------------------------------------------------------------------------------------


@dataclass
class RunStats:
    """Counts gathered while streaming, for the summary and run.json."""

    codes: list[tuple[str, str | None]]
    transcripts: int = 0
    segments: int = 0
    interviewer_segments: int = 0
    words: int = 0
    coded_segments: int = 0
    codings: int = 0
    per_code: dict[str, dict[str, int]] = field(default_factory=dict)
    coders: set[str] = field(default_factory=set)
    by_language: dict[str, int] = field(default_factory=dict)

    def add(self, transcript: dict, segments: list[dict], codings: list[dict]) -> None:
        self.transcripts += 1
        language = transcript[m.LANGUAGE]
        self.by_language[language] = self.by_language.get(language, 0) + 1
        self.segments += len(segments)
        interviewer = {s[m.SEGMENT_ID] for s in segments if s[m.IS_INTERVIEWER]}
        self.interviewer_segments += len(interviewer)
        self.words += sum(s[m.N_WORDS] for s in segments)
        self.codings += len(codings)
        counted = [c for c in codings if c[m.SEGMENT_ID] not in interviewer]
        self.coded_segments += len({c[m.SEGMENT_ID] for c in counted})
        for c in codings:
            self.coders.add(c[m.CODER])
        seen_codes: dict[str, set[str]] = {}
        for c in counted:
            # A parent code counts the segments of all its descendants (each segment once).
            for code in self._with_ancestors(c[m.CODE]):
                entry = self.per_code.setdefault(
                    code, {"segments": 0, "transcripts": 0, "auto": 0, "manual": 0}
                )
                entry["auto" if c[m.SOURCE] == m.SOURCE_AUTO else "manual"] += 1
                seen_codes.setdefault(code, set()).add(c[m.SEGMENT_ID])
        for code, segs in seen_codes.items():
            self.per_code[code]["segments"] += len(segs)
            self.per_code[code]["transcripts"] += 1

    def _with_ancestors(self, code: str) -> list[str]:
        parents = dict(self.codes)
        chain = [code]
        while (parent := parents.get(chain[-1])) is not None and len(chain) <= len(parents):
            chain.append(parent)
        return chain

    def _tree_order(self) -> list[tuple[str, str | None]]:
        children: dict[str | None, list[str]] = {}
        for code, parent in self.codes:
            children.setdefault(parent, []).append(code)
        parents = dict(self.codes)
        ordered: list[tuple[str, str | None]] = []

        def walk(code: str) -> None:
            ordered.append((code, parents[code]))
            for child in children.get(code, []):
                walk(child)

        for code, parent in self.codes:
            if parent is None or parent not in parents:
                walk(code)
        return ordered

    def summary(
        self, overrides: pd.DataFrame, missing: list[str], warnings: list[str]
    ) -> dict[str, Any]:
        empty = {"segments": 0, "transcripts": 0, "auto": 0, "manual": 0}
        statuses = overrides[m.STATUS].value_counts().to_dict() if len(overrides) else {}
        return {
            "transcripts": self.transcripts,
            "segments": self.segments,
            "interviewer_segments": self.interviewer_segments,
            "words": self.words,
            "coded_segments": self.coded_segments,
            "codings": self.codings,
            "codes": [
                {"code": code, "parent": parent, **self.per_code.get(code, empty)}
                for code, parent in self._tree_order()
            ],
            "overrides": {str(k): int(v) for k, v in sorted(statuses.items())},
            "coders": sorted(self.coders),
            "by_language": dict(sorted(self.by_language.items())),
            "missing_metadata": list(missing),
            "warnings": list(warnings),
        }
