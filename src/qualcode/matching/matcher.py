"""Codebook -> spaCy matchers -> automatic codings of segments.

One `CodebookMatcher` per language holds every pattern of the codebook for that language:
lemma phrases in a PhraseMatcher on NORM (where nlp.py stores lower-cased lemmas), `lower`
phrases on LOWER, `exact` phrases on ORTH, wildcard phrases and raw token patterns in a Matcher,
regexes compiled with the `regex` module, which can stop a search after a time limit: a regex
that runs past `REGEX_TIMEOUT` seconds on one segment stops the run with a RegexTimeoutError
naming the pattern and the segment. Exclusion patterns run in the same pass; a match that
overlaps an exclusion of its code (or any match, for scope: segment) is discarded.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import regex

from qualcode.codebook.schema import MAX_WILDCARD, WILDCARD, Codebook, Pattern
from qualcode.errors import RegexTimeoutError
from qualcode.matching.anchoring import AnchoredPatterns
from qualcode.matching.locate import Locator, regex_literals
from qualcode.matching.pipelines import LanguagePipeline

_LEMMA_KEYS = {"LEMMA"}
# Windows of a segment are joined by a whitespace character that is no tokenizer special case:
# a special case ("\n" is one) switches off spaCy's tokenizer cache for the rest of the doc.
_JOINERS = "\r\x0b\x0c\u2028\u2029"
_STRING_PREDICATES = {"IN", "NOT_IN", "==", "!="}
# Seconds one regex may search one segment: a well-behaved pattern needs milliseconds on the
# longest turn; one that backtracks catastrophically would need years.
REGEX_TIMEOUT = 2.0


@dataclass(frozen=True)
class Match:
    """One surviving match: which code, which pattern, where (character offsets in the segment)."""

    code: str
    pattern_id: str
    start: int
    end: int


def _rewrite_token_pattern(tokens: list[dict[str, Any]], pipeline: LanguagePipeline) -> list[dict]:
    """Point LEMMA at NORM (lower-cased lookup lemmas), lemmatising the pattern's values too."""
    rewritten = []
    for token in tokens:
        new: dict[str, Any] = {}
        for key, value in token.items():
            if str(key).upper() in _LEMMA_KEYS:
                if isinstance(value, str):
                    value = {"IN": lemma_variants(value, pipeline)}
                elif isinstance(value, dict):
                    value = {
                        k: (
                            [x for v in val for x in lemma_variants(v, pipeline)]
                            if k in ("IN", "NOT_IN") and isinstance(val, list)
                            else val
                        )
                        for k, val in value.items()
                    }
                new["NORM"] = value
            else:
                new[key] = value
        rewritten.append(new)
    return rewritten


def lemma_variants(word: str, pipeline: LanguagePipeline) -> list[str]:
    """The NORM values a pattern word stands for: its lookup lemma and its lower-cased form.

    Both, because lookup tables are ambiguous: Spanish "rueda" looks up to "rodar" (the verb)
    while "ruedas" looks up to "rueda" -- the pattern "rueda de prensa" must match both.
    """
    return list(dict.fromkeys([pipeline.lemma(word), word.lower()]))


def _wildcard_phrase(pattern: Pattern, pipeline: LanguagePipeline) -> list[dict[str, Any]]:
    """'file * lawsuit' -> [NORM file, any token 0..2 times, NORM lawsuit]."""
    attr = {"lemma": "NORM", "lower": "LOWER", "exact": "ORTH"}[pattern.match]
    tokens: list[dict[str, Any]] = []
    for word in pattern.value.split():
        if word == WILDCARD:
            tokens.append({"OP": f"{{0,{MAX_WILDCARD}}}"})
            continue
        for token in pipeline.make_docs([word])[0]:
            if attr == "NORM":
                tokens.append({"NORM": {"IN": lemma_variants(token.text, pipeline)}})
            else:
                tokens.append({attr: token.lower_ if attr == "LOWER" else token.text})
    return tokens


def _phrase_docs(pattern: Pattern, pipeline: LanguagePipeline) -> list:
    """Pattern docs for a PhraseMatcher; lemma phrases get one doc per lemma variant combination."""
    from itertools import islice, product

    from spacy.tokens import Doc

    doc = pipeline.make_docs([pattern.value])[0]
    if pattern.match != "lemma":
        return [doc]
    words = [t.text for t in doc]
    options = [lemma_variants(w, pipeline) for w in words]
    docs = []
    for combination in islice(product(*options), 64):
        variant = Doc(pipeline.nlp.vocab, words=words, spaces=[t.whitespace_ != "" for t in doc])
        for token, norm in zip(variant, combination, strict=True):
            token.norm_ = norm
        docs.append(variant)
    return docs


