"""The agreement tables every unit of comparison fills: statistics rows, gold scores, disagreements.

`levels` computes the rows per unit (segment, char, span); here they become the tables of an
`AgreementResult` (see `qualcode.reliability.agreement`): per-code rows with the macro average
and pooled row, precision/recall/F1 against a gold coder, and the disagreements with their text.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from qualcode import models as m

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
# What each unit level returns: (agreement table, disagreements, gold scores or None, counts).
LevelTables = tuple["pd.DataFrame", "pd.DataFrame", "pd.DataFrame | None", dict[str, Any]]


@dataclass(frozen=True)
class LevelContext:
    """What every unit level needs besides the coders: the run's choices and its texts."""

    coders: list[str]
    gold: str | None
    codes: list[str]
    bootstrap: int
    seed: int
    level: float
    texts: dict[str, str]
    segments: pd.DataFrame


def reason_text(reasons: dict[str, str | None]) -> str | None:
    """Group statistics by their reason: "cohen_kappa, fleiss_kappa: only one category ..."."""
    grouped: dict[str, list[str]] = {}
    for statistic, reason in reasons.items():
        if reason:
            grouped.setdefault(reason, []).append(statistic)
    return "; ".join(f"{', '.join(s)}: {r}" for r, s in grouped.items()) or None


def gold_row(coder: str, code: str, tp: int, fp: int, fn: int) -> dict[str, Any]:
    """Precision, recall and F1 with the conventions of `binary.precision_recall_f1`."""

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


def finish_table(
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


def gold_table(rows: list[dict]) -> pd.DataFrame:
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
        out.append(gold_row(coder, POOLED_ROW, tp, fp, fn))
    columns = [m.CODER, m.CODE, "tp", "fp", "fn", "precision", "recall", "f1"]
    frame = pd.DataFrame(out, columns=columns)
    for column in ("tp", "fp", "fn"):
        frame[column] = frame[column].astype("Int64")
    return frame.astype({m.CODER: "string", m.CODE: "string"})


def disagreement_kind(coded_by: list[str], gold: str | None, rated_by: list[str]) -> str:
    """False positive / negative against the gold coder (when it rated the unit), else disagreement."""
    if gold is None or gold not in rated_by:
        return DISAGREEMENT
    return FALSE_NEGATIVE if gold in coded_by else FALSE_POSITIVE


def disagreement_frame(rows: list[dict], context: LevelContext, extra: list[str]) -> pd.DataFrame:
    """The disagreements table: one row per disagreement, by transcript, start and code order."""
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


def segment_finder(segments: pd.DataFrame) -> Callable[[str, int], str | None]:
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


def harmonic(p: float, r: float) -> float:
    """The harmonic mean of precision and recall (F1); NaN when either is undefined."""
    if math.isnan(p) or math.isnan(r):
        return _NAN
    return 2 * p * r / (p + r) if p + r else 0.0
