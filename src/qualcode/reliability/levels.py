"""Agreement on segments and characters: 0/1 codes per unit, the rows of their tables.

Each level takes the coders' codings (see `units`, `char_units`), computes the statistics per
code and pooled over codes (with `stats`, `binary` and `bootstrap`), and returns its tables (see
`tables`): ``(table, disagreements, gold scores or None, counts)``. Passages matched by overlap
(the span unit) are in `span_level`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from qualcode import models as m
from qualcode.reliability import binary, stats
from qualcode.reliability.bootstrap import bootstrap_ci
from qualcode.reliability.char_units import char_units
from qualcode.reliability.tables import (
    CI_COLUMNS,
    COUNTS_2,
    COUNTS_N,
    UNDEFINED,
    LevelContext,
    LevelTables,
    disagreement_frame,
    disagreement_kind,
    finish_table,
    gold_row,
    gold_table,
    reason_text,
    segment_finder,
)
from qualcode.reliability.units import CoderCoding, segment_units

if TYPE_CHECKING:
    import pandas as pd

Cells = tuple[int, int, int, int]
_NAN = float("nan")
_STATS_N = [s for s in stats.STATISTICS if s != "cohen_kappa"]


def _matrix_stats(matrix: np.ndarray) -> tuple[dict[str, float], str | None]:
    """Every statistic of a 0/1/NaN (n_coders, n_units) matrix, with the reasons for NaNs."""
    n = matrix.shape[0]
    functions: dict[str, Callable[[np.ndarray], float]] = {
        "percent_agreement": stats.percent_agreement,
        "cohen_kappa": lambda x: stats.cohen_kappa(x[0], x[1]),
        "fleiss_kappa": stats.fleiss_kappa,
        "krippendorff_alpha": stats.krippendorff_alpha,
        "gwet_ac1": lambda x: stats.gwet_ac1(x, n_categories=2),
        "brennan_prediger": lambda x: stats.brennan_prediger(x, n_categories=2),
    }
    values, reasons = {}, {}
    for statistic, function in functions.items():
        if statistic == "cohen_kappa" and n != 2:
            continue
        values[statistic] = function(matrix)
        if math.isnan(values[statistic]):
            q = 2 if statistic in ("gwet_ac1", "brennan_prediger") else None
            reasons[statistic] = stats.describe_undefined(matrix, statistic, n_categories=q)
    return values, reason_text(reasons)


def _counts_stats(
    cells: Cells | None, hist: np.ndarray | None
) -> tuple[dict[str, float], str | None]:
    """Statistics from a 2 x 2 table (two coders) or an (r, k) histogram (any number)."""
    values: dict[str, float] = {}
    reasons: dict[str, str | None] = {}
    by_hist = binary.binary_stats_from_histogram(hist) if hist is not None else {}
    if cells is not None:
        closed = {
            "percent_agreement": binary.percent_agreement_from_counts,
            "cohen_kappa": binary.kappa_from_counts,
            "krippendorff_alpha": binary.alpha_from_counts,
            "gwet_ac1": binary.ac1_from_counts,
            "brennan_prediger": binary.bp_from_counts,
        }
        for statistic in stats.STATISTICS:
            if statistic == "fleiss_kappa":
                values[statistic], reasons[statistic] = by_hist[statistic]
                continue
            values[statistic] = closed[statistic](*cells)
            if math.isnan(values[statistic]):
                reasons[statistic] = binary.describe_undefined_from_counts(
                    *cells, statistic=statistic
                )
    else:
        for statistic in _STATS_N:
            values[statistic], reasons[statistic] = by_hist[statistic]
    return values, reason_text(reasons)


def _hist_of(cells: Cells) -> np.ndarray:
    both, only_a, only_b, neither = cells
    hist = np.zeros((3, 3))
    hist[2, 2], hist[2, 1], hist[2, 0] = both, only_a + only_b, neither
    return hist


def _block_ci(
    blocks: np.ndarray, two: bool, n: int, context: LevelContext
) -> tuple[float, float, float, float]:
    """Percentile CIs of kappa and alpha resampling blocks (rows of cell counts)."""
    if not context.bootstrap or blocks.shape[0] == 0:
        return (_NAN,) * 4

    def kappa(sub: np.ndarray) -> float:
        cells = [int(round(x)) for x in sub.sum(axis=1)]
        if two:
            return binary.kappa_from_counts(*cells)
        hist = np.reshape(cells, (n + 1, n + 1))
        return binary.binary_stats_from_histogram(hist)["fleiss_kappa"][0]

    def alpha(sub: np.ndarray) -> float:
        cells = [int(round(x)) for x in sub.sum(axis=1)]
        if two:
            return binary.alpha_from_counts(*cells)
        hist = np.reshape(cells, (n + 1, n + 1))
        return binary.binary_stats_from_histogram(hist)["krippendorff_alpha"][0]

    data = blocks.T
    boot, seed, level = context.bootstrap, context.seed, context.level
    return (
        *bootstrap_ci(data, kappa, n_boot=boot, seed=seed, level=level),
        *bootstrap_ci(data, alpha, n_boot=boot, seed=seed, level=level),
    )


def _pooled_counts(rows: list[dict[str, Any]], two: bool) -> dict[str, Any]:
    return {c: sum(r[c] for r in rows) for c in (COUNTS_2 if two else COUNTS_N)}


# --------------------------------------------------------------------------- segments


def segment_level(
    context: LevelContext, coders: list[CoderCoding], segments: pd.DataFrame
) -> LevelTables:
    """Agreement on segments: was the code applied to the segment (0/1) by each coder."""
    data = segment_units(coders, segments, context.codes)
    n, two = len(coders), len(coders) == 2
    stat_columns = list(stats.STATISTICS) if two else _STATS_N
    rows, gold_rows, disagreements = [], [], []
    texts = data.units[m.TEXT].astype(str).to_numpy()
    for code in context.codes:
        matrix = data.matrices[code]
        rows.append(_segment_row(code, matrix, context))
        for i in range(1, n) if context.gold else ():
            tp, fn, fp, _ = binary.binary_counts(matrix[0], matrix[i])
            gold_rows.append(gold_row(coders[i].name, code, tp, fp, fn))
        disagreements += _segment_disagreements(code, matrix, coders, data.units, texts, context)
    stacked = (
        np.hstack([data.matrices[c] for c in context.codes]) if context.codes else np.zeros((n, 0))
    )
    values, reason = _matrix_stats(stacked)
    pooled = {"units": stacked.shape[1], **values, UNDEFINED: reason, **_pooled_counts(rows, two)}
    count_columns = ["units", *(COUNTS_2 if two else COUNTS_N)]
    table = finish_table(rows, pooled, stat_columns, count_columns, context.bootstrap > 0)
    coded_any = np.zeros(len(data.units), dtype=bool)
    for code in context.codes:
        coded_any |= np.nansum(data.matrices[code], axis=0) > 0
    counts = {"units": len(data.units), "agreed_absent": int((~coded_any).sum())}
    scores = gold_table(gold_rows) if context.gold else None
    return table, disagreement_frame(disagreements, context, []), scores, counts


def _segment_row(code: str, matrix: np.ndarray, context: LevelContext) -> dict[str, Any]:
    """One code's row: statistics, counts and (with a bootstrap) CIs over its segments."""
    n, two = matrix.shape[0], matrix.shape[0] == 2
    rated = ~np.isnan(matrix)
    r, k = rated.sum(axis=0), np.nansum(matrix, axis=0).astype(int)
    values, reason = _matrix_stats(matrix)
    row: dict[str, Any] = {m.CODE: code, **values, UNDEFINED: reason}
    if two:
        cells = binary.binary_counts(matrix[0], matrix[1])
        row.update(zip(COUNTS_2, cells, strict=True))
        one_hot = np.zeros((matrix.shape[1], 4))
        one_hot[np.arange(matrix.shape[1]), 3 - (2 * matrix[0] + matrix[1]).astype(int)] = 1
    else:
        row.update(
            any_coded=int((k > 0).sum()),
            all_coded=int(((k == r) & (k > 0)).sum()),
            none_coded=int((k == 0).sum()),
        )
        one_hot = np.zeros((matrix.shape[1], (n + 1) ** 2))
        one_hot[np.arange(matrix.shape[1]), r * (n + 1) + k] = 1
    row["units"] = int(matrix.shape[1])
    row.update(zip(CI_COLUMNS, _block_ci(one_hot, two, n, context), strict=True))
    return row


