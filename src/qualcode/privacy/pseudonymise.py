"""Pseudonymisation: replace identifiers with consistent placeholders and keep offsets right.

Two kinds of identifier are replaced:

* **listed** ones -- people, places and organisations of an identifiers file (each with its
  variants) plus the names found in metadata (``interviewee:`` ...). Each becomes a numbered
  placeholder such as ``[PERSON-4821]``; the number comes from HMAC-SHA256 of the identifier
  under a project secret (the key file), so the same person gets the same placeholder in every
  transcript and every run, and nobody without the key can test a guessed name against it;
* **pattern-based** ones -- e-mail addresses, phone numbers, identity, tax and health-card
  numbers, street addresses with a house number and exact dates -- which become ``[EMAIL]``,
  ``[PHONE]``, ``[ID-NUMBER]``, ``[ADDRESS]`` and ``[DATE]``.

`pseudonymise_text` returns the new text and an `OffsetMap` that carries character offsets of
the old text into the new one, so coded passages (start, end, match spans) stay on their words.
The identifiers file and the numbering live in `qualcode.privacy.identifiers`, the key in
`qualcode.privacy.key`, the patterns in `qualcode.privacy.patterns`, transcript folders in
`qualcode.privacy.files`, output folders in `qualcode.privacy.output_copy`, the residual scan
(``--check``) in `qualcode.privacy.residual`. This module's ``__all__`` gathers what a notebook
needs. Nothing here prints, and no message quotes an identifier.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qualcode.privacy.identifiers import (
    DEFAULT_METADATA_KEYS,
    Entity,
    Identifiers,
    PseudonymiseError,
    load_identifiers,
)
from qualcode.privacy.key import ProjectKey, load_key, secret_key
from qualcode.privacy.patterns import find_patterns

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_METADATA_KEYS",
    "Entity",
    "Identifiers",
    "OffsetMap",
    "ProjectKey",
    "PseudonymiseError",
    "find_patterns",
    "load_identifiers",
    "load_key",
    "map_offset",
    "pseudonymise_text",
    "redact_frame",
    "redact_value",
]


@dataclass(frozen=True)
class OffsetMap:
    """Where each replaced stretch of the old text went in the new one (sorted, disjoint).

    The replaced text itself is not kept. ``placeholders`` holds each replacement's placeholder
    (without brackets), e.g. ``PERSON-4821`` or ``PHONE``.
    """

    old_starts: tuple[int, ...] = ()
    old_ends: tuple[int, ...] = ()
    new_starts: tuple[int, ...] = ()
    new_ends: tuple[int, ...] = ()
    placeholders: tuple[str, ...] = ()

    def map(self, offset: int, *, end: bool = False) -> int:
        """The new offset of an old one. Inside a replaced stretch an offset goes to the start of
        its placeholder, or to its end when `end` (so a span never loses its placeholder)."""
        i = bisect_right(self.old_starts, offset) - 1
        if i < 0:
            return offset
        if offset < self.old_ends[i]:
            if offset == self.old_starts[i] or not end:
                return self.new_starts[i]
            return self.new_ends[i]
        return offset + self.new_ends[i] - self.old_ends[i]

    def map_span(self, start: int, end: int) -> tuple[int, int]:
        """The new (start, end) of an old span."""
        return self.map(start), self.map(end, end=True)

    def __len__(self) -> int:
        return len(self.old_starts)


def map_offset(offset_map: OffsetMap, offset: int, *, end: bool = False) -> int:
    """Map an offset of the original text to the pseudonymised text (see `OffsetMap.map`)."""
    return offset_map.map(offset, end=end)


def resolve_identifiers(spans: list[tuple[int, int, int, Any]]) -> list[tuple[int, int, Any]]:
    """Keep the longest of overlapping spans (then the earliest, then listed before patterns).

    Spans are cut into groups that overlap among themselves, so the quadratic choice only
    ever runs on a handful of spans; the result is sorted by start.
    """
    kept: list[tuple[int, int, Any]] = []
    group: list[tuple[int, int, int, Any]] = []
    group_end = -1
    for span in sorted(spans, key=lambda s: (s[0], s[1], s[2])):
        if group and span[0] >= group_end:
            kept += _longest_first(group)
            group = []
        group_end = max(group_end, span[1]) if group else span[1]
        group.append(span)
    return kept + _longest_first(group)


def _longest_first(spans: list[tuple[int, int, int, Any]]) -> list[tuple[int, int, Any]]:
    chosen: list[tuple[int, int, Any]] = []
    for start, end, _, what in sorted(spans, key=lambda s: (s[0] - s[1], s[0], s[2])):
        if all(end <= a or start >= b for a, b, _ in chosen):
            chosen.append((start, end, what))
    return sorted(chosen, key=lambda c: c[0])


_LABEL_AFTER = re.compile(r"[ \t]*:")


def pseudonymise_text(
    text: str, identifiers: Identifiers, key: ProjectKey | bytes, *, bare: bool = False
) -> tuple[str, OffsetMap]:
    """Replace every identifier in `text` by its placeholder; returns (new text, offset map).

    Listed identifiers become ``[LABEL-N]``, pattern-based ones ``[LABEL]``. A placeholder that
    stands where a speaker label does (line start, before ':') -- or every placeholder when
    `bare` -- is written without brackets (``PERSON-12``) so it stays a valid label.
    """
    candidates: list[tuple[int, int, int, Any]] = [
        (s, e, 0, index) for s, e, index in identifiers.find(text)
    ]
    candidates += [(s, e, 1, label) for s, e, label in find_patterns(text)]
    if not candidates:
        return text, OffsetMap()
    pieces: list[str] = []
    columns: list[list] = [[], [], [], [], []]
    position = new_length = 0
    for start, end, what in resolve_identifiers(candidates):
        name = identifiers.placeholder(what, secret_key(key)) if isinstance(what, int) else what
        line_start = text.rfind("\n", 0, start) + 1
        label_position = not text[line_start:start].strip() and _LABEL_AFTER.match(text, end)
        placeholder = name if bare or label_position else f"[{name}]"
        pieces.append(text[position:start])
        new_start = new_length + start - position
        pieces.append(placeholder)
        new_length = new_start + len(placeholder)
        for column, value in zip(columns, (start, end, new_start, new_length, name), strict=True):
            column.append(value)
        position = end
    pieces.append(text[position:])
    return "".join(pieces), OffsetMap(*(tuple(c) for c in columns))


def redact_value(value: Any, identifiers: Identifiers, key: ProjectKey | bytes, *, bare=False):
    """Pseudonymise a metadata value: text, a date, or lists/mappings of them; others as is."""
    import datetime as dt

    if isinstance(value, str):
        return pseudonymise_text(value, identifiers, key, bare=bare)[0]
    if isinstance(value, (dt.date, dt.datetime)):
        return pseudonymise_text(value.isoformat(), identifiers, key, bare=bare)[0]
    if isinstance(value, list):
        return [redact_value(v, identifiers, key, bare=bare) for v in value]
    if isinstance(value, dict):
        return {k: redact_value(v, identifiers, key, bare=bare) for k, v in value.items()}
    return value


def _parse_spans(value: Any) -> list[tuple[int, int]] | None:
    if isinstance(value, str):
        pairs = [p.split("-") for p in value.split(";") if p.strip()]
        return [(int(a), int(b)) for a, b in pairs]
    if isinstance(value, (list, tuple)) or hasattr(value, "__array__"):
        return [(int(a), int(b)) for a, b in value]
    return None


def redact_frame(
    df: pd.DataFrame,
    identifiers: Identifiers,
    key: ProjectKey | bytes,
    text_columns: Sequence[str],
    *,
    spans: Mapping[str, str] | None = None,
    bare_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """A copy of `df` with the identifiers in `text_columns` replaced by placeholders.

    For ``quotes``/``report``/``export`` output: `spans` maps a column of (start, end) ranges
    (lists of pairs, or "start-end;start-end" text) to the text column they index, and those
    ranges are remapped onto the new text. `bare_columns` (e.g. ``speaker``) get placeholders
    without brackets. Missing values and columns absent from `df` are left alone.
    """
    result = df.copy()
    spans = dict(spans or {})
    for column in [*text_columns, *bare_columns]:
        if column not in result.columns:
            continue
        new_texts, maps = [], []
        for value in result[column].tolist():
            if isinstance(value, str):
                new, omap = pseudonymise_text(value, identifiers, key, bare=column in bare_columns)
            else:
                new, omap = value, OffsetMap()
            new_texts.append(new)
            maps.append(omap)
        result[column] = _same_kind(result[column], new_texts)
        for span_column, text_column in spans.items():
            if text_column != column or span_column not in result.columns:
                continue
            remapped = []
            for value, omap in zip(result[span_column].tolist(), maps, strict=True):
                pairs = _parse_spans(value)
                if pairs is None:
                    remapped.append(value)
                    continue
                moved = [omap.map_span(a, b) for a, b in pairs]
                remapped.append(
                    ";".join(f"{a}-{b}" for a, b in moved) if isinstance(value, str) else moved
                )
            result[span_column] = _same_kind(result[span_column], remapped)
    return result


def _same_kind(column: pd.Series, values: list) -> pd.Series:
    import pandas as pd

    dtype = column.dtype if isinstance(column.dtype, pd.StringDtype) else object
    return pd.Series(values, index=column.index, dtype=dtype, name=column.name)
