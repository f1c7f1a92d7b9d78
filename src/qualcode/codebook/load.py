"""Loading a codebook: parse the YAML, validate everything (every problem at once, with its line),
and build the `Codebook`."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from qualcode.cache import read_entry, write_entry
from qualcode.codebook.patterns import Collector, language_supported, parse_patterns
from qualcode.codebook.schema import (
    CODE_KEYS,
    MAX_CODEBOOK_VALUES,
    TOP_KEYS,
    Code,
    Codebook,
    Example,
)
from qualcode.codebook.yamllines import line_of, yaml_with_lines
from qualcode.errors import CodebookError
from qualcode.yamlload import count_values


def _text_field(raw: dict, key: str, where: str, out: Collector) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        out.add(f"{where}: '{key}' must be text", line_of(raw, key))
        return ""
    return str(value).strip()


def _parse_codebook(data: Any, path: Path, out: Collector) -> Codebook:
    if not isinstance(data, dict):
        out.add("a codebook is a mapping with 'codes:' (a list of codes)", 1)
        raise CodebookError(problems=out.problems)
    for key in sorted(set(data) - TOP_KEYS, key=str):
        out.add(f"unknown key '{key}' (allowed: {', '.join(sorted(TOP_KEYS))})", line_of(data, key))
    raw_codes = data.get("codes")
    if not isinstance(raw_codes, list) or not raw_codes:
        out.add("'codes' must be a non-empty list of codes", line_of(data, "codes"))
        raise CodebookError(problems=out.problems)
    codes: list[Code] = []
    seen: dict[str, int | None] = {}
    for raw in raw_codes:
        line = line_of(raw)
        if not isinstance(raw, dict):
            out.add("each code is a mapping with at least 'name'", line)
            continue
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            out.add("code without a 'name'", line)
            continue
        name = name.strip()
        for key in sorted(set(raw) - CODE_KEYS, key=str):
            out.add(
                f"code '{name}': unknown key '{key}' (allowed: {', '.join(sorted(CODE_KEYS))})",
                line_of(raw, key),
            )
        if name in seen:
            out.add(f"code '{name}' is defined twice (first at line {seen[name]})", line)
            continue
        seen[name] = line
        codes.append(_parse_code(raw, name, line, out))
    _check_structure(codes, out)
    return Codebook(
        name=str(data.get("name") or path.stem),
        version=str(data.get("version") or ""),
        description=str(data.get("description") or "").strip(),
        codes=codes,
        path=path,
    )


def _parse_code(raw: dict, name: str, line: int | None, out: Collector) -> Code:
    """One code's fields, every problem collected in `out`."""
    examples = _parse_examples(raw, name, "examples", True, out)
    counterexamples = _parse_examples(raw, name, "counterexamples", False, out)
    parent = raw.get("parent")
    return Code(
        name=name,
        parent=str(parent).strip() if parent is not None else None,
        definition=_text_field(raw, "definition", f"code '{name}'", out),
        include=_text_field(raw, "include", f"code '{name}'", out),
        exclude=_text_field(raw, "exclude", f"code '{name}'", out),
        examples=[e.text for e in examples],
        counterexamples=[e.text for e in counterexamples],
        checks=examples + counterexamples,
        manual=bool(raw.get("manual", False)),
        color=_text_field(raw, "color", f"code '{name}'", out) or None,
        patterns=parse_patterns(raw.get("patterns"), name, False, line_of(raw, "patterns"), out),
        exclude_patterns=parse_patterns(
            raw.get("exclude_patterns"), name, True, line_of(raw, "exclude_patterns"), out
        ),
        line=line,
    )


def _parse_examples(
    raw: dict, code: str, key: str, expected: bool, out: Collector
) -> list[Example]:
    """A code's `examples:` (must get the code) or `counterexamples:` (must not): each a text, or
    a mapping with `text` and `language` (else the language is guessed when they are checked)."""
    items = raw.get(key) or []
    if not isinstance(items, list):
        out.add(f"code '{code}': {key} must be a list", line_of(raw, key))
        return []
    lines = getattr(items, "item_lines", [line_of(raw, key)] * len(items))
    found = []
    for item, line in zip(items, lines, strict=True):
        text, language = item, None
        if isinstance(item, dict):
            text, language = item.get("text"), item.get("language")
            unknown = sorted(set(map(str, item)) - {"text", "language"})
            if unknown:
                out.add(f"code '{code}', {key}: unknown key(s) {', '.join(unknown)}", line)
            if language is not None and not language_supported(str(language)):
                out.add(f"code '{code}', {key}: language '{language}' is not supported", line)
                continue
        if not isinstance(text, str) or not text.strip():
            out.add(f"code '{code}', {key}: each item is a text (or text + language)", line)
            continue
        found.append(
            Example(
                code,
                " ".join(text.split()),
                None if language is None else str(language),
                expected,
                line,
            )
        )
    return found


