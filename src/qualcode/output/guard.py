"""Which folders an output may replace: only ones qualcode wrote, never an input or the cwd.

Every output folder qualcode writes (`qualcode code`, `import qdpx`, `pseudonymise -o`) holds a
marker, ``.qualcode-output.json``: a format version and the list of the files that run wrote.
A folder is replaced only when it is new, empty, or qualcode's: its marker lists every file in
it, or (folders of older versions, without a marker) it has a run.json written by qualcode
(with its ``qualcode_version``) and nothing but the file names `qualcode code` writes.
Files qualcode did not write make the run refuse, naming them;
with ``force`` it goes on and carries them over into the new folder (`carry_over`). A folder
that is not qualcode's at all is never replaced, with or without ``force``.

Refused in any case: an output that is, contains or lies inside an input (transcripts,
codebook, decisions, metadata sheet, project file), the current folder or one that contains
it, a mount point, and a symbolic link whose target is missing. A symbolic link to a folder is
written through: the new folder replaces the link's target, and the link stays.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qualcode import models as m
from qualcode.errors import OutputError

MARKER_FILE = ".qualcode-output.json"
MARKER_FORMAT = 1
# Written into an output folder after the run by `qualcode suggest` (a model cache it retrains
# when missing): qualcode's own, so a new run may replace it.
MODELS_DIR = "models"
# How many unexpected names a refusal shows before "and N more".
SHOWN_EXTRAS = 5
_TABLES = (m.SEGMENTS_FILE, m.CODINGS_FILE, m.TRANSCRIPTS_FILE, m.OVERRIDES_FILE)
# The files `qualcode code` has always written (folders of versions before the marker).
LEGACY_FILES = frozenset(
    {
        *(f"{t}.parquet" for t in _TABLES),
        *(f"{t}.csv" for t in _TABLES),
        m.MANIFEST_FILE,
        m.CODEBOOK_COPY,
    }
)


@dataclass
class OutputTarget:
    """Where an output folder goes: the real folder (links resolved) and the user's files in
    it that a forced run carries over (paths relative to it; folders end with "/")."""

    folder: Path
    extras: list[str] = field(default_factory=list)


def check_output_folder(
    out: str | Path, inputs: Iterable[str | Path | None] = (), *, force: bool = False
) -> OutputTarget:
    """Check that `out` may be (re)placed by a new output folder; where to write it.

    Raises OutputError (one line, nothing touched) for an output that overlaps an input, is the
    current folder or holds it, is a mount point, a link to nothing, a file, a folder qualcode
    did not write, or (without `force`) a qualcode folder holding files qualcode did not write.
    """
    out = Path(out)
    if out.is_symlink() and not out.exists():
        raise OutputError(
            f"the output folder is a symbolic link to {os.readlink(out)}, which does not "
            "exist; create the target or choose another --out",
            file=out,
        )
    target = out.resolve()
    _refuse_current_folder(out, target)
    refuse_input_overlap(out, target, inputs)
    if target.exists() and not target.is_dir():
        raise OutputError("output path exists and is not a folder", file=out)
    if target.is_dir() and os.path.ismount(target):
        raise OutputError(
            "the output folder is a mount point and cannot be replaced; write to a folder "
            "inside it",
            file=out,
        )
    extras = unexpected_files(target, out) if target.is_dir() else []
    if extras and not force:
        raise OutputError(
            f"the output folder holds {describe(extras)} that qualcode did not write; move "
            "them elsewhere, or run again with --force to replace the folder and keep them "
            "in the new one",
            file=out,
        )
    return OutputTarget(target, extras)


def describe(names: Sequence[str]) -> str:
    """'2 files: a.md, b/' or '9 files: a, b, c, d, e and 4 more' (names first, then count)."""
    shown = ", ".join(names[:SHOWN_EXTRAS])
    more = f" and {len(names) - SHOWN_EXTRAS} more" if len(names) > SHOWN_EXTRAS else ""
    return f"{len(names)} file{'s' if len(names) != 1 else ''} ({shown}{more})"


def _refuse_current_folder(out: Path, target: Path) -> None:
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        raise OutputError(
            "the output folder is the current folder or contains it; choose a new folder "
            "such as --out out",
            file=out,
        )


def refuse_input_overlap(out: Path, target: Path, inputs: Iterable[str | Path | None]) -> None:
    """Raise OutputError when the output folder is an input, contains one or lies inside one
    (resolved paths, so links and `..` do not hide it)."""
    for raw in inputs:
        if raw is None:
            continue
        source = Path(raw).resolve()
        if target == source:
            relation = "is"
        elif target in source.parents:
            relation = "contains"
        elif source in target.parents:
            relation = "lies inside"
        else:
            continue
        raise OutputError(
            f"the output folder {relation} the input {raw}; qualcode never writes over its "
            "inputs: choose another --out",
            file=out,
        )


def unexpected_files(folder: Path, shown: str | Path | None = None) -> list[str]:
    """What in `folder` qualcode did not write (relative paths, folders with a trailing "/").

    Raises OutputError (naming `shown`, else `folder`), whatever `force`, for a non-empty
    folder that is not qualcode's at all: no marker and no run.json.
    """
    listed = read_marker(folder)
    if listed is None:
        if not any(folder.iterdir()):
            return []
        if not _qualcode_manifest(folder / m.MANIFEST_FILE):
            raise OutputError(
                "output folder exists, is not empty and is not a qualcode output folder "
                f"(no {MARKER_FILE}, no {m.MANIFEST_FILE} of qualcode); refusing to replace it: "
                "choose a new or empty folder",
                file=folder if shown is None else shown,
            )
        return _unexpected(folder, folder, _is_legacy_file)
    expected_dirs = {p for name in listed for p in Path(name).parents if p != Path(".")}
    return _unexpected(
        folder,
        folder,
        lambda rel, is_dir: (
            rel.parts[0] == MODELS_DIR
            or ((rel in expected_dirs) if is_dir else (rel.as_posix() in listed))
        ),
    )


def _qualcode_manifest(path: Path) -> bool:
    """A run.json that qualcode wrote (it records the qualcode version)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "qualcode_version" in data


