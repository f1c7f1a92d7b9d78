"""REFI-QDA import, the codings: selections cut into coding rows per segment, and decisions.

Each coding of a text selection becomes one row per segment it overlaps, with the exact passage
as ``start``/``end`` (clipped to the segment), in the name of its REFI user (the user ``auto``
is read back as qualcode's automatic coding). Human codings also get an ``add`` row in the
overrides table, so agreement knows which transcripts each coder covered. The match details a
qualcode export keeps in a selection's description are restored when the row is exactly that
selection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.exchange.refi import DETAIL_COLUMNS
from qualcode.exchange.refi_read import (
    SKIP_CASE_CODING,
    SKIP_MISSING_CODE,
    RefiCoding,
    RefiProject,
)

if TYPE_CHECKING:
    import pandas as pd

SKIP_OUTSIDE = "codings of text outside every segment (labels, blank lines)"
# What became of each coding of a selection that reached a segment (keys of `outcomes`).
IMPORTED = "imported"  # it starts a coding row of its own (in a segment it overlaps)
MERGED = "merged"  # every part joined the row of an earlier selection: same segment, code, coder
SKIP_DETAILS_MISFIT = (
    "qualcode match details that do not fit their coding row (selection split across segments "
    "or merged with another, or match spans outside it)"
)


def coding_rows(
    project: RefiProject,
    ids: list[str],
    segments: pd.DataFrame,
    codes: dict[str, str],
    coders: dict[str | None, str],
    skipped: dict[str, int],
    outcomes: dict[str, int] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(coding passages per segment, one decision per human coding) from the project.

    `codes` maps code GUIDs to names, `coders` user GUIDs to coder names (None: no user);
    `skipped` counts what cannot be imported, by reason, and `outcomes` what was: IMPORTED
    (the coding starts a row) or MERGED (all its parts joined rows of earlier codings of the
    same segment, code and coder; its spans are kept in the row's match_spans).
    """
    outcomes = {} if outcomes is None else outcomes
    by_transcript = {t: g.sort_values(m.START) for t, g in segments.groupby(m.TRANSCRIPT_ID)}
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for source, tid in zip(project.sources, ids, strict=True):
        segs = by_transcript.get(tid)
        if segs is None:
            continue
        bounds = (segs[m.START].tolist(), segs[m.END].tolist(), segs[m.SEGMENT_ID].tolist())
        for coding in source.codings:
            code = codes.get(coding.code)
            if code is None:
                # NVivo codes cases as if they were codes: recognise and count those apart.
                reason = (
                    SKIP_CASE_CODING if coding.code in project.case_guids else SKIP_MISSING_CODE
                )
                skipped[reason] = skipped.get(reason, 0) + 1
                continue
            coder = coders.get(coding.user) or coders[None]
            outcome = _clip_to_segments(coding, bounds, tid, (code, coder), merged)
            if outcome is None:
                skipped[SKIP_OUTSIDE] = skipped.get(SKIP_OUTSIDE, 0) + 1
            else:
                outcomes[str(outcome)] = outcomes.get(str(outcome), 0) + 1
    return _rows_and_decisions(merged, project.path.name, skipped)


def _clip_to_segments(
    coding: RefiCoding,
    bounds: tuple[list[int], list[int], list[str]],
    tid: str,
    code_coder: tuple[str, str],
    merged: dict[tuple[str, str, str], dict[str, Any]],
) -> str | None:
    """Add the parts of `coding` inside each segment (starts, ends, ids: sorted) to `merged`.

    Returns IMPORTED when a part starts a new row, MERGED when every part joined an existing
    one, None when the coding lies outside every segment.
    """
    import bisect

    starts, ends, seg_ids = bounds
    first = bisect.bisect_right(ends, coding.start)
    outcome = None
    for i in range(first, len(starts)):
        if starts[i] >= coding.end:
            break
        lo, hi = max(starts[i], coding.start), min(ends[i], coding.end)
        if lo >= hi:
            continue
        key = (seg_ids[i], *code_coder)
        if key not in merged:
            outcome = IMPORTED
        elif outcome is None:
            outcome = MERGED
        row = merged.setdefault(
            key,
            {"transcript": tid, "spans": [], "notes": [], "created": None, "details": []},
        )
        row["spans"].append((lo, hi))
        if coding.details is not None:
            clipped = (lo, hi) != (coding.start, coding.end)
            row["details"].append((coding.details, clipped))
        if coding.note and coding.note not in row["notes"]:
            row["notes"].append(coding.note)
        row["created"] = max(filter(None, (row["created"], _iso(coding.created))), default=None)
    return outcome


