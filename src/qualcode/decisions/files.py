"""Decision files: find, parse and validate ``overrides/<coder>.csv``, every problem at once.

A decision file has the columns ``segment_id, code, action, coder, note, timestamp`` and, since
decisions survive transcript edits, ``start, end, quote, text_hash`` (where the segment was, see
`qualcode.decisions.reattach`). The anchor columns are optional: a file without them reads as
before, and a file whose header was written before them (qualcode never rewrites a decision
file) carries them as four more fields after the header's on the rows appended since.

Coder names follow one rule (`csvrows.CODER_OK`: a word character first, then word characters,
dots and hyphens), in `append_override` and when reading: every ``.csv`` file of an overrides
folder is read -- a hidden one too -- and one whose name is not a coder name, that cannot be
read, or whose rows break the rule is an error with its file and line, never skipped.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.csvrows import CODER_OK, CODER_RULE, FORMULA_STARTS, data_rows
from qualcode.errors import OverrideError, Problem

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = (m.SEGMENT_ID, m.CODE, m.ACTION)
ACTIONS = (m.ACTION_ADD, m.ACTION_REMOVE, m.ACTION_DONE)
_HEX = re.compile(r"\A[0-9a-f]+\Z")
_OFFSET = re.compile(r"\A[0-9]*\Z")  # a character offset, or empty


def find_override_files(paths: Sequence[str | Path]) -> list[Path]:
    """Expand files and folders into a sorted list of .csv override files.

    Every file of a folder whose name ends in .csv (any case) is listed, hidden ones too, so
    that a file the loader refuses is reported rather than skipped. Raises OverrideError for a
    path that does not exist or a folder that cannot be listed.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            try:
                found = [p for p in path.iterdir() if p.name.lower().endswith(".csv")]
            except OSError as exc:
                raise OverrideError(
                    f"cannot list the overrides folder ({exc.strerror})", file=path
                ) from None
            files.extend(sorted(found))
        elif path.is_file():
            files.append(path)
        else:
            raise OverrideError("no such overrides file or folder", file=path)
    return files


def coder_problem(coder: str) -> str | None:
    """Why `coder` is not a coder name (see `csvrows.CODER_OK`), or None when it is one."""
    if CODER_OK.match(coder):
        return None
    return f"coder {coder!r} is not a coder name: {CODER_RULE}"


def parse_timestamp(value: str) -> datetime | None:
    """A decision's timestamp (ISO 8601; UTC when it names no zone), None when empty.

    Raises ValueError for text that is not ISO 8601.
    """
    text = value.strip()
    if not text:
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def file_header(text: str) -> list[str]:
    """The column names of a decision file's first line (stripped); [] for an empty file.

    Raises csv.Error for a header the csv module cannot parse.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    return [h.strip() for h in next(reader, [])]


def read_override_file(path: Path, in_folder: bool = False) -> tuple[list[dict], list[Problem]]:
    """Parse one overrides CSV; returns (rows, problems). Rows carry their file and line.

    The file's name (without .csv) is the coder of rows that name none; it must then be a
    coder name, and always for a file found in a folder (`in_folder`), even an empty one.
    """
    named = coder_problem(path.stem) is None
    rows, problems = _read_rows(path, named or in_folder)
    if not named and in_folder:
        problem = f"file name {path.name!r} does not name a coder ({CODER_RULE})"
        problems.insert(0, Problem(problem, str(path)))
    return rows, problems


def _read_rows(path: Path, named: bool) -> tuple[list[dict], list[Problem]]:
    """The rows of one overrides CSV and their problems (`named`: rows may take the file's
    name as their coder)."""
    problems: list[Problem] = []
    name = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return [], [Problem(f"cannot read overrides file ({exc.strerror})", name)]
    except UnicodeDecodeError:
        return [], [Problem("overrides file is not valid UTF-8", name)]
    if not text.strip():
        return [], []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        return [], [Problem(f"malformed CSV header: {exc}", name, 1)]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in m.DECISION_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        return [], [
            Problem(f"{'; '.join(parts)} (expected: {', '.join(m.DECISION_COLUMNS)})", name, 1)
        ]
    # A header written before the anchor columns: appended rows carry them after its fields.
    tail = () if set(header) & set(m.ANCHOR_COLUMNS) else m.ANCHOR_COLUMNS
    # A header that gained the anchor columns by hand: older rows may go without them.
    anchors = list(m.ANCHOR_COLUMNS)
    optional = anchors if header[-len(anchors) :] == anchors else []
    rows: list[dict[str, Any]] = []
    for line, fields in data_rows(reader, header, name, problems, tail, optional):
        row: dict[str, Any] = fields  # gains the line number (an int) below
        for column in m.DECISION_COLUMNS:
            row.setdefault(column, "")
        problems.extend(Problem(p, name, line) for p in _row_problems(row, path.name, named))
        row[m.CODER] = row[m.CODER] or path.stem
        row[m.QUOTE] = unescape_quote(row[m.QUOTE])
        row[m.NOTE] = unescape_quote(row[m.NOTE])
        row[m.OVERRIDE_FILE] = path.as_posix()
        row[m.OVERRIDE_LINE] = line
        rows.append(row)
    return rows, problems


def unescape_quote(quote: str) -> str:
    """A quote or note as read back: without the ' qualcode puts before a formula-like start."""
    if quote.startswith("'") and quote[1:2] and quote[1] in FORMULA_STARTS:
        return quote[1:]
    return quote


