"""The project file, ``qualcode.toml``: a project's defaults, found from the current folder up.

`find_project` looks for ``qualcode.toml`` in a folder and its parents and reads it with the
standard library's TOML parser (data only: reading it never runs anything). `project_toml`
renders the text `qualcode init` writes, quoting every value as TOML requires. Relative paths
in the file are resolved against the file's own folder, so a project works from any sub-folder.
Precedence everywhere: command-line flags > project file > built-in defaults.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualcode.errors import ProjectError
from qualcode.models import UNITS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 reads TOML with the tomli backport
    import tomli as tomllib

PROJECT_FILE = "qualcode.toml"

# Keys a project file may hold, with the type each must have ("path", "paths", "names", "str").
_KEYS: dict[str, str] = {
    "transcripts": "paths",
    "codebook": "path",
    "meta": "path",
    "decisions": "path",
    "unit": "str",
    "out": "path",
    "coders": "names",
    "reviewers": "names",
}
_WHERE = re.compile(r"\(at line (\d+), column \d+\)")


@dataclass(frozen=True)
class Project:
    """A project file's defaults, paths resolved against its folder (`root`)."""

    root: Path
    path: Path
    transcripts: list[Path]
    codebook: Path | None
    meta: Path | None
    decisions: Path | None
    unit: str | None
    out: Path | None
    coders: list[str]
    reviewers: list[str]


def find_project(start: Path | None = None) -> Project | None:
    """The project whose ``qualcode.toml`` is in `start` (default: the cwd) or its nearest parent.

    Returns None when no folder up to the filesystem root holds one. Raises ProjectError (naming
    the file and, where known, the line) when the file found cannot be read or is malformed.
    """
    folder = (start if start is not None else Path.cwd()).absolute()
    for candidate in (folder, *folder.parents):
        path = candidate / PROJECT_FILE
        if path.is_file():
            return load_project(path)
    return None


def load_project(path: Path) -> Project:
    """Read one project file. Raises ProjectError naming the file and line of what is wrong."""
    path = path.absolute()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"cannot read the project file: {exc}", file=path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _WHERE.search(message)
        line = int(found.group(1)) if found else max(1, text.count("\n"))
        reason = _WHERE.sub("", message).strip()
        raise ProjectError(f"not valid TOML: {reason}", file=path, line=line) from None
    return _project_from(data, path, text)


def _project_from(data: dict[str, Any], path: Path, text: str) -> Project:
    root = path.parent
    for key in data:
        if key not in _KEYS:
            known = ", ".join(_KEYS)
            raise ProjectError(
                f"unknown key {key!r} (a project file holds: {known})",
                file=path,
                line=_line_of(key, text),
            )
    values: dict[str, Any] = {}
    for key, kind in _KEYS.items():
        value = data.get(key)
        if value is None:
            continue
        if not _has_type(value, kind):
            raise ProjectError(
                f"{key!r} must be {_DESCRIBE[kind]}", file=path, line=_line_of(key, text)
            )
        values[key] = value
    unit = values.get("unit")
    if unit is not None and unit not in UNITS:
        raise ProjectError(
            f"'unit' must be one of {', '.join(UNITS)}, not {unit!r}",
            file=path,
            line=_line_of("unit", text),
        )
    transcripts = values.get("transcripts", [])
    if isinstance(transcripts, str):
        transcripts = [transcripts]

    def resolved(key: str) -> Path | None:
        value = values.get(key)
        return None if value is None else root / value

    return Project(
        root=root,
        path=path,
        transcripts=[root / item for item in transcripts],
        codebook=resolved("codebook"),
        meta=resolved("meta"),
        decisions=resolved("decisions"),
        unit=unit,
        out=resolved("out"),
        coders=list(values.get("coders", [])),
        reviewers=list(values.get("reviewers", [])),
    )


_DESCRIBE = {
    "path": "a non-empty string (a path)",
    "paths": "a non-empty string or a list of them (paths)",
    "names": "a list of non-empty strings (names)",
    "str": "a string",
}


def _has_type(value: object, kind: str) -> bool:
    def text(item: object) -> bool:
        return isinstance(item, str) and item.strip() != ""

    if kind == "path":
        return text(value)
    if kind == "paths":
        return text(value) or (isinstance(value, list) and all(text(v) for v in value))
    if kind == "names":
        return isinstance(value, list) and all(text(v) for v in value)
    return isinstance(value, str)


