"""Which language a text is in, from the share of its words that are each language's stop words
(spaCy's own stop lists: no model, nothing downloaded). Reliable for a sentence or more.

A transcript's text is checked against its language when a corpus is read (`check_language`):
in running text about half the words are stop words of its language and at most a third those
of another (on the shipped sample: 54-64 % against 2-30 %), so a text "clearly reads as" another
language when that language's share is at least `CLEAR_SHARE` and `CLEAR_RATIO` times the
declared one's, over at least `MIN_WORDS` words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from qualcode.models import LANGUAGES

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

# `--language auto`: the language of each transcript that declares none is guessed.
AUTO = "auto"
# The languages a text is compared with: the codebook languages and their neighbours.
CANDIDATE_LANGUAGES = (*LANGUAGES, "fr", "de", "pt", "nl", "ca")
LANGUAGE_NAMES = {
    "en": "English",
    "it": "Italian",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ca": "Catalan",
}
MIN_WORDS = 30
CLEAR_SHARE = 0.25
CLEAR_RATIO = 1.5
# The check reads the start of a long transcript only (about 3,000 words): enough to tell, at a
# bounded cost.
SAMPLE_CHARS = 20_000


@cache
def stop_words(language: str) -> frozenset[str]:
    """spaCy's stop-word list for `language` (empty when spaCy has none).

    The list's module is loaded from its file, not imported as ``spacy.lang.<xx>.stop_words``:
    importing it runs the language package's ``__init__``, which for French compiles the
    tokenizer exceptions' regexes (about 4 s, in every process that checks a transcript).
    """
    import importlib.util

    spacy_spec = importlib.util.find_spec("spacy")
    if not re.fullmatch(r"[a-z]{2,3}", language) or spacy_spec is None or not spacy_spec.origin:
        return frozenset()
    path = Path(spacy_spec.origin).parent / "lang" / language / "stop_words.py"
    spec = importlib.util.spec_from_file_location(f"_qualcode_stop_words_{language}", path)
    if not path.is_file() or spec is None or spec.loader is None:
        return frozenset()
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # spaCy's own file: a STOP_WORDS set, no imports
    return frozenset(w.lower() for w in getattr(module, "STOP_WORDS", ()))


def stop_word_shares(text: str, languages: Sequence[str]) -> dict[str, float]:
    """For each language, the share of the text's words that are its stop words."""
    return _counted_shares(text, languages)[1]


def _counted_shares(text: str, languages: Sequence[str]) -> tuple[int, dict[str, float]]:
    """(number of words, each language's stop-word share), counting each distinct word once."""
    counts = Counter(w.lower() for w in _WORD.findall(text))
    total = sum(counts.values())
    if not total:
        return 0, {lang: 0.0 for lang in languages}
    shares = {}
    for lang in languages:
        stop = stop_words(lang)
        shares[lang] = sum(n for w, n in counts.items() if w in stop) / total
    return total, shares


def guess_language(text: str, languages: Sequence[str]) -> str | None:
    """The language among `languages` with the highest stop-word share; None for a text with no
    stop word of any of them (too short or another language). Ties go to the first listed."""
    shares = stop_word_shares(text, languages)
    best = max(languages, key=lambda lang: shares[lang], default=None)
    return best if best is not None and shares[best] > 0 else None


def language_name(language: str) -> str:
    """'Italian (it)' for a known code, else the code in quotes."""
    name = LANGUAGE_NAMES.get(language)
    return f"{name} ({language})" if name else f"'{language}'"


@dataclass(frozen=True)
class LanguageEvidence:
    """What the language check needs of a text, kept when the text itself is not: its number
    of words and each language's stop-word share."""

    words: int
    shares: dict[str, float]

    @classmethod
    def of(cls, text: str, also: Sequence[str] = ()) -> LanguageEvidence:
        """Evidence for the candidate languages plus `also` (e.g. the declared language)."""
        sample = text[:SAMPLE_CHARS]
        languages = list(dict.fromkeys([*CANDIDATE_LANGUAGES, *(a for a in also if a != AUTO)]))
        return cls(*_counted_shares(sample, languages))

    def best(self) -> str | None:
        """The candidate with the highest share (ties: the first listed); None without any."""
        best = max(self.shares, key=lambda lang: self.shares[lang], default=None)
        return best if best is not None and self.shares[best] > 0 else None

    def clearly_not(self, language: str) -> str | None:
        """The language the text clearly reads as when that is not `language`, else None (also
        for too short a text or a language whose share was not measured)."""
        best = self.best()
        if self.words < MIN_WORDS or best is None or best == language:
            return None
        if language not in self.shares:
            return None
        theirs, ours = self.shares[best], self.shares[language]
        return best if theirs >= CLEAR_SHARE and theirs >= CLEAR_RATIO * ours else None


def check_language(
    where: str, language: str, declared: bool, evidence: LanguageEvidence, default: str
) -> tuple[str, list[str]]:
    """Settle one transcript's language; returns (language, warnings naming `where`).

    `language` is what its front matter or the participant sheet says (`declared`) or else the
    run's default, `default` the run's ``--language`` (`AUTO` guesses each undeclared one).
    """
    if not declared and default == AUTO:
        guess = evidence.best()
        if guess is not None:
            return guess, []
        fallback = LANGUAGES[0]
        return fallback, [
            f"{where}: --language auto cannot tell its language (no stop word of "
            f"{', '.join(CANDIDATE_LANGUAGES)}); coded as {language_name(fallback)}"
        ]
    likely = evidence.clearly_not(language)
    if likely is None:
        return language, []
    if declared:
        theirs, ours = evidence.shares[likely], evidence.shares[language]
        return language, [
            f"{where}: declares language '{language}' but reads as {language_name(likely)}: "
            f"{theirs:.0%} of its words are '{likely}' stop words, {ours:.0%} '{language}' ones; "
            "check its 'language:'"
        ]
    return language, [
        f"{where}: declares no language and was coded as '{language}', but reads as "
        f"{language_name(likely)}; add 'language: {likely}' to its front matter or the "
        "participant sheet, or use --language auto"
    ]
