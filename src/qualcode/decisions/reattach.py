"""Decisions that survive transcript edits: where a decision's passage went when its segment
id is gone.

Every decision qualcode writes records where its segment was: ``start``/``end`` (offsets into
the transcript's canonical text), a ``quote`` (`quote_of`: the segment's first QUOTE_CHARS
characters, white space collapsed) and ``text_hash`` (`text_hash`: of the whole canonical
text, so that the span is trusted only while the text is unchanged). A segment id is a hash of
the segment's own text, so editing a turn gives it a new id, and coding with another unit gives
every segment one. When a run (``--reattach covering``, the default) finds no segment with a
decision's id in its transcript, `place_decisions` looks for where it went:

* **same unit** (a turn decision, a run by turns): the segments within its recorded span when
  the text is unchanged; else the one segment whose text holds its quote exactly; else the one
  segment the quote matches with rapidfuzz's ``partial_ratio`` >= FUZZY_MIN, more than
  FUZZY_MARGIN points ahead of every other segment;
* **another unit** (a turn decision, a run by paragraphs): its own segment is found among the
  transcript's segments of its unit -- by its id (which edits elsewhere do not change), by its
  span while the text is unchanged, or by its quote as above -- and the decision applies to
  every segment of the run that lies within it (one decision may then apply to several
  segments). A decision on a smaller unit (a sentence, in a run by turns) is never widened to
  the segment holding it: it stays an orphan.

Quotes are compared as segment ids are made (`normalise_for_id`: NFC, case-folded, white space
collapsed). Two segments that hold the quote, two fuzzy matches within the margin, or a quote
shorter than MIN_QUOTE_CHARS leave the decision an orphan: nothing moves on a guess. Whatever
moved is listed (status ``reattached``, with the new ids in ``reattached_to`` and the way it
was found in ``reattached_by``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from qualcode import models as m
from qualcode.decisions.ledger import REMOVED_AUTO, STATUS_APPLIED, Decision, Outcome, decide
from qualcode.transcripts.segment import normalise_for_id, unit_of_segment_id

if TYPE_CHECKING:
    import pandas as pd

QUOTE_CHARS = 80  # characters of a segment's text kept as a decision's quote
MIN_QUOTE_CHARS = 12  # a shorter quote (normalised) is too common to place a decision by
FUZZY_MIN = 90.0  # rapidfuzz partial_ratio a fuzzy match needs
FUZZY_MARGIN = 5.0  # ... and by how much it must beat every other segment
TEXT_HASH_CHARS = 16  # hex digits of SHA-256 kept to tell an unchanged transcript text


def quote_of(text: str) -> str:
    """A decision's quote of its segment: the first QUOTE_CHARS characters, white space
    collapsed."""
    return " ".join(text.split())[:QUOTE_CHARS]


def text_hash(text: str) -> str:
    """The hash of a transcript's canonical text recorded with a decision (hex)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:TEXT_HASH_CHARS]


@dataclass(frozen=True)
class Anchor:
    """Where a decision's segment is when the decision is recorded (offsets into the canonical
    text of its transcript, whose `text_hash` is kept)."""

    start: int
    end: int
    quote: str
    text_hash: str


@dataclass(frozen=True)
class Passage:
    """A segment of the transcript being coded, as re-attachment sees it."""

    segment_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Placement:
    """Where a decision whose segment is gone now applies: `targets` (segment ids, in text
    order) and `how` it was found -- or, with no targets, why it stays an orphan ("" when it
    has no anchor to go by)."""

    targets: tuple[str, ...]
    how: str


def place_decisions(
    decisions: Sequence[Decision],
    passages: Sequence[Passage],
    *,
    unit: str,
    current_hash: str,
    passages_in: Callable[[str], Sequence[Passage]],
) -> dict[int, Placement]:
    """Where each decision of one transcript whose segment is not among `passages` goes.

    `passages`: the transcript's segments in this run's `unit`; `current_hash`: `text_hash` of
    its canonical text; `passages_in(unit)`: its segments in another unit. Returns decision
    index -> Placement (see the module docstring); pure.
    """
    here = {p.segment_id for p in passages}
    return {
        d.index: _place(d, passages, unit, current_hash, passages_in)
        for d in decisions
        if d.segment_id not in here
    }


def _place(
    decision: Decision,
    passages: Sequence[Passage],
    unit: str,
    current_hash: str,
    passages_in: Callable[[str], Sequence[Passage]],
) -> Placement:
    own_unit = unit_of_segment_id(decision.segment_id)
    if own_unit is None:
        return Placement((), "")
    trusted = decision.start is not None and decision.text_hash == current_hash
    if own_unit == unit:
        if trusted:
            inside = _within(passages, decision.start, decision.end)
            if inside:
                return Placement(inside, "span")
        return _by_quote(decision.quote, passages)
    span, how = _own_span(decision, passages_in(own_unit), trusted)
    if span is None:
        return Placement((), how)
    inside = _within(passages, *span)
    if not inside:
        return Placement((), f"its {own_unit} holds no whole {unit}")
    return Placement(inside, f"covering ({how})" if how else "covering")


def _own_span(
    decision: Decision, own: Sequence[Passage], trusted: bool
) -> tuple[tuple[int, int] | None, str]:
    """Where the decision's own segment (in its unit) is now, and how it was found (the
    reason when it was not)."""
    for passage in own:
        if passage.segment_id == decision.segment_id:
            return (passage.start, passage.end), ""
    if trusted and decision.start is not None and decision.end is not None:
        return (decision.start, decision.end), "span"
    found = _by_quote(decision.quote, own)
    if not found.targets:
        return None, found.how
    match = next(p for p in own if p.segment_id == found.targets[0])
    return (match.start, match.end), found.how


