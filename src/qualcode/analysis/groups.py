"""Grouping and counting coded segments: the steps frequencies, matrices and quotes share.

* The same (segment, code) may be coded several times (automatically and by one or more manual
  coders). Counts are of *distinct* segments (or transcripts, or words of distinct segments), so
  a duplicate never counts twice; filter on ``coder``/``source`` to count one coder's work.
* A missing (None, NaN or blank) value of a grouping column is a group of its own, labelled
  ``"(missing)"``; groups are sorted (numbers numerically), ``"(missing)"`` last.

Only pandas operations that Dask also has are used on the tables, so `qualcode.analysis.on_dask`
runs the same functions partition by partition.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from qualcode import models as m
from qualcode.analysis.filters import Hierarchy

MISSING = "(missing)"

# Column of counted pairs: the code a coding counts for (itself, or an ancestor with roll-up).
COUNTED_CODE = "__code__"


def labels_of(series: pd.Series) -> pd.Series:
    """Group labels as strings; None, NaN and blanks become "(missing)"."""
    labels = series.astype("string").str.strip()
    return labels.mask(labels.isna() | (labels == ""), MISSING).astype(object)


def _sort_key(label: object) -> tuple:
    text = str(label)
    if text == MISSING:
        return (2, 0.0, text)
    try:
        return (0, float(text), text)
    except ValueError:
        return (1, 0.0, text)


def sorted_groups(values: Iterable) -> list:
    """Distinct group labels (or tuples of them), numbers numerically, "(missing)" last."""

    def key(group):
        return tuple(_sort_key(g) for g in group) if isinstance(group, tuple) else _sort_key(group)

    return sorted(set(values), key=key)


def group_keys(by: Sequence[str]) -> list[str]:
    """The columns that hold the labels of the `by` columns in grouped frames."""
    return [f"__g{i}__" for i in range(len(by))]


def segment_groups(segments: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """segment_id, transcript_id, n_words and one label column per `by` column."""
    frame = pd.DataFrame(
        {
            m.SEGMENT_ID: segments[m.SEGMENT_ID].to_numpy(),
            m.TRANSCRIPT_ID: segments[m.TRANSCRIPT_ID].to_numpy(),
            m.N_WORDS: pd.to_numeric(segments[m.N_WORDS], errors="coerce")
            .fillna(0)
            .astype("int64"),
        }
    )
    for key, column in zip(group_keys(by), by, strict=True):
        frame[key] = labels_of(segments[column]).to_numpy()
    return frame


def coded_segments(codings: pd.DataFrame, hierarchy: Hierarchy, rollup: bool) -> pd.DataFrame:
    """Distinct (segment_id, code) pairs; with `rollup` a coding also counts for its ancestors."""
    pairs = codings[[m.SEGMENT_ID, m.CODE]].drop_duplicates()
    if rollup:
        lineage = {code: hierarchy.lineage(code) for code in pairs[m.CODE].unique()}
        pairs = pairs.assign(**{COUNTED_CODE: pairs[m.CODE].map(lineage)}).explode(COUNTED_CODE)
    else:
        pairs = pairs.assign(**{COUNTED_CODE: pairs[m.CODE]})
    return pairs[[m.SEGMENT_ID, COUNTED_CODE]].drop_duplicates()


def count_hits(hits: pd.DataFrame, keys: list[str], count: str) -> pd.Series:
    """Per group of `keys`: coded segments, distinct transcripts (cases) or words."""
    if count == "segments":
        return hits.groupby(keys, sort=False).size()
    if count == "cases":
        return hits.groupby(keys, sort=False)[m.TRANSCRIPT_ID].nunique()
    return hits.groupby(keys, sort=False)[m.N_WORDS].sum()


def merged_ranges(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Union of the [start, end) ranges of each `keys` group, as disjoint ranges."""
    frame = frame.sort_values([*keys, m.START], ignore_index=True)
    reach = frame.groupby(keys, sort=False)[m.END].cummax()
    previous = reach.groupby([frame[k] for k in keys], sort=False).shift()
    block = (previous.isna() | (frame[m.START] > previous)).cumsum()
    spec = {k: (k, "first") for k in keys}
    spec.update({m.START: (m.START, "min"), m.END: (m.END, "max")})
    return frame.groupby(block).agg(**spec).reset_index(drop=True)
