"""Manual decisions of coders: read, validate and apply them after auto-coding.

An overrides file (``overrides/<coder>.csv``) has the columns
``segment_id, code, action, coder, note, timestamp``; ``action`` is ``add``, ``remove`` or
``done`` (a coverage mark: the coder coded the transcript named in ``segment_id`` in full;
its code is ``*``; it changes no coding). Appending lives in append.py.
Decisions are applied in timestamp order (file order for equal or missing timestamps); for one
coder, segment and code the last decision wins. ``add`` gives the segment the code in that
coder's name; ``remove`` withdraws the automatic coding and the coder's own earlier ``add``.

Coder names follow one rule (`csvrows.CODER_OK`: a word character first, then word characters,
dots and hyphens), in `append_override` and when reading: every ``.csv`` file of an overrides
folder is read -- a hidden one too -- and one whose name is not a coder name, that cannot be
read, or whose rows break the rule is an error with its file and line, never skipped.

Nothing is ever dropped silently: every decision is returned with a status -- ``applied``,
``redundant`` (it changed nothing), ``orphan_segment`` or ``orphan_code`` (its segment or code no
longer exists), ``done`` (a coverage mark) or ``not_in_corpus`` (its transcript was not coded in
this run: counted in one warning, never an error) -- and orphans are reported (errors under
``strict``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.csvrows import CODER_OK, CODER_RULE, data_rows
from qualcode.errors import OverrideError, Problem

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = (m.SEGMENT_ID, m.CODE, m.ACTION)
ACTIONS = (m.ACTION_ADD, m.ACTION_REMOVE, m.ACTION_DONE)
REMOVED_AUTO = "removed_auto"
STATUS_APPLIED, STATUS_REDUNDANT = "applied", "redundant"
STATUS_ORPHAN_SEGMENT, STATUS_ORPHAN_CODE = "orphan_segment", "orphan_code"


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


def _parse_timestamp(value: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


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
        problems.extend(Problem(p, name, line) for p in _row_problems(row, path.name, named))
        row[m.CODER] = row[m.CODER] or path.stem
        row[m.OVERRIDE_FILE] = path.as_posix()
        row[m.OVERRIDE_LINE] = line
        rows.append(row)
    return rows, problems


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
        _parse_timestamp(row[m.TIMESTAMP])
    except ValueError:
        problems.append(f"timestamp '{row[m.TIMESTAMP]}' is not ISO 8601")
    return problems


def read_overrides(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Read and validate override files; every bad row of every file is reported at once.

    Returns a DataFrame with the override columns plus `file` and `line`. Raises OverrideError.
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
        # Every decision, in the order decisions apply (timestamp, then file and line); coverage
        # marks change no coding and are left out.
        self.decisions = [
            Decision(int(idx), seg, code, coder, action, note)
            for idx, seg, code, coder, action, note in zip(
                ordered.index, *(ordered[c] for c in columns), strict=True
            )
            if action != m.ACTION_DONE
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

    def finish(
        self, *, strict: bool = False, transcripts: Collection[str] | None = None
    ) -> tuple[pd.DataFrame, list[str]]:
        """All decisions with their status, and the warnings.

        A decision whose segment was not seen is an orphan, unless `transcripts` (the ids this
        run coded) lacks its transcript: it is then ``not_in_corpus``, counted in one warning
        and never an error. Coverage marks are ``done`` (or ``not_in_corpus``).
        """
        import pandas as pd

        result = self.frame.copy()
        result[m.STATUS] = [
            self._status(i, row_seg, action, transcripts)
            for i, (row_seg, action) in enumerate(
                zip(result[m.SEGMENT_ID], result[m.ACTION], strict=True)
            )
        ]
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
        warnings = [str(p) for p in problems]
        elsewhere = result[result[m.STATUS] == m.STATUS_NOT_IN_CORPUS]
        if len(elsewhere):
            named = sorted(
                {
                    _transcript_named(s, a)
                    for s, a in zip(elsewhere[m.SEGMENT_ID], elsewhere[m.ACTION], strict=True)
                }
            )
            shown = ", ".join(named[:3]) + (", ..." if len(named) > 3 else "")
            warnings.append(
                f"{len(elsewhere)} decision(s) not in this corpus: they name "
                f"{len(named)} transcript(s) this run did not code ({shown})"
            )
        return pd.DataFrame(result), warnings

    def _status(
        self, index: int, segment_id: str, action: str, transcripts: Collection[str] | None
    ) -> str:
        if transcripts is not None and _transcript_named(segment_id, action) not in transcripts:
            return m.STATUS_NOT_IN_CORPUS
        if action == m.ACTION_DONE:
            return m.STATUS_DONE
        return self.status.get(index, STATUS_ORPHAN_SEGMENT)


def _transcript_named(segment_id: str, action: str) -> str:
    """The transcript a decision row names: a coverage mark names it in full."""
    return segment_id if action == m.ACTION_DONE else transcript_of(segment_id)
