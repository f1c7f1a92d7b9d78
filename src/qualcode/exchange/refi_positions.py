"""Mapping a tool's selection positions to qualcode's canonical text.

Selection positions are mapped to the canonical text (no BOM, ``\\n`` line endings). Tools do
not agree on what they count: code points or UTF-16 units (they differ after an emoji), and a
Windows line ending as one character (ATLAS.ti) or two (NVivo, MAXQDA, QualCoder). For each
source the convention is chosen from the selections themselves (`choose_convention`): the one
that reproduces most selection texts (QualCoder writes them in ``name``), then the one whose
selections start and end between words most often (people select words: NVivo 12, which
writes no selection text, counts UTF-16 units and a line ending as two), then the default
(code points, line endings as stored: one character for ATLAS.ti). See docs/exchange.md.

Each check costs at most the length of the selection's text, never the source's: positions
map through sorted lists of the few places where conventions differ (emoji, line endings).
"""

from __future__ import annotations

import bisect
import re
from array import array

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_CRLF = re.compile("\r\n")
_WORD = re.compile(r"\S+")


def canonical_text(raw: str) -> str:
    """The canonical text qualcode stores: line endings as ``\\n``, NUL as a space."""
    return raw.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", " ")


class PositionMap:
    """Maps a tool's selection positions to canonical-text positions under one convention.

    `utf16`: positions count UTF-16 code units (else code points). `crlf_two`: a ``\\r\\n`` in
    the stored text counts as two characters (else one, as in the canonical text). A position
    inside a surrogate pair rounds up. `canon` is `canonical_text(raw)`, if already made.
    """

    def __init__(
        self,
        raw: str,
        utf16: bool,
        crlf_two: bool,
        canon: str | None = None,
        found: dict[str, array] | None = None,
    ) -> None:
        crlf = crlf_two and "\r\n" in raw
        self.name = ("UTF-16 code units" if utf16 else "code points") + (
            "" if crlf_two or "\r\n" not in raw else ", a line ending as one character"
        )
        base = raw if crlf else (canon if canon is not None else canonical_text(raw))
        found = {} if found is None else found  # positions shared by the conventions of a text
        # Index in `base` of each character the conventions count differently.
        self._crs = _positions(found, "crlf", _CRLF, raw) if crlf else array("q")
        astral = _positions(found, f"astral-{crlf}", _ASTRAL, base) if utf16 else array("q")
        # UTF-16 unit just after each astral character's pair: unit(i) = i + astral before i.
        self._pair_ends = array("q", (i + k + 2 for k, i in enumerate(astral)))
        self._astral = astral
        self.length = len(base) + len(astral)

    def __call__(self, position: int) -> int:
        if self._astral:
            whole = bisect.bisect_right(self._pair_ends, position)  # pairs wholly before
            if whole < len(self._astral) and position == self._pair_ends[whole] - 1:
                position = self._astral[whole] + 1  # inside a pair: round up
            else:
                position -= whole
        if self._crs:
            position -= bisect.bisect_left(self._crs, position)  # each "\r" of "\r\n" before
        return position


def _positions(found: dict[str, array], key: str, pattern: re.Pattern, text: str) -> array:
    """Start of each match of `pattern` in `text` (8 bytes each), made once per `key`."""
    if key not in found:
        found[key] = array("q", (match.start() for match in pattern.finditer(text)))
    return found[key]


def _conventions(raw: str, canon: str, offsets: str, origin: str) -> list[PositionMap]:
    """Candidate conventions for one source, the default first (identical ones once)."""
    atlas = "atlas" in origin.lower()
    astral = _ASTRAL.search(raw) is not None
    units = [False, True] if offsets == "auto" else [offsets == "utf16"]
    if offsets == "auto" and not astral:
        units = [False]  # both count the same
    crlf = [not atlas, atlas] if "\r\n" in raw else [True]
    found: dict[str, array] = {}
    return [PositionMap(raw, u, c, canon, found) for u in units for c in crlf]


def same_words(text: str, start: int, end: int, words: list[str]) -> bool:
    """Whether text[start:end] has exactly these whitespace-separated words; the work stops at
    the first word that differs."""
    count = 0
    for match in _WORD.finditer(text, start, end):
        if count >= len(words) or match.group() != words[count]:
            return False
        count += 1
    return count == len(words)


def _between_words(text: str, position: int) -> bool:
    """A position that does not cut a word in two."""
    return not (
        0 < position < len(text) and text[position - 1].isalnum() and text[position].isalnum()
    )


def choose_convention(
    raw: str,
    selections: list[tuple[int, int, str | None]],
    offsets: str,
    origin: str,
    canon: str | None = None,
) -> PositionMap:
    """The convention that reproduces most selection names, then puts most selection ends
    between words, then keeps most selections in range; the default one on ties.

    `selections` are (start, end, name); `canon` is `canonical_text(raw)`, if already made.
    """
    canon = canon if canon is not None else canonical_text(raw)
    maps = _conventions(raw, canon, offsets, origin)
    if len(maps) == 1:
        return maps[0]
    names = [(s, e, name.split() if name else None) for s, e, name in selections]

    def score(pm: PositionMap) -> tuple[int, int, int]:
        named = aligned = in_range = 0
        for start, end, words in names:
            if not 0 <= start < end <= pm.length:
                continue
            in_range += 1
            a, b = pm(start), pm(end)
            aligned += _between_words(canon, a) + _between_words(canon, b)
            if words and same_words(canon, a, b, words):
                named += 1
        return named, aligned, in_range

    scores = [score(pm) for pm in maps]
    return maps[scores.index(max(scores))]