def _is_legacy_file(rel: Path, is_dir: bool) -> bool:
    """A file or dataset folder of `qualcode code` before the marker existed."""
    if is_dir:
        return len(rel.parts) == 1 and rel.name in {f"{t}.parquet" for t in _TABLES}
    if len(rel.parts) == 1:
        return rel.name in LEGACY_FILES
    return (
        len(rel.parts) == 2
        and rel.parts[0] in {f"{t}.parquet" for t in _TABLES}
        and rel.name.startswith("part-")
        and rel.suffix == ".parquet"
    )


def _unexpected(root: Path, folder: Path, expected) -> list[str]:
    found: list[str] = []
    for entry in sorted(folder.iterdir()):
        rel = entry.relative_to(root)
        if rel.as_posix() == MARKER_FILE:
            continue
        is_dir = entry.is_dir() and not entry.is_symlink()
        if not expected(rel, is_dir):
            found.append(rel.as_posix() + ("/" if is_dir else ""))
        elif is_dir:
            found += _unexpected(root, entry, expected)
    return found


def read_marker(folder: Path) -> set[str] | None:
    """The files a folder's marker lists, or None when it has no marker this version reads."""
    try:
        data = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != MARKER_FORMAT:
        return None
    files = data.get("files")
    if not isinstance(files, list):
        return None
    return {str(f) for f in files}


def write_marker(folder: Path) -> None:
    """Write the marker into a finished folder: the format and every file in it, sorted."""
    files = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if not p.is_dir() and p.name != MARKER_FILE
    )
    payload = {"format": MARKER_FORMAT, "written_by": "qualcode", "files": files}
    (folder / MARKER_FILE).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def carry_over(old: Path, new: Path, extras: Sequence[str]) -> None:
    """Put the user's files `extras` of the old folder into the new one (hard links where the
    file system allows, else copies; links copied as links). Raises OutputError when the new
    folder already has a file of that name, before anything of the old folder is touched."""
    clashes = [name for name in extras if (new / name.rstrip("/")).exists()]
    if clashes:
        raise OutputError(
            f"cannot keep {describe(clashes)}: the new output has files of the same name; move "
            "them out of the output folder",
            file=old,
        )
    for name in extras:
        source, destination = old / name.rstrip("/"), new / name.rstrip("/")
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir() and not source.is_symlink():
            shutil.copytree(source, destination, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(source, destination)


def _link_or_copy(source: str | Path, destination: str | Path) -> None:
    if os.path.islink(source):
        os.symlink(os.readlink(source), destination)
        return
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def files_to_keep(out: str | Path) -> list[str]:
    """The files a forced run into `out` would carry over ([] for a new or empty folder, and
    for one it may not replace at all: the run itself then says why)."""
    target = Path(out).resolve()
    try:
        return unexpected_files(target, out) if target.is_dir() else []
    except OutputError:
        return []
