"""Code co-occurrence: which codes are applied together, per segment, overlap or transcript."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from qualcode import models as m
from qualcode.analysis.filters import CodeOrder, as_list, prepare
from qualcode.analysis.groups import merged_ranges
from qualcode.errors import AnalysisError


def _overlapping_pairs(transcripts: np.ndarray, starts: np.ndarray, ends: np.ndarray):
    """Index pairs (i, j), i != j, of ranges [start, end) that overlap in the same transcript.

    Inputs must be sorted by (transcript, start); each unordered pair appears once with i < j.
    """
    n = len(starts)
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    span = int(max(ends.max(), starts.max())) + 1
    rank = pd.factorize(transcripts)[0]  # increasing, as the input is sorted by transcript
    keys = rank.astype(np.int64) * span + starts
    # every j > i starting before i ends overlaps i (ranges are sorted by start, none empty)
    stop = np.searchsorted(keys, rank.astype(np.int64) * span + ends, side="left")
    first = np.arange(n) + 1
    lengths = np.maximum(stop - first, 0)
    i = np.repeat(np.arange(n), lengths)
    offsets = np.repeat(first - np.cumsum(lengths) + lengths, lengths)
    j = offsets + np.arange(lengths.sum())
    return i, j


def _passages(codings: pd.DataFrame) -> pd.DataFrame:
    passages = codings[[m.TRANSCRIPT_ID, m.CODE, m.START, m.END]].dropna().drop_duplicates()
    passages = passages.astype({m.START: "int64", m.END: "int64"})
    passages = passages[passages[m.END] > passages[m.START]]
    return passages.sort_values([m.TRANSCRIPT_ID, m.START, m.END, m.CODE], ignore_index=True)


def _pair_matrix(
    codes: list[str], a: np.ndarray, b: np.ndarray, weights: np.ndarray, diagonal: np.ndarray
) -> np.ndarray:
    """Sum `weights` of code pairs into a symmetric matrix (same-code pairs dropped)."""
    where = pd.Index(codes)
    a, b = where.get_indexer(a), where.get_indexer(b)
    keep = a != b
    matrix = np.zeros((len(codes), len(codes)))
    np.add.at(matrix, (a[keep], b[keep]), weights[keep])
    np.add.at(matrix, (b[keep], a[keep]), weights[keep])
    np.fill_diagonal(matrix, diagonal)
    return matrix


def _overlap_counts(passages: pd.DataFrame, codes: list[str]) -> np.ndarray:
    starts, ends = passages[m.START].to_numpy(), passages[m.END].to_numpy()
    i, j = _overlapping_pairs(passages[m.TRANSCRIPT_ID].to_numpy(), starts, ends)
    code = passages[m.CODE].to_numpy()
    diagonal = passages[m.CODE].value_counts().reindex(codes, fill_value=0).to_numpy()
    return _pair_matrix(codes, code[i], code[j], np.ones(len(i)), diagonal)


def _overlap_characters(passages: pd.DataFrame, codes: list[str]) -> np.ndarray:
    """Coded characters shared by two codes (diagonal: characters coded with the code)."""
    merged = merged_ranges(passages, [m.TRANSCRIPT_ID, m.CODE])
    merged = merged.sort_values([m.TRANSCRIPT_ID, m.START, m.END, m.CODE], ignore_index=True)
    starts, ends = merged[m.START].to_numpy(), merged[m.END].to_numpy()
    i, j = _overlapping_pairs(merged[m.TRANSCRIPT_ID].to_numpy(), starts, ends)
    shared = np.minimum(ends[i], ends[j]) - starts[j]  # starts[i] <= starts[j]
    code = merged[m.CODE].to_numpy()
    size = (merged[m.END] - merged[m.START]).groupby(merged[m.CODE]).sum()
    size = size.reindex(codes, fill_value=0).to_numpy()
    return _pair_matrix(codes, code[i], code[j], shared.astype("float64"), size)


def _jaccard(both: np.ndarray) -> np.ndarray:
    """|A and B| / |A or B| from a matrix of intersections with set sizes on the diagonal."""
    diagonal = np.diag(both)
    union = diagonal[:, None] + diagonal[None, :] - both
    return np.where(union > 0, both / np.where(union > 0, union, 1), np.nan)


WITHIN = ("segment", "overlap", "transcript")
MEASURES = ("count", "jaccard")


def cooccurrence(
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    code_order: CodeOrder,
    *,
    within: Literal["segment", "overlap", "transcript"] = "segment",
    measure: Literal["count", "jaccard"] = "count",
    **filters: Any,
) -> pd.DataFrame:
    """A symmetric leaf-code x leaf-code co-occurrence table (codebook order).

    ``within="segment"`` / ``"transcript"``: cell (A, B) = distinct segments / transcripts coded
    with both A and B; the diagonal is the number coded with A.
    ``within="overlap"``: a *passage* is a distinct (transcript, code, start, end) of the codings
    (duplicates across coders collapse); cell (A, B) = number of distinct pairs (passage of A,
    passage of B) whose half-open [start, end) ranges overlap; the diagonal = passages of A.
    ``measure="jaccard"``: |A and B| / |A or B| over the same units (segments, transcripts); for
    ``overlap`` over coded *characters* (the union of each code's passages), which is the one
    exact Jaccard there. Its diagonal is 1.0, and every cell of a code that never occurs is NaN.
    """
    if within not in WITHIN:
        raise AnalysisError(f"unknown within {within!r}; use one of {', '.join(WITHIN)}")
    if measure not in MEASURES:
        raise AnalysisError(f"unknown measure {measure!r}; use one of {', '.join(MEASURES)}")
    segments, codings, hierarchy = prepare(segments, codings, code_order, filters)
    selected = as_list(filters.get("codes"))
    leaves = hierarchy.leaves()
    codes = [c for c in hierarchy.descendants(selected) if c in leaves] if selected else leaves
    codings = codings[codings[m.CODE].isin(codes)]

    return cooccurrence_table(unit_counts(codings, codes, within, measure), codes, measure)


def unit_counts(codings: pd.DataFrame, codes: list[str], within: str, measure: str) -> np.ndarray:
    """The code x code intersections (diagonal: each code's total) of the units in `codings`.

    Every unit (segment, or transcript for ``transcript`` and ``overlap``) must be wholly in
    `codings`; then the matrices of disjoint sets of units add up to the matrix of their union,
    which is how the Dask engine computes it partition by partition.
    """
    if within == "overlap":
        passages = _passages(codings)
        if passages.empty:
            return np.zeros((len(codes), len(codes)))
        measured = _overlap_characters if measure == "jaccard" else _overlap_counts
        return measured(passages, codes)
    unit = m.SEGMENT_ID if within == "segment" else m.TRANSCRIPT_ID
    present = codings[[unit, m.CODE]].drop_duplicates()
    pairs = present.merge(present, on=unit, suffixes=("", "_other"))  # both orders, A = B too
    where = pd.Index(codes)
    both = np.zeros((len(codes), len(codes)))
    cells = (where.get_indexer(pairs[m.CODE]), where.get_indexer(pairs[f"{m.CODE}_other"]))
    np.add.at(both, cells, 1.0)
    return both


def cooccurrence_table(both: np.ndarray, codes: list[str], measure: str) -> pd.DataFrame:
    """The co-occurrence table of an intersection matrix: counts, or Jaccard."""
    values = _jaccard(both) if measure == "jaccard" else both.astype("int64")
    result = pd.DataFrame(values, index=codes, columns=codes)
    result.index.name = m.CODE
    result.columns.name = m.CODE
    return result
