"""Character units: every character of the compared transcripts, coded or not by each coder.

Characters are summarised by run lengths over the sorted boundaries of all passages (no
per-character loop): 2 x 2 counts per coder pair, an (r, k) histogram (characters rated by r
coders of whom k coded them), and the same per segment block for the cluster bootstrap.
Pure: DataFrames in, arrays and DataFrames out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from qualcode import models as m
from qualcode.reliability.units import CoderCoding, coded_intervals

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class CharUnits:
    """Character-level data per code, from run lengths.

    ``hist[code][r, k]`` = characters rated by r coders of whom k coded them; ``pairs[(i, j)]
    [code]`` = (both, only i, only j, neither) over characters both coders rated; ``blocks[code]``
    = one row per segment block (a segment and the characters up to the next one) with the
    histogram cells flattened, for the cluster bootstrap; ``stretches`` = maximal runs on which
    the coders disagree; ``characters`` = characters compared (per code); ``uncoded`` =
    characters no coder coded with any code.
    """

    hist: dict[str, np.ndarray]
    pairs: dict[tuple[int, int], dict[str, tuple[int, int, int, int]]]
    blocks: dict[str, np.ndarray]
    stretches: pd.DataFrame
    characters: int = 0
    uncoded: int = 0
    pair_blocks: dict[tuple[int, int], dict[str, np.ndarray]] = field(default_factory=dict)


def _covered(bounds: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For the pieces [bounds[i], bounds[i+1]), whether any interval [start, end) covers it."""
    delta = np.zeros(len(bounds), dtype=np.int64)
    np.add.at(delta, np.searchsorted(bounds, starts), 1)
    np.add.at(delta, np.searchsorted(bounds, ends), -1)
    return np.cumsum(delta)[:-1] > 0


_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class _Tally:
    """What `char_units` adds up over the transcripts, per code (and per coder pair)."""

    n: int
    hist: dict[str, np.ndarray]
    pair_counts: dict[tuple[int, int], dict[str, tuple[int, int, int, int]]]
    block_rows: dict[str, list[np.ndarray]]
    pair_block_rows: dict[tuple[int, int], dict[str, list[np.ndarray]]]
    stretches: list[dict] = field(default_factory=list)
    characters: int = 0
    uncoded: int = 0

    @classmethod
    def start(cls, n: int, codes: Sequence[str], pairs: Sequence[tuple[int, int]]) -> _Tally:
        return cls(
            n,
            hist={code: np.zeros((n + 1, n + 1)) for code in codes},
            pair_counts={p: {code: (0, 0, 0, 0) for code in codes} for p in pairs},
            block_rows={code: [] for code in codes},
            pair_block_rows={p: {code: [] for code in codes} for p in pairs},
        )

    def add(
        self,
        code: str,
        raters: list[int],
        pieces: tuple[np.ndarray, np.ndarray, np.ndarray],
        seg_starts: np.ndarray,
    ) -> None:
        """Count one code's pieces of one transcript: (weight, coded by each rater, start)."""
        weight, coded, piece_start = pieces
        n = self.n
        cell = len(raters) * (n + 1) + coded.sum(axis=0)  # flattened (r, k) histogram cell
        np.add.at(self.hist[code].reshape(-1), cell, weight)
        block = np.maximum(np.searchsorted(seg_starts, piece_start, side="right") - 1, 0)
        n_blocks = max(len(seg_starts), 1)
        rows = np.zeros((n_blocks, (n + 1) ** 2))
        np.add.at(rows, (block, cell), weight)
        self.block_rows[code].append(rows)
        for pair in self.pair_counts:
            if pair[0] not in raters or pair[1] not in raters:
                continue
            a, b = coded[raters.index(pair[0])], coded[raters.index(pair[1])]
            quad = 3 - (2 * a + b)  # both -> 0, only a -> 1, only b -> 2, neither -> 3
            cells = np.bincount(quad, weights=weight, minlength=4).astype(np.int64)
            both, only_a, only_b, neither = self.pair_counts[pair][code]
            self.pair_counts[pair][code] = (
                both + int(cells[0]),
                only_a + int(cells[1]),
                only_b + int(cells[2]),
                neither + int(cells[3]),
            )
            prow = np.zeros((n_blocks, 4))
            np.add.at(prow, (block, quad), weight)
            self.pair_block_rows[pair][code].append(prow)

    def result(self) -> CharUnits:
        import pandas as pd

        width = (self.n + 1) ** 2
        blocks = {
            code: _nonzero_rows(np.vstack(rows) if rows else np.zeros((0, width)))
            for code, rows in self.block_rows.items()
        }
        pair_blocks = {
            p: {
                code: _nonzero_rows(np.vstack(rows) if rows else np.zeros((0, 4)))
                for code, rows in by_code.items()
            }
            for p, by_code in self.pair_block_rows.items()
        }
        frame = pd.DataFrame(
            self.stretches,
            columns=[m.TRANSCRIPT_ID, m.CODE, m.START, m.END, "coded_by", "not_coded_by"],
        )
        return CharUnits(
            self.hist,
            self.pair_counts,
            blocks,
            frame,
            self.characters,
            self.uncoded,
            pair_blocks,
        )


