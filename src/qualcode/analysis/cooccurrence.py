"""Code co-occurrence: which codes are applied together, per segment, overlap or transcript.

Pairs are counted sparsely (`PairCounts`: only codes found together), so memory follows the
data, not the square of the number of codes; a dense table is built only for at most
MAX_TABLE_CODES codes, or for the `top` most frequent ones (the report's view).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass
class PairCounts:
    """Code x code intersections kept sparse: only pairs of codes that occur together.

    `a`, `b`, `value`: one entry per ordered pair of different codes (both orders), summed;
    `diagonal`: each code's own total. Memory grows with the pairs found in the data, never
    with the square of the number of codes (10,000 codes would need 800 MB dense).
    """

    codes: list[str]
    a: np.ndarray
    b: np.ndarray
    value: np.ndarray
    diagonal: np.ndarray

    @classmethod
    def from_pairs(
        cls, codes: list[str], a: np.ndarray, b: np.ndarray, weights: np.ndarray, diagonal: Any
    ) -> PairCounts:
        """Sum `weights` of (a, b) code pairs (names) into both orders; same-code pairs dropped."""
        where = pd.Index(codes)
        ia, ib = where.get_indexer(a), where.get_indexer(b)
        keep = (ia != ib) & (ia >= 0) & (ib >= 0)
        ia, ib, w = ia[keep], ib[keep], np.asarray(weights, dtype="float64")[keep]
        size = max(len(codes), 1)
        keys = np.concatenate([ia * size + ib, ib * size + ia]).astype(np.int64)
        unique, inverse = np.unique(keys, return_inverse=True)
        sums = np.bincount(inverse.ravel(), weights=np.concatenate([w, w]), minlength=len(unique))
        diagonal = np.asarray(diagonal, dtype="float64")
        return cls(codes, unique // size, unique % size, sums, diagonal)

    def dense(self, keep: Sequence[int] | None = None) -> np.ndarray:
        """The dense matrix of the codes at indices `keep` (all when None), diagonal included."""
        kept = np.arange(len(self.codes)) if keep is None else np.asarray(keep, dtype=np.int64)
        position = np.full(len(self.codes), -1, dtype=np.int64)
        position[kept] = np.arange(len(kept))
        pa, pb = position[self.a], position[self.b]
        inside = (pa >= 0) & (pb >= 0)
        matrix = np.zeros((len(kept), len(kept)))
        matrix[pa[inside], pb[inside]] = self.value[inside]  # (a, b) pairs are unique
        np.fill_diagonal(matrix, self.diagonal[kept])
        return matrix

    def most_frequent(self, n: int) -> list[int]:
        """Indices of the `n` codes with the largest totals (ties: codebook order), in codebook
        order."""
        order = sorted(range(len(self.codes)), key=lambda i: (-self.diagonal[i], i))
        return sorted(order[:n])

    def top_pairs(self, n: int) -> list[tuple[float, str, str]]:
        """The `n` largest (value, code, other code) of different codes, each pair once, largest
        first, ties in codebook order."""
        once = self.a < self.b
        a, b, value = self.a[once], self.b[once], self.value[once]
        order = np.lexsort((b, a, -value))[:n]
        return [(float(value[i]), self.codes[a[i]], self.codes[b[i]]) for i in order]


def _overlap_counts(passages: pd.DataFrame, codes: list[str]) -> PairCounts:
    starts, ends = passages[m.START].to_numpy(), passages[m.END].to_numpy()
    i, j = _overlapping_pairs(passages[m.TRANSCRIPT_ID].to_numpy(), starts, ends)
    code = passages[m.CODE].to_numpy()
    diagonal = passages[m.CODE].value_counts().reindex(codes, fill_value=0).to_numpy()
    return PairCounts.from_pairs(codes, code[i], code[j], np.ones(len(i)), diagonal)


def _overlap_characters(passages: pd.DataFrame, codes: list[str]) -> PairCounts:
    """Coded characters shared by two codes (diagonal: characters coded with the code)."""
    merged = merged_ranges(passages, [m.TRANSCRIPT_ID, m.CODE])
    merged = merged.sort_values([m.TRANSCRIPT_ID, m.START, m.END, m.CODE], ignore_index=True)
    starts, ends = merged[m.START].to_numpy(), merged[m.END].to_numpy()
    i, j = _overlapping_pairs(merged[m.TRANSCRIPT_ID].to_numpy(), starts, ends)
    shared = np.minimum(ends[i], ends[j]) - starts[j]  # starts[i] <= starts[j]
    code = merged[m.CODE].to_numpy()
    size = (merged[m.END] - merged[m.START]).groupby(merged[m.CODE]).sum()
    size = size.reindex(codes, fill_value=0).to_numpy()
    return PairCounts.from_pairs(codes, code[i], code[j], shared.astype("float64"), size)


def _jaccard(both: np.ndarray) -> np.ndarray:
    """|A and B| / |A or B| from a matrix of intersections with set sizes on the diagonal."""
    diagonal = np.diag(both)
    union = diagonal[:, None] + diagonal[None, :] - both
    return np.where(union > 0, both / np.where(union > 0, union, 1), np.nan)


WITHIN = ("segment", "overlap", "transcript")
MEASURES = ("count", "jaccard")
# The most codes of a dense code x code table (2,000 codes: 32 MB of cells).
MAX_TABLE_CODES = 2_000


def cooccurrence(
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    code_order: CodeOrder,
    *,
    within: Literal["segment", "overlap", "transcript"] = "segment",
    measure: Literal["count", "jaccard"] = "count",
    top: int | None = None,
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
    ``top``: only the `top` codes with the largest diagonal (ties: codebook order); the table's
    ``attrs["leaf_codes"]`` says how many leaf codes there were in all. Without it, more than
    MAX_TABLE_CODES leaf codes raise AnalysisError (the table would have their square of cells).
    """
    if within not in WITHIN:
        raise AnalysisError(f"unknown within {within!r}; use one of {', '.join(WITHIN)}")
    if measure not in MEASURES:
        raise AnalysisError(f"unknown measure {measure!r}; use one of {', '.join(MEASURES)}")
    segments, codings, hierarchy = prepare(segments, codings, code_order, filters)
    selected = as_list(filters.get("codes"))
    leaves = hierarchy.leaves()
    every = [c for c in hierarchy.descendants(selected) if c in leaves] if selected else leaves
    codes = every if top is None else most_frequent_codes(codings, every, within, top)
    codings = codings[codings[m.CODE].isin(codes)]
    table = cooccurrence_table(unit_counts(codings, codes, within, measure), codes, measure)
    table.attrs["leaf_codes"] = len(every)
    return table