def _rows_and_decisions(
    merged: dict[tuple[str, str, str], dict[str, Any]], file: str, skipped: dict[str, int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One coding row per (segment, code, coder), and an `add` decision for each human one."""
    from qualcode.matching.locate import merge_spans

    rows: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    for (segment_id, code, coder), info in merged.items():
        spans = merge_spans(info["spans"])
        note = " | ".join(info["notes"]) or None
        row = {
            m.SEGMENT_ID: segment_id,
            m.CODE: code,
            m.CODER: coder,
            m.SOURCE: m.SOURCE_AUTO if coder == m.AUTO_CODER else m.SOURCE_MANUAL,
            m.START: spans[0][0],
            m.END: spans[-1][1],
            m.MATCH_SPANS: ";".join(f"{s}-{e}" for s, e in spans) if len(spans) > 1 else None,
            m.NOTE: note if coder == m.AUTO_CODER else note or "",
        }
        if info["details"]:
            details = _fitting_details(info)
            if details is not None:
                row.update({c: details.get(c) for c in DETAIL_COLUMNS})
            else:
                skipped[SKIP_DETAILS_MISFIT] = skipped.get(SKIP_DETAILS_MISFIT, 0) + 1
        rows.append(row)
        if coder != m.AUTO_CODER:
            decisions.append(
                {
                    m.SEGMENT_ID: segment_id,
                    m.CODE: code,
                    m.ACTION: m.ACTION_ADD,
                    m.CODER: coder,
                    m.NOTE: note or "",
                    m.TIMESTAMP: info["created"] or "",
                    m.OVERRIDE_FILE: file,
                    m.OVERRIDE_LINE: len(decisions) + 1,
                }
            )
    return rows, decisions


def _fitting_details(info: dict[str, Any]) -> dict[str, str] | None:
    """The match details of a merged row when they describe it: the row is exactly one whole
    selection (not clipped to a segment, not merged with another) and its match spans lie
    inside it. None otherwise."""
    if len(info["spans"]) != 1 or len(info["details"]) != 1:
        return None
    details, clipped = info["details"][0]
    if clipped:
        return None
    (lo, hi), spans = info["spans"][0], details.get(m.MATCH_SPANS)
    for span in spans.split(";") if spans else ():
        start, end = (int(x) for x in span.split("-"))
        if not lo <= start < end <= hi:
            return None
    return details


def _iso(value: str | None) -> str | None:
    """An xsd:dateTime as qualcode's ISO 8601 time stamp (UTC when no zone), or None."""
    from datetime import datetime, timezone

    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.isoformat()


def _meta_columns(segments: pd.DataFrame) -> list[str]:
    standard = {*m.SEGMENT_COLUMNS, m.START_TIME, m.END_TIME, m.TEXT}
    return [c for c in segments.columns if c not in standard]


def codings_table(
    rows: list[dict[str, Any]], segments: pd.DataFrame, order: list[str], parents: dict
) -> pd.DataFrame:
    """Coding rows with their segment's columns, in the shape and order `qualcode code` writes."""
    from qualcode.coding.sinks import table_from_rows

    columns = [*m.CODING_COLUMNS, *_meta_columns(segments)]
    keep = [c for c in columns if c in segments.columns and c != m.TEXT]
    by_segment = {r[m.SEGMENT_ID]: r for r in segments[[*keep, m.SEGMENT_INDEX]].to_dict("records")}
    rank = {name: i for i, name in enumerate(order)}
    full = []
    for row in rows:
        segment = by_segment[row[m.SEGMENT_ID]]
        full.append(
            {
                **{c: segment[c] for c in keep},
                **row,
                m.PARENT: parents.get(row[m.CODE]),
                m.MATCHED_TEXT: row.get(m.MATCHED_TEXT),
                m.PATTERN_ID: row.get(m.PATTERN_ID),
            }
        )
    full.sort(
        key=lambda r: (
            r[m.TRANSCRIPT_ID],
            by_segment[r[m.SEGMENT_ID]][m.SEGMENT_INDEX],
            rank.get(r[m.CODE], len(rank)),
            r[m.SOURCE] != m.SOURCE_AUTO,
            r[m.CODER],
            r[m.START],
        )
    )
    full = [{c: _plain(r.get(c)) for c in columns} for r in full]
    return table_from_rows(full, columns).to_pandas()


def _plain(value: Any) -> Any:
    """None for pandas' missing values, so Arrow accepts the row."""
    import pandas as pd

    return None if not isinstance(value, (list, dict)) and pd.isna(value) else value


def overrides_table(decisions: list[dict[str, Any]]) -> pd.DataFrame:
    """The overrides table: one applied `add` per human coding (status as `qualcode code`)."""
    import pandas as pd

    from qualcode.decisions.ledger import REMOVED_AUTO, STATUS_APPLIED

    columns = [*m.OVERRIDE_COLUMNS, m.OVERRIDE_FILE, m.OVERRIDE_LINE]
    table = pd.DataFrame(decisions, columns=columns)
    table[m.STATUS] = STATUS_APPLIED
    table[REMOVED_AUTO] = False
    return table.astype(
        {
            **{c: "string" for c in [*m.OVERRIDE_COLUMNS, m.OVERRIDE_FILE, m.STATUS]},
            m.OVERRIDE_LINE: "int64",
            REMOVED_AUTO: bool,
        }
    )
