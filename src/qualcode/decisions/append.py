"""Appending to a coder's decision file: one locked, fsynced line, never a rewrite."""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime, timezone
from pathlib import Path

from qualcode import models as m
from qualcode.decisions.ledger import ACTIONS, coder_problem, read_override_file
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
) -> Path:
    """Append one decision to ``<directory>/<coder>.csv`` safely; returns the file's path.

    A coverage mark (action ``done``, see `mark_done`) has the transcript id as `segment_id`
    and the code ``*``. The file is locked (flock) while appending, never truncated or rewritten, and fsynced, so
    concurrent writers lose no line. A file that does not validate is refused, untouched.
    """
    import fcntl

    if action not in ACTIONS:
        raise OverrideError(f"action '{action}' must be add, remove or done")
    if (problem := coder_problem(coder)) is not None:
        raise OverrideError(problem)
    if not segment_id.strip() or not code.strip():
        raise OverrideError("segment id and code must not be empty")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{coder}.csv"
    stamp = timestamp or datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([segment_id.strip(), code.strip(), action, coder, note, stamp])
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        prefix = ""
        if size == 0:
            header = io.StringIO()
            csv.writer(header, lineterminator="\n").writerow(m.OVERRIDE_COLUMNS)
            prefix = header.getvalue()
        else:
            _, problems = read_override_file(path)
            if problems:
                raise OverrideError(
                    problems=[*problems, Problem("fix it first; nothing was appended", str(path))]
                )
            if os.pread(fd, 1, size - 1) != b"\n":
                prefix = "\n"
        os.write(fd, (prefix + buffer.getvalue()).encode("utf-8"))
        os.fsync(fd)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    return path


def mark_done(directory: str | Path, transcript_id: str, *, coder: str, note: str = "") -> Path:
    """Append a coverage mark: `coder` coded `transcript_id` in full; returns the file's path.

    The mark is an ordinary row (``<transcript_id>, *, done, <coder>, <note>, <timestamp>``).
    Readers before coverage marks reject it ("action 'done' must be add or remove") rather than
    misreading it.
    """
    return append_override(
        directory,
        segment_id=transcript_id,
        code=m.DONE_CODE,
        action=m.ACTION_DONE,
        coder=coder,
        note=note,
    )
