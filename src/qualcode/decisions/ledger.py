"""Manual decisions of coders: apply them after auto-coding, and account for every one.

A decision file (``overrides/<coder>.csv``, read and validated in files.py, appended to in
append.py) has the columns ``segment_id, code, action, coder, note, timestamp`` (and where the
segment was: ``start, end, quote, text_hash``); ``action`` is ``add``, ``remove`` or
``done`` (a coverage mark: the coder coded the transcript named in ``segment_id`` in full;
its code is ``*``; it changes no coding).
Decisions are applied in timestamp order (file order for equal or missing timestamps); for one
coder, segment and code the last decision wins. ``add`` gives the segment the code in that
coder's name; ``remove`` withdraws the automatic coding and the coder's own earlier ``add``.

Nothing is ever dropped silently: every decision is returned with a status -- ``applied``,
``redundant`` (it changed nothing), ``reattached`` (its segment is gone and it was applied to
the segment(s) where its passage now is, see reattach.py), ``orphan_segment`` or
``orphan_code`` (its segment or code no longer exists), ``done`` (a coverage mark) or
``not_in_corpus`` (its transcript was not coded in this run: counted in one warning, never an
error) -- and orphans are reported (errors under ``strict``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.decisions.files import ACTIONS as ACTIONS
from qualcode.decisions.files import REQUIRED as REQUIRED
from qualcode.decisions.files import coder_problem as coder_problem
from qualcode.decisions.files import find_override_files as find_override_files
from qualcode.decisions.files import parse_timestamp
from qualcode.decisions.files import read_override_file as read_override_file
from qualcode.decisions.files import read_overrides as read_overrides
from qualcode.errors import OverrideError, Problem

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.decisions.reattach import Placement

REMOVED_AUTO = "removed_auto"
STATUS_APPLIED, STATUS_REDUNDANT = "applied", "redundant"
STATUS_ORPHAN_SEGMENT, STATUS_ORPHAN_CODE = "orphan_segment", "orphan_code"


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
    # Where its segment was when it was recorded (see reattach.py); None when not recorded.
    start: int | None = None
    end: int | None = None
    quote: str | None = None
    text_hash: str | None = None


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
    the worker that codes the transcript apply them (and re-attach those whose segment is gone).
    """

    def __init__(self, overrides: pd.DataFrame, codes: Sequence[str]) -> None:
        self.frame = overrides.reset_index(drop=True)
        self.codes = set(codes)
        ordered = self.frame.assign(
            _ts=[
                parse_timestamp(t) or datetime.min.replace(tzinfo=timezone.utc)
                for t in self.frame[m.TIMESTAMP]
            ]
        ).sort_values(["_ts", m.OVERRIDE_FILE, m.OVERRIDE_LINE], kind="stable")
        columns = [m.SEGMENT_ID, m.CODE, m.CODER, m.ACTION, m.NOTE]
        # Tables written before decisions had anchors lack their columns.
        anchors = [ordered[c] if c in ordered else [None] * len(ordered) for c in m.ANCHOR_COLUMNS]
        # Every decision, in the order decisions apply (timestamp, then file and line); coverage
        # marks change no coding and are left out.
        self.decisions = [
            Decision(int(idx), seg, code, coder, action, note, *_anchor(start, end, quote, digest))
            for idx, seg, code, coder, action, note, start, end, quote, digest in zip(
                ordered.index, *(ordered[c] for c in columns), *anchors, strict=True
            )
            if action != m.ACTION_DONE
        ]
        self._by_transcript: dict[str, list[Decision]] = {}
        for decision in self.decisions:
            self._by_transcript.setdefault(transcript_of(decision.segment_id), []).append(decision)
        self.status: dict[int, str] = {}
        self.removed_auto: dict[int, bool] = {}
        self.placements: dict[int, Placement] = {}
        self.removed_from: dict[int, tuple[str, ...]] = {}

    def decisions_for(self, transcript_id: str) -> tuple[Decision, ...]:
        """The decisions whose segment id names this transcript, in the order they apply."""
        return tuple(self._by_transcript.get(transcript_id, ()))

    def record(
        self,
        outcome: Outcome,
        placements: Mapping[int, Placement] | None = None,
        removed_from: Mapping[int, tuple[str, ...]] | None = None,
    ) -> None:
        """Note what happened to decisions (from `decide`), where those whose segment was gone
        went (or why they stayed orphans), and where re-attached removes withdrew an automatic
        coding."""
        for index, (status, removed) in outcome.items():
            self.status[index] = status
            self.removed_auto[index] = removed
        self.placements.update(placements or {})
        self.removed_from.update(removed_from or {})

    def finish(
        self, *, strict: bool = False, transcripts: Collection[str] | None = None
    ) -> tuple[pd.DataFrame, list[str]]:
        """All decisions with their status, and the warnings.

        A decision whose segment was not seen is an orphan, unless `transcripts` (the ids this
        run coded) lacks its transcript: it is then ``not_in_corpus``, counted in one warning
        and never an error. Coverage marks are ``done`` (or ``not_in_corpus``). Re-attached
        decisions name their new segments in ``reattached_to`` and are counted in one warning.
        """
        import pandas as pd

        result = self.frame.copy()
        for column in m.ANCHOR_COLUMNS:  # absent or empty: not recorded
            values = result[column] if column in result else pd.Series(None, index=result.index)
            result[column] = values.astype(object).where(values.notna() & (values != ""), None)
        for column in (m.START, m.END):
            result[column] = pd.to_numeric(result[column]).astype("Int64")
        result[m.STATUS] = [
            self._status(i, row_seg, action, transcripts)
            for i, (row_seg, action) in enumerate(
                zip(result[m.SEGMENT_ID], result[m.ACTION], strict=True)
            )
        ]
        result[REMOVED_AUTO] = [self.removed_auto.get(i, False) for i in range(len(result))]
        result[REMOVED_AUTO] = result[REMOVED_AUTO].astype(bool)
        placed = [self.placements.get(i) for i in range(len(result))]
        result[m.REATTACHED_TO] = [";".join(p.targets) if p and p.targets else None for p in placed]
        result[m.REATTACHED_BY] = [p.how if p and p.targets else None for p in placed]
        result[m.REMOVED_AUTO_FROM] = [
            ";".join(self.removed_from[i]) if self.removed_from.get(i) else None
            for i in range(len(result))
        ]
        problems = self._orphan_problems(result)
        if problems and strict:
            raise OverrideError(problems=problems)
        warnings = []
        moved = int((result[m.STATUS] == m.STATUS_REATTACHED).sum())
        if moved:
            warnings.append(
                f"{moved} decision(s) re-attached after transcript edits or a change of unit: "
                "see overrides.csv in the output folder (status reattached, new segment ids in "
                "reattached_to)"
            )
        warnings += [str(p) for p in problems]
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

    def _orphan_problems(self, result: pd.DataFrame) -> list[Problem]:
        """One problem per orphan decision, with its file and line (and why it stayed one)."""
        orphans = result[result[m.STATUS].isin([STATUS_ORPHAN_SEGMENT, STATUS_ORPHAN_CODE])]
        problems = []
        for index, r in orphans.iterrows():
            if r[m.STATUS] == STATUS_ORPHAN_CODE:
                where = f"code '{r[m.CODE]}', which is not in the codebook"
            else:
                where = f"segment '{r[m.SEGMENT_ID]}', which no longer exists"
                placement = self.placements.get(int(index))
                if placement is not None and placement.how:
                    where += f"; {placement.how}, so it was not re-attached"
            problems.append(
                Problem(
                    f"override ({r[m.ACTION]} {r[m.CODE]} by {r[m.CODER]}) points to {where}",
                    r[m.OVERRIDE_FILE],
                    int(r[m.OVERRIDE_LINE]),
                )
            )
        return problems

    def _status(
        self, index: int, segment_id: str, action: str, transcripts: Collection[str] | None
    ) -> str:
        if transcripts is not None and _transcript_named(segment_id, action) not in transcripts:
            return m.STATUS_NOT_IN_CORPUS
        if action == m.ACTION_DONE:
            return m.STATUS_DONE
        return self.status.get(index, STATUS_ORPHAN_SEGMENT)


def _anchor(start: Any, end: Any, quote: Any, digest: Any) -> tuple[Any, ...]:
    """A decision's anchor fields as Python values: ints, text, or None when not recorded."""
    import pandas as pd

    def missing(value: Any) -> bool:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return True
        return value == ""

    if missing(start) or missing(end):
        start = end = None
    else:
        start, end = int(start), int(end)
    return (
        start,
        end,
        None if missing(quote) else str(quote),
        None if missing(digest) else str(digest),
    )


def _transcript_named(segment_id: str, action: str) -> str:
    """The transcript a decision row names: a coverage mark names it in full."""
    return segment_id if action == m.ACTION_DONE else transcript_of(segment_id)
