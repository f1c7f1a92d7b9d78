"""Locating where patterns can match: the windows change speed, never the matches."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLE, SAMPLE_CODEBOOK, write
from qualcode.codebook import load_codebook
from qualcode.matching.locate import Locator
from qualcode.matching.matcher import CodebookMatcher
from qualcode.matching.pipelines import get_pipeline
from qualcode.matching.regex_literals import regex_literals

REGEX_CASES = [
    # regex, strings one of which every match must contain (worked out by hand)
    ("^universal", ["universal"]),
    ("^(un)?deserv", ["deserv"]),  # the optional group tells nothing; the literal after it does
    ("^(sostitu|suppl|rimpiazz)", ["sostitu", "suppl", "rimpiazz"]),
    ("^paralel[oa]s?$", ["paralel"]),
    ("^humanitari[oa]s?$", ["humanitari"]),
    ("^[258]x1000$", ["x1000"]),
    ("^(sustitu|supl[ií])", ["sustitu", "supl"]),
    ("ab?c", ["a"]),  # 'b' is optional, so 'abc' is not required; 'a' and 'c' are
    ("x{2,3}yz", ["yz"]),
    ("a{0,2}bcd", ["bcd"]),
    ("e\\.g\\.", ["e.g."]),
    ("foo|bar", ["foo", "bar"]),
    ("(?:ab|cd)e", ["ab", "cd"]),
    ("\\bfoo\\b", ["foo"]),
    # nothing can be told: the pattern must then be located some other way, or not at all
    ("foo|.*", None),
    ("[abc]+", None),
    ("(?i)abc", None),
    ("(?x)a b", None),
    ("(ab", None),
    ("[abc", None),
    ("(ab)?", None),
]


@pytest.mark.parametrize(("regex", "expected"), REGEX_CASES)
def test_regex_literals_are_strings_every_match_contains(regex: str, expected) -> None:
    assert regex_literals(regex) == expected


def _segments(lang: str) -> list[str]:
    from qualcode.transcripts import read_transcript, segment_transcript

    texts = []
    for path in sorted(SAMPLE.glob("*.md")):
        transcript = read_transcript(path)
        if transcript.language == lang:
            texts += [s.text for s in segment_transcript(transcript) if not s.is_interviewer]
    return texts


@pytest.mark.parametrize("lang", ["en", "it", "es"])
def test_windowed_matching_equals_whole_segment_matching_on_the_sample(lang: str) -> None:
    book = load_codebook(SAMPLE_CODEBOOK)
    pipeline = get_pipeline(lang)
    located = CodebookMatcher(book, pipeline)
    whole = CodebookMatcher(book, pipeline, locate=False)
    texts = _segments(lang)
    assert located.locator is not None and not located.locator.whole, located.locator.reasons
    # The windows really are smaller than the text (else this test would prove nothing).
    covered = sum(e - s for t in texts for s, e in located.locator.windows(t))
    assert covered < 0.9 * sum(map(len, texts))
    assert located.match_segments(texts) == whole.match_segments(texts)


def _shuffled_corpus(lang: str, seed: int, n: int = 300) -> list[str]:
    """Segments glued from sample sentences in random order, with odd spacing and casing."""
    rng = random.Random(seed)
    words = " ".join(_segments(lang)).split(" ")
    texts = []
    for _ in range(n):
        start = rng.randrange(len(words))
        piece = words[start : start + rng.randint(1, 60)]
        out = []
        for word in piece:
            roll = rng.random()
            if roll < 0.05:
                word = word.upper()
            elif roll < 0.08:
                word = word.title()
            out.append(word)
            out.append(rng.choice([" "] * 12 + ["  ", "\n", "\n\n", "\t", " \n "]))
        texts.append("".join(out).strip() or "x")
    return texts


@pytest.mark.parametrize("lang", ["en", "it", "es"])
def test_windowed_matching_equals_whole_segment_matching_on_shuffled_text(lang: str) -> None:
    book = load_codebook(SAMPLE_CODEBOOK)
    pipeline = get_pipeline(lang)
    texts = _shuffled_corpus(lang, seed=len(lang) * 7)
    located = CodebookMatcher(book, pipeline).match_segments(texts)
    assert located == CodebookMatcher(book, pipeline, locate=False).match_segments(texts)
    assert sum(map(len, located)) > 20


def _matcher(tmp_path: Path, lang: str, patterns: str) -> tuple[CodebookMatcher, CodebookMatcher]:
    path = write(
        tmp_path / "cb.yaml",
        f"name: t\ncodes:\n  - name: c\n    patterns:\n      {lang}:\n{patterns}",
    )
    book = load_codebook(path)
    pipeline = get_pipeline(lang)
    return CodebookMatcher(book, pipeline), CodebookMatcher(book, pipeline, locate=False)


EDGE_CASES = [
    # lang, patterns, texts: each must match the same with and without windows
    (
        "en",
        "        - {tokens: [{LOWER: not}, {OP: '?'}, {LEMMA: replace}]}\n",
        ["We don't replace them.", "We DON'T really REPLACE anyone", "nothing here at all"],
    ),
    (
        "es",
        "        - {tokens: [{LOWER: en}, {LOWER: 'ee. uu.'}]}\n        - rueda de prensa\n",
        ["Vivió en EE. UU. dos años.", "en  EE. UU. hubo una rueda de prensa", "Ruedas de prensa"],
    ),
    (
        "en",
        "        - {tokens: [{LOWER: clinic}, {IS_SPACE: true, OP: '?'}, {LOWER: closed}]}\n",
        ["The clinic\nclosed.", "clinic  closed", " clinic closed ", "clinic\n\nclosed"],
    ),
    (
        "en",
        "        - {tokens: [{LOWER: straße}, {LOWER: closed}]}\n",
        ["Die STRASSE closed", "straße closed", "Straße closed today"],
    ),
    (
        "it",
        "        - {tokens: [{LOWER: {REGEX: '^parallel'}}, {OP: '?'}, {LOWER: sistema}]}\n",
        ["un sistema parallelo al sistema", "PARALLELAMENTE il sistema", "l'ospedale"],
    ),
]


@pytest.mark.parametrize(("lang", "patterns", "texts"), EDGE_CASES)
def test_windows_keep_edge_cases_exact(tmp_path: Path, lang: str, patterns: str, texts) -> None:
    located, whole = _matcher(tmp_path, lang, patterns)
    assert located.match_segments(texts) == whole.match_segments(texts)


def test_regexes_run_where_their_literal_occurs_and_literal_free_ones_everywhere(
    tmp_path: Path,
) -> None:
    patterns = (
        r"        - {regex: '\b(?:rdl?|real\s+decreto)\s*7/2018'}" + "\n"
        r"        - {regex: '[0-9]{4}[ab]'}" + "\n"  # no literal: tried on every segment
    )
    located, whole = _matcher(tmp_path, "es", patterns)
    texts = ["El RDL 7/2018 y el Real  Decreto 7/2018", "nada aquí", "el 2018a y rd7/2018"]
    found = located.match_segments(texts)
    assert found == whole.match_segments(texts)
    assert [[texts[i][m.start : m.end] for m in ms] for i, ms in enumerate(found)] == [
        ["RDL 7/2018", "Real  Decreto 7/2018"],
        [],
        ["2018a", "rd7/2018"],
    ]


def test_english_contraction_is_found_through_its_norm(tmp_path: Path) -> None:
    """'n't' has NORM 'not' from the tokenizer's special cases: its window must be found."""
    located, _ = _matcher(tmp_path, "en", "        - {tokens: [{NORM: not}, {LOWER: pay}]}\n")
    [found] = located.match_segments(["They don't pay."])
    assert [(m.start, m.end) for m in found] == [(7, 14)]  # "n't pay": d=5 o=6 n=7 ... y=13


def test_text_without_any_pattern_string_is_not_tokenized(tmp_path: Path) -> None:
    located, _ = _matcher(tmp_path, "en", "        - press conference\n")
    assert located.locator.windows("We talked about the weather for an hour.") == []
    # Found by its rarer word, "conference"; the window reaches one word back for "press".
    assert located.locator.windows("A press conference.") == [(2, 19)]


@pytest.mark.parametrize(
    ("patterns", "reason"),
    [
        ("        - {tokens: [{IS_SENT_START: true}, {LOWER: court}]}\n", "context"),
        ("        - {tokens: [{LOWER: {REGEX: '^[a-z]{5,}$'}}]}\n", "known text"),
        ("        - {tokens: [{LENGTH: 5}]}\n", "known text"),
    ],
)
def test_patterns_that_cannot_be_located_make_segments_match_whole(
    tmp_path: Path, patterns: str, reason: str
) -> None:
    located, whole = _matcher(tmp_path, "en", patterns)
    assert located.locator.whole and reason in located.locator.reasons[0]
    texts = ["The court ruled. Court again.", "Agreement reached today", "short words only"]
    assert located.locator.windows(texts[0]) == [(0, len(texts[0]))]
    assert located.match_segments(texts) == whole.match_segments(texts)


def test_an_unbounded_pattern_takes_the_whole_segment_around_a_hit() -> None:
    locator = Locator([("p", [{"LOWER": "fund"}, {"OP": "+"}, {"LOWER": "cut"}])], lambda v: {})
    text = "a b c fund d e f g h cut"
    assert locator.windows(text) == [(0, len(text))]
    assert locator.windows("no money words here") == []


_ALPHABET = list("abcdefghijklmnopqrstuvwxyzàèéìòùñß'’.,;:!?()-\"") + [" ", "  ", "\n", "\t"]
_WORDS = [
    "not", "n't", "don't", "replace", "replaced", "clinic", "closed", "court", "appeal", "the",
    "press", "conference", "conferences", "Court", "EE.", "UU.", "en", "rueda", "de", "prensa",
    "parallelo", "sistema", "l'ospedale", "ASL", "ricorso", "al", "TAR",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lang=st.sampled_from(["en", "it", "es"]),
    pieces=st.lists(st.sampled_from(_WORDS + _ALPHABET), min_size=1, max_size=40),
)
def test_windows_never_change_matches_on_fuzzed_text(lang: str, pieces: list[str]) -> None:
    text = "".join(p if p in _ALPHABET else f" {p} " for p in pieces).strip()
    if not text:
        return
    if lang not in _FUZZ_MATCHERS:
        book = load_codebook(SAMPLE_CODEBOOK)
        _FUZZ_MATCHERS[lang] = (
            CodebookMatcher(book, get_pipeline(lang)),
            CodebookMatcher(book, get_pipeline(lang), locate=False),
        )
    matchers = _FUZZ_MATCHERS[lang]
    assert matchers[0].match_segments([text]) == matchers[1].match_segments([text])


_FUZZ_MATCHERS: dict[str, tuple[CodebookMatcher, CodebookMatcher]] = {}


def test_codebook_check_says_which_patterns_make_segments_match_whole(tmp_path: Path, cli) -> None:
    slow = write(
        tmp_path / "slow.yaml",
        "name: t\ncodes:\n  - name: c\n    patterns:\n      en:\n"
        "        - press conference\n"
        "        - {tokens: [{IS_SENT_START: true}, {LOWER: court}], id: ctx}\n",
    )
    result = cli(["codebook", "check", str(slow)])
    assert result.exit_code == 0
    assert "en: every segment will be tokenized whole" in result.stdout
    assert "c:en:ctx tests a token attribute that depends on its context" in result.stdout
    shipped = cli(["codebook", "check", str(SAMPLE_CODEBOOK)])
    assert shipped.exit_code == 0 and "tokenized whole" not in shipped.stdout
