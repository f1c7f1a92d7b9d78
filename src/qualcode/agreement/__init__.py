"""Inter-coder agreement: how far coders agree when they code the same transcripts.

``agreement()`` reads the output folder of `qualcode code` (and optionally codings made in other
software, ``codings_csv``), reconstructs each coder's coding (see `units.coders_from_output`),
builds units of comparison -- segments, characters or spans -- and returns per-code and pooled
statistics from `stats`, the disagreements, and the transcripts left out. See docs/agreement.md.
"""

from __future__ import annotations

import math
import sys
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qualcode import models as m
from qualcode.agreement import stats
from qualcode.agreement.units import (
    CoderCoding,
    char_units,
    coders_from_output,
    compared_transcripts,
    segment_units,
    span_units,
)
from qualcode.errors import AgreementError

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.output import CodedOutput

UNIT_CHOICES = ("segment", "char", "span")
ALL_CODERS = "all"
MACRO_ROW, POOLED_ROW = "(macro average)", "(pooled)"
COUNTS_2 = ["both", "only_a", "only_b", "neither"]
COUNTS_N = ["any_coded", "all_coded", "none_coded"]
SPAN_COUNTS = ["passages_a", "matched_a", "passages_b", "matched_b"]
CI_COLUMNS = ["kappa_low", "kappa_high", "alpha_low", "alpha_high"]
UNDEFINED = "undefined"
FALSE_POSITIVE, FALSE_NEGATIVE, DISAGREEMENT = "false positive", "false negative", "disagreement"
_NAN = float("nan")
_STATS_N = [s for s in stats.STATISTICS if s != "cohen_kappa"]


@dataclass
class AgreementResult:
    """What `agreement` returns. Every table is a plain DataFrame.

    * ``table``: one row per code (codebook order), then the macro average over codes and the
      statistics pooled over every code x unit decision. ``undefined`` says why a statistic is NaN.
    * ``disagreements``: where the coders differ (segment, stretch of characters or unmatched
      passage) with the text; with a gold coder, ``kind`` is false positive / false negative.
    * ``exclusions``: transcripts not coded by every compared coder (``compared`` is False when
      fewer than two coded them, so they are left out).
    * ``gold_scores``: precision, recall and F1 of each coder against ``gold`` (None without gold).
    * ``summary``: unit, coders, counts of units, transcripts and agreed-absent units, options.
    """

    unit: str
    coders: list[str]
    gold: str | None
    table: pd.DataFrame
    disagreements: pd.DataFrame
    exclusions: pd.DataFrame
    gold_scores: pd.DataFrame | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    def tables(self, disagreements: bool = False) -> dict[str, pd.DataFrame]:
        """The tables to export, by name: agreement, [gold], exclusions, [disagreements], summary."""
        import pandas as pd

        out = {"agreement": self.table}
        if self.gold_scores is not None:
            out["gold"] = self.gold_scores
        out["exclusions"] = self.exclusions
        if disagreements:
            out["disagreements"] = self.disagreements
        out["summary"] = pd.DataFrame(
            [
                {"key": k, "value": ", ".join(map(str, v)) if isinstance(v, list) else v}
                for k, v in self.summary.items()
            ],
            columns=["key", "value"],
        ).astype({"value": "string"})
        return out


# --------------------------------------------------------------------------- public function


