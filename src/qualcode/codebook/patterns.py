"""Patterns of a codebook: parsing and checking each pattern of each language, and its stable id."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

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
        except (re.error, OverflowError, RecursionError) as exc:  # "a{99999999999}"
            return f"invalid regex: {exc}", None
        if compiled.match(""):
            return "regex matches the empty string", None
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
    digest = hashlib.sha256(
        json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    ).hexdigest()[:8]
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