class CodebookMatcher:
    """All patterns of a codebook for one language, compiled for one pipeline."""

    def __init__(
        self,
        codebook: Codebook,
        pipeline: LanguagePipeline,
        *,
        anchor: bool = True,
        locate: bool = True,
    ) -> None:
        """Compile the codebook's patterns for `pipeline`'s language.

        `anchor=False` puts every token pattern in one plain spaCy Matcher, and `locate=False`
        tokenizes and matches whole segments instead of the windows where a pattern could
        match (both slower; kept to check that neither changes any result).
        """
        from spacy.matcher import Matcher, PhraseMatcher

        self.language = pipeline.language
        self.pipeline = pipeline
        vocab = pipeline.nlp.vocab
        self._phrase = {
            "lemma": PhraseMatcher(vocab, attr="NORM"),
            "lower": PhraseMatcher(vocab, attr="LOWER"),
            "exact": PhraseMatcher(vocab, attr="ORTH"),
        }
        # Token patterns were validated when the codebook was loaded (load_codebook).
        self._matcher = Matcher(vocab, validate=False)
        self._anchored = AnchoredPatterns(vocab, pipeline.nlp.Defaults.stop_words)
        self._regexes: list[tuple[Pattern, regex.Pattern[str]]] = []
        self._codebook_file = None if codebook.path is None else str(codebook.path)
        self._by_key: dict[int, Pattern] = {}
        self.patterns = codebook.patterns_for(pipeline.language)
        used, located, token_patterns = self._compile(pipeline)
        self.locator: Locator | None = None
        self._always: set[str] = set()
        self._joiner = _JOINERS[0]  # unused while every segment is one window
        if locate and pipeline.model is None:
            self._build_locator(pipeline, located)
        # Anchor each token pattern on the token the locator finds it by: the anchor positions
        # are then the few places where that rare token occurs.
        chosen: dict[str, int] = self.locator.chosen if self.locator is not None else {}
        for pattern, tokens in token_patterns:
            if not (anchor and self._anchored.add(pattern.id, tokens, chosen.get(pattern.id))):
                self._matcher.add(pattern.id, [tokens])
                used["matcher"] = True
        self._active: list[Any] = [m for name, m in self._phrase.items() if used[name]]
        if used["matcher"]:
            self._active.append(self._matcher)
        if self._anchored:
            self._active.append(self._anchored)

    def _build_locator(self, pipeline: LanguagePipeline, located: list) -> None:
        """Set up the locator, which finds the windows of a segment where a pattern could match."""
        joiners = [c for c in _JOINERS if c not in pipeline.tokenizer_rules()]
        if not joiners:
            return
        self._joiner = joiners[0]
        literals = [(p.id, regex_literals(p.value)) for p, _ in self._regexes]
        self.locator = Locator(
            located,
            pipeline.forms_of_norms,
            pipeline.spanning_specials(),
            pipeline.nlp.Defaults.stop_words,
            [(label, found) for label, found in literals if found],
        )
        # A regex without a literal may match any text: always run it.
        self._always = {label for label, found in literals if not found}

    def _compile(self, pipeline: LanguagePipeline) -> tuple[dict[str, bool], list, list]:
        """Put phrases in the PhraseMatchers and regexes aside; return which matchers are used,
        every pattern as the tokens the locator reads, and the token patterns still to add."""
        vocab = pipeline.nlp.vocab
        used = {"lemma": False, "lower": False, "exact": False, "matcher": False}
        located: list[tuple[str, list[dict[str, Any]]]] = []
        token_patterns: list[tuple[Pattern, list[dict[str, Any]]]] = []
        for pattern in self.patterns:
            key = vocab.strings.add(pattern.id)
            self._by_key[key] = pattern
            if pattern.kind == "regex":
                self._regexes.append((pattern, regex.compile(pattern.value, regex.IGNORECASE)))
            elif pattern.kind == "tokens" or WILDCARD in pattern.value.split():
                tokens = (
                    _rewrite_token_pattern(pattern.value, pipeline)
                    if pattern.kind == "tokens"
                    else _wildcard_phrase(pattern, pipeline)
                )
                token_patterns.append((pattern, tokens))
                located.append((pattern.id, tokens))
            else:
                docs = _phrase_docs(pattern, pipeline)
                self._phrase[pattern.match].add(pattern.id, docs)
                used[pattern.match] = True
                located.append((pattern.id, _phrase_tokens(pattern.match, docs)))
        return used, located, token_patterns

    @property
    def empty(self) -> bool:
        return not self.patterns

    def match_segments(
        self, texts: Sequence[str], segment_ids: Sequence[str] | None = None
    ) -> list[list[Match]]:
        """Match every segment text; returns, per segment, the surviving matches in text order.

        `segment_ids` name the segments in a RegexTimeoutError (their positions otherwise).

        Only the windows of a segment where some pattern could match are tokenized and matched
        (see locate.py): joined by a break (a carriage return) into one doc per segment, and
        only matches inside one window are kept, at their offsets in the segment. They are
        exactly the matches of the whole segment.
        """
        plans = [
            self.locator.plan(text) if self.locator is not None else ([(0, len(text))], None)
            for text in texts
        ]
        wanted = [i for i, (windows, _) in enumerate(plans) if windows]
        docs = self.pipeline.make_docs(
            [self._joiner.join(texts[i][s:e] for s, e in plans[i][0]) for i in wanted]
        )
        doc_of = dict(zip(wanted, docs, strict=True))
        names = segment_ids if segment_ids is not None else [f"#{i + 1}" for i in range(len(texts))]
        return [
            self._match_doc(doc_of.get(i), text, *plans[i], names[i])
            for i, text in enumerate(texts)
        ]

    def _match_doc(
        self,
        doc,
        text: str,
        windows: list[tuple[int, int]],
        alive: set[str] | None,
        segment: str = "",
    ) -> list[Match]:
        raw: list[tuple[Pattern, int, int]] = []
        if doc is not None:
            by_key = self._by_key
            found = [
                (by_key[key], doc[start:end])
                for m in self._active
                for key, start, end in (m(doc, alive) if m is self._anchored else m(doc))
            ]
            raw = _back_to_segment(found, windows)
        for pattern, compiled in self._regexes:
            if alive is not None and pattern.id not in alive and pattern.id not in self._always:
                continue
            raw.extend(
                (pattern, s, e) for s, e in self._regex_spans(pattern, compiled, text, segment)
            )
        if not raw:
            return []
        exclusions = [(p, s, e) for p, s, e in raw if p.exclusion]
        kept = [
            Match(p.code, p.id, s, e)
            for p, s, e in raw
            if not p.exclusion and not _excluded(p.code, s, e, exclusions)
        ]
        kept.sort(key=lambda m: (m.start, m.end, m.code, m.pattern_id))
        return kept

    def _regex_spans(
        self, pattern: Pattern, compiled: regex.Pattern[str], text: str, segment: str
    ) -> list[tuple[int, int]]:
        """The non-empty matches of one regex in one segment, within the time limit."""
        try:
            found = compiled.finditer(text, timeout=REGEX_TIMEOUT)
            return [(m.start(), m.end()) for m in found if m.end() > m.start()]
        except TimeoutError:
            raise RegexTimeoutError(
                f"pattern {pattern.id} took more than {REGEX_TIMEOUT:g} s on segment {segment} "
                "and was stopped: the regex backtracks catastrophically (a repeated group that "
                "repeats inside, such as (a+)+, or alternatives matching the same text, such as "
                "(a|aa)+); rewrite it",
                file=self._codebook_file,
                line=pattern.line,
            ) from None


