"""`freq`, `matrix` and `cooccur` on a Dask cluster, straight from an output folder.

The same three analyses as `qualcode.analysis`, but each function takes the output folder of
`qualcode code` (a partitioned dataset or single Parquet files: both are read) instead of
DataFrames. Dask workers read only the columns the analysis needs -- ids, codes, word counts,
the grouping and ``where`` columns; never the segment text unless ``where`` names it -- filter
them, de-duplicate (segment, code) pairs, roll codes up to their parents and count with
dask.dataframe; only the aggregated counts come back. They are laid out by the very pandas code
the local engine uses, so the result equals ``qualcode.analysis``'s on the same folder: same
index, columns, dtypes and values.

Two steps differ in how, not in what, they compute:

* ``where`` is evaluated partition by partition. Its language (``qualcode.analysis.where``)
  only compares each row's own values, so every partition keeps exactly the rows the whole
  table would; it is checked first on a sample of rows read here, so a bad expression fails
  before any worker runs it, with the local engine's message.
* co-occurrence shuffles the codings so that each segment (or transcript, for ``transcript``
  and ``overlap``) sits in one partition, then computes each partition's code x code matrix with
  the local engine's pandas code and adds the matrices up (the sweep over overlapping passages
  is not a dask.dataframe operation).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from qualcode import models as m
from qualcode.analysis.cooccurrence import MEASURES, WITHIN, cooccurrence_table, unit_counts
from qualcode.analysis.dask_layers import layered_codings
from qualcode.analysis.filters import (
    Hierarchy,
    Source,
    as_list,
    check_coders,
    check_columns,
    check_source,
)
from qualcode.analysis.frequencies import (
    COUNTS,
    FrequencyCounts,
    FrequencyTable,
    frequency_counts,
    frequency_table,
)
from qualcode.analysis.groups import coded_segments, group_keys, segment_groups
from qualcode.analysis.matrix import VALUES, matrix_counts, matrix_table
from qualcode.analysis.where import apply_where, parse_where
from qualcode.coding.cluster import DEFAULT_WORKERS, dask_client
from qualcode.errors import AnalysisError, OutputError
from qualcode.output.folder import (
    manifest_code_order,
    read_manifest,
    table_columns,
    table_parts,
    unreadable_part,
)

if TYPE_CHECKING:
    import dask.dataframe as dd

# Rows of the first segment file on which `where` is checked before the workers run it.
WHERE_SAMPLE_ROWS = 64
# Keep the dtypes pandas gives when it reads the files (load_output), not Dask's own string
# dtype: comparisons with missing values differ between the two, and `where` must not.
_PANDAS_DTYPES = {"dataframe.convert-string": False}
_SKIPPED = (m.TEXT, m.MATCHED_TEXT)


@dataclass
class _Folder:
    """An output folder: its part files and columns, checked readable on this machine."""

    path: Path
    code_order: list[tuple[str, str | None]]
    segment_parts: list[Path]
    coding_parts: list[Path]
    segment_columns: list[str]  # all of them (the text too)
    coding_columns: list[str]

    @classmethod
    def open(cls, folder: str | Path) -> _Folder:
        path = Path(folder).resolve()  # workers elsewhere need absolute paths
        manifest = read_manifest(path)
        parts = {}
        for name in (m.SEGMENTS_FILE, m.CODINGS_FILE):
            parts[name] = table_parts(path, name)
            bad = unreadable_part(parts[name])
            if bad is not None:
                raise OutputError(f"cannot read {name}.parquet (not a Parquet file)", file=bad)
        return cls(
            path,
            manifest_code_order(manifest),
            parts[m.SEGMENTS_FILE],
            parts[m.CODINGS_FILE],
            table_columns(path, m.SEGMENTS_FILE),
            table_columns(path, m.CODINGS_FILE),
        )

    def segment_frame(self) -> pd.DataFrame:
        """No rows, the columns `load_output` gives counting commands (for column checks)."""
        return pd.DataFrame(columns=[c for c in self.segment_columns if c not in _SKIPPED])

    def read(self, name: str, columns: Iterable[str]) -> dd.DataFrame:
        import dask.dataframe as dd

        parts = self.segment_parts if name == m.SEGMENTS_FILE else self.coding_parts
        present = self.segment_columns if name == m.SEGMENTS_FILE else self.coding_columns
        wanted = list(dict.fromkeys(c for c in columns if c in present))
        return dd.read_parquet([str(p) for p in parts], columns=wanted, index=False)

    def sample(self, columns: Sequence[str], rows: int) -> pd.DataFrame:
        """The first `rows` segments (first row group of the first file), read on this machine."""
        import pyarrow.parquet as pq

        with pq.ParquetFile(self.segment_parts[0]) as handle:
            if handle.num_row_groups == 0:
                table = handle.schema_arrow.empty_table().select(list(columns))
            else:
                table = handle.read_row_group(0, columns=list(columns)).slice(0, rows)
        return table.to_pandas()


@contextlib.contextmanager
def _computing(folder: _Folder, scheduler: str | None, workers: int) -> Iterator[None]:
    """A Dask client for the block; a file that turns out unreadable becomes an OutputError."""
    import dask
    import pyarrow as pa

    with dask_client(workers, scheduler), dask.config.set(_PANDAS_DTYPES):
        try:
            yield
        except (OSError, pa.ArrowException) as exc:
            raise OutputError(
                f"cannot read the tables of this output folder ({type(exc).__name__})",
                file=folder.path,
            ) from None


def _first_codes(codings: pd.DataFrame, number: int) -> pd.DataFrame:
    """Each code's first (code, parent) row in one partition, tagged with the partition."""
    return codings.drop_duplicates(m.CODE).assign(__partition__=number)


