"""Which transcripts each coder coded in full: from coverage marks, or inferred from decisions.

A coder marks a transcript as fully coded with a ``done`` row (`append.mark_done`). Once any
coder of a project has marked a transcript, coverage is *explicit* for everyone: a coder covers
exactly the transcripts they marked, and decisions alone (a spot check) cover nothing. Without
any mark, coverage is *inferred*: a coder covers every transcript in which they made a decision
whose segment exists (or hold a manual coding) -- and a transcript covered by fewer than `FEW_DECISIONS` decisions is
flagged, since a spot check then looks like a full coding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qualcode import models as m
from qualcode.decisions.ledger import STATUS_ORPHAN_SEGMENT, transcript_of

if TYPE_CHECKING:
    import pandas as pd

FEW_DECISIONS = 3  # inferred coverage from fewer decisions than this in a transcript is flagged
NOT_COVERING = (STATUS_ORPHAN_SEGMENT, m.STATUS_NOT_IN_CORPUS, m.STATUS_DONE)


@dataclass(frozen=True)
class Coverage:
    """Each human coder's covered transcripts, and how that was decided.

    ``explicit``: True when coverage comes from done marks; ``few``: for inferred coverage,
    coder -> transcripts covered by fewer than FEW_DECISIONS decisions.
    """

    explicit: bool
    by_coder: dict[str, frozenset[str]]
    few: dict[str, list[str]] = field(default_factory=dict)

    def of(self, coder: str) -> frozenset[str]:
        """The transcripts `coder` covers (empty for a coder with no mark or decision)."""
        return self.by_coder.get(coder, frozenset())

    def rule(self) -> str:
        """One line saying where coverage comes from, for the notes under a table."""
        if self.explicit:
            return "coverage from done marks"
        return "coverage inferred from decisions: no transcript is marked done with override done"

    def few_warnings(self, coders: list[str] | None = None) -> list[str]:
        """One warning per coder whose inferred coverage rests on a handful of decisions."""
        return [
            f"{coder} covers {len(ids)} transcript(s) with fewer than {FEW_DECISIONS} decisions "
            f"each ({', '.join(ids)}): a spot check counts as a full coding until transcripts "
            "are marked done"
            for coder, ids in sorted(self.few.items())
            if ids and (coders is None or coder in coders)
        ]


def coverage(overrides: pd.DataFrame, codings: pd.DataFrame | None = None) -> Coverage:
    """The coverage of every human coder, from out/overrides (decisions with their status).

    Marks and decisions whose transcript was not in the run (``not_in_corpus``) are ignored.
    Without marks, a coder's manual `codings` (rows with transcript_id, coder, source) also
    cover their transcripts: an output folder built by other software may hold codings
    without decision rows.
    """
    inferred = _from_codings(codings)
    if not len(overrides):
        return Coverage(False, {c: frozenset(t) for c, t in inferred.items()})
    rows = overrides[overrides[m.STATUS] != m.STATUS_NOT_IN_CORPUS]
    marks = rows[rows[m.ACTION] == m.ACTION_DONE]
    if len(marks):
        by_coder: dict[str, set[str]] = {}
        for coder, transcript in zip(marks[m.CODER], marks[m.SEGMENT_ID], strict=True):
            by_coder.setdefault(str(coder), set()).add(str(transcript))
        return Coverage(True, {c: frozenset(t) for c, t in by_coder.items()})
    decided = rows[~rows[m.STATUS].isin(NOT_COVERING)]
    counts: dict[tuple[str, str], int] = {}
    for coder, seg in zip(decided[m.CODER], decided[m.SEGMENT_ID], strict=True):
        key = (str(coder), transcript_of(str(seg)))
        counts[key] = counts.get(key, 0) + 1
    few: dict[str, list[str]] = {}
    for (coder, transcript), n in sorted(counts.items()):
        inferred.setdefault(coder, set()).add(transcript)
        if n < FEW_DECISIONS:
            few.setdefault(coder, []).append(transcript)
    return Coverage(False, {c: frozenset(t) for c, t in inferred.items()}, few)


def _from_codings(codings: pd.DataFrame | None) -> dict[str, set[str]]:
    """coder -> transcripts with a manual coding in the coder's name."""
    found: dict[str, set[str]] = {}
    if codings is None or not len(codings):
        return found
    manual = codings[codings[m.SOURCE] != m.SOURCE_AUTO]
    for coder, transcript in zip(manual[m.CODER], manual[m.TRANSCRIPT_ID], strict=True):
        if isinstance(coder, str) and isinstance(transcript, str):
            found.setdefault(coder, set()).add(transcript)
    return found
