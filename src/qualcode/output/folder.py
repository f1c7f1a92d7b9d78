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
an interrupted run leaves the previous folder intact -- never a mix of old and new files.
"""

from __future__ import annotations

import errno
import glob
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.errors import OutputError

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

    No index, no timestamps; the same frame gives the same bytes.
    """
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(df, preserve_index=False)
        pq.write_table(table, path, compression="zstd", row_group_size=64_000)
    elif path.suffix == ".csv":
        df.to_csv(path, index=False, lineterminator="\n")
    else:  # pragma: no cover - programming error
        raise ValueError(path)


def atomic_write_file(path: Path, writer: Callable[[Path], None]) -> None:
    """Call writer(tmp_path) on a temporary file beside `path`, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_output_folder(out: Path, fill: Callable[[Path], None]) -> None:
    """Let `fill(folder)` write into a fresh temporary folder, then swap it with `out`.

    If `fill` fails (or the process is killed) the previous `out` folder is left as it was.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError("output path exists and is not a folder", file=out)
    if out.is_dir() and any(out.iterdir()) and not (out / m.MANIFEST_FILE).exists():
        raise OutputError(
            "output folder exists, is not empty and is not a qualcode output folder; "
            "refusing to replace it",
            file=out,
        )
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(parent, out.name)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    os.chmod(tmp, 0o777 & ~_umask())
    # Held while this run writes: a folder whose lock nobody holds was left by a killed run.
    lock = open(tmp / _LOCK_FILE, "w")  # noqa: SIM115 - held until the folder is complete
    try:
        _lock(lock)  # a fresh folder: nobody else holds it
        fill(tmp)
        (tmp / _LOCK_FILE).unlink()  # complete: from here on the folder is not abandoned
        for child in sorted(tmp.rglob("*")):  # sub-folders too: a dataset's part files
            if child.is_file():  # a sub-folder keeps its x bits
                os.chmod(child, 0o666 & ~_umask())
                with open(child, "rb") as handle:  # on disk before the swap, not after
                    os.fsync(handle.fileno())
            elif child.is_dir():
                _fsync_dir(child)
        _fsync_dir(tmp)
        old = None
        if out.exists():
            if _exchange(tmp, out):  # one atomic step: `out` is never missing
                old = tmp  # now holds the previous folder
            else:  # no renameat2: two renames, with a moment where `out` is missing
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=parent))
                old.rmdir()
                os.replace(out, old)
                os.replace(tmp, out)
        else:
            os.replace(tmp, out)
        _fsync_dir(parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        lock.close()
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


_LOCK_FILE = ".qualcode-writing"


def _lock(handle) -> bool:
    """flock `handle` exclusively without waiting; False if another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no cleanup of abandoned folders
        return False
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _remove_abandoned(parent: Path, name: str) -> None:
    """Delete temporary folders of earlier runs into `name` that were killed while writing.

    A run holds a lock on a file in its temporary folder until the folder is complete; the
    operating system releases it when the process dies. A folder with that file and no lock
    holder is therefore abandoned; a folder of a run still writing is left alone.
    """
    for candidate in parent.glob(f".{glob.escape(name)}.*.tmp"):
        lock_path = candidate / _LOCK_FILE
        try:
            handle = open(lock_path)  # noqa: SIM115 - closed below
        except OSError:
            continue  # no lock file: finishing right now, or not ours
        with handle:
            if _lock(handle):
                shutil.rmtree(candidate, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # glibc < 2.28, musl
        return False
    path_arg, int_arg = ctypes.c_char_p, ctypes.c_int
    renameat2.argtypes = [int_arg, path_arg, int_arg, path_arg, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EPERM):  # kernel / filesystem
        return False
    raise OSError(error, os.strerror(error), str(b))


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


def write_result(result: Any, out: str | Path, command: str | None = None) -> dict[str, Any]:
    """Write an in-memory CodingResult as an output folder (atomically); returns run.json's data."""
    manifest = build_manifest(result.codebook, result.options, result.summary, command)

    def fill(folder: Path) -> None:
        for name, frame in (
            (m.SEGMENTS_FILE, result.segments),
            (m.CODINGS_FILE, result.codings),
        ):
            write_table(frame, folder / f"{name}.parquet")
            write_table(frame, folder / f"{name}.csv")
        write_table(result.transcripts, folder / f"{m.TRANSCRIPTS_FILE}.parquet")
        write_run_files(folder, result.codebook, result.overrides, manifest)

    write_output_folder(Path(out), fill)
    return manifest
