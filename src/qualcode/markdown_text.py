"""User text as Markdown that shows as written, with chosen stretches in **bold**.

Transcripts, names and metadata are user data: in Markdown they must never turn into
formatting, links or HTML. `escape_inline` backslash-escapes every character that starts inline
formatting anywhere in a line (emphasis ``* _``, code ``` ` ```, links and images ``[ ]``,
strikethrough ``~``, math ``$``, table cells ``|``, a heading's closing ``#`` and the backslash
itself; not an underscore inside a word, as in ``it_lawyer_01``, which CommonMark never reads
as emphasis) and writes ``< > &`` as HTML entities, so ``<script>`` and ``&copy;`` show as typed.
`markdown_lines` also stops a line from opening a block: leading whitespace is dropped (four
spaces would make a code block) and a leading ``+ - =`` or ``1.``/``1)`` is escaped (list
items, setext headings).

Bold runs follow CommonMark's flanking rules: a run never starts or ends on whitespace, and
never starts (ends) on punctuation right after (before) a letter, where ``**`` would not be read
as emphasis; such characters are left out of the run. Overlapping and touching ranges form one
run, and a run that crosses a line break is closed at the end of the line and reopened on the
next.

It sits in the shared base layer: Markdown quotes and tables (exchange) and the codebook test and
suggestion pages (validity) use the same escaping.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Characters that can start inline formatting wherever they stand.
_INLINE = frozenset("\\`*_[]#|~$")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
# At the start of a line: list markers and setext heading underlines.
_LINE_START = frozenset("+-=")
_ORDERED_ITEM = re.compile(r"\d{1,9}[.)]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def escape_inline(text: str) -> str:
    """`text` as Markdown inline content that renders as written (see the module).

    Line breaks and other whitespace runs become single spaces, so the result is one line.
    """
    return _escape(" ".join(text.split()))


def _escape(text: str) -> str:
    pieces = []
    last = len(text) - 1
    for i, ch in enumerate(text):
        if ch in _ENTITIES:
            pieces.append(_ENTITIES[ch])
        elif ch in _INLINE and not (ch == "_" and 0 < i < last and _inside_word(text, i)):
            pieces.append(f"\\{ch}")
        else:
            pieces.append(ch)
    return "".join(pieces)


def _inside_word(text: str, i: int) -> bool:
    """An underscore between two letters or digits (``it_lawyer_01``) can neither open nor
    close emphasis, so it is left as it is."""
    return _is_word(text[i - 1]) and _is_word(text[i + 1])


def _escape_line_start(line: str) -> str:
    """Escape what would make `line` (already escaped inline) a list item or heading underline."""
    if line[:1] in _LINE_START:
        return "\\" + line
    item = _ORDERED_ITEM.match(line)
    if item:
        return f"{line[: item.end() - 1]}\\{line[item.end() - 1 :]}"
    return line


def _is_punctuation(ch: str) -> bool:
    """CommonMark's Unicode punctuation: general categories P (punctuation) and S (symbols)."""
    return unicodedata.category(ch)[0] in "PS"


def _is_word(ch: str) -> bool:
    return not ch.isspace() and not _is_punctuation(ch)


def _runs(marked: list[bool], text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The bold runs of the line text[start:end]: maximal marked stretches, trimmed so that
    ``**`` can open and close them (see the module)."""
    runs: list[tuple[int, int]] = []
    i = start
    while i < end:
        if not marked[i]:
            i += 1
            continue
        a = i
        while i < end and marked[i]:
            i += 1
        b = i
        while a < b and (
            text[a].isspace() or (_is_punctuation(text[a]) and a > start and _is_word(text[a - 1]))
        ):
            a += 1
        while b > a and (
            text[b - 1].isspace()
            or (_is_punctuation(text[b - 1]) and b < end and _is_word(text[b]))
        ):
            b -= 1
        if a < b:
            runs.append((a, b))
    return runs


def _line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line of `text`, without leading and trailing whitespace."""
    spans, position = [], 0
    for brk in _LINE_BREAK.finditer(text):
        spans.append((position, brk.start()))
        position = brk.end()
    spans.append((position, len(text)))
    trimmed = []
    for start, end in spans:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        trimmed.append((start, end))
    while trimmed and trimmed[0][0] == trimmed[0][1]:
        trimmed.pop(0)
    while trimmed and trimmed[-1][0] == trimmed[-1][1]:
        trimmed.pop()
    return trimmed


def markdown_lines(text: str, highlights: Iterable[tuple[int, int]] = ()) -> list[str]:
    """The lines of `text` as escaped Markdown, the [start, end) `highlights` in bold.

    Offsets count characters of `text`; ranges are clipped to it, and overlapping or touching
    ones become one bold run. Blank lines at the start and end are left out, and each line is
    stripped (so the lines can be quoted with ``> ``). Returns [] for blank text.
    """
    marked = [False] * len(text)
    for start, end in highlights:
        for i in range(max(int(start), 0), min(int(end), len(text))):
            marked[i] = True
    lines = []
    for start, end in _line_spans(text):
        pieces, position = [], start
        for a, b in _runs(marked, text, start, end):
            pieces.append(_escape(text[position:a]))
            pieces.append(f"**{_escape(text[a:b])}**")
            position = b
        pieces.append(_escape(text[position:end]))
        line = "".join(pieces)
        bold = line.startswith("**")
        line = _escape_line_start(line[2:] if bold else line)
        lines.append(f"**{line}" if bold else line)
    return lines
