"""Accepting hits and suggestions: a person's choice becomes ordinary decision rows.

Each accepted segment is one ``add`` line appended with `decisions.append_override` to
``<directory>/<coder>.csv``, which the next `qualcode code` applies like any other decision.
The selection is checked in full before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qualcode import models as m
from qualcode.errors import AnalysisError

ACCEPT_ALL = "all"


@dataclass(frozen=True)
class Accepted:
    """What `record_additions` did: the decision file, the segments recorded, and those left
    out because the coder already has the code on them."""

    path: Path | None
    recorded: list[str]
    already_coded: list[str]


def parse_selection(text: str) -> list[str]:
    """``all`` or a comma-separated list of numbers and segment ids, as the user typed it."""
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise AnalysisError("--accept needs 'all' or a comma-separated list of numbers or ids")
    return items


def resolve_selection(
    selection: Sequence[str], numbered: Sequence[tuple[int, str]], what: str
) -> list[str]:
    """The segment ids chosen: ``all``, numbers (the ``#``/rank column) or segment ids.

    `numbered` lists (number, segment id) of what was shown. Every unknown item is reported at
    once (AnalysisError) and nothing is chosen; the result keeps first-seen order, no repeats.
    """
    ids = [sid for _, sid in numbered]
    if list(selection) == [ACCEPT_ALL]:
        return list(dict.fromkeys(ids))
    by_number = {str(n): sid for n, sid in numbered}
    known = set(ids)
    chosen, unknown = [], []
    for item in selection:
        if item in by_number:
            chosen.append(by_number[item])
        elif item in known:
            chosen.append(item)
        else:
            unknown.append(item)
    if unknown:
        raise AnalysisError(
            f"not among the {what}: {', '.join(unknown)} (use the numbers or segment ids shown, "
            "or 'all'); nothing was recorded"
        )
    return list(dict.fromkeys(chosen))


def record_additions(
    directory: str | Path,
    segment_ids: Sequence[str],
    *,
    code: str,
    coder: str,
    note: str | Mapping[str, str],
    already: set[str] | None = None,
    output: str | Path | None = None,
) -> Accepted:
    """Append one ``add CODE`` decision by `coder` per segment id (skipping those in `already`,
    segments the coder has already given the code), with `note` (one for all, or per segment
    id); each records where its segment is in the output folder `output` (so that it survives
    transcript edits). Returns what was recorded."""
    from qualcode.decisions import append_override
    from qualcode.decisions.append import anchors_from_output

    anchors = anchors_from_output(output, segment_ids) if output is not None else {}
    path = None
    recorded, skipped = [], []
    for sid in segment_ids:
        if already is not None and sid in already:
            skipped.append(sid)
            continue
        path = append_override(
            directory,
            segment_id=sid,
            code=code,
            action=m.ACTION_ADD,
            coder=coder,
            note=note if isinstance(note, str) else note[sid],
            anchor=anchors.get(sid),
        )
        recorded.append(sid)
    return Accepted(path, recorded, skipped)


def coded_by(codings, coder: str, code: str) -> set[str]:
    """Segment ids to which `coder` has given `code` in a codings table."""
    rows = codings[(codings[m.CODER] == coder) & (codings[m.CODE] == code)]
    return {str(s) for s in rows[m.SEGMENT_ID]}
