"""Patterns of a codebook: parsing and checking each pattern of each language, and its stable id."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from qualcode.codebook.schema import (
    MATCH_MODES,
    PATTERN_ID_OK,
    PATTERN_KEYS,
    PATTERN_KINDS,
    SCOPES,
    UNSUPPORTED_TOKEN_ATTRS,
    WILDCARD,
    Pattern,
)
from qualcode.codebook.yamllines import line_of
from qualcode.errors import Problem


class Collector:
    """Problems found while reading one file, each with its line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, message: str, line: int | None) -> None:
        self.problems.append(Problem(message, str(self.path), line))


def _parse_pattern(
    item: Any, code: str, lang: str, index: int, line: int | None, exclusion: bool, out: Collector
) -> Pattern | None:
    where = f"code '{code}', {'exclude_patterns' if exclusion else 'patterns'}.{lang}[{index}]"
    if isinstance(item, str):
        item = {"phrase": item}
    if not isinstance(item, dict):
        out.add(
            f"{where}: a pattern is a phrase string or a mapping with phrase/tokens/regex", line
        )
        return None
    unknown = [str(k) for k in sorted(set(item) - PATTERN_KEYS, key=str)]
    if unknown:
        out.add(
            f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(PATTERN_KEYS))})",
            line,
        )
    kinds = [k for k in PATTERN_KINDS if k in item]
    if len(kinds) != 1:
        out.add(f"{where}: give exactly one of phrase, tokens, regex", line)
        return None
    kind = kinds[0]
    value = item[kind]
    match = str(item.get("match", "lemma"))
    scope = str(item.get("scope", "overlap"))
    pid = _pattern_id(item, code, lang, kind, exclusion, where, line, out)
    if match not in MATCH_MODES:
        out.add(f"{where}: match must be one of {', '.join(MATCH_MODES)}, not '{match}'", line)
    if scope not in SCOPES:
        out.add(f"{where}: scope must be one of {', '.join(SCOPES)}, not '{scope}'", line)
    if "scope" in item and not exclusion:
        out.add(f"{where}: scope applies to exclude_patterns only", line)
    problem, value = _checked_value(kind, value)
    if problem is not None:
        out.add(f"{where}: {problem}", line)
        return None
    return Pattern(pid, code, lang, kind, value, match, exclusion, scope, line)


def _checked_value(kind: str, value: Any) -> tuple[str | None, Any]:
    """(problem, None) for an invalid pattern value, else (None, the value normalised)."""
    if kind == "phrase":
        if not isinstance(value, str) or not value.strip():
            return "phrase must be non-empty text", None
        words = value.split()
        if all(w == WILDCARD for w in words):
            return "phrase cannot be only wildcards", None
        if words[0] == WILDCARD or words[-1] == WILDCARD:
            return "a wildcard '*' must stand between two words", None
        return None, " ".join(words)
    if kind == "regex":
        if not isinstance(value, str) or not value:
            return "regex must be non-empty text", None
        try:
            compiled = re.compile(value, re.IGNORECASE)
            regex.compile(value, regex.IGNORECASE)  # what matching runs
        except (re.error, regex.error, OverflowError, RecursionError) as exc:  # "a{99999999999}"
            return f"invalid regex: {exc}", None
        if compiled.match(""):
            return "regex matches the empty string", None
        risk = backtracking_risk(value)
        if risk is not None:
            return (
                f"regex can backtrack catastrophically ({risk}): one segment could stall the "
                "run; rewrite it without a repeat inside a repeat, or use a phrase or tokens "
                "pattern"
            ), None
        return None, value
    if not isinstance(value, list) or not value or not all(isinstance(t, dict) for t in value):
        return "tokens must be a non-empty list of token mappings", None
    bad = sorted({str(k) for t in value for k in t} & UNSUPPORTED_TOKEN_ATTRS)
    if bad:
        return (
            f"{', '.join(bad)} need a trained pipeline; blank pipelines have none "
            "(use LEMMA, LOWER, ORTH, TEXT, IS_*, LIKE_*, REGEX)"
        ), None
    return None, [dict(t) for t in value]


def _pattern_id(
    item: dict, code: str, lang: str, kind: str, exclusion: bool, where: str, line, out: Collector
) -> str:
    """`code:lang:ID` with the pattern's own `id:`, else with a hash of its content.

    Never its position: inserting or moving a pattern changes no other pattern's id, so codings,
    decisions and reports that name a pattern keep naming the same one.
    """
    if "id" in item:
        given = str(item["id"])
        if not PATTERN_ID_OK.fullmatch(given):
            out.add(f"{where}: id '{given}' may hold only letters, digits, '.', '_' and '-'", line)
        return f"{code}:{lang}:{given}"
    content = [kind, item[kind], str(item.get("match", "lemma")), str(item.get("scope", ""))]
    try:
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    except TypeError:  # keys of mixed types ({LEMMA: x, 5: y}) cannot be sorted; still invalid,
        canonical = repr(content)  # and reported by the token validator, but it needs an id
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:8]
    return f"{code}:{lang}:{'x' if exclusion else ''}{digest}"