def agreement(
    source: str | Path | CodedOutput,
    coders: Sequence[str] | str | None = None,
    *,
    gold: str | None = None,
    unit: str = "segment",
    codes: Sequence[str] | None = None,
    codings_csv: Sequence[str | Path] | str | Path | None = None,
    include_interviewer: bool = False,
    min_overlap: float = 0.9,
    bootstrap: int = 0,
    seed: int = 0,
    level: float = 0.95,
) -> AgreementResult:
    """Agreement between coders of the same transcripts, per code and pooled.

    `source` is an output folder of `qualcode code` (or its loaded `CodedOutput`). `coders`
    names the coders ("coder_a,coder_b" or a list); "all" means every human coder and may be
    combined with "auto"; default "all", or "auto" when `gold` is given. `gold` is compared with
    every other coder and also yields precision/recall/F1. `unit` is "segment", "char" or "span"
    (`min_overlap` is the span matching threshold). `codings_csv` adds coders from CSV files
    (transcript_id, coder, code, start, end). `bootstrap` > 0 adds percentile CIs for kappa and
    alpha per code from that many resamples with `seed` (segment and char units).

    Raises AgreementError for fewer than two coders, an unknown coder or code, malformed
    external codings (each with file:line) or invalid options; OutputError for a bad folder.
    """
    from qualcode.output import CodedOutput, load_output

    if unit not in UNIT_CHOICES:
        raise AgreementError(f"unit must be one of {', '.join(UNIT_CHOICES)}, not '{unit}'")
    if not 0 < min_overlap <= 1:
        raise AgreementError(f"min_overlap must be in (0, 1], got {min_overlap}")
    if bootstrap < 0:
        raise AgreementError(f"bootstrap must be 0 (off) or a number of resamples, got {bootstrap}")
    out = source if isinstance(source, CodedOutput) else load_output(source)
    texts_df = out.transcripts([m.TRANSCRIPT_ID, m.TEXT])
    texts = {
        str(t): str(x) for t, x in zip(texts_df[m.TRANSCRIPT_ID], texts_df[m.TEXT], strict=True)
    }
    order, leaves = _codebook_codes(out)
    available = coders_from_output(out)
    if codings_csv is not None:
        available.update(_external_coders(codings_csv, texts, order, available))
    names = _select_coders(coders, gold, available)
    if unit == "span" and len(names) != 2:
        raise AgreementError(
            f"--unit span compares exactly two coders (got {len(names)}: {', '.join(names)}); "
            "use segment or char units for more"
        )
    chosen = [available[n] for n in names]
    code_list = _select_codes(codes, order, leaves, chosen)
    segments = out.segments.sort_values([m.TRANSCRIPT_ID, m.SEGMENT_INDEX], kind="stable")
    interviewer = segments[m.IS_INTERVIEWER].astype(bool)
    units_segments = segments if include_interviewer else segments.loc[~interviewer]
    all_ids = sorted(set(texts) | set(segments[m.TRANSCRIPT_ID].dropna()))
    compared = compared_transcripts(chosen, all_ids)
    context = _Context(names, gold, code_list, bootstrap, seed, level, texts, segments)
    if unit == "segment":
        table, disagreements, scores, counts = _segment_level(context, chosen, units_segments)
    elif unit == "char":
        excluded = segments.iloc[0:0] if include_interviewer else segments.loc[interviewer]
        lengths = {t: len(texts.get(t, "")) for t in compared}
        table, disagreements, scores, counts = _char_level(
            context, chosen, compared, lengths, excluded
        )
    else:
        kept = _drop_interviewer_passages(chosen, segments, interviewer, include_interviewer)
        table, disagreements, scores, counts = _span_level(context, kept, compared, min_overlap)
    summary = {
        "unit": unit,
        "segmentation": out.manifest.get("options", {}).get("unit", "turn"),
        "coders": names,
        "gold": gold,
        "codes": code_list,
        "transcripts_compared": len(compared),
        "transcripts_excluded": [t for t in all_ids if t not in compared],
        **counts,
        "include_interviewer": include_interviewer,
        "bootstrap": bootstrap,
        "seed": seed,
        "level": level,
    }
    if unit == "span":
        summary["min_overlap"] = min_overlap
    return AgreementResult(
        unit=unit,
        coders=names,
        gold=gold,
        table=table,
        disagreements=disagreements,
        exclusions=_exclusions(chosen, all_ids),
        gold_scores=scores,
        summary=summary,
    )


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _Context:
    coders: list[str]
    gold: str | None
    codes: list[str]
    bootstrap: int
    seed: int
    level: float
    texts: dict[str, str]
    segments: pd.DataFrame


def _codebook_codes(out: CodedOutput) -> tuple[list[str], set[str]]:
    """All codes in codebook order, and the leaves (codes nobody names as parent)."""
    pairs = out.code_order
    if not pairs:
        names = sorted(str(c) for c in out.codings[m.CODE].dropna().unique())
        return names, set(names)
    parents = {p for _, p in pairs if p}
    return [c for c, _ in pairs], {c for c, _ in pairs if c not in parents}


