"""Which language a text is in, from the share of its words that are each language's stop words
(spaCy's own stop lists: no model, nothing downloaded). Reliable for a sentence or more."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@cache
def stop_words(language: str) -> frozenset[str]:
    """spaCy's stop-word list for `language` (empty when spaCy has none)."""
    import importlib

    try:
        module = importlib.import_module(f"spacy.lang.{language}.stop_words")
    except ImportError:
        return frozenset()
    return frozenset(w.lower() for w in getattr(module, "STOP_WORDS", ()))


def stop_word_shares(text: str, languages: Sequence[str]) -> dict[str, float]:
    """For each language, the share of the text's words that are its stop words."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return {lang: 0.0 for lang in languages}
    return {lang: sum(w in stop_words(lang) for w in words) / len(words) for lang in languages}


def guess_language(text: str, languages: Sequence[str]) -> str | None:
    """The language among `languages` with the highest stop-word share; None for a text with no
    stop word of any of them (too short or another language). Ties go to the first listed."""
    shares = stop_word_shares(text, languages)
    best = max(languages, key=lambda lang: shares[lang], default=None)
    return best if best is not None and shares[best] > 0 else None
