"""The strings any match of a regex must contain, read from the regex itself.

`regex_literals` lets a REGEX token test be located by its literal text (see `locate`):
'^(sostitu|suppl)' requires "sostitu" or "suppl", '^paralel[oa]s?$' requires "paralel". It is
conservative on purpose: whatever it does not understand gives None (the pattern is then
matched on whole segments).
"""

from __future__ import annotations

import re


def regex_literals(pattern: str) -> list[str] | None:
    """Strings of which any match of `pattern` must contain one; None when none can be told.

    Conservative on purpose: a leading '^', top-level or leading-group alternatives of plain
    text and a literal prefix are understood ('^(sostitu|suppl)', '^paralel[oa]s?$'); anything
    else (flags, classes first, lookarounds) gives None.
    """
    if re.search(r"\(\?[aiLmsux-]", pattern):
        return None  # inline flags (verbose mode...) change what the text means
    alternatives = _split_alternatives(pattern)
    if alternatives is None:
        return None
    found: list[str] = []
    for alternative in alternatives:
        literals = _alternative_literals(alternative)
        if not literals:
            return None
        found.extend(literals)
    return list(dict.fromkeys(found))


def _split_alternatives(pattern: str) -> list[str] | None:
    """Top-level '|' alternatives of a regex (None when brackets do not balance)."""
    structure, closed = _structure(pattern)
    if not closed or any(depth < 0 for _, _, depth in structure):
        return None
    if structure and structure[-1][2] != 0:
        return None
    parts, start = [], 0
    for i, char, depth in structure:
        if char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def _structure(text: str) -> tuple[list[tuple[int, str, int]], bool]:
    """(index, character, group depth after it) of each character outside escapes and
    character classes, and whether every character class is closed."""
    found: list[tuple[int, str, int]] = []
    depth = i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            close = _class_end(text, i)
            if close is None:
                return found, False
            i = close + 1
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        found.append((i, char, depth))
        i += 1
    return found, True


def _alternative_literals(text: str) -> list[str] | None:
    """Required strings of one '|'-free regex: its best literal run or required group."""
    options: list[list[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            options.append(["".join(run)])
            run.clear()

    i = 0
    while i < len(text):
        if text[i] in "^$":
            flush()
            i += 1
            continue
        if text[i] == "(":
            group = _group_literals(text, i)
            if group is None:
                return None
            found, i = group
            flush()
            if found:
                options.append(found)
            continue
        atom = _atom(text, i)
        if atom is None:
            return None
        literal, step = atom
        quantifier, i = _quantifier(text, i + step)
        if quantifier is None:
            return None
        if literal is not None and quantifier != "optional":
            run.append(literal)
        if literal is None or quantifier:
            flush()  # 'ab+c' requires 'ab', then 'c'; 'ab?c' requires 'a' and 'c'
    flush()
    if not options:
        return None
    return max(options, key=lambda found: (min(map(len, found)), -len(found)))


def _group_literals(text: str, i: int) -> tuple[list[str] | None, int] | None:
    """(required strings of the group opening at text[i], or None when it tells nothing;
    the position after the group and its quantifier). None when it cannot be read."""
    close = _closing_paren(text[i:])
    if close is None:
        return None
    inner = text[i + 1 : i + close]
    quantifier, after = _quantifier(text, i + close + 1)
    if quantifier is None:
        return None
    if inner.startswith("?:"):
        inner = inner[2:]
    elif inner.startswith("?"):
        return None, after  # flags, lookarounds, named groups: tell nothing
    return (regex_literals(inner) if quantifier != "optional" else None), after


def _atom(text: str, i: int) -> tuple[str | None, int] | None:
    """(the character the atom at text[i] matches, None for a class, an escaped class or '.';
    the atom's length). None when it cannot be read (a quantifier or ')' out of place)."""
    char = text[i]
    if char == "[":
        close = _class_end(text, i)
        return None if close is None else (None, close + 1 - i)
    if char == "\\":
        escaped = text[i + 1 : i + 2]
        if not escaped:
            return None
        return (None if escaped.isalnum() else escaped), 2  # \w, \d, \b, \1 ... are not characters
    if char in "*+?{)":
        return None
    return (None if char == "." else char), 1


def _quantifier(text: str, i: int) -> tuple[str | None, int]:
    """('' | 'required' | 'optional' | None for unreadable, position after it) at text[i]."""
    char = text[i : i + 1]
    if char in ("?", "*"):
        kind, i = "optional", i + 1
    elif char == "+":
        kind, i = "required", i + 1
    elif char == "{":
        match = re.match(r"\{(\d*)(?:,(\d*))?\}", text[i:])
        if match is None or not match.group(1) and match.group(2) is None:
            return None, i
        kind = "optional" if not int(match.group(1) or 0) else "required"
        i += match.end()
    else:
        return "", i
    if text[i : i + 1] in ("?", "+"):  # lazy or possessive: same requirement
        i += 1
    return kind, i


def _class_end(text: str, i: int) -> int | None:
    """Index of the ']' closing the character class that opens at text[i]."""
    j = i + 1
    if text[j : j + 1] == "^":
        j += 1
    if text[j : j + 1] == "]":
        j += 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == "]":
            return j
        j += 1
    return None


def _closing_paren(text: str) -> int | None:
    """Index of the ')' closing the group that opens at text[0]."""
    for i, char, depth in _structure(text)[0]:
        if char == ")" and depth == 0:
            return i
    return None
