"""Auto-coding of free passages (gold passages, a pasted text) with a codebook, hit by hit.

The same matchers `qualcode code` uses (`CodebookMatcher`), so a passage gets here exactly the
codes it would get as a transcript segment. Each hit keeps its pattern id, the pattern's YAML line
and the matched words, so a researcher sees *why* a code was given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qualcode.codebook.schema import Codebook
from qualcode.matching.matcher import CodebookMatcher


@dataclass(frozen=True)
class Hit:
    """One surviving match of a pattern in a passage."""

    code: str
    pattern_id: str
    start: int
    end: int
    words: str
    line: int | None  # the pattern's line in the codebook file


def build_matchers(codebook: Codebook, languages: Sequence[str]) -> dict[str, CodebookMatcher]:
    """One matcher per language (pipelines are shared process-wide by `get_pipeline`)."""
    from qualcode.matching.pipelines import get_pipeline

    return {lang: CodebookMatcher(codebook, get_pipeline(lang)) for lang in sorted(set(languages))}


def code_texts(
    codebook: Codebook,
    texts: Sequence[str],
    languages: Sequence[str],
    matchers: dict[str, CodebookMatcher] | None = None,
) -> list[list[Hit]]:
    """The hits of every text (in its language), in text order; texts are matched per language
    in one batch."""
    matchers = matchers if matchers is not None else build_matchers(codebook, languages)
    lines = {p.id: p.line for c in codebook.codes for p in c.patterns}
    hits: list[list[Hit]] = [[] for _ in texts]
    for language in sorted(set(languages)):
        index = [i for i, lang in enumerate(languages) if lang == language]
        found = matchers[language].match_segments([texts[i] for i in index])
        for i, matches in zip(index, found, strict=True):
            hits[i] = [
                Hit(
                    m.code,
                    m.pattern_id,
                    m.start,
                    m.end,
                    texts[i][m.start : m.end],
                    lines.get(m.pattern_id),
                )
                for m in matches
            ]
    return hits


def codes_of(hits: Sequence[Hit], parents: dict[str, str | None]) -> set[str]:
    """The codes the hits give, with every ancestor of each (a child's hit counts for its parent,
    as the frequency tables count it)."""
    found: set[str] = set()
    for hit in hits:
        code: str | None = hit.code
        while code is not None and code not in found:
            found.add(code)
            code = parents.get(code)
    return found