def _within(passages: Sequence[Passage], start: int | None, end: int | None) -> tuple[str, ...]:
    if start is None or end is None:
        return ()
    return tuple(p.segment_id for p in passages if start <= p.start and p.end <= end)


def _by_quote(quote: str | None, pool: Sequence[Passage]) -> Placement:
    """The one passage holding `quote` exactly, else the one clear fuzzy match."""
    from rapidfuzz import fuzz

    if not quote:
        return Placement((), "")
    wanted = normalise_for_id(quote)
    if len(wanted) < MIN_QUOTE_CHARS:
        return Placement((), "its quote is too short to place it safely")
    texts = [normalise_for_id(p.text) for p in pool]
    exact = [p.segment_id for p, text in zip(pool, texts, strict=True) if wanted in text]
    if len(exact) == 1:
        return Placement((exact[0],), "quote")
    if exact:
        return Placement((), f"its quote is in {len(exact)} segments (ambiguous)")

    def similarity(text: str) -> float:
        # partial_ratio looks for the quote inside the text: a text shorter than the quote is
        # compared whole (else a short segment found inside the quote would score 100).
        return (
            fuzz.partial_ratio(wanted, text)
            if len(text) >= len(wanted)
            else fuzz.ratio(wanted, text)
        )

    scores = sorted(((similarity(t), i) for i, t in enumerate(texts)), key=lambda s: (-s[0], s[1]))
    if not scores or scores[0][0] < FUZZY_MIN:
        return Placement((), "no segment holds its quote")
    best, position = scores[0]
    if len(scores) > 1 and scores[1][0] >= best - FUZZY_MARGIN:
        return Placement((), "its quote matches several segments about equally (ambiguous)")
    return Placement((pool[position].segment_id,), f"fuzzy {int(best)}")


@dataclass
class Decided:
    """One transcript's decisions applied (see `decide_reattached`)."""

    kept: set[tuple[str, str]]
    manual: dict[tuple[str, str, str], str | None]
    outcome: Outcome
    placements: dict[int, Placement]
    removed_from: dict[int, tuple[str, ...]]


def decide_reattached(
    decisions: Sequence[Decision],
    passages: Sequence[Passage],
    auto_pairs: set[tuple[str, str]],
    codes: set[str],
    *,
    unit: str,
    current_hash: str,
    passages_in: Callable[[str], Sequence[Passage]],
    mode: str = "covering",
) -> Decided:
    """`ledger.decide` for one transcript, with decisions whose segment is gone re-attached
    first (unless `mode` is ``none``): each then applies, in its place in the ledger's order,
    to every segment it was placed on, and its status is ``reattached``. Decisions whose code
    is not in the codebook are not placed (they stay orphans of their segment). Pure.
    """
    placements: dict[int, Placement] = {}
    if mode != "none":
        candidates = [d for d in decisions if d.code in codes]
        placements = place_decisions(
            candidates, passages, unit=unit, current_hash=current_hash, passages_in=passages_in
        )
    expanded: list[Decision] = []
    origin: dict[int, tuple[int, str]] = {}  # stand-in index -> (decision index, segment)
    for decision in decisions:
        placement = placements.get(decision.index)
        if placement is None or not placement.targets:
            expanded.append(decision)
            continue
        for target in placement.targets:
            stand_in = -1 - len(origin)  # ledger indices are >= 0
            origin[stand_in] = (decision.index, target)
            expanded.append(replace(decision, index=stand_in, segment_id=target))
    kept, manual, raw = decide(expanded, [p.segment_id for p in passages], auto_pairs, codes)
    outcome: Outcome = {i: value for i, value in raw.items() if i >= 0}
    removed: dict[int, list[str]] = {}
    for stand_in, (index, target) in origin.items():
        if raw.get(stand_in, ("", False))[1]:
            removed.setdefault(index, []).append(target)
        outcome[index] = (m.STATUS_REATTACHED, index in removed)
    removed_from = {i: tuple(targets) for i, targets in removed.items()}
    return Decided(kept, manual, outcome, placements, removed_from)


def effective_decisions(overrides: pd.DataFrame) -> pd.DataFrame:
    """An overrides table (out/overrides) with each re-attached decision replaced by one
    ``applied`` row per segment it now applies to (segment_id from ``reattached_to``,
    ``removed_auto`` true where it withdrew an automatic coding), in the table's order: what
    readers that follow decisions by segment (the final layer, the automatic coder of
    agreement) need. Tables without re-attached decisions are returned as they are.
    """
    import pandas as pd

    if m.REATTACHED_TO not in overrides or not len(overrides):
        return overrides
    moved = overrides[m.STATUS] == m.STATUS_REATTACHED
    if not moved.any():
        return overrides
    rows = overrides[moved].copy()
    rows[m.SEGMENT_ID] = rows[m.REATTACHED_TO].astype(str).str.split(";")
    rows = rows.explode(m.SEGMENT_ID)
    removed = [
        set(str(ids).split(";")) if isinstance(ids, str) else set()
        for ids in rows.get(m.REMOVED_AUTO_FROM, pd.Series([None] * len(rows), index=rows.index))
    ]
    rows[REMOVED_AUTO] = [seg in ids for seg, ids in zip(rows[m.SEGMENT_ID], removed, strict=True)]
    rows[m.STATUS] = STATUS_APPLIED
    joined = pd.concat([overrides[~moved], rows]).sort_index(kind="stable")
    return joined.astype(overrides.dtypes.to_dict()).reset_index(drop=True)
