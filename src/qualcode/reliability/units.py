"""What agreement compares: each coder's coding, and the units built from it.

A coder's coding is a set of *passages* (transcript, code, start, end, and the segment when the
passage came from `qualcode code`) plus the transcripts the coder covered. From those, three
kinds of units are built:

* segment -- one 0/1/NaN rating per (segment, code, coder): an (n_coders, n_segments) matrix;
* char    -- every character of each transcript, summarised by run lengths over the sorted
  boundaries of all passages (no per-character loop): 2 x 2 counts, an (r, k) histogram, and
  the same per segment block for the cluster bootstrap (in `char_units`);
* span    -- each coder's merged passages, matched to the other coder's passages of the same code
  when intersection / length of the longer passage >= a threshold (MAXQDA-style).

Everything here is pure: it takes DataFrames and returns arrays and DataFrames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qualcode import models as m
from qualcode.decisions.coverage import coverage as coverage_of
from qualcode.decisions.reattach import effective_decisions

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.output.folder import CodedOutput

PASSAGE_COLUMNS = [m.TRANSCRIPT_ID, m.SEGMENT_ID, m.CODE, m.START, m.END]
REMOVED_AUTO = "removed_auto"  # column of out/overrides (qualcode.decisions.ledger.REMOVED_AUTO)


@dataclass(frozen=True)
class CoderCoding:
    """One coder's coding: passages (PASSAGE_COLUMNS) and the transcripts the coder covered.

    A transcript outside ``coverage`` is *missing* for the coder (not coded at all), which is
    different from a covered transcript where the coder applied no code (absent everywhere).
    """

    name: str
    passages: pd.DataFrame
    coverage: frozenset[str]
    origin: str  # "automatic coding", "overrides", or the CSV file the coding came from


# --------------------------------------------------------------------------- coders


def coders_from_output(out: CodedOutput) -> dict[str, CoderCoding]:
    """Every coder of an output folder: ``auto`` and each human who made a decision.

    ``auto`` is the raw automatic coding: the auto rows of the codings table plus the automatic
    codings a human later removed (override rows with action remove and removed_auto true); it
    covers every transcript. A human's coding is their own manual codings (rows with their name);
    they cover the transcripts of `decisions.coverage`: those they marked done once any
    transcript is marked, else those in which they made a decision whose segment exists.
    """
    import pandas as pd

    segments, codings, overrides = out.segments, out.codings, out.overrides
    where = segments.set_index(m.SEGMENT_ID)[[m.TRANSCRIPT_ID, m.START, m.END]]
    auto = codings.loc[codings[m.SOURCE] == m.SOURCE_AUTO, PASSAGE_COLUMNS]
    removed = overrides.iloc[0:0]
    if len(overrides) and REMOVED_AUTO in overrides:
        applied = effective_decisions(overrides)  # re-attached decisions: where they apply
        removed = applied[
            (applied[m.ACTION] == m.ACTION_REMOVE) & applied[REMOVED_AUTO].astype(bool)
        ]
    restored = removed[[m.SEGMENT_ID, m.CODE]].join(where, on=m.SEGMENT_ID, how="inner")
    auto = pd.concat([auto, restored[PASSAGE_COLUMNS]], ignore_index=True)
    auto = auto.drop_duplicates([m.SEGMENT_ID, m.CODE]).reset_index(drop=True)
    coders = {
        m.AUTO_CODER: CoderCoding(
            m.AUTO_CODER,
            _typed(auto),
            frozenset(segments[m.TRANSCRIPT_ID].dropna()),
            "automatic coding",
        )
    }
    names = set(codings[m.CODER].dropna()) | set(overrides[m.CODER].dropna())
    covered = coverage_of(overrides, codings)
    present = set(segments[m.TRANSCRIPT_ID].dropna())
    for name in sorted(str(n) for n in names - {m.AUTO_CODER}):
        coverage = frozenset(covered.of(name) & present)
        own = codings.loc[
            (codings[m.CODER] == name) & (codings[m.SOURCE] != m.SOURCE_AUTO), PASSAGE_COLUMNS
        ]
        coders[name] = CoderCoding(name, _typed(own.reset_index(drop=True)), coverage, "overrides")
    return coders


def _typed(passages: pd.DataFrame) -> pd.DataFrame:
    frame = passages[PASSAGE_COLUMNS].copy()
    for column in (m.START, m.END):
        frame[column] = frame[column].astype("int64")
    for column in (m.TRANSCRIPT_ID, m.SEGMENT_ID, m.CODE):
        frame[column] = frame[column].astype("string")
    return frame


def compared_transcripts(coders: Sequence[CoderCoding], transcripts: Sequence[str]) -> list[str]:
    """Transcripts covered by at least two of the coders (the others cannot be compared)."""
    return [t for t in transcripts if sum(t in c.coverage for c in coders) >= 2]


def overlapping_segments(passages: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """(passage index, segment_id) for every segment a passage overlaps by >= 1 character."""
    import pandas as pd

    pairs: list[pd.DataFrame] = []
    by_transcript = {t: g for t, g in segments.groupby(m.TRANSCRIPT_ID, sort=False)}
    for transcript, group in passages.groupby(m.TRANSCRIPT_ID, sort=False):
        segs = by_transcript.get(transcript)
        if segs is None:
            continue
        segs = segs.sort_values(m.START)
        seg_start, seg_end = segs[m.START].to_numpy(), segs[m.END].to_numpy()
        start, end = group[m.START].to_numpy(), group[m.END].to_numpy()
        # Segments are sorted and disjoint: the first one ending after `start` up to the last one
        # starting before `end` are exactly those sharing at least one character.
        first = np.searchsorted(seg_end, start, side="right")
        last = np.searchsorted(seg_start, end, side="left")
        counts = np.maximum(last - first, 0)
        rows = np.repeat(np.arange(len(group)), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        seg_pos = np.repeat(first, counts) + offsets
        pairs.append(
            pd.DataFrame(
                {
                    "passage": group.index.to_numpy()[rows],
                    m.SEGMENT_ID: segs[m.SEGMENT_ID].to_numpy()[seg_pos],
                }
            )
        )
    if not pairs:
        return pd.DataFrame({"passage": [], m.SEGMENT_ID: []})
    return pd.concat(pairs, ignore_index=True)


def coded_segments(coder: CoderCoding, segments: pd.DataFrame) -> pd.DataFrame:
    """The (segment_id, code) pairs a coder applied; a free passage codes every segment it
    overlaps by at least one character."""
    passages = coder.passages
    known = passages[m.SEGMENT_ID].notna()
    direct = passages.loc[known, [m.SEGMENT_ID, m.CODE]]
    free = passages.loc[~known]
    if len(free):
        import pandas as pd

        hits = overlapping_segments(free, segments)
        mapped = (
            free[[m.CODE]]
            .loc[hits["passage"]]
            .assign(**{m.SEGMENT_ID: hits[m.SEGMENT_ID].to_numpy()})
        )
        direct = pd.concat([direct, mapped[[m.SEGMENT_ID, m.CODE]]], ignore_index=True)
    return direct.drop_duplicates().reset_index(drop=True)


# --------------------------------------------------------------------------- segment units


@dataclass
class SegmentUnits:
    """Segments compared (rows of `units`, in order) and one (n_coders, n_units) matrix per code:
    1 = coded, 0 = covered but not coded, NaN = the coder did not code that transcript."""

    units: pd.DataFrame
    matrices: dict[str, np.ndarray]


def segment_units(
    coders: Sequence[CoderCoding], segments: pd.DataFrame, codes: Sequence[str]
) -> SegmentUnits:
    """Build the segment x coder matrices over the segments of transcripts >= 2 coders covered.

    `segments` must already exclude what should not be compared (interviewer turns).
    """
    covered = np.array([segments[m.TRANSCRIPT_ID].isin(c.coverage).to_numpy() for c in coders])
    keep = covered.sum(axis=0) >= 2
    units = segments.loc[keep].reset_index(drop=True)
    covered = covered[:, keep]
    matrices = {code: np.where(covered, 0.0, np.nan) for code in codes}
    for i, coder in enumerate(coders):
        pairs = coded_segments(coder, units)
        for code in codes:
            hit = units[m.SEGMENT_ID].isin(pairs.loc[pairs[m.CODE] == code, m.SEGMENT_ID])
            matrices[code][i, hit.to_numpy() & covered[i]] = 1.0
    return SegmentUnits(units, matrices)


def coded_intervals(
    passages: pd.DataFrame,
) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """(starts, ends) of a coder's passages per (transcript, code)."""
    return {
        (str(t), str(c)): (g[m.START].to_numpy(np.int64), g[m.END].to_numpy(np.int64))
        for (t, c), g in passages.groupby([m.TRANSCRIPT_ID, m.CODE], sort=False)
    }