def _segment_disagreements(
    code: str,
    matrix: np.ndarray,
    coders: Sequence[CoderCoding],
    units: pd.DataFrame,
    texts: np.ndarray,
    context: LevelContext,
) -> list[dict[str, Any]]:
    """The segments some but not all of the coders who rated them coded with `code`."""
    rated = ~np.isnan(matrix)
    r, k = rated.sum(axis=0), np.nansum(matrix, axis=0).astype(int)
    found = []
    for j in np.flatnonzero((k > 0) & (k < r)):
        coded_by = [c.name for c, v in zip(coders, matrix[:, j], strict=True) if v == 1]
        rated_by = [c.name for c, v in zip(coders, rated[:, j], strict=True) if v]
        unit = units.iloc[j]
        found.append(
            {
                m.SEGMENT_ID: unit[m.SEGMENT_ID],
                m.TRANSCRIPT_ID: unit[m.TRANSCRIPT_ID],
                m.CODE: code,
                m.START: unit[m.START],
                m.END: unit[m.END],
                "coded_by": ", ".join(coded_by),
                "not_coded_by": ", ".join(x for x in rated_by if x not in coded_by),
                "kind": disagreement_kind(coded_by, context.gold, rated_by),
                m.TEXT: texts[j],
            }
        )
    return found


