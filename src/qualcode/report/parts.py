"""Pieces every section of the review report uses: the shared run, numbers, ids, small tables.

Sections are prepared here and in `page` and `codes` as plain data (text, numbers already
formatted, ids); the templates in ``templates/`` write the markup and escape every value.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup

from qualcode import models as m
from qualcode import numbers

if TYPE_CHECKING:
    from qualcode.analysis.frequencies import FrequencyTable
    from qualcode.output.folder import CodedOutput

STAT_LABELS = {
    "units": "Units",
    "both": "Both coded",
    "neither": "Neither",
    "any_coded": "Coded by any",
    "all_coded": "Coded by all",
    "none_coded": "Coded by none",
    "percent_agreement": "Agreement",
    "cohen_kappa": "Cohen κ",
    "fleiss_kappa": "Fleiss κ",
    "krippendorff_alpha": "Krippendorff α",
    "gwet_ac1": "Gwet AC1",
    "brennan_prediger": "Brennan–Prediger κ",
    "kappa_low": "κ low",
    "kappa_high": "κ high",
    "alpha_low": "α low",
    "alpha_high": "α high",
    "undefined": "Why undefined",
}
# Figures draw at most this many codes (those coded in the most segments); tables list all.
FIGURE_TOP_CODES = 40
OVERRIDE_STATUS = {
    "redundant": "had no effect (the segment already had, or lacked, the code)",
    "orphan_segment": "not applied: the segment no longer exists",
    "orphan_code": "not applied: the code is not in the codebook",
    "reattached": "re-attached after a transcript edit or a change of unit",
}


@dataclass
class Rules:
    """A code's definition and rules, as the codebook states them."""

    definition: str = ""
    include: str = ""
    exclude: str = ""


@dataclass
class ReportRun:
    """Everything the sections share: the tables, the code selection and the options."""

    out: CodedOutput
    order: list[tuple[str, str | None]]
    parents: set[str]
    selected: list[str] | None
    rows: list[str]  # codes shown, tree order (the selection and its children)
    anchors: dict[str, str]  # code -> unique id of its section, codebook order
    rules: dict[str, Rules]
    codebook_note: str | None
    max_quotes: int
    quotes: bool
    layer: str = ""  # the caption of the layer shown (see `layered`)
    written: CodedOutput | None = None  # the folder as written: agreement compares its coders
    reviewers: tuple[str, ...] = ()

    def frequencies(self, **options: Any) -> FrequencyTable:
        from qualcode.analysis.frequencies import code_frequencies

        options.setdefault("codes", self.selected)
        return code_frequencies(self.out.segments, self.out.codings, self.order, **options)


def figure_rows(freq: FrequencyTable, n: int = FIGURE_TOP_CODES) -> tuple[FrequencyTable, str]:
    """`freq` limited to its `n` rows with the largest Total (ties: table order; kept in table
    order), and a sentence saying so for the figure's description ("" when all rows fit)."""
    table = freq.table
    if len(table) <= n:
        return freq, ""
    total = table[table.columns[-1]].to_numpy(dtype="float64")
    ranked = sorted(range(len(table)), key=lambda i: (-total[i], i))[:n]
    limited = dataclasses.replace(freq, table=table.iloc[sorted(ranked)])
    note = (
        f" Only the {n} codes coded in the most segments are drawn, of {len(table):,}; the "
        "tables list every code."
    )
    return limited, note


# --- values and small tables -------------------------------------------------------------------


def is_missing(value: object) -> bool:
    """None, NaN, pd.NA, NaT or blank text; a list, tuple or array is never missing."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


# Counts with thousands separators, fractions with `decimals` places, a dash when missing.
format_number = partial(numbers.format_number, thousands=True, missing="–", whole_floats=True)


def anchor_ids(codes: Iterable[object]) -> dict[str, str]:
    """A unique, URL-safe id per code: code-<name>, with -2, -3 when two names collide."""
    anchors: dict[str, str] = {}
    for code in dict.fromkeys(map(str, codes)):
        base = "code-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", code).strip("-") or "x")
        anchor, n = base, 1
        while anchor in anchors.values():
            n += 1
            anchor = f"{base}-{n}"
        anchors[code] = anchor
    return anchors


def label_text(value: object) -> str:
    """A group label as text: the parts of a tuple joined by a middle dot."""
    return " · ".join(map(str, value)) if isinstance(value, tuple) else str(value)


def simple_table(
    caption: str, header: Sequence[str], rows: Iterable[Sequence[Any]], numeric_from: int = 1
) -> dict[str, Any]:
    """A table whose first column holds row headers; columns from `numeric_from` are numbers.

    Returns the data of the ``simple_table`` macro: each header and cell with a flag saying
    whether it is a number (right-aligned; numbers are formatted here).
    """
    return {
        "caption": caption,
        "header": [(label, i >= numeric_from) for i, label in enumerate(header)],
        "rows": [
            (
                row[0],
                [
                    (format_number(value), True) if i >= numeric_from else (value, False)
                    for i, value in enumerate(row[1:], start=1)
                ],
            )
            for row in rows
        ],
    }


def inline_figure(key: str, drawn: Any, title: str, description: str) -> dict[str, Any]:
    """A figure of ours as inline SVG (`key` is its id and prefixes its ids), for the template.

    The SVG comes from our own figure code and lxml, which escapes its text (codes, countries,
    the title and description); it is the only markup the templates are handed.
    """
    from qualcode.report.svg import svg_markup

    svg = svg_markup(drawn, key=key, title=title, description=description)
    return {"key": key, "svg": Markup(svg)}  # markup of ours, never user text unescaped


def layered(out: CodedOutput, layer: str, reviewers: Sequence[str]) -> tuple[CodedOutput, str]:
    """`out` as `layer` sees it (``auto``, ``final`` or a coder's name; `reviewers` win in
    ``final``: see `qualcode.decisions.layers`), and the layer's caption; a coder's layer keeps
    only the transcripts that coder covered. Agreement still compares the coders' own codings
    (`ReportRun.written`), reviewers left out. Raises AnalysisError for an unknown layer."""
    from qualcode.decisions.layers import describe_layer, layer_codings, layer_transcripts

    codings = layer_codings(out.segments, out.codings, out.overrides, layer, reviewers)
    segments = out.segments
    caption = describe_layer(out.overrides, layer, reviewers)
    covered = layer_transcripts(out.overrides, out.codings, layer)
    if covered is not None:
        segments = segments[segments[m.TRANSCRIPT_ID].isin(sorted(covered))]
        codings = codings[codings[m.TRANSCRIPT_ID].isin(sorted(covered))]
        caption += f", on the {len(covered)} transcript(s) {layer} covered"
    return dataclasses.replace(out, segments=segments, codings=codings), caption


def human_coders(out: CodedOutput) -> list[str]:
    """Coders other than the automatic one, in the codings or (all orphaned) in the overrides."""
    found = set(out.codings[m.CODER].dropna()) | set(out.overrides.get(m.CODER, []))
    return sorted(str(c) for c in found - {m.AUTO_CODER})
