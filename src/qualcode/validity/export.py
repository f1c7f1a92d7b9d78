"""`codebook test` results as data: a JSON document, a CSV score table, a Markdown page.

JSON: ``macro``/``micro`` ({precision, recall, f1}), ``no_code_rate``, ``codes`` ([{code,
precision, recall, f1, support}]), ``by_language`` ({lang: {macro, micro, codes}}), ``baseline``
(the same, when asked), ``examples_failing`` (examples without their code, counterexamples with
it), ``passages`` ([{id, language, expected, given, patterns}]).
Undefined ratios are ``null`` in JSON and empty in CSV.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from qualcode.markdown_text import escape_inline
from qualcode.numbers import format_number
from qualcode.validity.measure import (
    EXPECTED,
    GIVEN,
    PASSAGE_ID,
    PATTERNS,
    CodebookTest,
)
from qualcode.validity.scores import (
    CODE,
    F1,
    LANGUAGE,
    MACRO_ROW,
    MICRO_ROW,
    PRECISION,
    RECALL,
    SUPPORT,
    Scores,
)

FORMATS = ("json", "csv", "md")
CODEBOOK_CODER = "codebook"
_METRICS = (PRECISION, RECALL, F1)


def _number(value: Any) -> float | None:
    return (
        None
        if value is None or (isinstance(value, float) and math.isnan(value))
        else round(float(value), 4)
    )


def _summary(table: pd.DataFrame) -> dict[str, Any]:
    rows = {r[CODE]: r for r in table.to_dict("records")}
    return {
        "macro": {k: _number(rows[MACRO_ROW][k]) for k in _METRICS},
        "micro": {k: _number(rows[MICRO_ROW][k]) for k in _METRICS},
        "codes": [
            {CODE: name, **{k: _number(r[k]) for k in _METRICS}, SUPPORT: int(r[SUPPORT])}
            for name, r in rows.items()
            if name not in (MACRO_ROW, MICRO_ROW)
        ],
    }


def scores_dict(scores: Scores) -> dict[str, Any]:
    """One coder's scores as plain data (see the module docstring)."""
    by_language = {
        str(lang): _summary(group.drop(columns=LANGUAGE))
        for lang, group in scores.by_language.groupby(LANGUAGE, sort=True)
    }
    return {
        **_summary(scores.codes),
        "no_code_rate": _number(scores.no_code_rate),
        "n_passages": scores.n_passages,
        "n_no_code": scores.n_no_code,
        "by_language": by_language,
    }


def result_dict(result: CodebookTest, passages: pd.DataFrame | None = None) -> dict[str, Any]:
    """The whole result as plain data; `passages` (default: all) are the rows to list."""
    shown = result.passages if passages is None else passages
    document = scores_dict(result.scores)
    if result.baseline is not None:
        document["baseline"] = {"name": result.baseline_name, **scores_dict(result.baseline)}
    document["examples_failing"] = [str(p) for p in result.example_problems]
    document["passages"] = [
        {
            PASSAGE_ID: r[PASSAGE_ID],
            LANGUAGE: r[LANGUAGE],
            EXPECTED: list(r[EXPECTED]),
            GIVEN: list(r[GIVEN]),
            PATTERNS: list(r[PATTERNS]),
        }
        for r in shown.to_dict("records")
    ]
    return document


def result_json(result: CodebookTest, passages: pd.DataFrame | None = None) -> str:
    """`result_dict` as indented, key-sorted JSON text (deterministic)."""
    return (
        json.dumps(result_dict(result, passages), indent=2, sort_keys=True, ensure_ascii=False)
        + "\n"
    )


def score_table(result: CodebookTest) -> pd.DataFrame:
    """Long table: coder (codebook / baseline name), language ("all" or a language), code,
    precision, recall, f1, support -- the rows of every table `codebook test` prints."""
    frames = []
    coders = [(CODEBOOK_CODER, result.scores)]
    if result.baseline is not None:
        coders.append((str(result.baseline_name), result.baseline))
    for coder, scores in coders:
        frames.append(scores.codes.assign(coder=coder, **{LANGUAGE: "all"}))
        frames.append(scores.by_language.assign(coder=coder))
    table = pd.concat(frames, ignore_index=True)
    return table[["coder", LANGUAGE, CODE, PRECISION, RECALL, F1, SUPPORT]]


def result_csv(result: CodebookTest) -> str:
    """`score_table` as CSV text (3 decimals)."""
    return score_table(result).to_csv(index=False, float_format="%.3f", lineterminator="\n")


def result_markdown(result: CodebookTest, passages: pd.DataFrame | None = None) -> str:
    """A Markdown page: the per-code table (with the baseline's F1), per language, passages."""
    lines = [
        "| code | precision | recall | F1 | support |"
        + (" baseline F1 |" if result.baseline is not None else ""),
        "|---|---:|---:|---:|---:|" + ("---:|" if result.baseline is not None else ""),
    ]
    base = result.baseline.codes.set_index(CODE) if result.baseline is not None else None
    for row in result.scores.codes.to_dict("records"):
        cells = [
            escape_inline(str(row[CODE])),
            *(_fmt_number(row[k]) for k in _METRICS),
            str(int(row[SUPPORT])),
        ]
        if base is not None:
            cells.append(_fmt_number(base.loc[row[CODE], F1]))
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        f"No-code passages given a code: {_fmt_number(result.scores.no_code_rate)} "
        f"(of {result.scores.n_no_code}).",
        "",
        "| language | precision | recall | F1 | support |",
        "|---|---:|---:|---:|---:|",
    ]
    macro = result.scores.by_language[result.scores.by_language[CODE] == MACRO_ROW]
    for row in macro.to_dict("records"):
        lines.append(
            f"| {row[LANGUAGE]} (macro) | "
            + " | ".join(_fmt_number(row[k]) for k in _METRICS)
            + f" | {int(row[SUPPORT])} |"
        )
    if passages is not None and len(passages):
        lines += ["", "| passage | expected | given | patterns |", "|---|---|---|---|"]
        for r in passages.to_dict("records"):
            hits = "; ".join(
                f"{h['pattern_id']} “{escape_inline(h['words'])}”" for h in r[PATTERNS]
            )
            cells = [r[PASSAGE_ID], ", ".join(r[EXPECTED]), ", ".join(r[GIVEN])]
            lines.append("| " + " | ".join(escape_inline(str(c)) for c in cells) + f" | {hits} |")
    return "\n".join(lines) + "\n"


def _fmt_number(value: object) -> str:
    return format_number(value, 3, missing="–")
