"""`codebook test`: a codebook measured on gold passages, next to a baseline, passage by passage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from qualcode.codebook.schema import Codebook
from qualcode.errors import Problem
from qualcode.validity.autocode import Hit, code_texts, codes_of
from qualcode.validity.gold import Passage
from qualcode.validity.scores import Scores, score_passages

PASSAGE_ID = "id"
EXPECTED = "expected"
GIVEN = "given"
MISSED = "missed"
FALSE_POSITIVES = "false_positives"
PATTERNS = "patterns"
SHOW_CHOICES = ("misses", "false-positives", "all")


@dataclass(frozen=True)
class CodebookTest:
    """What `measure_codebook` returns.

    ``codes``: the codes measured (codebook order): every code that has patterns or that some
    passage carries. ``scores``: the codebook's; ``baseline``: the baseline's, when asked.
    ``passages``: one row per passage: id, language, expected, given, missed, false_positives
    (sorted code lists) and patterns (the hits: code, pattern id, YAML line, matched words).
    ``example_problems``: the codebook's failing examples and counterexamples (see examples.py).
    """

    codes: list[str]
    scores: Scores
    baseline: Scores | None
    baseline_name: str | None
    passages: pd.DataFrame
    example_problems: list[Problem] = field(default_factory=list)

    def shown(self, show: str) -> pd.DataFrame:
        """The passages with a miss (`misses`), a false positive (`false-positives`) or all."""
        table = self.passages
        if show == "misses":
            return table[table[MISSED].map(bool)]
        if show == "false-positives":
            return table[table[FALSE_POSITIVES].map(bool)]
        return table


def measured_codes(codebook: Codebook, passages: Sequence[Passage]) -> list[str]:
    """Codes with patterns, and codes some passage carries, in codebook order."""
    labelled = {c for p in passages for c in p.codes}
    return [c.name for c in codebook.codes if c.patterns or c.name in labelled]


def measure_codebook(
    codebook: Codebook,
    passages: Sequence[Passage],
    *,
    baseline: str | None = None,
    matchers: dict | None = None,
) -> CodebookTest:
    """Auto-code every passage with `codebook` and score it against the passages' labels.

    `baseline="keywords"` also scores the trivial keyword coder of `baseline.keyword_coder`.
    """
    from qualcode.validity.autocode import build_matchers
    from qualcode.validity.examples import check_examples

    codes = measured_codes(codebook, passages)
    parents = dict(codebook.code_order())
    languages = [p.language for p in passages]
    if matchers is None:
        matchers = build_matchers(codebook, [*languages, *codebook.languages])
    hits = code_texts(codebook, [p.text for p in passages], languages, matchers)
    given = [codes_of(h, parents) & set(codes) for h in hits]
    scores = score_passages(passages, given, codes)
    base = None
    if baseline is not None:
        from qualcode.validity.baseline import keyword_coder

        coder = keyword_coder(codebook, codes)
        base = score_passages(passages, coder(passages), codes)
    return CodebookTest(
        codes,
        scores,
        base,
        baseline,
        _passage_table(passages, given, hits, codes),
        check_examples(codebook, matchers),
    )


def _passage_table(
    passages: Sequence[Passage],
    given: Sequence[set[str]],
    hits: Sequence[list[Hit]],
    codes: list[str],
) -> pd.DataFrame:
    rank = {c: i for i, c in enumerate(codes)}

    def ordered(values: set[str]) -> list[str]:
        return sorted(values, key=lambda c: rank.get(c, len(rank)))

    rows = []
    for passage, found, passage_hits in zip(passages, given, hits, strict=True):
        expected = set(passage.codes)
        rows.append(
            {
                PASSAGE_ID: passage.id,
                "language": passage.language,
                EXPECTED: ordered(expected),
                GIVEN: ordered(found),
                MISSED: ordered(expected - found),
                FALSE_POSITIVES: ordered(found - expected),
                PATTERNS: [
                    {"code": h.code, "pattern_id": h.pattern_id, "line": h.line, "words": h.words}
                    for h in passage_hits
                ],
            }
        )
    return pd.DataFrame(rows)