def _run_facts(codings: dd.DataFrame, want_coders: bool) -> tuple[pd.DataFrame, list[str]]:
    """(code, parent) of each code's first coding, as `Hierarchy.build` reads them from the
    whole table; and the coders of the run (when a coder filter needs checking)."""
    import dask

    columns = [m.CODE, m.PARENT] if m.PARENT in codings.columns else [m.CODE]
    firsts = [
        dask.delayed(_first_codes)(part, number)
        for number, part in enumerate(codings[columns].to_delayed())
    ]
    (firsts,) = dask.compute(firsts)
    pairs = pd.concat(firsts, ignore_index=True).sort_values("__partition__", kind="stable")
    known = codings[m.CODER].dropna().unique().compute().tolist() if want_coders else []
    return pairs.drop_duplicates(m.CODE)[columns], known


def _check_where(folder: _Folder, where: str | None) -> None:
    """Check a where expression here, before any worker runs it: the language, the columns
    (those the local engine loads: the text only when named) and, on a sample of rows read on
    this machine, the kinds of values compared. Raises AnalysisError as the local engine."""
    if not where:
        return
    known = [*folder.segment_frame().columns]
    if m.TEXT in parse_where(where).columns and m.TEXT in folder.segment_columns:
        known.append(m.TEXT)
    named = parse_where(where, known).columns
    columns = [c for c in folder.segment_columns if c not in _SKIPPED or c in named]
    apply_where(folder.sample(columns, WHERE_SAMPLE_ROWS), where)


