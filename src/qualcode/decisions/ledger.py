"""Manual decisions of coders: read, validate, apply after auto-coding, append safely.

An overrides file (``overrides/<coder>.csv``) has the columns
``segment_id, code, action, coder, note, timestamp``; ``action`` is ``add`` or ``remove``.
Decisions are applied in timestamp order (file order for equal or missing timestamps); for one
coder, segment and code the last decision wins. ``add`` gives the segment the code in that
coder's name; ``remove`` withdraws the automatic coding and the coder's own earlier ``add``.

Nothing is ever dropped silently: every decision is returned with a status -- ``applied``,
``redundant`` (it changed nothing), ``orphan_segment`` or ``orphan_code`` (its segment or code no
longer exists) -- and orphans are reported (errors under ``strict``).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.csvrows import CODER_OK, data_rows
from qualcode.errors import OverrideError, Problem

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = (m.SEGMENT_ID, m.CODE, m.ACTION)
ACTIONS = (m.ACTION_ADD, m.ACTION_REMOVE)
REMOVED_AUTO = "removed_auto"
STATUS_APPLIED, STATUS_REDUNDANT = "applied", "redundant"
STATUS_ORPHAN_SEGMENT, STATUS_ORPHAN_CODE = "orphan_segment", "orphan_code"


def find_override_files(paths: Sequence[str | Path]) -> list[Path]:
    """Expand files and folders into a sorted list of .csv override files."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.csv") if not p.name.startswith(".")))
        elif path.is_file():
            files.append(path)
        else:
            raise OverrideError("no such overrides file or folder", file=path)
    return files