def _check_structure(codes: list[Code], out: Collector) -> None:
    by_name = {c.name: c for c in codes}
    parents = {c.parent for c in codes if c.parent}
    for code in codes:
        if code.parent is not None and code.parent not in by_name:
            out.add(
                f"code '{code.name}': parent '{code.parent}' is not a code of this codebook",
                code.line,
            )
        # Walk up the hierarchy; a cycle would make roll-ups loop forever.
        seen = {code.name}
        parent = code.parent
        while parent is not None and parent in by_name:
            if parent in seen:
                out.add(f"code '{code.name}': parent chain loops back to '{parent}'", code.line)
                break
            seen.add(parent)
            parent = by_name[parent].parent
        if not code.patterns and not code.manual and code.name not in parents:
            out.add(
                f"code '{code.name}' is empty: no patterns and no child codes "
                "(add patterns, or 'manual: true' for a code applied only by coders)",
                code.line,
            )
        if code.exclude_patterns and not code.patterns:
            out.add(f"code '{code.name}': exclude_patterns without patterns", code.line)


# Digests of accepted token patterns kept in the cache (the most recent ones).
MAX_CACHED_PATTERNS = 50_000


def _check_token_patterns(codebook: Codebook, out: Collector) -> None:
    """Compile every token pattern with spaCy's validating Matcher, collecting every error.

    A pattern spaCy accepted before (its digest is in the cache, see `qualcode.cache`) is not
    compiled again: a pattern's validity depends only on itself and the spaCy version, and in
    the edit-test loop most patterns have not changed since the last run.
    """
    import spacy
    from spacy.errors import MatchPatternError
    from spacy.matcher import Matcher
    from spacy.vocab import Vocab

    entry = f"valid-token-patterns-spacy-{spacy.__version__}.json"
    cached = read_entry(entry)
    known = {d for d in cached if isinstance(d, str)} if isinstance(cached, list) else set()
    accepted: list[str] = []
    matcher = Matcher(Vocab(), validate=True)
    for code in codebook.codes:
        for pattern in code.patterns + code.exclude_patterns:
            if pattern.kind != "tokens":
                continue
            digest = hashlib.sha256(repr(pattern.value).encode("utf-8", "replace")).hexdigest()
            if digest in known:
                continue
            try:
                matcher.add(pattern.id, [pattern.value])
                accepted.append(digest)
            except MatchPatternError as exc:
                details = (
                    "; ".join(
                        " ".join(str(e).split()) for errs in exc.args[1].values() for e in errs
                    )
                    if len(exc.args) > 1 and isinstance(exc.args[1], dict)
                    else " ".join(str(exc).split())
                )
                out.add(
                    f"code '{code.name}', pattern {pattern.id}: invalid token pattern: {details}",
                    pattern.line,
                )
            except (
                ValueError,
                TypeError,
                KeyError,
                re.error,
                OverflowError,
                RecursionError,
            ) as exc:
                out.add(
                    f"code '{code.name}', pattern {pattern.id}: invalid token pattern: {exc}",
                    pattern.line,
                )
    if accepted:
        kept = [d for d in (cached if isinstance(cached, list) else []) if isinstance(d, str)]
        write_entry(entry, (kept + accepted)[-MAX_CACHED_PATTERNS:])


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a codebook YAML file.

    Every problem (unknown keys, unknown languages, empty codes, invalid spaCy token patterns,
    bad regexes, unknown parents) is collected and raised together as one CodebookError, each
    with the code's name and the YAML line.
    """
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise CodebookError(f"cannot read codebook ({exc.strerror})", file=path) from None
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw_bytes[: exc.start].count(b"\n") + 1
        raise CodebookError("codebook is not valid UTF-8", file=path, line=line) from None
    if not text.strip():
        raise CodebookError("codebook is empty", file=path)
    out = Collector(path)
    data = yaml_with_lines(text, path)
    # YAML aliases can multiply a few lines.
    if count_values(data, MAX_CODEBOOK_VALUES) > MAX_CODEBOOK_VALUES:
        raise CodebookError(
            f"more than {MAX_CODEBOOK_VALUES} values (repeated YAML aliases?)", file=path
        )
    codebook = _parse_codebook(data, path, out)
    _check_token_patterns(codebook, out)
    if out.problems:
        raise CodebookError(problems=out.problems)
    codebook.sha256 = hashlib.sha256(raw_bytes).hexdigest()
    return codebook


def codebook_table(codebook: Codebook):
    """The codebook as a DataFrame: one row per code with its rule texts and pattern counts."""
    import pandas as pd

    rows = []
    for code in codebook.codes:
        counts: dict[str, int] = {}
        for p in code.patterns:
            counts[p.language] = counts.get(p.language, 0) + 1
        rows.append(
            {
                "code": code.name,
                "parent": code.parent,
                "definition": code.definition,
                "include": code.include,
                "exclude": code.exclude,
                "patterns": ", ".join(f"{lang} {n}" for lang, n in sorted(counts.items())),
                "exclusions": len(code.exclude_patterns),
                "manual": code.manual,
            }
        )
    return pd.DataFrame(rows)
