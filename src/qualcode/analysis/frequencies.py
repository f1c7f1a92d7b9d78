"""Frequency tables, code matrices, co-occurrence and quotes: pure functions of the coded tables.

Every function takes the segment table and the coding table of one `qualcode code` run (see
``qualcode.output.folder.load_output``) and returns DataFrames; nothing here prints or touches files.

Counting rules shared by every function:

* The same (segment, code) may be coded several times (automatically and by one or more manual
  coders). Counts are of *distinct* segments (or transcripts, or words of distinct segments), so
  a duplicate never counts twice; filter on ``coder``/``source`` to count one coder's work.
* Interviewer segments are left out unless ``include_interviewer=True``.
* ``where`` is a pandas expression on the segment table (any metadata column); it restricts the
  denominators and the numerators alike.
* A missing (None, NaN or blank) value of a grouping column is a group of its own, labelled
  ``"(missing)"``; groups are sorted (numbers numerically), ``"(missing)"`` last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from qualcode import models as m
from qualcode.errors import AnalysisError

MISSING = "(missing)"
TOTAL = "Total"
N_SEGMENTS = "n_segments"
N_CASES = "n_cases"
N_WORDS_ROW = "n_words"
DENOMINATOR = "denominator"
VALUE = "value"
HIGHLIGHTS = "highlights"

Source = Literal["all", "auto", "manual"]
CodeOrder = Sequence[tuple[str, "str | None"]]

_CODE = "__code__"  # internal: the code a coding counts for (itself or an ancestor)
_SOURCES = ("all", m.SOURCE_AUTO, m.SOURCE_MANUAL)


class Filtered(NamedTuple):
    """The segments and codings left after `filter_codings`."""

    segments: pd.DataFrame
    codings: pd.DataFrame


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


# --- codebook hierarchy --------------------------------------------------------------------------


@dataclass
class Hierarchy:
    order: list[str]
    parent: dict[str, str | None]

    @classmethod
    def build(cls, code_order: CodeOrder, codings: pd.DataFrame) -> Hierarchy:
        order = [code for code, _ in code_order]
        parent = {code: par if isinstance(par, str) and par else None for code, par in code_order}
        # Codes coded but absent from the codebook order still show, after the codebook ones.
        extra = codings[[m.CODE, m.PARENT]] if m.PARENT in codings else codings[[m.CODE]]
        extra = extra.drop_duplicates(m.CODE)
        extra = extra[~extra[m.CODE].isin(list(parent))]
        for row in extra.sort_values(m.CODE).itertuples(index=False):
            par = getattr(row, m.PARENT, None)
            parent[row[0]] = par if isinstance(par, str) and par else None
            order.append(row[0])
        # Tree order: each code followed by its children, so roll-ups sit above their parts
        # even when the codebook lists all parents first.
        children: dict[str | None, list[str]] = {}
        for code in order:
            children.setdefault(parent[code] if parent[code] in parent else None, []).append(code)
        tree: list[str] = []
        stack = list(reversed(children.get(None, [])))
        while stack:
            code = stack.pop()
            if code not in tree:
                tree.append(code)
                stack.extend(reversed(children.get(code, [])))
        return cls(tree + [c for c in order if c not in tree], parent)

    def lineage(self, code: str) -> list[str]:
        """The code and its ancestors (a coding counts towards each of them)."""
        chain, seen = [code], {code}
        while (par := self.parent.get(chain[-1])) is not None and par not in seen:
            chain.append(par)
            seen.add(par)
        return chain

    def descendants(self, codes: Iterable[str]) -> list[str]:
        """The codes and every code below them, in codebook order."""
        wanted = set(codes)
        return [c for c in self.order if wanted.intersection(self.lineage(c))]

    def leaves(self) -> list[str]:
        parents = {p for p in self.parent.values() if p is not None}
        return [c for c in self.order if c not in parents]

    def check(self, codes: Iterable[str]) -> None:
        unknown = sorted(set(codes) - set(self.order))
        if unknown:
            raise AnalysisError(
                f"unknown code(s) {', '.join(unknown)}; known codes: {', '.join(self.order)}"
            )


# --- filtering -----------------------------------------------------------------------------------


def is_among(values: pd.Series, allowed: pd.Series) -> np.ndarray:
    """values.isin(allowed) as a boolean array -- several times faster on large string columns."""
    codes, _ = pd.factorize(pd.concat([allowed, values], ignore_index=True))
    return np.isin(codes[len(allowed) :], codes[: len(allowed)])


def as_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def apply_where(segments: pd.DataFrame, where: str) -> pd.DataFrame:
    try:
        mask = segments.eval(where, engine="python")
    except Exception as exc:  # any failure of a user's expression is bad input, not a bug
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        columns = ", ".join(c for c in segments.columns if c != m.TEXT)
        raise AnalysisError(
            f"cannot evaluate where expression {where!r}: {reason}; columns: {columns}"
        ) from None
    if not isinstance(mask, pd.Series) or not pd.api.types.is_bool_dtype(mask.dtype):
        raise AnalysisError(
            f"where expression {where!r} is not a condition (e.g. country == 'Italy')"
        )
    return segments[mask.fillna(False).astype(bool)]  # a missing value never matches


def check_source(source: str) -> None:
    if source not in _SOURCES:
        raise AnalysisError(f"unknown source {source!r}; use one of {', '.join(_SOURCES)}")


def check_coders(coders: Sequence[str], known: Iterable[str]) -> None:
    known = sorted(known)
    unknown = sorted(set(coders) - set(known))
    if unknown:
        raise AnalysisError(
            f"unknown coder(s) {', '.join(unknown)}; coders: {', '.join(known) or 'none'}"
        )


def filter_codings(
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    codes: str | Iterable[str] | None = None,
    source: Source = "all",
    coder: str | Iterable[str] | None = None,
    where: str | None = None,
    include_interviewer: bool = False,
    code_order: CodeOrder = (),
) -> Filtered:
    """Apply the shared filters and return the remaining ``(segments, codings)``.

    ``where`` and ``include_interviewer`` select segments (and so the codings on them);
    ``codes`` (a code selects its descendants too), ``source`` and ``coder`` select codings only,
    so denominators do not change with them. Codes are checked against ``code_order`` plus the
    codes in ``codings``. Raises AnalysisError for a bad expression, an unknown code, source or
    coder.
    """
    check_source(source)
    # Codes and coders are checked against the whole run: a filtered-out one is not "unknown".
    wanted_codes, coders, everything = as_list(codes), as_list(coder), codings
    if coders:
        check_coders(coders, codings[m.CODER].dropna().unique().tolist())
        codings = codings[codings[m.CODER].isin(coders)]
    if wanted_codes:
        hierarchy = Hierarchy.build(code_order, everything)
        hierarchy.check(wanted_codes)
        codings = codings[codings[m.CODE].isin(hierarchy.descendants(wanted_codes))]
    if source != "all":
        codings = codings[codings[m.SOURCE] == source]
    if not include_interviewer and m.IS_INTERVIEWER in segments:
        segments = segments[~segments[m.IS_INTERVIEWER].fillna(False).astype(bool)]
    if where:
        segments = apply_where(segments, where)
    codings = codings[is_among(codings[m.SEGMENT_ID], segments[m.SEGMENT_ID])]
    return Filtered(segments, codings)


def prepare(segments, codings, code_order, filters) -> tuple[pd.DataFrame, pd.DataFrame, Hierarchy]:
    hierarchy = Hierarchy.build(code_order, codings)
    segments, codings = filter_codings(segments, codings, code_order=code_order, **filters)
    return segments, codings, hierarchy


# --- grouping ------------------------------------------------------------------------------------


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
    def key(group):
        return tuple(_sort_key(g) for g in group) if isinstance(group, tuple) else _sort_key(group)

    return sorted(set(values), key=key)


def check_columns(segments: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    unknown = [c for c in columns if c not in segments.columns or c == m.TEXT]
    if unknown:
        known = ", ".join(c for c in segments.columns if c != m.TEXT)
        raise AnalysisError(f"unknown {what} column(s) {', '.join(unknown)}; columns: {known}")


def group_keys(by: Sequence[str]) -> list[str]:
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
        pairs = pairs.assign(**{_CODE: pairs[m.CODE].map(lineage)}).explode(_CODE)
    else:
        pairs = pairs.assign(**{_CODE: pairs[m.CODE]})
    return pairs[[m.SEGMENT_ID, _CODE]].drop_duplicates()


def _count(hits: pd.DataFrame, keys: list[str], count: str) -> pd.Series:
    if count == "segments":
        return hits.groupby(keys, sort=False).size()
    if count == "cases":
        return hits.groupby(keys, sort=False)[m.TRANSCRIPT_ID].nunique()
    return hits.groupby(keys, sort=False)[m.N_WORDS].sum()


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
    **filters,
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
        by_group=_count(hits, [_CODE, *keys], count) if keys else None,
        total=_count(hits, [_CODE], count),
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
    keys = group_keys(by)
    groups = sorted_groups(counts.group_segments.index.tolist()) if by else []
    columns = _columns_index(groups, by)

    if by:
        wide = counts.by_group.unstack(keys)
        wide = wide.reindex(index=rows, columns=groups, fill_value=0).fillna(0)
    else:
        wide = pd.DataFrame(index=rows)
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


# --- code matrix ---------------------------------------------------------------------------------

VALUES = ("count", "binary", "words")


def code_matrix(
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    code_order: CodeOrder,
    *,
    rows: str = m.TRANSCRIPT_ID,
    value: Literal["count", "binary", "words"] = "count",
    long: bool = False,
    **filters,
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
    counted = _count(hits, [key, _CODE], "words" if value == "words" else "segments")
    return counted, seg[key].drop_duplicates()


def matrix_table(
    counted: pd.Series, present: Iterable, columns: list[str], rows: str, value: str, long: bool
) -> pd.DataFrame:
    """Lay computed matrix counts out: every row value and code, zeros, binary, long form."""
    index = sorted_groups(present)
    matrix = counted.unstack(_CODE).reindex(index=index, columns=columns).fillna(0).astype("int64")
    if value == "binary":
        matrix = (matrix > 0).astype("int64")
    matrix.index.name = rows
    matrix.columns.name = m.CODE
    if long:
        return matrix.stack().rename(VALUE).reset_index()
    return matrix


# --- co-occurrence -------------------------------------------------------------------------------


def merged_ranges(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Union of the [start, end) ranges of each `keys` group, as disjoint ranges."""
    frame = frame.sort_values([*keys, m.START], ignore_index=True)
    reach = frame.groupby(keys, sort=False)[m.END].cummax()
    previous = reach.groupby([frame[k] for k in keys], sort=False).shift()
    block = (previous.isna() | (frame[m.START] > previous)).cumsum()
    spec = {k: (k, "first") for k in keys}
    spec.update({m.START: (m.START, "min"), m.END: (m.END, "max")})
    return frame.groupby(block).agg(**spec).reset_index(drop=True)