def _parse_timestamp(value: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def read_override_file(path: Path) -> tuple[list[dict], list[Problem]]:
    """Parse one overrides CSV; returns (rows, problems). Rows carry their file and line."""
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
    unknown = [c for c in header if c not in m.OVERRIDE_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        return [], [
            Problem(f"{'; '.join(parts)} (expected: {', '.join(m.OVERRIDE_COLUMNS)})", name, 1)
        ]
    rows: list[dict[str, Any]] = []
    for line, fields in data_rows(reader, header, name, problems):
        row: dict[str, Any] = fields  # gains the line number (an int) below
        for column in m.OVERRIDE_COLUMNS:
            row.setdefault(column, "")
        if not row[m.SEGMENT_ID]:
            problems.append(Problem("empty segment_id", name, line))
        if not row[m.CODE]:
            problems.append(Problem("empty code", name, line))
        if row[m.ACTION] not in ACTIONS:
            problems.append(Problem(f"action '{row[m.ACTION]}' must be add or remove", name, line))
        row[m.CODER] = row[m.CODER] or path.stem
        if not CODER_OK.match(row[m.CODER]):
            problems.append(
                Problem(f"coder '{row[m.CODER]}' may only use letters, digits, _ . -", name, line)
            )
        try:
            _parse_timestamp(row[m.TIMESTAMP])
        except ValueError:
            problems.append(Problem(f"timestamp '{row[m.TIMESTAMP]}' is not ISO 8601", name, line))
        row[m.OVERRIDE_FILE] = path.as_posix()
        row[m.OVERRIDE_LINE] = line
        rows.append(row)
    return rows, problems


def read_overrides(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Read and validate override files; every bad row of every file is reported at once.

    Returns a DataFrame with the override columns plus `file` and `line`. Raises OverrideError.
    """
    import pandas as pd

    rows: list[dict] = []
    problems: list[Problem] = []
    for path in find_override_files(paths):
        file_rows, file_problems = read_override_file(path)
        rows.extend(file_rows)
        problems.extend(file_problems)
    if problems:
        raise OverrideError(problems=problems)
    columns = [*m.OVERRIDE_COLUMNS, m.OVERRIDE_FILE, m.OVERRIDE_LINE]
    return pd.DataFrame(rows, columns=columns)


def apply_overrides(
    segments: pd.DataFrame,
    auto_codings: pd.DataFrame,
    overrides: pd.DataFrame,
    codes: Sequence[str],
    *,
    strict: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """Apply manual decisions to automatic codings, for a whole corpus held in memory.

    Returns (kept automatic codings, manual codings as coder/segment_id/code/note rows,
    overrides with `status` and `removed_auto`, warnings). Under `strict`, orphan decisions
    raise OverrideError listing each with its file and line.
    """
    import pandas as pd

    ledger = OverrideLedger(overrides, codes)
    pairs = set(zip(auto_codings[m.SEGMENT_ID], auto_codings[m.CODE], strict=True))
    kept, manual, outcome = decide(
        ledger.decisions, list(segments[m.SEGMENT_ID]), pairs, ledger.codes
    )
    ledger.record(outcome)
    decisions, warnings = ledger.finish(strict=strict)
    keep = [
        pair in kept for pair in zip(auto_codings[m.SEGMENT_ID], auto_codings[m.CODE], strict=True)
    ]
    kept_auto = auto_codings.loc[pd.Series(keep, index=auto_codings.index, dtype=bool)]
    manual_rows = pd.DataFrame(
        [
            {m.CODER: coder, m.SEGMENT_ID: seg, m.CODE: code, m.NOTE: note}
            for (coder, seg, code), note in manual.items()
        ],
        columns=[m.CODER, m.SEGMENT_ID, m.CODE, m.NOTE],
    )
    return kept_auto, manual_rows, decisions, warnings


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

    The file is locked (flock) while appending, never truncated or rewritten, and fsynced, so
    concurrent writers lose no line. A file that does not validate is refused, untouched.
    """
    import fcntl

    if action not in ACTIONS:
        raise OverrideError(f"action '{action}' must be add or remove")
    if not CODER_OK.match(coder):
        raise OverrideError(f"coder '{coder}' may only use letters, digits, _ . -")
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


@dataclass(frozen=True)
class Decision:
    """One coder decision, as the coding of its transcript needs it (index: row in the ledger)."""

    index: int
    segment_id: str
    code: str
    coder: str
    action: str
    note: str | None


Outcome = dict[int, tuple[str, bool]]  # decision index -> (status, removed an auto coding)


def decide(
    decisions: Sequence[Decision],
    segment_ids: Sequence[str],
    auto_pairs: set[tuple[str, str]],
    codes: set[str],
) -> tuple[set[tuple[str, str]], dict[tuple[str, str, str], str | None], Outcome]:
    """Apply one transcript's decisions (in ledger order) to its automatic codings.

    Returns (auto (segment, code) pairs kept, {(coder, segment, code): note} added by hand,
    what happened to each decision). Pure: the caller records the outcome in the ledger.
    """
    kept = set(auto_pairs)
    manual: dict[tuple[str, str, str], str | None] = {}
    outcome: Outcome = {}
    by_segment: dict[str, list[Decision]] = {}
    for decision in decisions:
        by_segment.setdefault(decision.segment_id, []).append(decision)
    for seg in segment_ids:
        for d in by_segment.get(seg, ()):
            if d.code not in codes:
                outcome[d.index] = (STATUS_ORPHAN_CODE, False)
                continue
            key = (d.coder, seg, d.code)
            if d.action == m.ACTION_ADD:
                outcome[d.index] = (STATUS_REDUNDANT if key in manual else STATUS_APPLIED, False)
                manual[key] = d.note
                continue
            changed = removed = False
            if (seg, d.code) in kept:
                kept.discard((seg, d.code))
                changed = removed = True
            if key in manual:
                del manual[key]
                changed = True
            outcome[d.index] = (STATUS_APPLIED if changed else STATUS_REDUNDANT, removed)
    return kept, manual, outcome


def transcript_of(segment_id: str) -> str:
    """The transcript id a segment id starts with (``<transcript>.<unit>.<digest>[-n]``)."""
    return segment_id.rsplit(".", 2)[0]


class OverrideLedger:
    """Hands each transcript its decisions and collects what happened to them, for runs that
    stream the corpus.

    Equivalent to `apply_overrides` on the whole corpus: a decision only concerns its own
    segment, so applying each transcript's decisions (in the global timestamp order) when that
    transcript is coded gives the same result without holding the corpus in memory -- and lets
    the worker that codes the transcript apply them.
    """

    def __init__(self, overrides: pd.DataFrame, codes: Sequence[str]) -> None:
        self.frame = overrides.reset_index(drop=True)
        self.codes = set(codes)
        ordered = self.frame.assign(
            _ts=[
                _parse_timestamp(t) or datetime.min.replace(tzinfo=timezone.utc)
                for t in self.frame[m.TIMESTAMP]
            ]
        ).sort_values(["_ts", m.OVERRIDE_FILE, m.OVERRIDE_LINE], kind="stable")
        columns = [m.SEGMENT_ID, m.CODE, m.CODER, m.ACTION, m.NOTE]
        # Every decision, in the order decisions apply (timestamp, then file and line).
        self.decisions = [
            Decision(int(idx), seg, code, coder, action, note)
            for idx, seg, code, coder, action, note in zip(
                ordered.index, *(ordered[c] for c in columns), strict=True
            )
        ]
        self._by_transcript: dict[str, list[Decision]] = {}
        for decision in self.decisions:
            self._by_transcript.setdefault(transcript_of(decision.segment_id), []).append(decision)
        self.status: dict[int, str] = {}
        self.removed_auto: dict[int, bool] = {}

    def decisions_for(self, transcript_id: str) -> tuple[Decision, ...]:
        """The decisions whose segment id names this transcript, in the order they apply."""
        return tuple(self._by_transcript.get(transcript_id, ()))

    def record(self, outcome: Outcome) -> None:
        """Note what happened to decisions (from `decide`)."""
        for index, (status, removed) in outcome.items():
            self.status[index] = status
            self.removed_auto[index] = removed

    def finish(self, *, strict: bool = False) -> tuple[pd.DataFrame, list[str]]:
        """All decisions with their status (unseen segments are orphans), and the warnings."""
        import pandas as pd

        result = self.frame.copy()
        result[m.STATUS] = [self.status.get(i, STATUS_ORPHAN_SEGMENT) for i in range(len(result))]
        result[REMOVED_AUTO] = [self.removed_auto.get(i, False) for i in range(len(result))]
        result[REMOVED_AUTO] = result[REMOVED_AUTO].astype(bool)
        orphans = result[result[m.STATUS].isin([STATUS_ORPHAN_SEGMENT, STATUS_ORPHAN_CODE])]
        problems = [
            Problem(
                f"override ({r[m.ACTION]} {r[m.CODE]} by {r[m.CODER]}) points to "
                + (
                    f"segment '{r[m.SEGMENT_ID]}', which no longer exists"
                    if r[m.STATUS] == STATUS_ORPHAN_SEGMENT
                    else f"code '{r[m.CODE]}', which is not in the codebook"
                ),
                r[m.OVERRIDE_FILE],
                int(r[m.OVERRIDE_LINE]),
            )
            for _, r in orphans.iterrows()
        ]
        if problems and strict:
            raise OverrideError(problems=problems)
        return pd.DataFrame(result), [str(p) for p in problems]