def _row_problems(row: dict[str, Any], file_name: str, named: bool) -> list[str]:
    """What is wrong with one decision row (`named`: an empty coder is the file's name)."""
    problems = []
    if not row[m.SEGMENT_ID]:
        problems.append("empty segment_id")
    if row[m.ACTION] == m.ACTION_DONE:
        if row[m.CODE] != m.DONE_CODE:
            problems.append(f"a done mark has code '{m.DONE_CODE}', not '{row[m.CODE]}'")
    elif not row[m.CODE]:
        problems.append("empty code")
    if row[m.ACTION] not in ACTIONS:
        problems.append(f"action '{row[m.ACTION]}' must be add, remove or done")
    if row[m.CODER] and (problem := coder_problem(row[m.CODER])) is not None:
        problems.append(problem)
    elif not row[m.CODER] and not named:
        problems.append(f"no coder in this row, and the file name {file_name!r} names none")
    try:
        parse_timestamp(row[m.TIMESTAMP])
    except ValueError:
        problems.append(f"timestamp '{row[m.TIMESTAMP]}' is not ISO 8601")
    return problems + _anchor_problems(row)


def _anchor_problems(row: dict[str, Any]) -> list[str]:
    """What is wrong with a row's anchor (all four fields may be empty)."""
    start, end, digest = row[m.START], row[m.END], row[m.TEXT_HASH]
    if not _OFFSET.match(start) or not _OFFSET.match(end):
        return [f"start '{start}' and end '{end}' must be character offsets (or empty)"]
    if bool(start) != bool(end) or (start and int(start) > int(end)):
        return [f"start '{start}' and end '{end}' are not a span of text"]
    if digest and not _HEX.match(digest):
        return [f"text_hash '{digest}' is not a hexadecimal hash"]
    return []


def read_overrides(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Read and validate override files; every bad row of every file is reported at once.

    Returns a DataFrame with the decision columns (`models.DECISION_COLUMNS`, anchor fields
    empty where a row has none) plus `file` and `line`. Raises OverrideError.
    """
    import pandas as pd

    rows: list[dict] = []
    problems: list[Problem] = []
    folders = {Path(p) for p in paths if Path(p).is_dir()}
    for path in find_override_files(paths):
        file_rows, file_problems = read_override_file(path, in_folder=path.parent in folders)
        rows.extend(file_rows)
        problems.extend(file_problems)
    if problems:
        raise OverrideError(problems=problems)
    columns = [*m.DECISION_COLUMNS, m.OVERRIDE_FILE, m.OVERRIDE_LINE]
    return pd.DataFrame(rows, columns=columns)