def char_units(
    coders: Sequence[CoderCoding],
    transcripts: Sequence[str],
    lengths: Mapping[str, int],
    segments: pd.DataFrame,
    excluded: pd.DataFrame,
    codes: Sequence[str],
    pairs: Sequence[tuple[int, int]],
) -> CharUnits:
    """Count characters coded by each coder, per code, with interval arithmetic.

    Every character of each compared transcript is a unit (length = len(canonical text)),
    except those inside the segments of `excluded` (interviewer turns). `segments` (all of
    them) give the bootstrap blocks and the segment of each disagreement stretch. `pairs` are
    the coder index pairs whose 2 x 2 counts are wanted.
    """
    tally = _Tally.start(len(coders), codes, pairs)
    intervals = [coded_intervals(c.passages) for c in coders]
    seg_by_t = {t: g.sort_values(m.START) for t, g in segments.groupby(m.TRANSCRIPT_ID)}
    out_by_t = {t: g for t, g in excluded.groupby(m.TRANSCRIPT_ID)}
    for transcript in transcripts:
        length = int(lengths[transcript])
        raters = [i for i, c in enumerate(coders) if transcript in c.coverage]
        seg_starts = seg_by_t.get(transcript, segments.iloc[0:0])[m.START].to_numpy(np.int64)
        gone = out_by_t.get(transcript)
        gone_s = _EMPTY if gone is None else gone[m.START].to_numpy(np.int64)
        gone_e = _EMPTY if gone is None else gone[m.END].to_numpy(np.int64)
        every = [
            intervals[i].get((transcript, code), (_EMPTY, _EMPTY)) for i in raters for code in codes
        ]
        characters, uncoded = _uncoded(length, gone_s, gone_e, every)
        tally.characters += characters
        tally.uncoded += uncoded
        names = [coders[i].name for i in raters]
        for code in codes:
            spans = [intervals[i].get((transcript, code), (_EMPTY, _EMPTY)) for i in raters]
            pieces = _pieces(length, gone_s, gone_e, spans)
            tally.add(code, raters, pieces, seg_starts)
            weight, coded, piece_start = pieces
            runs = _disagreeing_runs(transcript, code, coded, piece_start, weight, names)
            tally.stretches.extend(runs)
    return tally.result()


def _bounds(
    length: int, gone_s: np.ndarray, gone_e: np.ndarray, spans: list[tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    """Every boundary of excluded stretches and passages in [0, length], sorted, distinct."""
    return np.unique(
        np.concatenate(
            [[0, length], gone_s, gone_e, *(s for s, _ in spans), *(e for _, e in spans)]
        ).clip(0, length)
    )


def _uncoded(
    length: int, gone_s: np.ndarray, gone_e: np.ndarray, every: list[tuple[np.ndarray, np.ndarray]]
) -> tuple[int, int]:
    """(characters compared, characters no rater coded with any code) of one transcript."""
    b_all = _bounds(length, gone_s, gone_e, every)
    w_all = np.diff(b_all)
    inside = ~_covered(b_all, gone_s, gone_e)
    any_code = np.zeros(len(w_all), dtype=bool)
    for s, e in every:
        any_code |= _covered(b_all, s, e)
    return int(w_all[inside].sum()), int(w_all[inside & ~any_code].sum())


def _pieces(
    length: int, gone_s: np.ndarray, gone_e: np.ndarray, spans: list[tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The non-empty, non-excluded pieces between boundaries: (weight, coded (r, pieces), start)."""
    bounds = _bounds(length, gone_s, gone_e, spans)
    weight = np.diff(bounds)
    keep = ~_covered(bounds, gone_s, gone_e) & (weight > 0)
    coded = np.array([_covered(bounds, s, e) for s, e in spans]).reshape(len(spans), -1)
    return weight[keep], coded[:, keep], bounds[:-1][keep]


def _nonzero_rows(rows: np.ndarray) -> np.ndarray:
    return rows[rows.sum(axis=1) > 0]


def _disagreeing_runs(
    transcript: str,
    code: str,
    coded: np.ndarray,
    piece_start: np.ndarray,
    weight: np.ndarray,
    names: list[str],
) -> list[dict]:
    """Maximal runs of contiguous pieces with the same non-unanimous pattern of coders."""
    if coded.shape[1] == 0:
        return []
    k = coded.sum(axis=0)
    split = (k > 0) & (k < coded.shape[0])
    piece_end = piece_start + weight
    runs: list[dict] = []
    current: dict | None = None
    for j in np.flatnonzero(split):
        pattern = tuple(coded[:, j])
        if current and current["_pattern"] == pattern and current[m.END] == piece_start[j]:
            current[m.END] = int(piece_end[j])
            continue
        current = {
            m.TRANSCRIPT_ID: transcript,
            m.CODE: code,
            m.START: int(piece_start[j]),
            m.END: int(piece_end[j]),
            "coded_by": ", ".join(n for n, c in zip(names, pattern, strict=True) if c),
            "not_coded_by": ", ".join(n for n, c in zip(names, pattern, strict=True) if not c),
            "_pattern": pattern,
        }
        runs.append(current)
    for run in runs:
        del run["_pattern"]
    return runs