def most_frequent_codes(codings: pd.DataFrame, codes: list[str], within: str, n: int) -> list[str]:
    """The `n` codes of `codes` coded in the most units (segments; transcripts for
    ``transcript``; passages for ``overlap``), ties in the order of `codes`, in that order."""
    if n < 1:
        raise AnalysisError(f"top must be 1 or more, not {n}")
    if within == "overlap":
        totals = _passages(codings)[m.CODE].value_counts()
    else:
        unit = m.SEGMENT_ID if within == "segment" else m.TRANSCRIPT_ID
        totals = codings[[unit, m.CODE]].drop_duplicates()[m.CODE].value_counts()
    counts = totals.reindex(codes, fill_value=0).to_numpy()
    ranked = sorted(range(len(codes)), key=lambda i: (-counts[i], i))[:n]
    return [codes[i] for i in sorted(ranked)]


def pair_counts(codings: pd.DataFrame, codes: list[str], within: str, measure: str) -> PairCounts:
    """The code x code intersections (diagonal: each code's total) of the units in `codings`,
    sparse: memory grows with the pairs of codes found together, not with len(codes) ** 2."""
    if within == "overlap":
        passages = _passages(codings)
        if passages.empty:
            empty = np.empty(0, dtype=np.int64)
            return PairCounts(codes, empty, empty, np.empty(0), np.zeros(len(codes)))
        measured = _overlap_characters if measure == "jaccard" else _overlap_counts
        return measured(passages, codes)
    unit = m.SEGMENT_ID if within == "segment" else m.TRANSCRIPT_ID
    present = codings[[unit, m.CODE]].drop_duplicates()
    present = present[present[m.CODE].isin(codes)]
    pairs = present.merge(present, on=unit, suffixes=("", "_other"))  # both orders, A = B too
    where = pd.Index(codes)
    first, other = pairs[m.CODE].to_numpy(), pairs[f"{m.CODE}_other"].to_numpy()
    once = where.get_indexer(first) < where.get_indexer(other)
    diagonal = present[m.CODE].value_counts().reindex(codes, fill_value=0).to_numpy()
    return PairCounts.from_pairs(codes, first[once], other[once], np.ones(once.sum()), diagonal)


def unit_counts(codings: pd.DataFrame, codes: list[str], within: str, measure: str) -> np.ndarray:
    """The code x code intersections (diagonal: each code's total) of the units in `codings`,
    as a dense matrix; AnalysisError for more than MAX_TABLE_CODES codes.

    Every unit (segment, or transcript for ``transcript`` and ``overlap``) must be wholly in
    `codings`; then the matrices of disjoint sets of units add up to the matrix of their union,
    which is how the Dask engine computes it partition by partition.
    """
    check_table_size(codes)
    return pair_counts(codings, codes, within, measure).dense()


def check_table_size(codes: list[str]) -> None:
    """AnalysisError when a code x code table of `codes` would be too large to build."""
    if len(codes) > MAX_TABLE_CODES:
        raise AnalysisError(
            f"a co-occurrence table of {len(codes):,} codes would have {len(codes) ** 2:,} "
            f"cells; choose at most {MAX_TABLE_CODES:,} codes (--code, a parent brings its "
            "children)"
        )


def cooccurrence_table(both: np.ndarray, codes: list[str], measure: str) -> pd.DataFrame:
    """The co-occurrence table of an intersection matrix: counts, or Jaccard."""
    values = _jaccard(both) if measure == "jaccard" else both.astype("int64")
    result = pd.DataFrame(values, index=codes, columns=codes)
    result.index.name = m.CODE
    result.columns.name = m.CODE
    return result
