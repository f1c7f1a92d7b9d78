"""Quotes: the coded segments of a code, with the matched words to highlight."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from qualcode import models as m
from qualcode.analysis.filters import CodeOrder, as_list, check_columns, is_among, prepare
from qualcode.analysis.groups import group_keys, labels_of, merged_ranges, sorted_groups
from qualcode.errors import AnalysisError

# Column of the quotes table: merged (start, end) ranges of the matched words in the text.
HIGHLIGHTS = "highlights"


def _highlights(codings: pd.DataFrame, segments: pd.DataFrame) -> pd.Series:
    """Per segment_id: merged (start, end) match ranges relative to the segment text."""
    spans = codings[[m.SEGMENT_ID, m.MATCH_SPANS]].dropna()
    spans = spans.assign(**{m.MATCH_SPANS: spans[m.MATCH_SPANS].astype(str).str.split(";")})
    spans = spans.explode(m.MATCH_SPANS)
    parts = spans[m.MATCH_SPANS].str.strip().str.extract(r"^(\d+)-(\d+)$").astype("float64")
    bounds = segments.set_index(m.SEGMENT_ID)[[m.START, m.END]].astype("float64")
    seg_start = spans[m.SEGMENT_ID].map(bounds[m.START]).astype("float64")
    seg_end = spans[m.SEGMENT_ID].map(bounds[m.END]).astype("float64")
    frame = pd.DataFrame(
        {
            m.SEGMENT_ID: spans[m.SEGMENT_ID],
            m.START: parts[0].clip(lower=seg_start) - seg_start,
            m.END: parts[1].clip(upper=seg_end) - seg_start,
        }
    ).dropna()
    frame = frame[frame[m.END] > frame[m.START]].astype({m.START: "int64", m.END: "int64"})
    merged = merged_ranges(frame, [m.SEGMENT_ID])  # sorted by segment, then start
    ids = merged[m.SEGMENT_ID].to_numpy()
    cuts = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    starts = np.split(merged[m.START].to_numpy(), cuts)
    ends = np.split(merged[m.END].to_numpy(), cuts)
    firsts = ids[np.concatenate([[0], cuts])] if len(ids) else ids
    lists = [
        list(zip(a.tolist(), b.tolist(), strict=True)) for a, b in zip(starts, ends, strict=True)
    ]
    return pd.Series(lists if len(ids) else [], index=firsts, dtype=object)


def _joined(codings: pd.DataFrame, column: str, order: Sequence[str] | None = None) -> pd.Series:
    """Per segment_id: the distinct values of `column` joined by ", " (in `order`, else sorted)."""
    counts = codings.groupby([m.SEGMENT_ID, column]).size().unstack(column, fill_value=0)
    values = [v for v in order if v in counts.columns] if order else sorted(counts.columns)
    text = pd.Series("", index=counts.index, dtype=object)
    for value in values:  # a handful of codes, sources or coders, not one step per coding
        text = text + np.where(counts[value].to_numpy() > 0, f"{value}, ", "")
    return text.str[:-2]


def quotes(
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    code_order: CodeOrder = (),
    *,
    code: str | Sequence[str],
    by: str | Sequence[str] = (),
    limit: int | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """The segments coded with ``code`` (a parent code includes its children), one row each.

    Columns: segment_id, transcript_id, speaker, country, role, the ``by`` columns, code (the
    matching codes, codebook order, joined by ", "), source and coder (distinct values joined by
    ", "), text, highlights (merged (start, end) ranges of the matched words, relative to the
    text; empty for manual codings). Sorted by the ``by`` columns ("(missing)" last),
    transcript_id and segment_index. ``limit`` keeps the first N per ``by`` group (overall when
    no ``by``). Filters as in `filter_codings` (``codes`` is replaced by ``code``).
    """
    by = as_list(by)
    wanted = as_list(code)
    if not wanted:
        raise AnalysisError("quotes need at least one code")
    if limit is not None and limit < 0:
        raise AnalysisError(f"limit must be zero or more, not {limit}")
    check_columns(segments, by, "by")
    filters = {**filters, "codes": wanted}
    segments, codings, hierarchy = prepare(segments, codings, code_order, filters)

    joined = pd.DataFrame(
        {
            m.CODE: _joined(codings, m.CODE, hierarchy.order),
            m.SOURCE: _joined(codings, m.SOURCE),
            m.CODER: _joined(codings, m.CODER),
        }
    )
    seg = segments[is_among(segments[m.SEGMENT_ID], pd.Series(joined.index))].copy()
    for column in (m.SPEAKER, m.COUNTRY, m.ROLE):
        if column not in seg:
            seg[column] = None
    keys = group_keys(by)
    for key, column in zip(keys, by, strict=True):
        labels = labels_of(seg[column])
        seg[key] = labels.map({g: i for i, g in enumerate(sorted_groups(labels))})
    seg = seg.sort_values([*keys, m.TRANSCRIPT_ID, m.SEGMENT_INDEX], kind="stable")
    if limit is not None:
        seg = seg.groupby(keys, sort=False).head(limit) if by else seg.head(limit)

    columns = [m.SEGMENT_ID, m.TRANSCRIPT_ID, m.SPEAKER, m.COUNTRY, m.ROLE]
    columns += [c for c in by if c not in columns]
    result = seg[columns].join(joined, on=m.SEGMENT_ID)
    result[m.TEXT] = seg[m.TEXT].to_numpy()
    marks = _highlights(codings[is_among(codings[m.SEGMENT_ID], result[m.SEGMENT_ID])], segments)
    result[HIGHLIGHTS] = [marks.get(s, []) for s in result[m.SEGMENT_ID]]
    return result.reset_index(drop=True)
