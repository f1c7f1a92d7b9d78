"""Mapping a tool's selection positions to qualcode's canonical text.

Selection positions are mapped to the canonical text (no BOM, ``\\n`` line endings). Tools do
not agree on what they count: code points or UTF-16 units (they differ after an emoji), and a
Windows line ending as one character (ATLAS.ti) or two (NVivo, MAXQDA, QualCoder). When
selections carry their text in ``name`` (QualCoder does), the convention that reproduces most
of those texts is chosen for each source (`choose_convention`); otherwise code points, and line
endings as stored (one character for ATLAS.ti). See docs/exchange.md.
"""

from __future__ import annotations


def canonical_text(raw: str) -> str:
    """The canonical text qualcode stores: line endings as ``\\n``, NUL as a space."""
    return raw.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", " ")


class PositionMap:
    """Maps a tool's selection positions to canonical-text positions under one convention.

    `utf16`: positions count UTF-16 code units (else code points). `crlf_two`: a ``\\r\\n`` in
    the stored text counts as two characters (else one, as in the canonical text).
    """

    def __init__(self, raw: str, utf16: bool, crlf_two: bool) -> None:
        self.name = ("UTF-16 code units" if utf16 else "code points") + (
            "" if crlf_two or "\r\n" not in raw else ", a line ending as one character"
        )
        base = raw if crlf_two else canonical_text(raw)
        to_canon: list[int] | None = None
        if crlf_two and "\r\n" in raw:
            to_canon = [0] * (len(raw) + 1)
            count = 0
            for i, char in enumerate(raw):
                to_canon[i] = count
                if not (char == "\r" and raw[i + 1 : i + 2] == "\n"):
                    count += 1
            to_canon[len(raw)] = count
        units: list[int] | None = None
        if utf16 and any(ord(c) >= 0x10000 for c in base):
            units = []
            for i, char in enumerate(base):
                units.append(i)
                if ord(char) >= 0x10000:
                    units.append(i + 1)  # a position inside a surrogate pair rounds up
            units.append(len(base))
        self.length = len(units) - 1 if units is not None else len(base)
        self._units, self._to_canon = units, to_canon

    def __call__(self, position: int) -> int:
        if self._units is not None:
            position = self._units[position]
        if self._to_canon is not None:
            position = self._to_canon[position]
        return position


def _conventions(raw: str, offsets: str, origin: str) -> list[PositionMap]:
    """Candidate conventions for one source, the default first."""
    atlas = "atlas" in origin.lower()
    units = [False, True] if offsets == "auto" else [offsets == "utf16"]
    crlf = [not atlas, atlas] if "\r\n" in raw else [True]
    maps = [PositionMap(raw, u, c) for u in units for c in crlf]
    return maps


def _squash(text: str) -> str:
    return " ".join(text.split())


def choose_convention(
    raw: str, selections: list[tuple[int, int, str | None]], offsets: str, origin: str
) -> PositionMap:
    """The convention that reproduces most selection names (then keeps most selections in
    range); the default one on ties."""
    maps = _conventions(raw, offsets, origin)
    if len(maps) == 1:
        return maps[0]
    canon = canonical_text(raw)

    def score(pm: PositionMap) -> tuple[int, int]:
        named = in_range = 0
        for start, end, name in selections:
            if not 0 <= start < end <= pm.length:
                continue
            in_range += 1
            if name and _squash(canon[pm(start) : pm(end)]) == _squash(name):
                named += 1
        return named, in_range

    scores = [score(pm) for pm in maps]
    best = max(scores)
    return maps[scores.index(best)]
