"""Pieces every section of the review report uses: the shared run, escaping, small tables."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from qualcode import models as m

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
OVERRIDE_STATUS = {
    "redundant": "had no effect (the segment already had, or lacked, the code)",
    "orphan_segment": "not applied: the segment no longer exists",
    "orphan_code": "not applied: the code is not in the codebook",
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

    def frequencies(self, **options: Any) -> FrequencyTable:
        from qualcode.analysis.frequencies import code_frequencies

        options.setdefault("codes", self.selected)
        return code_frequencies(self.out.segments, self.out.codings, self.order, **options)


# --- small HTML helpers --------------------------------------------------------------------------


def escape_html(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def is_missing(value: object) -> bool:
    """None, NaN, pd.NA or blank (pd.NA cannot be compared, so look at its text)."""
    return value is None or str(value).strip() in ("", "nan", "NaN", "<NA>", "None")


def format_number(value: object, decimals: int = 3) -> str:
    if is_missing(value):
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.{decimals}f}"
    return f"{int(value):,}"


def wrap_section(value: object) -> str:
    """Escaped text that may break after an underscore (cultural_mediator in a narrow header)."""
    return escape_html(value).replace("_", "_<wbr>")


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
    return " · ".join(map(str, value)) if isinstance(value, tuple) else str(value)


def scrolling(table: str, label: str) -> str:
    """A wide table in a keyboard-scrollable region (WCAG 2.1.1: reachable without a mouse)."""
    return f'<div class="scroll" role="region" tabindex="0" aria-label="{escape_html(label)}">{table}</div>'


def simple_table(
    caption: str, header: Sequence[str], rows: Iterable[Sequence[Any]], numeric_from: int = 1
) -> str:
    """A table whose first column holds row headers; columns from `numeric_from` are numbers."""
    head = "".join(
        f'<th scope="col"{" class=num" if i >= numeric_from else ""}>{escape_html(h)}</th>'
        for i, h in enumerate(header)
    )
    body = []
    for row in rows:
        cells = [f'<th scope="row">{escape_html(row[0])}</th>']
        for i, value in enumerate(row[1:], start=1):
            text = format_number(value) if i >= numeric_from else escape_html(value)
            cells.append(
                f'<td class="num">{text}</td>' if i >= numeric_from else f"<td>{text}</td>"
            )
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f"<table><caption>{escape_html(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def figure_html(key: str, figure: Any, title: str, description: str, caption: str) -> str:
    from qualcode.report.figures import svg_markup

    svg = svg_markup(figure, key=key, title=title, description=description)
    return f'<figure id="{key}">{svg}<figcaption>{caption}</figcaption></figure>'


def human_coders(out: CodedOutput) -> list[str]:
    """Coders other than the automatic one, in the codings or (all orphaned) in the overrides."""
    found = set(out.codings[m.CODER].dropna()) | set(out.overrides.get(m.CODER, []))
    return sorted(str(c) for c in found - {m.AUTO_CODER})
