"""Agreement on passages (two coders, MAXQDA-style): the rows of the span table.

A passage agrees when the other coder has a passage of the same code overlapping it by at least
`min_overlap` (see `units.span_units`). There is no "neither" cell per code, so only percent
agreement is given per code, and Brennan-Prediger (chance agreement 1 / codes) pooled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qualcode import models as m
from qualcode.reliability.tables import (
    POOLED_ROW,
    SPAN_COUNTS,
    UNDEFINED,
    LevelContext,
    LevelTables,
    disagreement_frame,
    disagreement_kind,
    finish_table,
    gold_table,
    harmonic,
    reason_text,
    segment_finder,
)
from qualcode.reliability.units import CoderCoding, span_units

if TYPE_CHECKING:
    import pandas as pd

_NAN = float("nan")
_NO_PASSAGE = "neither coder coded a passage"


def span_level(
    context: LevelContext, coders: list[CoderCoding], compared: list[str], min_overlap: float
) -> LevelTables:
    """Agreement on passages (two coders): matched when they overlap by `min_overlap`."""
    data = span_units(coders, compared, context.codes, min_overlap).passages
    a, b = (c.name for c in coders)
    rows = [_span_row(code, data[data[m.CODE] == code], a, b) for code in context.codes]
    totals = [sum(r[c] for r in rows) for c in SPAN_COUNTS]
    pooled = _span_pooled(totals, len(context.codes))
    table = finish_table(
        rows, pooled, ["percent_agreement", "brennan_prediger"], SPAN_COUNTS, False
    )
    scores = _span_gold(rows, b, totals) if context.gold else None
    disagreements = _span_disagreements(data, a, b, context)
    counts = {"units": len(data), "agreed_absent": None}
    return table, disagreement_frame(disagreements, context, ["best_overlap"]), scores, counts


def _span_row(code: str, mine: pd.DataFrame, a: str, b: str) -> dict[str, Any]:
    """One code's row: each coder's passages, how many matched, and percent agreement."""
    pa, pb = (mine[mine[m.CODER] == x] for x in (a, b))
    cells = (len(pa), int(pa["matched"].sum()), len(pb), int(pb["matched"].sum()))
    total = cells[0] + cells[2]
    agree = (cells[1] + cells[3]) / total if total else _NAN
    reasons = {
        "percent_agreement": None if total else _NO_PASSAGE,
        "brennan_prediger": "per code there is no 'neither' cell at span level: "
        "chance agreement is only defined across codes (pooled)",
    }
    return {
        m.CODE: code,
        **dict(zip(SPAN_COUNTS, cells, strict=True)),
        "percent_agreement": agree,
        "brennan_prediger": _NAN,
        UNDEFINED: reason_text(reasons),
    }


def _span_pooled(totals: list[int], q: int) -> dict[str, Any]:
    """The pooled row over `q` codes: Brennan-Prediger with chance agreement 1 / q."""
    passages, matched = totals[0] + totals[2], totals[1] + totals[3]
    p_o = matched / passages if passages else _NAN
    pooled: dict[str, Any] = dict(zip(SPAN_COUNTS, totals, strict=True))
    reasons: dict[str, str | None] = {}
    if not passages:
        reasons["percent_agreement"] = _NO_PASSAGE
    if q < 2:
        reasons["brennan_prediger"] = "needs at least two codes (chance agreement is 1 / codes)"
    pooled.update(
        percent_agreement=p_o,
        brennan_prediger=_NAN if q < 2 or not passages else (p_o - 1 / q) / (1 - 1 / q),
        **{UNDEFINED: reason_text(reasons)},
    )
    return pooled


def _span_gold(rows: list[dict[str, Any]], b: str, totals: list[int]) -> pd.DataFrame:
    """Precision, recall and F1 of coder `b` against the gold coder from matched passages."""
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
                "f1": harmonic(precision, recall),
            }
        )
    scores = gold_table(gold_rows)
    pooled_row = scores.index[scores[m.CODE] == POOLED_ROW][0]
    p = totals[3] / totals[2] if totals[2] else _NAN
    r = totals[1] / totals[0] if totals[0] else _NAN
    scores.loc[pooled_row, ["precision", "recall", "f1"]] = [p, r, harmonic(p, r)]
    return scores


def _span_disagreements(
    data: pd.DataFrame, a: str, b: str, context: LevelContext
) -> list[dict[str, Any]]:
    """Each passage that matched no passage of the other coder, with its segment and text."""
    found = []
    segment_at = segment_finder(context.segments)
    for row in data[~data["matched"]].to_dict("records"):
        other = b if row[m.CODER] == a else a
        found.append(
            {
                m.SEGMENT_ID: segment_at(row[m.TRANSCRIPT_ID], row[m.START]),
                m.TRANSCRIPT_ID: row[m.TRANSCRIPT_ID],
                m.CODE: row[m.CODE],
                m.START: row[m.START],
                m.END: row[m.END],
                "coded_by": row[m.CODER],
                "not_coded_by": other,
                "kind": disagreement_kind([row[m.CODER]], context.gold, [a, b]),
                "best_overlap": row["best_overlap"],
                m.TEXT: context.texts[row[m.TRANSCRIPT_ID]][row[m.START] : row[m.END]],
            }
        )
    return found
