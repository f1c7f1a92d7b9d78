"""Agreement tables per unit of comparison: statistics rows, gold scores, disagreements.

Split from `qualcode.reliability.agreement` (which selects coders and codes and assembles the result); the
statistics themselves live in `stats`, the units in `units`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from qualcode import models as m
from qualcode.reliability import stats
from qualcode.reliability.units import CoderCoding, char_units, segment_units, span_units

if TYPE_CHECKING:
    import pandas as pd

MACRO_ROW, POOLED_ROW = "(macro average)", "(pooled)"
COUNTS_2 = ["both", "only_a", "only_b", "neither"]
COUNTS_N = ["any_coded", "all_coded", "none_coded"]
SPAN_COUNTS = ["passages_a", "matched_a", "passages_b", "matched_b"]
CI_COLUMNS = ["kappa_low", "kappa_high", "alpha_low", "alpha_high"]
UNDEFINED = "undefined"
FALSE_POSITIVE, FALSE_NEGATIVE, DISAGREEMENT = "false positive", "false negative", "disagreement"
_NAN = float("nan")
_STATS_N = [s for s in stats.STATISTICS if s != "cohen_kappa"]


@dataclass(frozen=True)
class LevelContext:
    coders: list[str]
    gold: str | None
    codes: list[str]
    bootstrap: int
    seed: int
    level: float
    texts: dict[str, str]
    segments: pd.DataFrame


def _reason_text(reasons: dict[str, str | None]) -> str | None:
    """Group statistics by their reason: "cohen_kappa, fleiss_kappa: only one category ..."."""
    grouped: dict[str, list[str]] = {}
    for statistic, reason in reasons.items():
        if reason:
            grouped.setdefault(reason, []).append(statistic)
    return "; ".join(f"{', '.join(s)}: {r}" for r, s in grouped.items()) or None


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
    return values, _reason_text(reasons)


def _counts_stats(
    cells: Sequence[int], hist: np.ndarray | None
) -> tuple[dict[str, float], str | None]:
    """Statistics from a 2 x 2 table (two coders) or an (r, k) histogram (any number)."""
    values, reasons = {}, {}
    by_hist = stats.binary_stats_from_histogram(hist) if hist is not None else {}
    if cells is not None:
        closed = {
            "percent_agreement": stats.percent_agreement_from_counts,
            "cohen_kappa": stats.kappa_from_counts,
            "krippendorff_alpha": stats.alpha_from_counts,
            "gwet_ac1": stats.ac1_from_counts,
            "brennan_prediger": stats.bp_from_counts,
        }
        for statistic in stats.STATISTICS:
            if statistic == "fleiss_kappa":
                values[statistic], reasons[statistic] = by_hist[statistic]
                continue
            values[statistic] = closed[statistic](*cells)
            if math.isnan(values[statistic]):
                reasons[statistic] = stats.describe_undefined_from_counts(*cells, statistic)
    else:
        for statistic in _STATS_N:
            values[statistic], reasons[statistic] = by_hist[statistic]
    return values, _reason_text(reasons)


def _hist_of(cells: Sequence[int]) -> np.ndarray:
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
            return stats.kappa_from_counts(*cells)
        return stats.binary_stats_from_histogram(np.reshape(cells, (n + 1, n + 1)))["fleiss_kappa"][
            0
        ]

    def alpha(sub: np.ndarray) -> float:
        cells = [int(round(x)) for x in sub.sum(axis=1)]
        if two:
            return stats.alpha_from_counts(*cells)
        return stats.binary_stats_from_histogram(np.reshape(cells, (n + 1, n + 1)))[
            "krippendorff_alpha"
        ][0]

    data = blocks.T
    options = {"n_boot": context.bootstrap, "seed": context.seed, "level": context.level}
    return (
        *stats.bootstrap_ci(data, kappa, **options),
        *stats.bootstrap_ci(data, alpha, **options),
    )


def _gold_row(coder: str, code: str, tp: int, fp: int, fn: int) -> dict[str, Any]:
    """Precision, recall and F1 with the conventions of `stats.precision_recall_f1`."""

    def ratio(num: float, den: float) -> float:
        return num / den if den else _NAN

    scores = (ratio(tp, tp + fp), ratio(tp, tp + fn), ratio(2 * tp, 2 * tp + fp + fn))
    return {
        m.CODER: coder,
        m.CODE: code,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        **dict(zip(("precision", "recall", "f1"), scores, strict=True)),
    }


def _finish_table(
    rows: list[dict], pooled: dict, stat_columns: list[str], count_columns: list[str], ci: bool
) -> pd.DataFrame:
    """Per-code rows + macro average + pooled row, with nullable integer counts."""
    import pandas as pd

    macro: dict[str, Any] = {m.CODE: MACRO_ROW}
    undefined_for: dict[str, list[str]] = {}
    for statistic in stat_columns:
        values = [r[statistic] for r in rows]
        defined = [v for v in values if not math.isnan(v)]
        macro[statistic] = float(np.mean(defined)) if defined else _NAN
        missing = [r[m.CODE] for r in rows if math.isnan(r[statistic])]
        if missing:
            undefined_for.setdefault(", ".join(missing), []).append(statistic)
    every = ", ".join(r[m.CODE] for r in rows)
    macro[UNDEFINED] = (
        "; ".join(
            f"{', '.join(s)}: "
            + (
                "undefined for every code"
                if c == every
                else f"mean over the other codes (undefined for {c})"
            )
            for c, s in undefined_for.items()
        )
        or None
    )
    columns = [m.CODE, *count_columns, *stat_columns, *(CI_COLUMNS if ci else []), UNDEFINED]
    frame = pd.DataFrame([*rows, macro, {m.CODE: POOLED_ROW, **pooled}], columns=columns)
    for column in count_columns:
        frame[column] = frame[column].astype("Int64")
    frame[m.CODE] = frame[m.CODE].astype("string")
    # object dtype with None (not an all-<NA> string column): every writer handles None.
    frame[UNDEFINED] = frame[UNDEFINED].astype(object).where(frame[UNDEFINED].notna(), None)
    return frame


def _gold_table(rows: list[dict]) -> pd.DataFrame:
    """Per coder: one row per code, then the pooled (micro) and macro rows."""
    import pandas as pd

    out = []
    for coder in dict.fromkeys(r[m.CODER] for r in rows):
        mine = [r for r in rows if r[m.CODER] == coder]
        out.extend(mine)
        tp, fp, fn = (sum(r[c] for r in mine) for c in ("tp", "fp", "fn"))
        means = {
            c: float(np.nanmean([r[c] for r in mine]))
            if any(not math.isnan(r[c]) for r in mine)
            else _NAN
            for c in ("precision", "recall", "f1")
        }
        out.append({m.CODER: coder, m.CODE: MACRO_ROW, **means})
        out.append(_gold_row(coder, POOLED_ROW, tp, fp, fn))
    columns = [m.CODER, m.CODE, "tp", "fp", "fn", "precision", "recall", "f1"]
    frame = pd.DataFrame(out, columns=columns)
    for column in ("tp", "fp", "fn"):
        frame[column] = frame[column].astype("Int64")
    return frame.astype({m.CODER: "string", m.CODE: "string"})


def _kind(coded_by: list[str], gold: str | None, rated_by: list[str]) -> str:
    if gold is None or gold not in rated_by:
        return DISAGREEMENT
    return FALSE_NEGATIVE if gold in coded_by else FALSE_POSITIVE


def _disagreement_frame(rows: list[dict], context: LevelContext, extra: list[str]) -> pd.DataFrame:
    import pandas as pd

    columns = [
        m.SEGMENT_ID,
        m.TRANSCRIPT_ID,
        m.CODE,
        m.START,
        m.END,
        "coded_by",
        "not_coded_by",
        *(["kind"] if context.gold else []),
        *extra,
        m.TEXT,
    ]
    frame = pd.DataFrame(rows, columns=columns)
    rank = {c: i for i, c in enumerate(context.codes)}
    frame = frame.assign(_rank=frame[m.CODE].map(rank)).sort_values(
        [m.TRANSCRIPT_ID, m.START, "_rank", "coded_by"], kind="stable"
    )
    frame = frame.drop(columns="_rank").reset_index(drop=True)
    for column in (m.START, m.END):
        frame[column] = frame[column].astype("int64")
    return frame


def _segment_finder(segments: pd.DataFrame) -> Callable[[str, int], str | None]:
    """A function (transcript, offset) -> id of the segment containing the offset, or None."""
    index = {
        t: (g[m.START].to_numpy(), g[m.END].to_numpy(), g[m.SEGMENT_ID].astype(str).to_numpy())
        for t, g in segments.sort_values(m.START).groupby(m.TRANSCRIPT_ID)
    }

    def find(transcript: str, position: int) -> str | None:
        if transcript not in index:
            return None
        starts, ends, ids = index[transcript]
        i = int(np.searchsorted(starts, position, side="right")) - 1
        return str(ids[i]) if i >= 0 and ends[i] > position else None

    return find


# --------------------------------------------------------------------------- units


def segment_level(context: LevelContext, coders: list[CoderCoding], segments: pd.DataFrame):
    data = segment_units(coders, segments, context.codes)
    n, two = len(coders), len(coders) == 2
    stat_columns = list(stats.STATISTICS) if two else _STATS_N
    rows, gold_rows, disagreements = [], [], []
    texts = data.units[m.TEXT].astype(str).to_numpy()
    for code in context.codes:
        matrix = data.matrices[code]
        rated = ~np.isnan(matrix)
        r, k = rated.sum(axis=0), np.nansum(matrix, axis=0).astype(int)
        values, reason = _matrix_stats(matrix)
        row: dict[str, Any] = {m.CODE: code, **values, UNDEFINED: reason}
        if two:
            cells = stats.binary_counts(matrix[0], matrix[1])
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
        rows.append(row)
        for i in range(1, n) if context.gold else ():
            tp, fn, fp, _ = stats.binary_counts(matrix[0], matrix[i])
            gold_rows.append(_gold_row(coders[i].name, code, tp, fp, fn))
        for j in np.flatnonzero((k > 0) & (k < r)):
            coded_by = [c.name for c, v in zip(coders, matrix[:, j], strict=True) if v == 1]
            rated_by = [c.name for c, v in zip(coders, rated[:, j], strict=True) if v]
            unit = data.units.iloc[j]
            disagreements.append(
                {
                    m.SEGMENT_ID: unit[m.SEGMENT_ID],
                    m.TRANSCRIPT_ID: unit[m.TRANSCRIPT_ID],
                    m.CODE: code,
                    m.START: unit[m.START],
                    m.END: unit[m.END],
                    "coded_by": ", ".join(coded_by),
                    "not_coded_by": ", ".join(x for x in rated_by if x not in coded_by),
                    "kind": _kind(coded_by, context.gold, rated_by),
                    m.TEXT: texts[j],
                }
            )
    stacked = (
        np.hstack([data.matrices[c] for c in context.codes]) if context.codes else np.zeros((n, 0))
    )
    values, reason = _matrix_stats(stacked)
    pooled: dict[str, Any] = {"units": stacked.shape[1], **values, UNDEFINED: reason}
    for column in COUNTS_2 if two else COUNTS_N:
        pooled[column] = sum(r[column] for r in rows)
    count_columns = ["units", *(COUNTS_2 if two else COUNTS_N)]
    table = _finish_table(rows, pooled, stat_columns, count_columns, context.bootstrap > 0)
    coded_any = np.zeros(len(data.units), dtype=bool)
    for code in context.codes:
        coded_any |= np.nansum(data.matrices[code], axis=0) > 0
    counts = {"units": len(data.units), "agreed_absent": int((~coded_any).sum())}
    scores = _gold_table(gold_rows) if context.gold else None
    return table, _disagreement_frame(disagreements, context, []), scores, counts


def char_level(context, coders, compared, lengths, excluded):
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
        if two:
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
            gold_rows.append(_gold_row(coders[i].name, code, tp, fp, fn))
    if two:
        total = tuple(sum(r[c] for r in rows) for c in COUNTS_2)
        values, reason = _counts_stats(total, _hist_of(total))
        pooled: dict[str, Any] = dict(zip(COUNTS_2, total, strict=True))
    else:
        hist = sum((data.hist[c] for c in context.codes), np.zeros((n + 1, n + 1)))
        values, reason = _counts_stats(None, hist)
        pooled = {c: sum(r[c] for r in rows) for c in COUNTS_N}
    pooled.update(units=sum(r["units"] for r in rows), **values)
    pooled[UNDEFINED] = reason
    count_columns = ["units", *(COUNTS_2 if two else COUNTS_N)]
    table = _finish_table(rows, pooled, stat_columns, count_columns, context.bootstrap > 0)
    disagreements = []
    segment_at = _segment_finder(context.segments)
    for run in data.stretches.to_dict("records"):
        coded_by = run["coded_by"].split(", ") if run["coded_by"] else []
        rated_by = coded_by + (run["not_coded_by"].split(", ") if run["not_coded_by"] else [])
        disagreements.append(
            {
                **run,
                m.SEGMENT_ID: segment_at(run[m.TRANSCRIPT_ID], run[m.START]),
                "kind": _kind(coded_by, context.gold, rated_by),
                m.TEXT: context.texts[run[m.TRANSCRIPT_ID]][run[m.START] : run[m.END]],
            }
        )
    counts = {"units": data.characters, "agreed_absent": data.uncoded}
    scores = _gold_table(gold_rows) if context.gold else None
    return table, _disagreement_frame(disagreements, context, []), scores, counts


def span_level(context, coders, compared, min_overlap):
    data = span_units(coders, compared, context.codes, min_overlap).passages
    a, b = (c.name for c in coders)
    rows = []
    for code in context.codes:
        mine = data[data[m.CODE] == code]
        pa, pb = (mine[mine[m.CODER] == x] for x in (a, b))
        cells = (len(pa), int(pa["matched"].sum()), len(pb), int(pb["matched"].sum()))
        total = cells[0] + cells[2]
        agree = (cells[1] + cells[3]) / total if total else _NAN
        reasons = {
            "percent_agreement": None if total else "neither coder coded a passage",
            "brennan_prediger": "per code there is no 'neither' cell at span level: "
            "chance agreement is only defined across codes (pooled)",
        }
        rows.append(
            {
                m.CODE: code,
                **dict(zip(SPAN_COUNTS, cells, strict=True)),
                "percent_agreement": agree,
                "brennan_prediger": _NAN,
                UNDEFINED: _reason_text(reasons),
            }
        )
    totals = [sum(r[c] for r in rows) for c in SPAN_COUNTS]
    passages, matched = totals[0] + totals[2], totals[1] + totals[3]
    q = len(context.codes)
    p_o = matched / passages if passages else _NAN
    pooled: dict[str, Any] = dict(zip(SPAN_COUNTS, totals, strict=True))
    reasons: dict[str, str | None] = {}
    if not passages:
        reasons["percent_agreement"] = "neither coder coded a passage"
    if q < 2:
        reasons["brennan_prediger"] = "needs at least two codes (chance agreement is 1 / codes)"
    pooled.update(
        percent_agreement=p_o,
        brennan_prediger=_NAN if q < 2 or not passages else (p_o - 1 / q) / (1 - 1 / q),
        **{UNDEFINED: _reason_text(reasons)},
    )
    table = _finish_table(
        rows, pooled, ["percent_agreement", "brennan_prediger"], SPAN_COUNTS, False
    )
    scores = None
    if context.gold:
        gold_rows = []
        for row in rows:
            precision = row["matched_b"] / row["passages_b"] if row["passages_b"] else _NAN
            recall = row["matched_a"] / row["passages_a"] if row["passages_a"] else _NAN
            gold_rows.append(
                {
                    m.CODER: b,
                    m.CODE: row[m.CODE],
                    "tp": row["matched_b"],
                    "fp": row["passages_b"] - row["matched_b"],
                    "fn": row["passages_a"] - row["matched_a"],
                    "precision": precision,
                    "recall": recall,
                    "f1": _harmonic(precision, recall),
                }
            )
        scores = _gold_table(gold_rows)
        pooled_row = scores.index[scores[m.CODE] == POOLED_ROW][0]
        p = totals[3] / totals[2] if totals[2] else _NAN
        r = totals[1] / totals[0] if totals[0] else _NAN
        scores.loc[pooled_row, ["precision", "recall", "f1"]] = [p, r, _harmonic(p, r)]
    disagreements = []
    segment_at = _segment_finder(context.segments)
    for row in data[~data["matched"]].to_dict("records"):
        other = b if row[m.CODER] == a else a
        disagreements.append(
            {
                m.SEGMENT_ID: segment_at(row[m.TRANSCRIPT_ID], row[m.START]),
                m.TRANSCRIPT_ID: row[m.TRANSCRIPT_ID],
                m.CODE: row[m.CODE],
                m.START: row[m.START],
                m.END: row[m.END],
                "coded_by": row[m.CODER],
                "not_coded_by": other,
                "kind": _kind([row[m.CODER]], context.gold, [a, b]),
                "best_overlap": row["best_overlap"],
                m.TEXT: context.texts[row[m.TRANSCRIPT_ID]][row[m.START] : row[m.END]],
            }
        )
    counts = {"units": len(data), "agreed_absent": None}
    return table, _disagreement_frame(disagreements, context, ["best_overlap"]), scores, counts


def _harmonic(p: float, r: float) -> float:
    if math.isnan(p) or math.isnan(r):
        return _NAN
    return 2 * p * r / (p + r) if p + r else 0.0
