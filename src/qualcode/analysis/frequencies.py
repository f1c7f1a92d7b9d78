"""Code frequencies: each code counted per group, with parent roll-ups and denominators.

A pure function of the coded tables (see ``qualcode.output.folder.load_output``): nothing here
prints or touches files. The filters are those of `qualcode.analysis.filters`, the counting rules
those of `qualcode.analysis.groups`; matrices, co-occurrence and quotes have their own modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import pandas as pd

from qualcode import models as m
from qualcode.analysis.filters import CodeOrder, as_list, check_columns, prepare
from qualcode.analysis.groups import (
    COUNTED_CODE,
    coded_segments,
    count_hits,
    group_keys,
    segment_groups,
    sorted_groups,
)
from qualcode.analysis.groups import MISSING as MISSING  # re-export: report/ imports it from here
from qualcode.analysis.quotes import HIGHLIGHTS as HIGHLIGHTS  # re-export: report/ imports it here
from qualcode.errors import AnalysisError

TOTAL = "Total"
N_SEGMENTS = "n_segments"
N_CASES = "n_cases"
N_WORDS_ROW = "n_words"
DENOMINATOR = "denominator"


@dataclass
class FrequencyTable:
    """What `code_frequencies` returns.

    ``table``: one row per code (codebook order, parents before their children), one column per
    group plus ``Total``. ``denominators``: rows ``n_segments``, ``n_cases`` (transcripts) and
    ``n_words`` with the same columns, so a group of 3 interviews is not mistaken for one of 30.
    Percentages in ``table`` divide by the denominator row matching ``count``.
    """

    table: pd.DataFrame
    denominators: pd.DataFrame
    count: str = "segments"
    percent: bool = False

    def tables(self) -> dict[str, pd.DataFrame]:
        """Both tables by name, ready for `qualcode.exchange.tabular.write_tables`."""
        return {"frequencies": self.table, "denominators": self.denominators}


def _columns_index(groups: list, by: Sequence[str]) -> pd.Index:
    if len(by) > 1:
        total = (TOTAL,) + ("",) * (len(by) - 1)
        return pd.MultiIndex.from_tuples([*groups, total], names=list(by))
    return pd.Index([*groups, TOTAL], dtype=object, name=by[0] if by else None)


COUNTS = ("segments", "cases", "words")


def code_frequencies(
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    code_order: CodeOrder,
    *,
    by: str | Sequence[str] = (),
    count: Literal["segments", "cases", "words"] = "segments",
    percent: bool = False,
    **filters: Any,
) -> FrequencyTable:
    """Count each code per group of the ``by`` columns, with parent roll-up rows.

    Rows: every code in codebook order (codes never coded included, as zeros); a parent row counts
    each segment once however many of its children (or itself) coded it. Columns: every group of
    ``by`` present in the filtered segments (MultiIndex for several columns), then ``Total``.
    ``count``: ``segments`` = distinct coded segments, ``cases`` = distinct transcripts with at
    least one coded segment in the group, ``words`` = words of the distinct coded segments.
    ``percent`` divides by the matching denominator (segments, cases or words of the group).
    Filters: see `filter_codings`; ``codes`` limits the rows to those codes and their children.
    Raises AnalysisError for an unknown column, code or count.
    """
    by = as_list(by)
    if count not in COUNTS:
        raise AnalysisError(f"unknown count {count!r}; use one of {', '.join(COUNTS)}")
    check_columns(segments, by, "by")
    segments, codings, hierarchy = prepare(segments, codings, code_order, filters)
    selected = as_list(filters.get("codes"))
    rows = hierarchy.descendants(selected) if selected else hierarchy.order
    keys = group_keys(by)

    seg = segment_groups(segments, by)
    hits = coded_segments(codings, hierarchy, rollup=True).merge(seg, on=m.SEGMENT_ID)
    return frequency_table(frequency_counts(hits, seg, keys, count), rows, by, count, percent)


class FrequencyCounts(NamedTuple):
    """What a frequency table is made of; small, whatever the size of the corpus."""

    by_group: pd.Series | None  # count per (code, *group keys); None without `by`
    total: pd.Series  # count per code
    group_segments: pd.Series | None  # denominators per group (index: the group keys)
    group_cases: pd.Series | None
    group_words: pd.Series | None
    segments: int  # denominators of all filtered segments
    cases: int
    words: int


def frequency_counts(hits, seg, keys: list[str], count: str) -> FrequencyCounts:
    """Count `hits` (coded segments with their groups) and `seg` (the filtered segments).

    Only group-by operations, so the same code runs on pandas frames and, lazily, on Dask ones
    (`dask.compute(*result)` then gives the pandas values).
    """
    grouped = seg.groupby(keys, sort=False) if keys else None
    return FrequencyCounts(
        by_group=count_hits(hits, [COUNTED_CODE, *keys], count) if keys else None,
        total=count_hits(hits, [COUNTED_CODE], count),
        group_segments=grouped.size() if grouped is not None else None,
        group_cases=grouped[m.TRANSCRIPT_ID].nunique() if grouped is not None else None,
        group_words=grouped[m.N_WORDS].sum() if grouped is not None else None,
        segments=seg[m.SEGMENT_ID].size,
        cases=seg[m.TRANSCRIPT_ID].nunique(),
        words=seg[m.N_WORDS].sum(),
    )


def frequency_table(
    counts: FrequencyCounts, rows: list[str], by: list[str], count: str, percent: bool
) -> FrequencyTable:
    """Lay computed counts out as a FrequencyTable: zero rows and groups, order, percentages."""
    groups: list = []
    wide = pd.DataFrame(index=rows)
    if counts.by_group is not None and counts.group_segments is not None:  # i.e. `by` given
        groups = sorted_groups(counts.group_segments.index.tolist())
        wide = counts.by_group.unstack(group_keys(by))
        wide = wide.reindex(index=rows, columns=groups, fill_value=0).fillna(0)
    columns = _columns_index(groups, by)
    total = counts.total.reindex(rows, fill_value=0)
    table = pd.concat([wide, total.rename(TOTAL)], axis=1).fillna(0).astype("int64")
    table.columns = columns
    table.index.name = m.CODE

    names = [N_SEGMENTS, N_CASES, N_WORDS_ROW]
    if by:
        parts = (counts.group_segments, counts.group_cases, counts.group_words)
        per_group = pd.DataFrame(dict(zip(names, parts, strict=True))).reindex(groups)
    else:
        per_group = pd.DataFrame(columns=names)
    overall = pd.Series(
        {N_SEGMENTS: counts.segments, N_CASES: counts.cases, N_WORDS_ROW: counts.words}
    )
    denominators = pd.concat([per_group.T, overall.rename(TOTAL)], axis=1).fillna(0).astype("int64")
    denominators.columns = columns
    denominators.index.name = DENOMINATOR

    if percent:
        base = denominators.loc[
            {"segments": N_SEGMENTS, "cases": N_CASES, "words": N_WORDS_ROW}[count]
        ]
        table = table.astype("float64").div(base.where(base > 0).astype("float64"), axis=1) * 100.0
    return FrequencyTable(table, denominators, count, percent)