def _external_coders(
    paths: Sequence[str | Path] | str | Path,
    texts: dict[str, str],
    codes: list[str],
    available: dict[str, CoderCoding],
) -> dict[str, CoderCoding]:
    import pandas as pd

    from qualcode.agreement.external import read_codings_csv
    from qualcode.agreement.units import PASSAGE_COLUMNS
    from qualcode.errors import Problem

    rows = read_codings_csv(paths, texts, codes)
    problems = []
    coders: dict[str, CoderCoding] = {}
    for name, group in rows.groupby(m.CODER, sort=True):
        first = group.iloc[0]
        if name in available:
            problems.append(
                Problem(
                    f"coder '{name}' also has codings in the output folder; rename one of them",
                    str(first["file"]),
                    int(first["line"]),
                )
            )
            continue
        passages = group.loc[group[m.CODE].notna()].assign(**{m.SEGMENT_ID: pd.NA})
        passages = passages[PASSAGE_COLUMNS].astype(
            {m.START: "int64", m.END: "int64", m.SEGMENT_ID: "string"}
        )
        coverage = frozenset(str(t) for t in group[m.TRANSCRIPT_ID])
        coders[str(name)] = CoderCoding(
            str(name), passages.reset_index(drop=True), coverage, str(first["file"])
        )
    if problems:
        raise AgreementError(problems=problems)
    return coders


def _select_coders(
    requested: Sequence[str] | str | None, gold: str | None, available: dict[str, CoderCoding]
) -> list[str]:
    if requested is None:
        requested = [m.AUTO_CODER] if gold else [ALL_CODERS]
    if isinstance(requested, str):
        requested = [part.strip() for part in requested.split(",") if part.strip()]
    humans = [c for c in available if c != m.AUTO_CODER]
    names: list[str] = [gold] if gold else []
    for name in requested:
        names.extend(humans if name == ALL_CODERS else [name])
    names = list(dict.fromkeys(names))
    known = ", ".join(available)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise AgreementError(
            f"unknown coder{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"known coders: {known}"
        )
    if len(names) < 2:
        got = f"only '{names[0]}'" if names else "none"
        raise AgreementError(
            f"agreement needs at least two coders, got {got} (known coders: {known})"
        )
    return names


def _select_codes(
    requested: Sequence[str] | None,
    order: list[str],
    leaves: set[str],
    coders: Sequence[CoderCoding],
) -> list[str]:
    if requested:
        unknown = [c for c in requested if c not in order]
        if unknown:
            raise AgreementError(
                f"unknown code(s) {', '.join(unknown)}; codebook codes: {', '.join(order)}"
            )
        wanted = set(requested)
    else:
        used = set().union(*(set(c.passages[m.CODE].dropna()) for c in coders))
        wanted = leaves | (used & set(order))
    return [c for c in order if c in wanted]


def _drop_interviewer_passages(
    coders: Sequence[CoderCoding],
    segments: pd.DataFrame,
    interviewer: pd.Series,
    include: bool,
) -> list[CoderCoding]:
    """For spans: drop passages that touch no participant segment (unless included)."""
    if include or not interviewer.any():
        return list(coders)
    from dataclasses import replace

    from qualcode.agreement.units import overlapping_segments

    participant = segments.loc[~interviewer]
    kept = []
    for coder in coders:
        hits = overlapping_segments(coder.passages, participant)
        keep = coder.passages.index.isin(hits["passage"])
        kept.append(replace(coder, passages=coder.passages.loc[keep].reset_index(drop=True)))
    return kept


def _exclusions(coders: Sequence[CoderCoding], transcripts: list[str]) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for t in transcripts:
        by = [c.name for c in coders if t in c.coverage]
        if len(by) == len(coders):
            continue
        rows.append(
            {
                m.TRANSCRIPT_ID: t,
                "coded_by": ", ".join(by),
                "missing_for": ", ".join(c.name for c in coders if t not in c.coverage),
                "compared": len(by) >= 2,
            }
        )
    return pd.DataFrame(rows, columns=[m.TRANSCRIPT_ID, "coded_by", "missing_for", "compared"])


# --------------------------------------------------------------------------- statistics helpers


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
    blocks: np.ndarray, two: bool, n: int, context: _Context
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


def _disagreement_frame(rows: list[dict], context: _Context, extra: list[str]) -> pd.DataFrame:
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


def _segment_level(context: _Context, coders: list[CoderCoding], segments: pd.DataFrame):
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


def _char_level(context, coders, compared, lengths, excluded):
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


def _span_level(context, coders, compared, min_overlap):
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


class _CallableModule(types.ModuleType):
    """``qualcode.agreement`` is both this package and the public function: importing the
    package binds the name ``agreement`` on ``qualcode`` to the module, so the module itself
    forwards calls to `agreement` and ``qualcode.agreement(...)`` always works."""

    def __call__(self, *args: Any, **kwargs: Any) -> AgreementResult:
        return agreement(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