def _filtered(
    folder: _Folder,
    segment_columns: Sequence[str],
    coding_columns: Sequence[str],
    *,
    codes: str | Iterable[str] | None = None,
    source: Source = "all",
    coder: str | Iterable[str] | None = None,
    where: str | None = None,
    include_interviewer: bool = False,
    transcripts: Iterable[str] | None = None,
    layer: str | None = None,
    reviewers: Sequence[str] = (),
) -> tuple[dd.DataFrame, dd.DataFrame, Hierarchy]:
    """`analysis.filter_codings` on Dask frames: (segments, codings, hierarchy), lazily.

    The codings are filtered on codes, coders and source but not yet restricted to the kept
    segments (joining them with the segments does that). ``layer`` (auto, final or a coder's
    name; None: the table as written) and ``reviewers``: see `qualcode.decisions.layers`.
    """
    check_source(source)
    wanted_codes, coders = as_list(codes), as_list(coder)
    interviewer = not include_interviewer and m.IS_INTERVIEWER in folder.segment_columns
    where_columns = list(parse_where(where).columns) if where else []

    kept_ids = None if transcripts is None else list(transcripts)
    extra = (
        [m.TRANSCRIPT_ID] if kept_ids is not None and m.TRANSCRIPT_ID not in segment_columns else []
    )
    segments = folder.read(
        m.SEGMENTS_FILE,
        [*segment_columns, *([m.IS_INTERVIEWER] if interviewer else []), *where_columns, *extra],
    )
    if kept_ids is not None:
        segments = segments[segments[m.TRANSCRIPT_ID].isin(kept_ids)]
    if interviewer:
        segments = segments[~segments[m.IS_INTERVIEWER].fillna(False).astype(bool)]
    if where:
        segments = segments.map_partitions(apply_where, where, meta=segments._meta)

    codings = folder.read(
        m.CODINGS_FILE,
        [*coding_columns, m.SEGMENT_ID, m.CODE, m.PARENT, m.CODER, m.SOURCE],
    )
    firsts, known = _run_facts(codings, bool(coders))
    hierarchy = Hierarchy.build(folder.code_order, firsts)
    if layer is not None:
        read = functools.partial(folder.read, m.SEGMENTS_FILE)
        codings = layered_codings(
            codings, folder.path, read, folder.segment_columns, layer, reviewers
        )
    if coders:
        check_coders(coders, known)
        codings = codings[codings[m.CODER].isin(coders)]
    if wanted_codes:
        hierarchy.check(wanted_codes)
        codings = codings[codings[m.CODE].isin(hierarchy.descendants(wanted_codes))]
    if source != "all":
        codings = codings[codings[m.SOURCE] == source]
    return segments, codings, hierarchy


def _hits(segments: dd.DataFrame, codings: dd.DataFrame, hierarchy, by: list[str], rollup: bool):
    """(coded segments with their groups, segments with their groups): `segment_groups` and
    `coded_segments` of the local engine, partition by partition, then de-duplicated."""
    groups = segments.map_partitions(segment_groups, by, meta=segment_groups(segments._meta, by))
    pairs = codings[[m.SEGMENT_ID, m.CODE]]
    pairs = pairs.map_partitions(
        coded_segments, hierarchy, rollup, meta=coded_segments(pairs._meta, hierarchy, rollup)
    ).drop_duplicates()  # a segment coded in several partitions counts once
    # `segment_groups` hands ids over as plain objects; the same strings, joined as one dtype
    ids = groups.astype({m.SEGMENT_ID: pairs[m.SEGMENT_ID].dtype})
    return pairs.merge(ids, on=m.SEGMENT_ID), groups


def code_frequencies(
    folder: str | Path,
    *,
    by: str | Sequence[str] = (),
    count: Literal["segments", "cases", "words"] = "segments",
    percent: bool = False,
    scheduler: str | None = None,
    workers: int = DEFAULT_WORKERS,
    **filters: Any,
) -> FrequencyTable:
    """`qualcode.analysis.frequencies.code_frequencies` of an output folder, computed on a Dask cluster.

    Same options, filters and result; `scheduler` is a Dask scheduler address, else a local
    cluster of `workers` processes is started for the call. Raises AnalysisError as the local
    function does (and for a ``where`` that is not row by row), OutputError for an unreadable
    folder, QualcodeError when dask[distributed] is missing.
    """
    import dask

    by = as_list(by)
    if count not in COUNTS:
        raise AnalysisError(f"unknown count {count!r}; use one of {', '.join(COUNTS)}")
    source = _Folder.open(folder)
    check_columns(source.segment_frame(), by, "by")
    keys = group_keys(by)
    _check_where(source, filters.get("where"))
    with _computing(source, scheduler, workers):
        segments, codings, hierarchy = _filtered(
            source, [m.SEGMENT_ID, m.TRANSCRIPT_ID, m.N_WORDS, *by], [], **filters
        )
        hits, groups = _hits(segments, codings, hierarchy, by, rollup=True)
        counts = FrequencyCounts(*dask.compute(*frequency_counts(hits, groups, keys, count)))
    selected = as_list(filters.get("codes"))
    rows = hierarchy.descendants(selected) if selected else hierarchy.order
    return frequency_table(counts, rows, by, count, percent)