def _line_of(key: str, text: str) -> int | None:
    """The line where `key` is set or opens a table (bare or quoted), for messages about a
    well-formed file."""
    name = re.escape(key)
    pattern = re.compile(rf"^\s*(?:\[+\s*)?(?:{name}|\"{name}\"|'{name}')\s*(?:=|\])")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def toml_string(value: str) -> str:
    """`value` as a TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


_SHORT_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def project_toml(
    *,
    transcripts: Sequence[str],
    codebook: str,
    meta: str | None = None,
    decisions: str | None = None,
    unit: str | None = None,
    out: str | None = None,
    coders: Sequence[str] = (),
    reviewers: Sequence[str] = (),
) -> str:
    """The text of a ``qualcode.toml`` holding these values (paths as given, relative or not).

    Keys without a value are left out; the result always reads back with `load_project`.
    """

    def array(items: Sequence[str]) -> str:
        return "[" + ", ".join(toml_string(item) for item in items) + "]"

    lines = [
        "# qualcode project file: defaults for qualcode commands run in this folder or below.",
        "# Relative paths are relative to this file's folder; command-line flags override them.",
        f"transcripts = {array(transcripts)}",
        f"codebook = {toml_string(codebook)}",
    ]
    for key, value in (("meta", meta), ("decisions", decisions), ("unit", unit), ("out", out)):
        if value is not None:
            lines.append(f"{key} = {toml_string(value)}")
    if coders:
        lines.append(f"coders = {array(coders)}")
    if reviewers:
        lines.append(f"reviewers = {array(reviewers)}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ProjectDraft:
    """What `qualcode init` will write: the file, its text, and the folder to create first."""

    path: Path
    text: str
    create_folder: bool


def draft_project(
    folder: Path,
    *,
    transcripts: Sequence[Path] = (),
    codebook: Path,
    meta: Path | None = None,
    decisions: Path | None = None,
    unit: str = "turn",
    out: Path | None = None,
    coders: Sequence[str] = (),
    reviewers: Sequence[str] = (),
    force: bool = False,
) -> ProjectDraft:
    """The project file `qualcode init` writes in `folder` (nothing is written here).

    Paths given are relative to the current folder (as on any command line) and are stored
    relative to `folder` when they lie inside it, else absolute. Without `transcripts`, the
    ``transcripts/`` folder of `folder`, else its one folder whose name contains "transcripts";
    without `decisions`, ``overrides/`` when `folder` already has one, else ``decisions``.
    Raises ProjectError when a file exists and not `force`, or an input is missing.
    """
    base = Path(os.path.normpath(folder.absolute()))
    path = base / PROJECT_FILE
    if base.exists() and not base.is_dir():
        raise ProjectError("not a folder", file=folder)
    if not base.exists() and not base.parent.is_dir():
        raise ProjectError("its parent folder does not exist", file=folder)
    if path.exists() and not force:
        raise ProjectError(
            "a project file already exists (use --force to replace it)", file=folder / PROJECT_FILE
        )
    if unit not in UNITS:
        raise ProjectError(f"--unit must be one of {', '.join(UNITS)}, not {unit!r}")
    chosen = list(transcripts) or [_find_transcripts(base)]
    for item in chosen:
        if not item.exists():
            raise ProjectError("no such transcripts file or folder", file=item)
    for label, given in (("codebook", codebook), ("meta sheet", meta)):
        if given is not None and not given.is_file():
            raise ProjectError(f"no such {label} file", file=given)
    if decisions is None:
        has_overrides = (base / "overrides").is_dir() and not (base / "decisions").exists()
        decisions = base / ("overrides" if has_overrides else "decisions")
    text = project_toml(
        transcripts=[_stored(base, item) for item in chosen],
        codebook=_stored(base, codebook),
        meta=None if meta is None else _stored(base, meta),
        decisions=_stored(base, decisions),
        unit=unit,
        out=_stored(base, out if out is not None else base / "out"),
        coders=coders,
        reviewers=reviewers,
    )
    return ProjectDraft(path=path, text=text, create_folder=not base.exists())


def _find_transcripts(base: Path) -> Path:
    if (base / "transcripts").is_dir():
        return base / "transcripts"
    found = sorted(
        p.name
        for p in (base.iterdir() if base.is_dir() else ())
        if p.is_dir() and not p.name.startswith(".") and "transcripts" in p.name.lower()
    )
    if len(found) == 1:
        return base / found[0]
    which = (
        f"several folders are named like 'transcripts' ({', '.join(found)})"
        if found
        else "no transcripts/ folder here"
    )
    raise ProjectError(f"{which}: name the transcripts with --transcripts", file=base)


def _stored(base: Path, path: Path) -> str:
    """`path` (relative to the cwd) as the file stores it: relative to `base` when inside it."""
    absolute = Path(os.path.normpath(path.absolute()))
    try:
        relative = absolute.relative_to(base)
    except ValueError:
        return absolute.as_posix()
    return relative.as_posix() if relative.parts else "."