def whole_segment_reasons(codebook: Codebook, language: str) -> list[str]:
    """Why segments in `language` would be matched whole instead of only around pattern
    strings (see locate.py): one line per pattern that cannot be located; empty when all can."""
    from qualcode.matching.pipelines import get_pipeline

    matcher = CodebookMatcher(codebook, get_pipeline(language))
    return [] if matcher.locator is None else list(matcher.locator.reasons)


def _back_to_segment(found: list, windows: list[tuple[int, int]]) -> list:
    """(pattern, span in the joined windows) -> (pattern, start, end in the segment).

    A span reaching over the break between two windows exists only in the joined text and
    is dropped.
    """
    starts, position = [], 0
    for start, end in windows:
        starts.append(position)
        position += end - start + 1
    raw = []
    for pattern, span in found:
        index = bisect_right(starts, span.start_char) - 1
        window_start, window_end = windows[index]
        shift = window_start - starts[index]
        if span.end_char + shift <= window_end:
            raw.append((pattern, span.start_char + shift, span.end_char + shift))
    return raw


def _phrase_tokens(match: str, docs: list) -> list[dict[str, Any]]:
    """A phrase pattern as the token pattern it amounts to (what the locator reads)."""
    if match == "lemma":
        return [{"NORM": {"IN": sorted({d[i].norm_ for d in docs})}} for i in range(len(docs[0]))]
    attr = "LOWER" if match == "lower" else "ORTH"
    return [{attr: t.lower_ if match == "lower" else t.text} for t in docs[0]]


def _excluded(code: str, start: int, end: int, exclusions: list[tuple[Pattern, int, int]]) -> bool:
    for pattern, s, e in exclusions:
        if pattern.code != code:
            continue
        if pattern.scope == "segment" or (s < end and start < e):
            return True
    return False
