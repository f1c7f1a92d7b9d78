"""The keyword baseline: what a trivial coder gets, so a codebook is never shown alone.

For each code, its keywords are the words of its name, definition and include text, lower-cased
and lemmatised with the English lookup table (the rule texts are in English, with the local terms
they quote: "bandi", "empadronamiento", ...). Left out: words under 4 letters, digits, the stop
words of every language spaCy knows among en/it/es, and words that appear in the texts of more
than one code (they cannot tell codes apart: "health", "public", "care"). A passage gets a code
when any of its tokens, as written (lower-cased) or as its lookup lemma, is one of the code's
keywords. Nothing is tuned to any gold set.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from qualcode.codebook.schema import Codebook
from qualcode.validity.gold import Passage

BASELINE_CHOICES = ("keywords",)
_WORD = re.compile(r"[^\W\d_]{4,}")


def keyword_sets(codebook: Codebook, codes: Sequence[str]) -> dict[str, set[str]]:
    """The distinctive keywords of each code (see the module docstring)."""
    from qualcode.matching.pipelines import get_pipeline

    english = get_pipeline("en")
    stop = _stop_words()
    words: dict[str, set[str]] = {}
    for name in codes:
        code = codebook.get(name)
        text = " ".join(
            [name.replace("_", " "), *(() if code is None else (code.definition, code.include))]
        )
        found = {w.lower() for w in _WORD.findall(text)}
        words[name] = {english.lemma(w) for w in found if w not in stop} | (found - stop)
    shared = Counter(w for ws in words.values() for w in ws)
    return {name: {w for w in ws if shared[w] == 1} for name, ws in words.items()}


def keyword_coder(
    codebook: Codebook, codes: Sequence[str]
) -> Callable[[Sequence[Passage]], list[set[str]]]:
    """A coder function: passages -> the set of codes each gets from the keywords."""
    from qualcode.matching.pipelines import get_pipeline

    keywords = keyword_sets(codebook, codes)

    def code(passages: Sequence[Passage]) -> list[set[str]]:
        given = []
        for passage in passages:
            doc = get_pipeline(passage.language).make_docs([passage.text])[0]
            forms = {t.lower_ for t in doc} | {t.norm_ for t in doc}
            given.append({name for name, words in keywords.items() if words & forms})
        return given

    return code


def _stop_words() -> set[str]:
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.es.stop_words import STOP_WORDS as ES
    from spacy.lang.it.stop_words import STOP_WORDS as IT

    return {w.lower() for w in EN | ES | IT}
