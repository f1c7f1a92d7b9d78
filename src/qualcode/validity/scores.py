"""Precision, recall and F1 of a coder (a codebook, or a baseline) against gold labels.

Per code: TP = passages with the code in both gold and given codes, FP = given only, FN = gold
only; precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2TP / (2TP + FP + FN) (the harmonic
mean of P and R, defined also when nothing was given), support = TP + FN. A ratio with a zero
denominator is NaN (undefined), never 0 or 1. Macro = the unweighted mean over codes with support
(codes no passage carries are left out, as they have no recall), where a code that was never
given counts with precision 0, as scikit-learn's ``zero_division=0`` does; micro = the same
ratios over the pooled counts. The no-code rate is the share of passages without any gold
code that were given at least one code (false alarms on near misses).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from qualcode.validity.gold import Passage

CODE = "code"
LANGUAGE = "language"
TP, FP, FN = "tp", "fp", "fn"
PRECISION, RECALL, F1, SUPPORT = "precision", "recall", "f1", "support"
SCORE_COLUMNS = [CODE, PRECISION, RECALL, F1, SUPPORT, TP, FP, FN]
MACRO_ROW = "(macro)"
MICRO_ROW = "(micro)"


@dataclass(frozen=True)
class Scores:
    """Scores of one coder on a set of passages.

    ``codes``: one row per code (SCORE_COLUMNS) then the macro and micro rows;
    ``by_language``: the same with a language column, per language present;
    ``no_code_rate``: share of no-code passages given a code (NaN when there are none);
    ``n_passages``, ``n_no_code``: the denominators.
    """

    codes: pd.DataFrame
    by_language: pd.DataFrame
    no_code_rate: float
    n_passages: int
    n_no_code: int

    def row(self, name: str, language: str | None = None) -> dict:
        """The row of a code (or MACRO_ROW / MICRO_ROW), optionally within one language."""
        table = self.codes if language is None else self.by_language
        if language is not None:
            table = table[table[LANGUAGE] == language]
        found = table[table[CODE] == name]
        if found.empty:
            raise KeyError(name)
        return found.iloc[0].to_dict()


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when the denominator is 0."""
    return numerator / denominator if denominator else math.nan


def score_passages(
    passages: Sequence[Passage], given: Sequence[set[str]], codes: Sequence[str]
) -> Scores:
    """Score `given` codes (one set per passage, in order) against the passages' gold codes."""
    codes_table = _table(passages, given, codes)
    languages = sorted({p.language for p in passages})
    by_language = pd.concat(
        [
            _table(
                [p for p in passages if p.language == lang],
                [g for p, g in zip(passages, given, strict=True) if p.language == lang],
                codes,
            ).assign(**{LANGUAGE: lang})
            for lang in languages
        ],
        ignore_index=True,
    )[[LANGUAGE, *SCORE_COLUMNS]]
    empty = [g for p, g in zip(passages, given, strict=True) if not p.codes]
    return Scores(
        codes_table,
        by_language,
        ratio(sum(1 for g in empty if g), len(empty)),
        len(passages),
        len(empty),
    )


def _table(passages: Sequence[Passage], given: Sequence[set[str]], codes: Sequence[str]):
    rows = []
    for code in codes:
        tp = fp = fn = 0
        for passage, found in zip(passages, given, strict=True):
            expected, got = code in passage.codes, code in found
            tp += expected and got
            fp += got and not expected
            fn += expected and not got
        rows.append(_row(code, tp, fp, fn))
    with_support = [r for r in rows if r[SUPPORT]]
    macro = {CODE: MACRO_ROW, SUPPORT: sum(r[SUPPORT] for r in rows), TP: math.nan}
    for key in (PRECISION, RECALL, F1):
        values = [0.0 if math.isnan(r[key]) else r[key] for r in with_support]
        macro[key] = sum(values) / len(values) if values else math.nan
    macro[FP] = macro[FN] = math.nan
    micro = _row(MICRO_ROW, *(sum(r[k] for r in rows) for k in (TP, FP, FN)))
    return pd.DataFrame([*rows, macro, micro], columns=SCORE_COLUMNS)


def _row(code: str, tp: int, fp: int, fn: int) -> dict:
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    return {
        CODE: code,
        PRECISION: precision,
        RECALL: recall,
        F1: ratio(2 * tp, 2 * tp + fp + fn),
        SUPPORT: tp + fn,
        TP: tp,
        FP: fp,
        FN: fn,
    }
