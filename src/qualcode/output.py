"""The output folder of `qualcode code`: write it atomically, read it back for analysis.

Layout::

    out/
      segments.parquet  segments.csv      one row per segment
      codings.parquet   codings.csv       one row per (segment, code, coder) -- the final coding
      overrides.parquet overrides.csv     every manual decision read, with its status
      transcripts.parquet                 canonical text + metadata per transcript
      codebook.yaml                       copy of the codebook used
      run.json                            manifest: codebook hash, command, counts, warnings, codes

A run is written into a temporary sibling folder and swapped into place only when complete, so
an interrupted run leaves the previous folder intact -- never a mix of old and new files.
"""

from __future__ import annotations

import errno
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
        return [(c["name"], c.get("parent")) for c in self.manifest.get("codes", [])]

    def transcripts(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Read the transcripts table (canonical text + metadata) on demand: it is the big one."""
        return _read_parquet(self.folder, m.TRANSCRIPTS_FILE, columns)


def _read_parquet(
    folder: Path, name: str, columns: Sequence[str] | None, skip: Sequence[str] = ()
) -> pd.DataFrame:
    import pandas as pd

    path = folder / f"{name}.parquet"
    if not path.exists():
        raise OutputError(
            f"{name}.parquet is missing; is this the output folder of `qualcode code`?",
            file=folder,
        )
    try:
        if columns is not None or skip:
            import pyarrow.parquet as pq

            names = pq.read_schema(path).names
            wanted = names if columns is None else [c for c in columns if c in names]
            columns = [c for c in wanted if c not in skip]
        return pd.read_parquet(path, columns=list(columns) if columns is not None else None)
    except (OSError, ValueError) as exc:
        raise OutputError(f"cannot read {name}.parquet ({type(exc).__name__})", file=path) from None


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
    if not path.is_dir():
        raise OutputError(
            "output folder not found (run `qualcode code ... --out FOLDER` first)", file=path
        )
    manifest_path = path / m.MANIFEST_FILE
    if not manifest_path.exists():
        raise OutputError(f"{m.MANIFEST_FILE} is missing; not a qualcode output folder", file=path)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise OutputError("run.json is not valid JSON", file=manifest_path) from None
    return CodedOutput(
        folder=path,
        segments=_read_parquet(path, m.SEGMENTS_FILE, segment_columns, skip_columns),
        codings=_read_parquet(path, m.CODINGS_FILE, coding_columns, skip_columns),
        overrides=_read_parquet(path, m.OVERRIDES_FILE, None),
        manifest=manifest,
    )


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
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        fill(tmp)
        for child in tmp.iterdir():
            if child.is_file():  # a sub-folder keeps its x bits
                os.chmod(child, 0o666 & ~_umask())
                with open(child, "rb") as handle:  # on disk before the swap, not after
                    os.fsync(handle.fileno())
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
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


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
    codebook: Any, options: dict[str, Any], summary: dict[str, Any], command: str | None
) -> dict[str, Any]:
    """The content of run.json: how to reproduce the run, and what it found. No timestamps."""
    import qualcode

    return {
        "qualcode_version": qualcode.__version__,
        "command": command,
        "options": options,
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
