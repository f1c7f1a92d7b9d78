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
The identifiers file and the numbering live in `qualcode.privacy.identifiers`, files and output
folders in `qualcode.privacy.files`, the residual scan (``--check``) in
`qualcode.privacy.residual`. Nothing here prints, and no message quotes an identifier.
"""

from __future__ import annotations

import os
import re
import secrets
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.privacy.identifiers import (
    DEFAULT_METADATA_KEYS,
    Entity,
    Identifiers,
    PseudonymiseError,
    load_identifiers,
)

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

KEY_BYTES = 32


# --- the project key ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectKey:
    """The project secret read from (or created in) a key file. Its repr hides the secret."""

    secret: bytes = field(repr=False)
    path: Path
    created: bool = False
    warnings: tuple[str, ...] = ()


def load_key(path: str | Path, *, create: bool = True) -> ProjectKey:
    """Read the key file, creating it (32 random bytes, hex, mode 0600) when missing and `create`.

    Raises PseudonymiseError for an unreadable or malformed key file; the key is never shown.
    A key file readable by group or others is returned with a warning.
    """
    path = Path(path)
    created = False
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        except OSError as exc:
            raise PseudonymiseError(f"cannot create key file ({exc.strerror})", file=path) from None
        else:
            try:
                os.write(fd, (secrets.token_hex(KEY_BYTES) + "\n").encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.chmod(path, 0o600)
            created = True
    try:
        raw = path.read_bytes()
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise PseudonymiseError("key file not found", file=path) from None
    except OSError as exc:
        raise PseudonymiseError(f"cannot read key file ({exc.strerror})", file=path) from None
    text = raw.strip()
    if not re.fullmatch(rb"[0-9a-fA-F]{32,256}", text):
        raise PseudonymiseError(
            "not a qualcode key file (expected one line of 32 to 256 hex digits)", file=path
        )
    warnings = ()
    if mode & 0o077:
        warnings = (f"{path}: key file is readable by other users; run chmod 600 on it",)
    return ProjectKey(bytes.fromhex(text.decode("ascii")), path, created, warnings)


def secret_key(key: ProjectKey | bytes) -> bytes:
    return key.secret if isinstance(key, ProjectKey) else bytes(key)


# --- pattern-based identifiers -----------------------------------------------------------------

_MONTHS = (
    "gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|"
    "dicembre|enero|febrero|abril|mayo|junio|julio|septiembre|setiembre|octubre|noviembre|"
    "diciembre|january|february|march|april|may|june|july|august|september|october|november|"
    "december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_STREET = (
    r"via|viale|vicolo|vico|piazza|piazzale|piazzetta|corso|largo|contrada|strada|borgo|"
    r"lungomare|calle|c/|avenida|avda\.?|av\.|plaza|pla[çc]a|paseo|pasaje|carrer|camino|"
    r"carretera|ronda|traves[ií]a|glorieta|rambla|street|road|avenue|lane|square"
)
_OMO = "[0-9LMNPQRSTUV]"  # a codice fiscale digit, or its omocodia letter

# (label, regex, flags); checked by _valid below. Order does not matter: overlaps are resolved
# by length.
# (label, regex, flags, reach): each pattern needs an '@' (e-mails) or a digit (all others), and
# is searched only in windows reaching `reach` = (before, after) characters around one. Overlaps
# are resolved later by length.
PATTERNS: tuple[tuple[str, str, int, tuple[int, int]], ...] = (
    (
        "EMAIL",
        r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])",
        0,
        (80, 260),
    ),
    (
        "PHONE",
        r"(?<![\w+])(?:(?:\+|00)\d{1,3}[ .-]?)?\(?\d{2,4}\)?(?:[ .-]?\d{2,4}){1,4}(?![\w+])",
        0,
        (6, 24),
    ),
    ("ID-NUMBER", r"(?<!\w)[XYZ][ -]?\d{7}[ -]?[A-Z](?!\w)", re.IGNORECASE, (3, 3)),  # NIE
    ("ID-NUMBER", r"(?<!\w)\d{8}[ -]?[A-Z](?!\w)", re.IGNORECASE, (1, 3)),  # DNI / NIF
    (
        "ID-NUMBER",
        rf"(?<!\w)[A-Z]{{6}}{_OMO}{{2}}[ABCDEHLMPRST]{_OMO}{{2}}[A-Z]{_OMO}{{3}}[A-Z](?!\w)",
        0,
        (7, 12),
    ),  # codice fiscale
    ("ID-NUMBER", r"(?<!\w)(?:STP|ENI)[ -]?\d{13}(?!\w)", re.IGNORECASE, (5, 1)),  # STP, ENI
    ("ID-NUMBER", r"(?<!\w)[A-Z]{1,4}\d{6,14}(?!\w)", 0, (5, 1)),  # passports, health cards
    ("ID-NUMBER", r"(?<![\w/])\d{2}[/ -]?\d{7,8}[/ -]?\d{2}(?![\w/])", 0, (1, 14)),  # NUSS
    ("ID-NUMBER", r"(?<!\w)\d{10,20}(?!\w)", 0, (1, 1)),  # tessera sanitaria, card numbers
    (
        "ADDRESS",
        rf"(?<!\w)(?:{_STREET})\s+(?:[^\W\d][\w'’.-]*\s+){{0,5}}?[^\W\d][\w'’.-]*,?\s+"
        r"(?:n\.?\s?|nº\s?|n°\s?|núm\.?\s?|num\.?\s?|no\.\s?)?\d{1,4}"
        r"(?:[ ]?[a-zA-Z](?!\w)|/(?:\d{1,3}|[a-zA-Z])(?!\w))?(?!\d)",
        re.IGNORECASE,
        (160, 8),
    ),
    (
        "ADDRESS",
        r"(?<!\w)\d{1,4}[a-zA-Z]?,?\s+(?:[A-Z][\w'’.-]*\s+){1,4}"
        r"(?:Street|St\.|Road|Rd\.|Avenue|Ave\.|Lane|Square|Place|Drive|Close)(?!\w)",
        0,
        (1, 100),
    ),
    (
        "DATE",
        rf"(?<![\w/.-]){_DAY}[/.-](?:0?[1-9]|1[0-2])[/.-](?:19|20)?\d{{2}}(?![\w/-]|\.\d)",
        0,
        (1, 12),
    ),
    (
        "DATE",
        r"(?<![\w/.-])(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?!\w)",
        0,
        (1, 8),
    ),
    (
        "DATE",
        rf"(?<!\w){_DAY}(?:º|°|st|nd|rd|th)?\s+(?:de\s+)?(?:{_MONTHS})\.?,?\s+(?:de[l]?\s+)?"
        r"(?:19|20)\d{2}(?!\w)",
        re.IGNORECASE,
        (40, 40),
    ),
    (
        "DATE",
        rf"(?<!\w)(?:{_MONTHS})\.?\s+{_DAY}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}(?!\w)",
        re.IGNORECASE,
        (16, 16),
    ),
)
PATTERN_LABELS = ("EMAIL", "PHONE", "ID-NUMBER", "ADDRESS", "DATE")
_COMPILED = tuple(
    (label, re.compile(regex, flags), reach) for label, regex, flags, reach in PATTERNS
)
_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")


def _valid(label: str, found: str) -> bool:
    if label == "PHONE":
        digits = re.sub(r"\D", "", found)
        if found.startswith(("+", "00")):
            return 8 <= len(digits) <= 15
        if _THOUSANDS.match(found):
            return False
        if digits[0] == "3":  # Italian mobile
            return len(digits) in (9, 10)
        if digits[0] == "0":  # Italian landline
            return 8 <= len(digits) <= 11
        return digits[0] in "6789" and len(digits) == 9  # Spanish numbers
    if label == "ADDRESS" and not found[:1].isdigit():
        words = found.split()[1:-1]
        return any(w[:1].isupper() for w in words)
    return True


_TRIGGERS = {"EMAIL": re.compile("@")}
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s")


def _windows(text: str, triggers: list[tuple[int, int]], reach: tuple[int, int]):
    """Merged stretches of `text` reaching around each trigger, ending at a white space."""
    before, after = reach
    windows: list[list[int]] = []
    for first, last in triggers:
        start, end = max(0, first - before), min(len(text), last + after)
        if windows and start <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], end)
        else:
            windows.append([start, end])
    for window in windows:  # do not cut a word in two: a look-ahead would see its end
        space = _SPACE.search(text, window[1], min(len(text), window[1] + 200))
        window[1] = space.start() if space else min(len(text), window[1] + 200)
    return windows


def find_patterns(text: str) -> list[tuple[int, int, str]]:
    """(start, end, label) of every pattern-based identifier (overlaps not yet resolved).

    Each pattern is searched only in small windows around an '@' or a digit (look-behinds still
    see the text before a window): most of an interview has neither, so 50 MB stay fast.
    """
    digits = [m.span() for m in _DIGITS.finditer(text)]
    found: dict[tuple[int, int], str] = {}  # a stretch two patterns find: the first one's label
    for label, regex, reach in _COMPILED:
        trigger = _TRIGGERS.get(label)
        spans = digits if trigger is None else [m.span() for m in trigger.finditer(text)]
        for start, end in _windows(text, spans, reach):
            for match in regex.finditer(text, start, end):
                if _valid(label, match.group()):
                    found.setdefault(match.span(), label)
    return sorted((start, end, label) for (start, end), label in found.items())


# --- replacing ---------------------------------------------------------------------------------


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
