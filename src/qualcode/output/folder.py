"""The output folder of `qualcode code`: write it atomically, read it back for analysis.

Layout::

    out/
      segments.parquet  segments.csv      one row per segment
      codings.parquet   codings.csv       one row per (segment, code, coder) -- the final coding
      overrides.parquet overrides.csv     every manual decision read, with its status
      transcripts.parquet                 canonical text + metadata per transcript
      codebook.yaml                       copy of the codebook used
      run.json                            manifest: codebook hash, command, counts, warnings, codes

With the partitioned layout (`qualcode code --partitioned`, the default with `--engine dask`)
segments, codings and transcripts are each a folder `<table>.parquet/` of part files
`part-00000.parquet`, `part-00001.parquet`, ... with the same schema; read in name order they
are the single file's rows in the same order. Readers accept both layouts; run.json records
which one was written ("layout").

A run is written into a temporary sibling folder and swapped into place only when complete, so
an interrupted run leaves the previous folder intact -- never a mix of old and new files (see
`qualcode.output.atomic`).
"""

from __future__ import annotations

import functools
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.csvrows import spreadsheet_safe
from qualcode.errors import OutputError
from qualcode.output.atomic import atomic_write_file as atomic_write_file  # re-export: report/
from qualcode.output.atomic import write_output_folder

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class CodedOutput:
    """What `load_output` returns: the tables of one `qualcode code` run."""

    folder: Path
    segments: pd.DataFrame
    codings: pd.DataFrame
    overrides: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def code_order(self) -> list[tuple[str, str | None]]:
        """(code, parent) pairs in codebook order, parent codes included (parent None)."""
        return manifest_code_order(self.manifest)

    def transcripts(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Read the transcripts table (canonical text + metadata) on demand: it is the big one."""
        return _read_parquet(self.folder, m.TRANSCRIPTS_FILE, columns)


def manifest_code_order(manifest: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(code, parent) pairs of run.json's codes, in codebook order."""
    return [(c["name"], c.get("parent")) for c in manifest.get("codes", [])]


def layout_record(partition_rows: int | None) -> dict[str, Any]:
    """run.json's "layout": single Parquet files, or datasets of `partition_rows`-row parts."""
    if partition_rows is None:
        return {"parquet": m.LAYOUT_FILE}
    return {"parquet": m.LAYOUT_DATASET, "partition_rows": partition_rows}


def table_parts(folder: Path, name: str) -> list[Path]:
    """The Parquet file(s) of table `name`: [the file], or a dataset's part files in order.

    Parts are ordered by name (shorter names first, so part-100000 follows part-99999); hidden
    files and files starting with "_" are not parts. Raises OutputError when the table is
    missing or its folder holds no part file.
    """
    path = folder / f"{name}.parquet"
    if path.is_dir():
        parts = [
            p
            for p in path.iterdir()
            if p.suffix == ".parquet" and not p.name.startswith((".", "_")) and p.is_file()
        ]
        if not parts:
            raise OutputError(f"{name}.parquet is a folder without part files", file=path)
        return sorted(parts, key=lambda p: (len(p.name), p.name))
    if not path.exists():
        raise OutputError(
            f"{name}.parquet is missing; is this the output folder of `qualcode code`?",
            file=folder,
        )
    return [path]


def table_columns(folder: Path, name: str) -> list[str]:
    """Column names of table `name` (from the first file's footer; every part shares it)."""
    return _columns_of(table_parts(folder, name), name)


def _columns_of(parts: Sequence[Path], name: str) -> list[str]:
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(parts[0]).names
    except (OSError, ValueError) as exc:
        raise OutputError(
            f"cannot read {name}.parquet ({type(exc).__name__})", file=parts[0]
        ) from None
    return [c for c in names if not c.startswith("__index_level_")]


def unreadable_part(parts: Sequence[Path]) -> Path | None:
    """The first part whose Parquet footer cannot be read, if any (names the culprit)."""
    import pyarrow.parquet as pq

    for part in parts:
        try:
            pq.read_metadata(part)
        except (OSError, ValueError):
            return part
    return None


def _read_parquet(
    folder: Path, name: str, columns: Sequence[str] | None, skip: Sequence[str] = ()
) -> pd.DataFrame:
    import pandas as pd

    parts = table_parts(folder, name)
    try:
        if columns is not None or skip:
            names = _columns_of(parts, name)
            wanted = names if columns is None else [c for c in columns if c in names]
            columns = [c for c in wanted if c not in skip]
        source = parts[0] if len(parts) == 1 else [str(p) for p in parts]
        return pd.read_parquet(source, columns=list(columns) if columns is not None else None)
    except (OSError, ValueError) as exc:
        where = (unreadable_part(parts) or parts[0].parent) if len(parts) > 1 else parts[0]
        raise OutputError(
            f"cannot read {name}.parquet ({type(exc).__name__})", file=where
        ) from None


def load_output(
    folder: str | Path,
    segment_columns: Sequence[str] | None = None,
    coding_columns: Sequence[str] | None = None,
    skip_columns: Sequence[str] = (),
) -> CodedOutput:
    """Read the output folder of `qualcode code`.

    Reads only the requested columns of the big tables (all when None), minus `skip_columns`
    (e.g. the segment text, which counting never needs). Raises OutputError when the folder or
    one of its tables is missing or unreadable.
    """
    path = Path(folder)
    manifest = read_manifest(path)
    return CodedOutput(
        folder=path,
        segments=_read_parquet(path, m.SEGMENTS_FILE, segment_columns, skip_columns),
        codings=_read_parquet(path, m.CODINGS_FILE, coding_columns, skip_columns),
        overrides=_read_parquet(path, m.OVERRIDES_FILE, None),
        manifest=manifest,
    )


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """run.json of an output folder. Raises OutputError when the folder or run.json is missing
    or run.json is not JSON."""
    path = Path(folder)
    if not path.is_dir():
        raise OutputError(
            "output folder not found (run `qualcode code ... --out FOLDER` first)", file=path
        )
    manifest_path = path / m.MANIFEST_FILE
    if not manifest_path.exists():
        raise OutputError(f"{m.MANIFEST_FILE} is missing; not a qualcode output folder", file=path)
    try:
        return json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise OutputError("run.json is not valid JSON", file=manifest_path) from None


# --- writing -----------------------------------------------------------------------------------


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write a DataFrame as Parquet (by extension .parquet) or CSV, deterministically.

    No index, no timestamps; the same frame gives the same bytes. A CSV text cell that would
    start a spreadsheet formula gets a leading ' (`csvrows.spreadsheet_safe`); Parquet keeps
    the exact text.
    """
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(df, preserve_index=False)
        pq.write_table(table, path, compression="zstd", row_group_size=64_000)
    elif path.suffix == ".csv":  # for spreadsheets: no cell may start a formula
        spreadsheet_safe(df).to_csv(path, index=False, lineterminator="\n")
    else:  # pragma: no cover - programming error
        raise ValueError(path)


def build_manifest(
    codebook: Any,
    options: dict[str, Any],
    summary: dict[str, Any],
    command: str | None,
    layout: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The content of run.json: how to reproduce the run, and what it found. No timestamps.

    `layout` (see `layout_record`) says how the tables are stored; single files by default.
    """
    import qualcode

    return {
        "qualcode_version": qualcode.__version__,
        "command": command,
        "options": options,
        "layout": layout or layout_record(None),
        "codebook": {
            "name": codebook.name,
            "version": codebook.version,
            "file": codebook.path.name if codebook.path else None,
            "sha256": codebook.sha256,
        },
        "codes": [{"name": c.name, "parent": c.parent, "manual": c.manual} for c in codebook.codes],
        "summary": summary,
    }


def write_run_files(
    folder: Path, codebook: Any, overrides: pd.DataFrame, manifest: dict[str, Any]
) -> None:
    """The small files of an output folder: overrides table, codebook copy, run.json."""
    write_table(overrides, folder / f"{m.OVERRIDES_FILE}.parquet")
    write_table(overrides, folder / f"{m.OVERRIDES_FILE}.csv")
    if codebook.path is not None:
        shutil.copyfile(codebook.path, folder / m.CODEBOOK_COPY)
    (folder / m.MANIFEST_FILE).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def write_result_files(folder: Path, result: Any, manifest: dict[str, Any]) -> None:
    """Write an in-memory CodingResult's tables and run files into `folder` (a filler's body)."""
    for name, frame in ((m.SEGMENTS_FILE, result.segments), (m.CODINGS_FILE, result.codings)):
        write_table(frame, folder / f"{name}.parquet")
        write_table(frame, folder / f"{name}.csv")
    write_table(result.transcripts, folder / f"{m.TRANSCRIPTS_FILE}.parquet")
    write_run_files(folder, result.codebook, result.overrides, manifest)


def write_result(
    result: Any,
    out: str | Path,
    command: str | None = None,
    *,
    inputs: Sequence[str | Path | None] = (),
    force: bool = False,
) -> dict[str, Any]:
    """Write an in-memory CodingResult as an output folder (atomically); returns run.json's data.

    `inputs` and `force` as in `write_output_folder`: the folder never replaces an input, nor
    files qualcode did not write unless forced (then they are kept). Raises OutputError.
    """
    manifest = build_manifest(result.codebook, result.options, result.summary, command)
    fill = functools.partial(write_result_files, result=result, manifest=manifest)
    write_output_folder(Path(out), fill, inputs=inputs, force=force)
    return manifest
