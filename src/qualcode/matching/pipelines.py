"""Per-language spaCy pipelines: blank tokenizer + case-insensitive lookup lemmas, offline.

Why lemmas live in the lexeme's NORM: a lemma from a lookup table is a function of the word form,
so it is computed once per distinct form and stored on the vocabulary entry (``Lexeme.norm``).
Every later token of that form carries it for free, and spaCy's Matcher and PhraseMatcher read it
through the ``NORM`` attribute. Lemmas are looked up on the lower-cased form, so "Presentamos" at
the start of a sentence gets the lemma of "presentamos" ("presentar").
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import QualcodeError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


class LanguagePipeline:
    """Tokenizer and lemma normaliser for one language (blank pipeline, or a trained one)."""

    def __init__(self, language: str, model: str | None = None) -> None:
        import spacy

        self.language = language
        self.model = model
        if model:
            try:
                self.nlp: Language = spacy.load(model)
            except OSError:
                raise QualcodeError(
                    f"spaCy pipeline '{model}' is not installed; qualcode never downloads models "
                    "(omit --spacy-model to use the built-in blank pipelines)"
                ) from None
            self._table = None
        else:
            try:
                self.nlp = spacy.blank(language)
            except ImportError:
                raise QualcodeError(f"spaCy has no language '{language}'") from None
            self._table = lemma_table(language)
        self._seen: set[int] = set()
        self._sentencizer: Any = None

    # -- lemmas ---------------------------------------------------------------------------------

    def lemma(self, form: str) -> str:
        """Lower-cased lemma of a word form (the form itself, lower-cased, when unknown)."""
        low = form.lower()
        if self._table is None:
            if self.model:
                doc = self.nlp(low)
                return doc[0].lemma_.lower() if len(doc) == 1 and doc[0].lemma_ else low
            return low
        lemma = self._table.get(low)
        if lemma is None and low != form:
            lemma = self._table.get(form)
        return (lemma or low).lower()

    def forms_of_norms(self, values: set[str]) -> dict[str, set[str]]:
        """Every word form (lower-cased) whose token NORM can be one of `values`.

        The lookup table read backwards, plus the pieces of tokenizer special cases that carry
        their own NORM (English "n't" -> "not"). A form not in the table is its own NORM; the
        value itself is always included by the caller.
        """
        from spacy.attrs import NORM, ORTH

        found: dict[str, set[str]] = {v: set() for v in values}
        if self._table is not None:
            for form, lemma in self._table.items():
                hit = found.get(lemma.lower())
                if hit is not None:
                    hit.add(form.lower())
        for pieces in self.tokenizer_rules().values():
            for piece in pieces:
                norm = piece.get(NORM, piece.get("NORM"))
                orth = piece.get(ORTH, piece.get("ORTH"))
                if isinstance(norm, str) and isinstance(orth, str):
                    hit = found.get(norm.lower())
                    if hit is not None:
                        hit.add(orth.lower())
        return found

    def tokenizer_rules(self) -> dict[str, Any]:
        """The tokenizer's special cases (a blank pipeline's tokenizer is a spaCy Tokenizer)."""
        return getattr(self.nlp.tokenizer, "rules", None) or {}

    def spanning_specials(self) -> list[str]:
        """Tokenizer special cases that contain whitespace (Spanish 'EE. UU.')."""
        return sorted(
            key
            for key in self.tokenizer_rules()
            if any(c.isspace() for c in key) and not key.isspace()
        )

    def _ensure_norms(self, docs: list[Doc]) -> None:
        """Store the lemma of every not-yet-seen word form on its lexeme (NORM)."""
        import numpy as np
        from spacy.attrs import ORTH

        if not docs:
            return
        arrays = [d.to_array(ORTH) for d in docs if len(d)]
        if not arrays:
            return
        unique = np.unique(np.concatenate(arrays)).tolist()
        new = set(unique) - self._seen
        if not new:
            return
        vocab = self.nlp.vocab
        strings = vocab.strings
        for orth in sorted(new):
            lex = vocab[orth]
            lex.norm_ = self.lemma(strings[orth])
        self._seen |= new

    def make_docs(self, texts: Iterable[str]) -> list[Doc]:
        """Tokenize texts (short ones: segments, not files) and give every token its lemma NORM."""
        if self.model:
            docs = list(self.nlp.pipe(texts))
            for doc in docs:
                for token in doc:
                    token.norm_ = (token.lemma_ or token.text).lower()
            return docs
        tokenizer = self.nlp.tokenizer
        docs = [tokenizer(t) for t in texts]
        self._ensure_norms(docs)
        return docs

    # -- sentences ------------------------------------------------------------------------------

    def sentence_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the sentences of `text` (rule-based sentencizer)."""
        if self._sentencizer is None:
            from spacy.pipeline import Sentencizer

            self._sentencizer = Sentencizer()
        doc = self._sentencizer(self.nlp.make_doc(text))
        return [(s.start_char, s.end_char) for s in doc.sents]


@cache
def lemma_table(language: str):
    """The lookup lemma table of spacy-lookups-data (a dict-like with `get`; None when absent).

    Read straight from the package's gzipped JSON into a dict: building spaCy's hashed `Table`
    takes several times longer for the large Italian and Spanish tables, and only `get` is used.
    """
    import importlib.util

    spec = importlib.util.find_spec("spacy_lookups_data")
    if spec is not None and spec.origin is not None:
        path = Path(spec.origin).parent / "data" / f"{language}_lemma_lookup.json.gz"
        if path.is_file():
            return _cached_table(path, language)
    from spacy.lookups import load_lookups

    try:
        lookups = load_lookups(language, ["lemma_lookup"], strict=False)
    except (ValueError, OSError, ImportError):
        return None
    return lookups.get_table("lemma_lookup") if "lemma_lookup" in lookups.tables else None


def _cached_table(path: Path, language: str) -> dict[str, str]:
    """The gzipped JSON table at `path`, through the cache (`qualcode.cache`).

    The cache holds the table as two JSON lists (forms, lemmas), which loads about twice as fast
    as the gzipped object; the entry is keyed by the table file's size and modification time.
    """
    import gzip
    import json

    from qualcode.cache import read_entry, write_entry

    stat = path.stat()
    entry = f"lemma-lookup-{language}-{stat.st_size}-{stat.st_mtime_ns}.json"
    cached = read_entry(entry)
    if isinstance(cached, list) and len(cached) == 2 and len(cached[0]) == len(cached[1]):
        return dict(zip(cached[0], cached[1], strict=True))
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        table = json.load(handle)
    write_entry(entry, [list(table), list(table.values())])
    return table


_PIPELINES: dict[tuple[str, str | None], LanguagePipeline] = {}


def get_pipeline(language: str, model: str | None = None) -> LanguagePipeline:
    """The process-wide pipeline for a language (built once, then reused)."""
    key = (language, model)
    if key not in _PIPELINES:
        _PIPELINES[key] = LanguagePipeline(language, model)
    return _PIPELINES[key]