def code_matrix(
    folder: str | Path,
    *,
    rows: str = m.TRANSCRIPT_ID,
    value: Literal["count", "binary", "words"] = "count",
    long: bool = False,
    scheduler: str | None = None,
    workers: int = DEFAULT_WORKERS,
    **filters: Any,
) -> pd.DataFrame:
    """`qualcode.analysis.matrix.code_matrix` of an output folder, computed on a Dask cluster.

    Same options, filters and result; `scheduler` and `workers` as in `code_frequencies`.
    """
    import dask

    if value not in VALUES:
        raise AnalysisError(f"unknown value {value!r}; use one of {', '.join(VALUES)}")
    source = _Folder.open(folder)
    check_columns(source.segment_frame(), [rows], "rows")
    key = group_keys([rows])[0]
    _check_where(source, filters.get("where"))
    with _computing(source, scheduler, workers):
        segments, codings, hierarchy = _filtered(
            source, [m.SEGMENT_ID, m.TRANSCRIPT_ID, m.N_WORDS, rows], [], **filters
        )
        hits, groups = _hits(segments, codings, hierarchy, [rows], rollup=False)
        counted, present = dask.compute(*matrix_counts(hits, groups, key, value))
    selected = as_list(filters.get("codes"))
    leaves = hierarchy.leaves()
    columns = [c for c in hierarchy.descendants(selected) if c in leaves] if selected else leaves
    return matrix_table(counted, present, columns, rows, value, long)


def _add(matrices: list, size: int):
    import numpy as np

    total = np.zeros((size, size))
    for matrix in matrices:
        total += matrix
    return total


def cooccurrence(
    folder: str | Path,
    *,
    within: Literal["segment", "overlap", "transcript"] = "segment",
    measure: Literal["count", "jaccard"] = "count",
    scheduler: str | None = None,
    workers: int = DEFAULT_WORKERS,
    **filters: Any,
) -> pd.DataFrame:
    """`qualcode.analysis.cooccurrence.cooccurrence` of an output folder, computed on a Dask cluster.

    Same options, filters and result; `scheduler` and `workers` as in `code_frequencies`. Each
    segment (or transcript) is gathered in one partition and measured there with the local
    engine's code; the partitions' matrices are then added up.
    """
    import dask

    if within not in WITHIN:
        raise AnalysisError(f"unknown within {within!r}; use one of {', '.join(WITHIN)}")
    if measure not in MEASURES:
        raise AnalysisError(f"unknown measure {measure!r}; use one of {', '.join(MEASURES)}")
    source = _Folder.open(folder)
    unit = m.SEGMENT_ID if within == "segment" else m.TRANSCRIPT_ID
    needed = [unit, m.CODE, *([m.START, m.END] if within == "overlap" else [])]
    _check_where(source, filters.get("where"))
    with _computing(source, scheduler, workers):
        segments, codings, hierarchy = _filtered(source, [m.SEGMENT_ID], needed, **filters)
        selected = as_list(filters.get("codes"))
        leaves = hierarchy.leaves()
        codes = [c for c in hierarchy.descendants(selected) if c in leaves] if selected else leaves
        codings = codings[codings[m.CODE].isin(codes)]
        kept = segments[[m.SEGMENT_ID]].drop_duplicates()
        codings = codings.merge(kept, on=m.SEGMENT_ID)[list(dict.fromkeys(needed))]
        partitions = codings.shuffle(on=unit).to_delayed()
        matrices = [dask.delayed(unit_counts)(p, codes, within, measure) for p in partitions]
        (both,) = dask.compute(dask.delayed(_add)(matrices, len(codes)))
    return cooccurrence_table(both, codes, measure)