# --------------------------------------------------------------------------- characters


def char_level(
    context: LevelContext,
    coders: list[CoderCoding],
    compared: list[str],
    lengths: Mapping[str, int],
    excluded: pd.DataFrame,
) -> LevelTables:
    """Agreement on characters: every character of the compared transcripts coded or not."""
    n, two = len(coders), len(coders) == 2
    pairs = [(0, i) for i in range(1, n)] if (context.gold or two) else []
    data = char_units(coders, compared, lengths, context.segments, excluded, context.codes, pairs)
    stat_columns = list(stats.STATISTICS) if two else _STATS_N
    rows, gold_rows = [], []
    r_idx, k_idx = np.indices((n + 1, n + 1))
    for code in context.codes:
        hist = data.hist[code]
        cells = data.pairs[(0, 1)][code] if two else None
        values, reason = _counts_stats(cells, hist)
        row: dict[str, Any] = {m.CODE: code, "units": int(hist.sum()), **values, UNDEFINED: reason}
        if cells is not None:
            row.update(zip(COUNTS_2, cells, strict=True))
            blocks = data.pair_blocks[(0, 1)][code]
        else:
            row.update(
                any_coded=int(hist[k_idx > 0].sum()),
                all_coded=int(hist[(k_idx == r_idx) & (k_idx > 0)].sum()),
                none_coded=int(hist[:, 0].sum()),
            )
            blocks = data.blocks[code]
        row.update(zip(CI_COLUMNS, _block_ci(blocks, two, n, context), strict=True))
        rows.append(row)
        for i in range(1, n) if context.gold else ():
            tp, fn, fp, _ = data.pairs[(0, i)][code]
            gold_rows.append(gold_row(coders[i].name, code, tp, fp, fn))
    pooled = _char_pooled(rows, [data.hist[c] for c in context.codes], n)
    count_columns = ["units", *(COUNTS_2 if two else COUNTS_N)]
    table = finish_table(rows, pooled, stat_columns, count_columns, context.bootstrap > 0)
    disagreements = _char_disagreements(data.stretches, context)
    counts = {"units": data.characters, "agreed_absent": data.uncoded}
    scores = gold_table(gold_rows) if context.gold else None
    return table, disagreement_frame(disagreements, context, []), scores, counts


def _char_pooled(rows: list[dict[str, Any]], hists: list[np.ndarray], n: int) -> dict[str, Any]:
    """The pooled row: the 2 x 2 table of all codes (two coders), else their histogram."""
    if n == 2:
        total: Cells = (
            sum(r["both"] for r in rows),
            sum(r["only_a"] for r in rows),
            sum(r["only_b"] for r in rows),
            sum(r["neither"] for r in rows),
        )
        values, reason = _counts_stats(total, _hist_of(total))
        pooled: dict[str, Any] = dict(zip(COUNTS_2, total, strict=True))
    else:
        values, reason = _counts_stats(None, sum(hists, np.zeros((n + 1, n + 1))))
        pooled = _pooled_counts(rows, two=False)
    pooled.update(units=sum(r["units"] for r in rows), **values)
    pooled[UNDEFINED] = reason
    return pooled


def _char_disagreements(stretches: pd.DataFrame, context: LevelContext) -> list[dict[str, Any]]:
    """Each stretch of characters the coders disagree on, with its segment and text."""
    found = []
    segment_at = segment_finder(context.segments)
    for run in stretches.to_dict("records"):
        coded_by = run["coded_by"].split(", ") if run["coded_by"] else []
        rated_by = coded_by + (run["not_coded_by"].split(", ") if run["not_coded_by"] else [])
        found.append(
            {
                **run,
                m.SEGMENT_ID: segment_at(run[m.TRANSCRIPT_ID], run[m.START]),
                "kind": disagreement_kind(coded_by, context.gold, rated_by),
                m.TEXT: context.texts[run[m.TRANSCRIPT_ID]][run[m.START] : run[m.END]],
            }
        )
    return found
