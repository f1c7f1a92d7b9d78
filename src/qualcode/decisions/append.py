"""Appending to a coder's decision file: one locked, fsynced line, never a rewrite.

Each decision records where its segment is (`reattach.Anchor`: span, quote, text hash), looked
up in the output folder the decision was made on, so that it survives edits of its transcript.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from qualcode import models as m
from qualcode.csvrows import spreadsheet_safe_text
from qualcode.decisions.files import ACTIONS, coder_problem, file_header, read_override_file
from qualcode.decisions.reattach import Anchor, quote_of, text_hash
from qualcode.errors import OverrideError, Problem


def append_override(
    directory: str | Path,
    *,
    segment_id: str,
    code: str,
    action: str,
    coder: str,
    note: str = "",
    timestamp: str | None = None,
    anchor: Anchor | None = None,
    output: str | Path | None = None,
) -> Path:
    """Append one decision to ``<directory>/<coder>.csv`` safely; returns the file's path.

    The decision records where its segment is: `anchor`, or else the segment looked up in the
    output folder `output` (`anchors_from_output`); with neither, or a segment that folder does
    not hold, the anchor fields stay empty. A coverage mark (action ``done``, see `mark_done`)
    has the transcript id as `segment_id`, the code ``*`` and no anchor. The file is locked
    (flock) while appending, never truncated or rewritten, and fsynced, so concurrent writers
    lose no line. A file that does not validate is refused, untouched; in a file whose header
    predates the anchor columns they follow the header's fields.
    """
    if action not in ACTIONS:
        raise OverrideError(f"action '{action}' must be add, remove or done")
    if (problem := coder_problem(coder)) is not None:
        raise OverrideError(problem)
    if not segment_id.strip() or not code.strip():
        raise OverrideError("segment id and code must not be empty")
    if anchor is None and output is not None and action != m.ACTION_DONE:
        anchor = anchors_from_output(output, [segment_id.strip()]).get(segment_id.strip())
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{coder}.csv"
    values = {
        m.SEGMENT_ID: segment_id.strip(),
        m.CODE: code.strip(),
        m.ACTION: action,
        m.CODER: coder,
        # a note is user text: never a formula in a spreadsheet (read back without the ')
        m.NOTE: spreadsheet_safe_text(note),
        m.TIMESTAMP: timestamp or datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        **_anchor_fields(anchor if action != m.ACTION_DONE else None),
    }
    _append_locked(path, values)
    return path


def _anchor_fields(anchor: Anchor | None) -> dict[str, str]:
    if anchor is None:
        return dict.fromkeys(m.ANCHOR_COLUMNS, "")
    return {
        m.START: str(anchor.start),
        m.END: str(anchor.end),
        # A quote is transcript text: no spreadsheet may read it as a formula (read back
        # without the ', see files.unescape_quote).
        m.QUOTE: spreadsheet_safe_text(anchor.quote),
        m.TEXT_HASH: anchor.text_hash,
    }


def _append_locked(path: Path, values: dict[str, str]) -> None:
    """Append `values` as one row laid out as `path`'s header says (a new file gets the
    header of `models.DECISION_COLUMNS`)."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        prefix = ""
        if size == 0:
            columns = list(m.DECISION_COLUMNS)
            prefix = _csv_line(columns)
        else:
            _, problems = read_override_file(path)
            if problems:
                raise OverrideError(
                    problems=[*problems, Problem("fix it first; nothing was appended", str(path))]
                )
            columns = _row_layout(path, values)
            if os.pread(fd, 1, size - 1) != b"\n":
                prefix = "\n"
        os.write(fd, (prefix + _csv_line(values[c] for c in columns)).encode("utf-8"))
        os.fsync(fd)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _row_layout(path: Path, values: dict[str, str]) -> list[str]:
    """The columns of a row appended to the existing file `path`, in its header's order.

    The anchor columns follow a header written before them. Raises OverrideError when the
    header lacks a column this decision has a value for (the coder aside, when the file's
    name is the coder's): appending would lose it.
    """
    header = file_header(path.read_bytes().decode("utf-8-sig"))
    lost = [
        c
        for c in m.OVERRIDE_COLUMNS
        if c not in header and values[c] and not (c == m.CODER and values[c] == path.stem)
    ]
    if lost:
        raise OverrideError(
            f"its header has no column {', '.join(lost)}, which this decision needs "
            f"(qualcode writes {', '.join(m.DECISION_COLUMNS)}); nothing was appended",
            file=path,
            line=1,
        )
    has_anchor = bool(set(header) & set(m.ANCHOR_COLUMNS))
    return [*header, *([] if has_anchor else m.ANCHOR_COLUMNS)]


def _csv_line(fields: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(list(fields))
    return buffer.getvalue()


def anchors_from_output(folder: str | Path, segment_ids: Iterable[str]) -> dict[str, Anchor]:
    """Where each of `segment_ids` is, from the output folder of `qualcode code` that holds it.

    Reads only those segments and their transcripts (single-file or partitioned tables).
    Returns segment id -> Anchor for the ids the folder holds; {} when its tables cannot be
    read (the decision is then recorded without an anchor).
    """
    import pandas as pd

    wanted = sorted(set(segment_ids))
    if not wanted:
        return {}
    folder = Path(folder)
    try:
        segments = pd.read_parquet(
            folder / f"{m.SEGMENTS_FILE}.parquet",
            columns=[m.SEGMENT_ID, m.TRANSCRIPT_ID, m.START, m.END, m.TEXT],
            filters=[(m.SEGMENT_ID, "in", wanted)],
        )
        if not len(segments):
            return {}
        texts = pd.read_parquet(
            folder / f"{m.TRANSCRIPTS_FILE}.parquet",
            columns=[m.TRANSCRIPT_ID, m.TEXT],
            filters=[(m.TRANSCRIPT_ID, "in", sorted(set(segments[m.TRANSCRIPT_ID])))],
        )
    except (OSError, ValueError):  # not an output folder, or an unreadable one
        return {}
    hashes = {
        str(t): text_hash(str(x))
        for t, x in zip(texts[m.TRANSCRIPT_ID], texts[m.TEXT], strict=True)
    }
    return {
        str(seg): Anchor(int(start), int(end), quote_of(str(text)), hashes[str(tid)])
        for seg, tid, start, end, text in zip(
            segments[m.SEGMENT_ID],
            segments[m.TRANSCRIPT_ID],
            segments[m.START],
            segments[m.END],
            segments[m.TEXT],
            strict=True,
        )
        if str(tid) in hashes
    }


def mark_done(directory: str | Path, transcript_id: str, *, coder: str, note: str = "") -> Path:
    """Append a coverage mark: `coder` coded `transcript_id` in full; returns the file's path.

    The mark is an ordinary row (``<transcript_id>, *, done, <coder>, <note>, <timestamp>``,
    no anchor). Readers before coverage marks reject it ("action 'done' must be add or
    remove") rather than misreading it.
    """
    return append_override(
        directory,
        segment_id=transcript_id,
        code=m.DONE_CODE,
        action=m.ACTION_DONE,
        coder=coder,
        note=note,
    )