# --------------------------------------------------------------------------- span units


@dataclass
class SpanUnits:
    """Each coder's merged passages with whether they matched a passage of the other coder.

    ``passages`` has transcript_id, code, coder, start, end, matched (bool) and best_overlap
    (the largest intersection / longer-length ratio with any passage of the other coder).
    """

    passages: pd.DataFrame


def merge_passages(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge overlapping intervals (touching ones stay separate); returns sorted (starts, ends)."""
    if len(starts) == 0:
        return starts, ends
    order = np.lexsort((ends, starts))
    s, e = starts[order], ends[order]
    reach = np.maximum.accumulate(e)
    new = np.ones(len(s), dtype=bool)
    new[1:] = s[1:] >= reach[:-1]
    group = np.cumsum(new) - 1
    merged_s = s[new]
    merged_e = np.zeros(len(merged_s), dtype=e.dtype)
    np.maximum.at(merged_e, group, e)
    return merged_s, merged_e


def overlap_ratio(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Matrix of |A_i n B_j| / max(|A_i|, |B_j|) for two lists of intervals."""
    (sa, ea), (sb, eb) = a, b
    inter = np.minimum(ea[:, None], eb[None, :]) - np.maximum(sa[:, None], sb[None, :])
    longer = np.maximum((ea - sa)[:, None], (eb - sb)[None, :])
    return np.clip(inter, 0, None) / np.maximum(longer, 1)


def span_units(
    coders: Sequence[CoderCoding],
    transcripts: Sequence[str],
    codes: Sequence[str],
    min_overlap: float,
) -> SpanUnits:
    """Match two coders' passages of the same code and transcript (MAXQDA-style).

    Each coder's passages are merged first (overlapping passages of one code become one). A
    passage is matched when some passage of the other coder has intersection / length of the
    longer of the two >= `min_overlap`.
    """
    import pandas as pd

    a, b = coders
    ia, ib = coded_intervals(a.passages), coded_intervals(b.passages)
    empty = np.zeros(0, dtype=np.int64)
    rows: list[dict] = []
    for transcript in transcripts:
        for code in codes:
            pa = merge_passages(*ia.get((transcript, code), (empty, empty)))
            pb = merge_passages(*ib.get((transcript, code), (empty, empty)))
            ratio = overlap_ratio(pa, pb)
            best_a = ratio.max(axis=1) if ratio.shape[1] else np.zeros(len(pa[0]))
            best_b = ratio.max(axis=0) if ratio.shape[0] else np.zeros(len(pb[0]))
            for coder, (starts, ends), best in ((a, pa, best_a), (b, pb, best_b)):
                for s, e, x in zip(starts, ends, best, strict=True):
                    rows.append(
                        {
                            m.TRANSCRIPT_ID: transcript,
                            m.CODE: code,
                            m.CODER: coder.name,
                            m.START: int(s),
                            m.END: int(e),
                            "matched": bool(x >= min_overlap),
                            "best_overlap": float(x),
                        }
                    )
    columns = [m.TRANSCRIPT_ID, m.CODE, m.CODER, m.START, m.END, "matched", "best_overlap"]
    return SpanUnits(pd.DataFrame(rows, columns=columns))
