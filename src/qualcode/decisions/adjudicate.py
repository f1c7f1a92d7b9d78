"""Adjudication: where two coders' views disagree, and what a reviewer's choice records.

Two coders disagree on a (segment, code) when one coder's layer has the code there and the
other's does not (`qualcode.decisions.layers`: a coder's view is the automatic coding plus their
own decisions), on a transcript both of them covered (`decisions.coverage`). A reviewer settles
it by keeping the code (an ``add`` in the reviewer's name) or dropping it (a ``remove``):
ordinary decision rows, appended to the reviewer's decision file, which the ``final`` layer
applies after every coder's. A disagreement is *decided* when the reviewer has a decision on
that segment and code later than both coders' (in the ledger's order), so an interrupted
adjudication resumes where it stopped -- and asks again if a coder changed their mind since.

Nothing here prints or prompts: the CLI (``qualcode adjudicate``) does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode import models as m
from qualcode.decisions.coverage import coverage
from qualcode.decisions.layers import applied_decisions, layer_codings
from qualcode.decisions.ledger import OverrideLedger, coder_problem
from qualcode.decisions.reattach import effective_decisions
from qualcode.errors import AnalysisError

if TYPE_CHECKING:
    import pandas as pd

KEEP, DROP = "keep", "drop"
UNION, INTERSECTION = "union", "intersection"


@dataclass(frozen=True)
class Disagreement:
    """One (segment, code) the two coders' views disagree on.

    ``coded_by``/``not_coded_by``: the coders whose view has / lacks the code; ``how``: per
    coder, what their view comes from ("added it", "removed the automatic coding", "kept the
    automatic coding", "did not code it"); ``automatic``: whether the automatic coding had it.
    """

    segment_id: str
    transcript_id: str
    code: str
    coded_by: tuple[str, ...]
    not_coded_by: tuple[str, ...]
    how: tuple[tuple[str, str], ...]
    automatic: bool


@dataclass(frozen=True)
class Adjudication:
    """What `find_disagreements` returns.

    ``open``: the disagreements still to decide (transcript order, then codebook order);
    ``decided``: how many the reviewer already decided; ``transcripts``: those compared (both
    coders covered them); ``excluded``: those only one of the two covered.
    """

    coders: tuple[str, str]
    reviewer: str
    open: list[Disagreement]
    decided: int
    transcripts: list[str]
    excluded: list[str]


def check_people(coders: Sequence[str], reviewer: str, known: Collection[str]) -> tuple[str, str]:
    """The two coders to compare, checked: two different human coders of the run, and a
    reviewer (a valid coder name) who is neither. Raises AnalysisError."""
    if len(coders) != 2 or coders[0] == coders[1]:
        raise AnalysisError(
            f"name two different coders, e.g. --coders a,b (got {','.join(coders)})"
        )
    unknown = [c for c in coders if c not in known]
    if unknown or m.AUTO_CODER in coders:
        listed = ", ".join(sorted(known)) or "none"
        bad = ", ".join(unknown) or m.AUTO_CODER
        raise AnalysisError(f"not a human coder of this output folder: {bad} (coders: {listed})")
    if (problem := coder_problem(reviewer)) is not None:
        raise AnalysisError(problem)
    if reviewer in coders or reviewer == m.AUTO_CODER:
        raise AnalysisError(f"the reviewer '{reviewer}' must not be one of the coders compared")
    return coders[0], coders[1]


def _order(
    code_order: Sequence[tuple[str, str | None]], codes: Collection[str] | None
) -> list[str]:
    """The codebook's codes (with the children of the codes asked for), in codebook order."""
    order = [code for code, _ in code_order]
    if not codes:
        return order
    unknown = sorted(set(codes) - set(order))
    if unknown:
        raise AnalysisError(
            f"unknown code(s) {', '.join(unknown)}; known codes: {', '.join(order)}"
        )
    wanted, parent = set(codes), dict(code_order)
    chosen = []
    for code in order:
        chain: str | None = code
        seen: set[str] = set()
        while chain is not None and chain not in wanted and chain not in seen:
            seen.add(chain)
            chain = parent.get(chain)
        if chain in wanted:
            chosen.append(code)
    return chosen


def _last_positions(frame: pd.DataFrame) -> dict[tuple[str, str, str], int]:
    """(coder, segment_id, code) -> position of that coder's last decision in ledger order."""
    last: dict[tuple[str, str, str], int] = {}
    for position, d in enumerate(OverrideLedger(frame, ()).decisions):
        last[(d.coder, d.segment_id, d.code)] = position
    return last


def _reviewed(
    overrides: pd.DataFrame,
    reviewer_rows: pd.DataFrame | None,
    coders: Sequence[str],
    reviewer: str,
) -> set[tuple[str, str]]:
    """The (segment, code) pairs whose reviewer decision is later than both coders' decisions."""
    import pandas as pd

    usable = {d.index for d in applied_decisions(overrides)}
    frame = overrides.reset_index(drop=True)
    frame = frame[frame.index.isin(usable) & frame[m.CODER].isin([*coders, reviewer])]
    if reviewer_rows is not None and len(reviewer_rows):
        extra = reviewer_rows[reviewer_rows[m.ACTION] != m.ACTION_DONE]
        frame = pd.concat([frame, extra[frame.columns.intersection(extra.columns)]])
    last = _last_positions(frame.reset_index(drop=True).astype({m.OVERRIDE_LINE: "int64"}))
    decided = set()
    for (coder, segment, code), position in last.items():
        if coder != reviewer:
            continue
        if all(last.get((c, segment, code), -1) < position for c in coders):
            decided.add((segment, code))
    return decided


def find_disagreements(
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    overrides: pd.DataFrame,
    code_order: Sequence[tuple[str, str | None]],
    coders: Sequence[str],
    reviewer: str,
    *,
    reviewer_rows: pd.DataFrame | None = None,
    codes: Collection[str] | None = None,
) -> Adjudication:
    """The disagreements between two coders' views that `reviewer` has not decided yet.

    The tables are those of one output folder (out/segments, out/codings, out/overrides);
    `reviewer_rows` are the rows of the reviewer's decision file as it is now (decisions made
    since the run, which out/overrides does not hold yet); `codes` limits the codes compared
    (a parent brings its children). Raises AnalysisError for unknown coders or codes, a
    reviewer among the coders, or two coders without a transcript both covered.
    """
    # re-attached decisions count on the segments they now apply to
    overrides = effective_decisions(overrides)
    known = set(codings.loc[codings[m.SOURCE] != m.SOURCE_AUTO, m.CODER].dropna())
    known |= {d.coder for d in applied_decisions(overrides)}
    a, b = check_people(coders, reviewer, {str(c) for c in known})
    covered = coverage(overrides, codings)
    both = covered.of(a) & covered.of(b)
    present = list(dict.fromkeys(segments[m.TRANSCRIPT_ID].dropna()))
    transcripts = [t for t in present if t in both]
    excluded = [t for t in present if t in (covered.of(a) ^ covered.of(b))]
    if not transcripts:
        raise AnalysisError(f"{a} and {b} covered no transcript in common: nothing to compare")
    order = _order(code_order, codes)
    views = {c: _pairs(layer_codings(segments, codings, overrides, c)) for c in (a, b)}
    automatic = _pairs(layer_codings(segments, codings, overrides, m.AUTO_CODER))
    last = _last_positions(overrides.reset_index(drop=True))
    reviewed = _reviewed(overrides, reviewer_rows, (a, b), reviewer)
    rank = {code: i for i, code in enumerate(order)}
    ordered = segments[segments[m.TRANSCRIPT_ID].isin(transcripts)]
    if m.SEGMENT_INDEX in ordered:
        ordered = ordered.sort_values([m.TRANSCRIPT_ID, m.SEGMENT_INDEX], kind="stable")
    position = {s: i for i, s in enumerate(ordered[m.SEGMENT_ID])}
    where = dict(zip(ordered[m.SEGMENT_ID], ordered[m.TRANSCRIPT_ID], strict=True))
    differing = [p for p in views[a] ^ views[b] if p[0] in position and p[1] in rank]
    differing.sort(key=lambda p: (position[p[0]], rank[p[1]]))
    found = []
    for segment, code in differing:
        if (segment, code) in reviewed:
            continue
        has = {c: (segment, code) in views[c] for c in (a, b)}
        auto = (segment, code) in automatic
        how = tuple((c, _how(has[c], auto, (c, segment, code) in last)) for c in (a, b))
        found.append(
            Disagreement(
                segment, where[segment], code,
                tuple(c for c in (a, b) if has[c]), tuple(c for c in (a, b) if not has[c]),
                how, auto,
            )
        )  # fmt: skip
    decided = sum(1 for p in differing if p in reviewed)
    return Adjudication((a, b), reviewer, found, decided, transcripts, excluded)


def _pairs(rows: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(rows[m.SEGMENT_ID], rows[m.CODE], strict=True))


def _how(has: bool, automatic: bool, decided: bool) -> str:
    """What a coder's view of a disputed pair comes from, in a few words."""
    if has:
        return "kept the automatic coding" if automatic and not decided else "added it"
    return "removed the automatic coding" if automatic else "did not code it"


def check_accept(accept: str, coders: Sequence[str]) -> None:
    """AnalysisError unless `accept` is one of the two `coders`, ``union`` or ``intersection``."""
    if accept not in (*coders, UNION, INTERSECTION):
        raise AnalysisError(
            f"--accept takes one of the coders compared ({', '.join(coders)}), "
            f"{UNION} or {INTERSECTION}, not '{accept}'"
        )


def accepted_action(disagreement: Disagreement, accept: str) -> str:
    """The action (add/remove) that settles `disagreement` as `accept` says: a coder's name
    (that coder's view wins), ``union`` (keep the code) or ``intersection`` (drop it)."""
    check_accept(accept, [c for c, _ in disagreement.how])
    if accept == UNION:
        return m.ACTION_ADD
    if accept == INTERSECTION:
        return m.ACTION_REMOVE
    return m.ACTION_ADD if accept in disagreement.coded_by else m.ACTION_REMOVE


def choice_action(choice: str) -> str:
    """The action of a reviewer's choice: keep -> add, drop -> remove."""
    if choice not in (KEEP, DROP):
        raise AnalysisError(f"choose {KEEP} or {DROP}, not '{choice}'")
    return m.ACTION_ADD if choice == KEEP else m.ACTION_REMOVE


def record_decision(
    directory: str | Path,
    reviewer: str,
    disagreement: Disagreement,
    action: str,
    note: str,
    *,
    output: str | Path | None = None,
) -> Path:
    """Append the reviewer's decision on `disagreement` to ``<directory>/<reviewer>.csv`` (an
    ordinary decision row, see `append_override`, anchored to its segment in the output folder
    `output`); returns the file's path."""
    from qualcode.decisions.append import append_override

    return append_override(
        directory,
        segment_id=disagreement.segment_id,
        code=disagreement.code,
        action=action,
        coder=reviewer,
        note=note,
        output=output,
    )


def record_accepted(
    directory: str | Path,
    reviewer: str,
    disagreements: Sequence[Disagreement],
    accept: str,
    note: str,
    *,
    output: str | Path | None = None,
) -> int:
    """Settle every disagreement as `accept` says (`accepted_action`), one decision each,
    appended in order; returns how many were recorded. `accept` is checked before anything is
    written."""
    from qualcode.decisions.append import anchors_from_output, append_override

    actions = [accepted_action(item, accept) for item in disagreements]
    ids = [item.segment_id for item in disagreements]
    anchors = anchors_from_output(output, ids) if output is not None and ids else {}
    for item, action in zip(disagreements, actions, strict=True):
        append_override(
            directory,
            segment_id=item.segment_id,
            code=item.code,
            action=action,
            coder=reviewer,
            note=note,
            anchor=anchors.get(item.segment_id),
        )
    return len(actions)
