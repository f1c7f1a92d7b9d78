"""Code matrices: a rows x leaf-code table of coded segments, presence or words."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

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
from qualcode.errors import AnalysisError

VALUE = "value"
VALUES = ("count", "binary", "words")


def code_matrix(
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    code_order: CodeOrder,
    *,
    rows: str = m.TRANSCRIPT_ID,
    value: Literal["count", "binary", "words"] = "count",
    long: bool = False,
    **filters: Any,
) -> pd.DataFrame:
    """A ``rows`` x code matrix over leaf codes (codebook order, zero columns kept).

    ``rows`` is any segment column (default transcript_id); every value of it among the filtered
    segments is a row, coded or not. ``value``: ``count`` = distinct coded segments, ``binary`` =
    1 when the code occurs at all, ``words`` = words of the distinct coded segments. ``long=True``
    returns the tidy form: columns ``<rows>, code, value``, one line per cell, zeros included.
    Codings made directly on a parent code do not appear (use `code_frequencies` for roll-ups).
    """
    if value not in VALUES:
        raise AnalysisError(f"unknown value {value!r}; use one of {', '.join(VALUES)}")
    check_columns(segments, [rows], "rows")
    segments, codings, hierarchy = prepare(segments, codings, code_order, filters)
    selected = as_list(filters.get("codes"))
    leaves = hierarchy.leaves()
    columns = [c for c in hierarchy.descendants(selected) if c in leaves] if selected else leaves

    seg = segment_groups(segments, [rows])
    key = group_keys([rows])[0]
    hits = coded_segments(codings, hierarchy, rollup=False).merge(seg, on=m.SEGMENT_ID)
    counted, present = matrix_counts(hits, seg, key, value)
    return matrix_table(counted, present, columns, rows, value, long)


def matrix_counts(hits, seg, key: str, value: str) -> tuple:
    """(count per (row value, code), the row values present): pandas, or lazily Dask, frames."""
    counted = count_hits(hits, [key, COUNTED_CODE], "words" if value == "words" else "segments")
    return counted, seg[key].drop_duplicates()


def matrix_table(
    counted: pd.Series, present: Iterable, columns: list[str], rows: str, value: str, long: bool
) -> pd.DataFrame:
    """Lay computed matrix counts out: every row value and code, zeros, binary, long form."""
    index = sorted_groups(present)
    matrix = (
        counted.unstack(COUNTED_CODE)
        .reindex(index=index, columns=columns)
        .fillna(0)
        .astype("int64")
    )
    if value == "binary":
        matrix = (matrix > 0).astype("int64")
    matrix.index.name = rows
    matrix.columns.name = m.CODE
    if long:
        return matrix.stack().rename(VALUE).reset_index()
    return matrix
