"""Matching in English, Italian and Spanish: lemma-aware, case-insensitive, exclusions."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write
from qualcode.codebook import load_codebook
from qualcode.matching.locate import merge_spans
from qualcode.matching.matcher import CodebookMatcher
from qualcode.matching.pipelines import get_pipeline


def _codebook(tmp_path: Path, lang: str, patterns: str, exclusions: str = "") -> Path:
    text = f"name: t\ncodes:\n  - name: c\n    patterns:\n      {lang}:\n{patterns}"
    if exclusions:
        text += f"    exclude_patterns:\n      {lang}:\n{exclusions}"
    return write(tmp_path / "cb.yaml", text)


CASES = [
    # lang, pattern (YAML list item), text, expected matched strings
    ("en", "- file lawsuit", "They filed lawsuits last year.", ["filed lawsuits"]),
    ("en", "- file lawsuit", "They filed a lawsuit last year.", []),
    ("en", "- 'file * lawsuit'", "They filed a lawsuit last year.", ["filed a lawsuit"]),
    ("en", "- 'file * lawsuit'", "Filed two new lawsuits.", ["Filed two new lawsuits"]),
    ("en", "- 'file * lawsuit'", "We filed the papers and a big lawsuit.", []),  # gap > 2 tokens
    ("en", "- press conference", "The PRESS CONFERENCES were packed.", ["PRESS CONFERENCES"]),
    ("en", "- {phrase: NGO, match: exact}", "An NGO, not an ngo.", ["NGO"]),
    ("en", "- {phrase: Ngo, match: lower}", "An NGO, not an ngo.", ["NGO", "ngo"]),
    ("en", "- {regex: '\\bpro[- ]bono\\b'}", "Lawyers work Pro Bono here.", ["Pro Bono"]),
    (
        "en",
        "- {tokens: [{LEMMA: appeal}, {LOWER: to}, {OP: '?'}, {LEMMA: court}]}",
        "We Appealed to the courts.",
        ["Appealed to the courts"],
    ),
    (
        "it",
        "- 'presentare * ricorso'",
        "Abbiamo presentato un ricorso al TAR.",
        ["presentato un ricorso"],
    ),
    ("it", "- conferenza stampa", "Due Conferenze stampa a Roma.", ["Conferenze stampa"]),
    ("it", "- precario", "Contratti precari, donazioni precarie.", ["precari", "precarie"]),
    (
        "es",
        "- 'presentar * recurso'",
        "Presentamos un recurso de alzada.",
        ["Presentamos un recurso"],
    ),
    ("es", "- 'presentar * recurso'", "PRESENTAMOS DOS RECURSOS.", ["PRESENTAMOS DOS RECURSOS"]),
    ("es", "- rueda de prensa", "Hicimos dos ruedas de prensa.", ["ruedas de prensa"]),
    (
        "es",
        "- {tokens: [{LEMMA: {IN: [Presentar, interponer]}}, {OP: '?'}, {LOWER: demanda}]}",
        "Interpusimos una demanda.",
        ["Interpusimos una demanda"],
    ),
]


@pytest.mark.parametrize(("lang", "pattern", "text", "expected"), CASES)
def test_patterns_match_inflected_and_capitalised_forms(
    tmp_path: Path, lang: str, pattern: str, text: str, expected: list[str]
) -> None:
    book = load_codebook(_codebook(tmp_path, lang, f"        {pattern}\n"))
    matcher = CodebookMatcher(book, get_pipeline(lang))
    [matches] = matcher.match_segments([text])
    assert [text[m.start : m.end] for m in matches] == expected


@pytest.mark.parametrize(
    ("scope", "text", "expected"),
    [
        ("overlap", "We appealed to the court of public opinion.", []),
        (
            "overlap",
            "Court of public opinion aside, we appealed to the court.",
            ["appealed to the court"],
        ),
        ("segment", "Court of public opinion aside, we appealed to the court.", []),
    ],
)
def test_exclusion_patterns_discard_overlapping_or_all_matches(
    tmp_path: Path, scope: str, text: str, expected: list[str]
) -> None:
    book = load_codebook(
        _codebook(
            tmp_path,
            "en",
            "        - {tokens: [{LEMMA: appeal}, {LOWER: to}, {OP: '?'}, {LEMMA: court}]}\n",
            f"        - {{phrase: court of public opinion{', scope: segment' if scope == 'segment' else ''}}}\n",
        )
    )
    [matches] = CodebookMatcher(book, get_pipeline("en")).match_segments([text])
    assert [text[m.start : m.end] for m in matches] == expected


def test_patterns_of_other_languages_do_not_fire(tmp_path: Path) -> None:
    book = load_codebook(_codebook(tmp_path, "es", "        - recurso\n"))
    matcher = CodebookMatcher(book, get_pipeline("en"))
    assert matcher.empty
    assert matcher.match_segments(["recurso"]) == [[]]


@pytest.mark.parametrize(
    ("spans", "merged"),
    [([], []), ([(5, 9), (0, 3)], [(0, 3), (5, 9)]), ([(0, 5), (3, 8), (8, 10)], [(0, 10)])],
)
def test_merge_spans(spans, merged) -> None:
    assert merge_spans(spans) == merged


@pytest.mark.parametrize("lang", ["en", "it", "es"])
def test_anchored_matching_finds_exactly_what_spacys_matcher_finds(lang: str) -> None:
    """The shipped codebook on the sample transcripts: same matches with and without anchoring."""
    from conftest import SAMPLE, SAMPLE_CODEBOOK
    from qualcode.transcripts import read_transcript, segment_transcript

    book = load_codebook(SAMPLE_CODEBOOK)
    pipeline = get_pipeline(lang)
    texts = [
        s.text
        for path in sorted(SAMPLE.glob("*.md"))
        for s in segment_transcript(
            read_transcript(path), "sentence", lambda t, _l: pipeline.sentence_spans(t)
        )
        if read_transcript(path).language == lang
    ]
    assert len(texts) > 50
    fast = CodebookMatcher(book, pipeline).match_segments(texts)
    plain = CodebookMatcher(book, pipeline, anchor=False, locate=False).match_segments(texts)
    assert fast == plain
    assert sum(len(x) for x in fast) > 10  # the comparison is not vacuous