def parse_patterns(
    raw: Any, code: str, exclusion: bool, key_line: int | None, out: Collector
) -> list[Pattern]:
    where = f"code '{code}', {'exclude_patterns' if exclusion else 'patterns'}"
    if raw is None:
        return []
    if not isinstance(raw, dict):
        out.add(f"{where}: must map languages (en, it, es, ...) to lists of patterns", key_line)
        return []
    patterns = []
    seen: dict[str, int | None] = {}
    for lang, items in raw.items():
        lang_line = line_of(raw, lang)
        if not isinstance(lang, str) or not re.fullmatch(r"[a-z]{2,3}", lang):
            out.add(f"{where}: '{lang}' is not a language code (en, it, es, ...)", lang_line)
            continue
        if not language_supported(lang):
            out.add(f"{where}: language '{lang}' is not supported by spaCy", lang_line)
            continue
        if not isinstance(items, list):
            out.add(f"{where}.{lang}: must be a list of patterns", lang_line)
            continue
        lines = getattr(items, "item_lines", [lang_line] * len(items))
        for i, item in enumerate(items, start=1):
            p = _parse_pattern(item, code, lang, i, lines[i - 1], exclusion, out)
            if p is None:
                continue
            if p.id in seen:
                out.add(
                    f"{where}.{lang}[{i}]: pattern id {p.id} is already used at line {seen[p.id]} "
                    "(the same pattern twice, or the same id:)",
                    p.line,
                )
                continue
            seen[p.id] = p.line
            patterns.append(p)
    return patterns


def language_supported(lang: str) -> bool:
    """Whether spaCy has a language class for the code `lang` (en, it, es, ...)."""
    import importlib.util

    return bool(re.fullmatch(r"[a-z]{2,3}", lang)) and (
        importlib.util.find_spec(f"spacy.lang.{lang}") is not None
    )


# --- catastrophic backtracking -------------------------------------------------------------------

# A group repeated at least this many times (or without bound) counts as repeated many times.
_MANY = 10
_QUANTIFIER = re.compile(r"(?:[*+?]|\{(\d*)(,?)(\d*)\})([?+]?)")


@dataclass
class _Group:
    """A group being read: where its current alternative starts, what it holds so far."""

    content: int
    atomic: bool = False
    alternatives: list[str] = field(default_factory=list)
    repeats: bool = False  # something inside may repeat (and give back what it matched)


def backtracking_risk(pattern: str) -> str | None:
    """Why `pattern` (a valid regex) may backtrack catastrophically, or None.

    A heuristic on the regex's text, for the two classic shapes: a group repeated without
    bound (or 10+ times) that holds a repeat itself -- nested quantifiers, ``(a+)+``,
    ``(a*)*``, ``(.*a){20}`` -- or alternatives of which one is a prefix of another,
    ``(a|aa)+``. Possessive quantifiers and atomic groups give nothing back and are not flagged.
    """
    stack = [_Group(0)]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i = _after_atom(pattern, i + 2, stack[-1])
        elif char == "[":
            i = _after_atom(pattern, _class_end(pattern, i), stack[-1])
        elif char == "(":
            content = _group_content(pattern, i)
            if content is None:  # a comment or a backreference: no group to read
                i = _after_atom(pattern, pattern.index(")", i) + 1, stack[-1])
                continue
            stack.append(_Group(content, atomic=pattern.startswith("(?>", i)))
            i = content
        elif char == "|":
            stack[-1].alternatives.append(pattern[stack[-1].content : i])
            stack[-1].content = i + 1
            i += 1
        elif char == ")" and len(stack) > 1:
            group = stack.pop()
            group.alternatives.append(pattern[group.content : i])
            many, possessive, i = _quantifier(pattern, i + 1)
            if many and not possessive and not group.atomic:
                if group.repeats:
                    return "a repeated group repeats inside: nested quantifiers"
                if _overlap(group.alternatives):
                    return "a repeated group of alternatives that can match the same text"
            stack[-1].repeats |= group.repeats or (many and not possessive)
        else:
            i = _after_atom(pattern, i + 1, stack[-1])
    return None


def _after_atom(pattern: str, end: int, group: _Group) -> int:
    """Past the quantifier after the atom ending at `end`; notes a repeat in `group`."""
    repeats, possessive, after = _quantifier(pattern, end, repeats_only=True)
    group.repeats |= repeats and not possessive
    return after


def _quantifier(pattern: str, at: int, repeats_only: bool = False) -> tuple[bool, bool, int]:
    """(whether it repeats, possessive, end) for the quantifier at `at`, if any.

    Repeats means many times (unbounded or 10+) for a group; for what a group holds, any
    quantifier whose count can vary (``?``, ``*``, ``{1,3}``), since each choice of count is a
    way to backtrack.
    """
    found = _QUANTIFIER.match(pattern, at)
    if found is None:
        return False, False, at
    text, possessive = found.group(0), found.group(4) == "+"
    if text[0] != "{":
        return repeats_only or text[0] in "*+", possessive, found.end()
    low, comma, high = found.group(1), found.group(2), found.group(3)
    if not low and not comma:
        return False, False, at  # "{" as a literal
    least = int(low or 0)
    most = least if not comma else (int(high) if high else None)
    if repeats_only:
        return most is None or most > least, possessive, found.end()
    return most is None or most >= _MANY, possessive, found.end()


def _class_end(pattern: str, start: int) -> int:
    """The index after the character class opening at `start`."""
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


def _group_content(pattern: str, start: int) -> int | None:
    """Where the content of the group opening at `start` begins; None for (?#...) and (?P=x)."""
    if not pattern.startswith("(?", start):
        return start + 1
    if pattern.startswith(("(?#", "(?P="), start):
        return None
    if pattern.startswith(("(?<=", "(?<!"), start):
        return start + 4
    if pattern.startswith(("(?P<", "(?<"), start):
        return pattern.index(">", start) + 1
    if pattern.startswith("(?(", start):
        return pattern.index(")", start) + 1
    colon = re.match(r"\(\?[a-zA-Z\-]*:?", pattern[start:])
    return start + (colon.end() if colon else 2)


def _overlap(alternatives: list[str]) -> bool:
    """Whether two alternatives could match the same text: equal, empty, or one a prefix."""
    if len(alternatives) < 2:
        return False
    return any(
        a.startswith(b)
        for i, a in enumerate(alternatives)
        for j, b in enumerate(alternatives)
        if i != j
    )
