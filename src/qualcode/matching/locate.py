"""Find the few places in a segment where a codebook pattern could match, before tokenizing it.

Tokenizing is the largest cost of a coding run, yet a codebook's patterns match a small part of
a transcript. Every pattern has a *required* token whose text must contain a known string: the
word of a phrase, the value of a LOWER/ORTH test, a surface form of a lemma (the lookup table,
read backwards), or the literal that a REGEX test starts with. One Aho-Corasick pass
(pyahocorasick, in C) finds those strings in the case-folded segment; around each hit a window is
cut at whitespace, wide enough to hold every token the pattern could span on either side; only
the windows are tokenized and matched.

Why the result is exactly that of matching the whole segment:

* spaCy's tokenizer splits text at whitespace first and tokenizes each whitespace-separated
  chunk on its own, so a window that starts and ends at chunk boundaries yields the same tokens
  as the segment does there. The exception, special cases that contain a space (Spanish
  "EE. UU."), is handled by never cutting through one.
* A pattern match contains its required token, so it contains a hit; the window around that hit
  extends `before` chunks to the left and `after` chunks to the right, and every chunk holds at
  least one token, so the whole match lies in the window. Windows that overlap are merged, so a
  match lies in exactly one window and is found exactly once.
* Patterns that test only attributes of the word form (text, lemma, shape, flags) match a window
  as they match the segment. A language whose patterns test anything else (sentence starts,
  custom extensions) or cannot be located is matched on whole segments, as before.

A test checks that windowed and whole-segment matching agree on the sample, a generated corpus
and fuzzed text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from qualcode.matching.anchoring import REQUIRED_OPS, expected_hits, span_bound, value_tests
from qualcode.matching.regex_literals import regex_literals  # matcher.py imports it from here

Window = tuple[int, int]
# Token attributes that depend only on the word form (or are the operator): a pattern using only
# these matches the same tokens in a window as in the whole segment.
CONTEXT_FREE_KEYS = frozenset(
    {
        "OP",
        "ORTH",
        "TEXT",
        "LOWER",
        "NORM",
        "LENGTH",
        "SHAPE",
        "PREFIX",
        "SUFFIX",
        "IS_ALPHA",
        "IS_ASCII",
        "IS_DIGIT",
        "IS_LOWER",
        "IS_UPPER",
        "IS_TITLE",
        "IS_PUNCT",
        "IS_SPACE",
        "IS_STOP",
        "IS_BRACKET",
        "IS_QUOTE",
        "IS_LEFT_PUNCT",
        "IS_RIGHT_PUNCT",
        "IS_CURRENCY",
        "LIKE_NUM",
        "LIKE_URL",
        "LIKE_EMAIL",
    }
)


@functools.cache
def _chunks_forward(count: int) -> re.Pattern[str]:
    """The rest of the current chunk, then up to `count` more whitespace-separated chunks."""
    return re.compile(rf"\S*(?:\s+\S+){{0,{count}}}")


def _chunk_reach(count: int, text: str, position: int) -> int:
    """Where the rest of the chunk at `position` and `count` more chunks of `text` end."""
    match = _chunks_forward(count).match(text, position)
    assert match is not None  # every part of the pattern may be empty: it always matches
    return match.end()


class Locator:
    """Where the token patterns of one language could match, found without tokenizing.

    `patterns` are (label, token pattern) pairs, with LEMMA already rewritten to NORM;
    `text_patterns` are (label, strings one of which occurs in any match) of patterns matched
    on the raw text (regexes): they get no window, `plan` only tells whether they may match.
    `forms_of_norms(values)` maps NORM values (lower-cased lemmas) to every surface form whose
    NORM can be that value; `spanning_specials` are tokenizer special cases containing
    whitespace, which a window must never cut. When some pattern cannot be located, `whole` is
    set (with `reasons`) and every segment is matched whole.
    """

    def __init__(
        self,
        patterns: Sequence[tuple[str, Sequence[dict[str, Any]]]],
        forms_of_norms: Callable[[set[str]], dict[str, set[str]]],
        spanning_specials: Iterable[str] = (),
        common_words: Iterable[str] = (),
        text_patterns: Sequence[tuple[str, list[str]]] = (),
    ) -> None:
        self._specials = sorted(set(spanning_specials))
        self._common = {w.casefold() for w in common_words}
        self._automaton: Any = None
        self.whole = False
        self.reasons: list[str] = []
        # label -> index of the token each pattern is found by (its rarest required token).
        self.chosen: dict[str, int] = {}
        norms = {
            value
            for _, tokens in patterns
            for token in tokens
            for attr, values in _token_options(token)
            if attr == "NORM"
            for value in values
        }
        forms = forms_of_norms(norms) if norms else {}
        reach: dict[str, tuple[int | None, int | None]] = {}
        labels: dict[str, set[str]] = {}
        for label, tokens in patterns:
            located = self._locate(tokens, forms, self._common)
            if isinstance(located, str):
                self.whole = True
                self.reasons.append(f"{label} {located}".strip())
                continue
            needles, before, after, self.chosen[label] = located
            for needle in needles:
                old = reach.get(needle, (0, 0))
                reach[needle] = (_widest(old[0], before), _widest(old[1], after))
                labels.setdefault(needle, set()).add(label)
        # Patterns matched on the raw text (regexes) need no window, only to know they may match.
        for label, literals in text_patterns:
            for needle in {literal.casefold() for literal in literals}:
                labels.setdefault(needle, set()).add(label)
        if self.whole or not labels:
            return
        import ahocorasick

        automaton = ahocorasick.Automaton()
        for needle in sorted(labels):
            windowed = needle in reach
            before, after = reach.get(needle, (0, 0))
            automaton.add_word(
                needle, (len(needle), before, after, frozenset(labels[needle]), windowed)
            )
        automaton.make_automaton()
        self._automaton = automaton

    @staticmethod
    def _locate(
        tokens: Sequence[dict[str, Any]], forms: dict[str, set[str]], common: set[str]
    ) -> tuple[set[str], int | None, int | None, int] | str:
        """(needles, tokens before, tokens after, token index) of the best required token, or
        why not."""
        for token in tokens:
            if not set(map(str, token)) <= CONTEXT_FREE_KEYS:
                return "tests a token attribute that depends on its context"
        best = None
        for index, token in enumerate(tokens):
            if token.get("OP") not in REQUIRED_OPS:
                continue
            for attr, values in _token_options(token):
                needles = {v.casefold() for v in values}
                if attr == "NORM":
                    needles.update(f.casefold() for v in values for f in forms.get(v, ()))
                if not needles or any(not n or any(c.isspace() for c in n) for n in needles):
                    continue
                cost = sum(expected_hits(n, common) for n in needles)
                if best is None or cost < best[0]:
                    best = (cost, index, needles)
        if best is None:
            return "has no required token with a known text"
        _, index, needles = best
        before = span_bound(tokens[:index])
        after = None if tokens[index].get("OP") == "+" else span_bound(tokens[index + 1 :])
        return needles, before, after, index

    def windows(self, text: str) -> list[Window]:
        """Disjoint, sorted (start, end) character windows of `text` to tokenize and match."""
        return self.plan(text)[0]

    def plan(self, text: str) -> tuple[list[Window], set[str] | None]:
        """The windows of `text`, and the labels of the patterns whose string occurs in it.

        Any other pattern cannot match anywhere in the text. None means: every pattern may.
        """
        whole = [(0, len(text))] if text else []
        if self.whole or not text or text[0].isspace() or text[-1].isspace():
            return whole, None
        if self._automaton is None:
            return [], set()
        folded = text.casefold()
        if len(folded) != len(text):
            return whole, None  # case folding changed offsets (e.g. 'ß' -> 'ss'): keep it simple
        spans: list[Window] = []
        alive: set[str] = set()
        unbounded = False  # a hit of a pattern without a length bound: the whole text
        reversed_text = None
        for end, (length, before, after, labels, windowed) in self._automaton.iter(folded):
            alive |= labels
            if not windowed or unbounded:
                continue
            if before is None or after is None:
                unbounded = True
                continue
            start = end + 1 - length
            if reversed_text is None:
                reversed_text = text[::-1]
            back = _chunk_reach(before, reversed_text, len(text) - start)
            spans.append((len(text) - back, _chunk_reach(after, text, end + 1)))
        if unbounded:
            return whole, alive
        if not spans:
            return [], alive
        spans = merge_spans(spans)
        return (self._keep_specials_whole(text, spans) if self._specials else spans), alive

    def _keep_specials_whole(self, text: str, spans: list[Window]) -> list[Window]:
        """Widen windows that would cut through a special case containing whitespace."""
        while True:
            extra = []
            for special in self._specials:
                at = text.find(special)
                while at != -1:
                    stop = at + len(special)
                    for start, end in spans:
                        if at < end and start < stop and not (start <= at and stop <= end):
                            extra.append(
                                (
                                    _chunk_start(text, min(at, start)),
                                    _chunk_end(text, max(end, stop)),
                                )
                            )
                    at = text.find(special, at + 1)
            if not extra:
                return spans
            spans = merge_spans(spans + extra)


def _token_options(token: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(attribute, strings) for each test of `token` that pins its text to known strings."""
    options = []
    for attr, kind, argument in value_tests(token)[0]:
        if kind == "in":
            options.append((attr, argument))
        elif attr != "NORM":  # a NORM regex tests the lemma, which need not be in the text
            literals = regex_literals(argument)
            if literals:
                options.append((attr, literals))
    return options


def _chunk_end(text: str, position: int) -> int:
    while position < len(text) and not text[position].isspace():
        position += 1
    return position


def _chunk_start(text: str, position: int) -> int:
    while position > 0 and not text[position - 1].isspace():
        position -= 1
    return position


def _widest(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else max(a, b)


def merge_spans(spans: Sequence[Window]) -> list[Window]:
    """Union of character spans, sorted, overlapping or touching spans merged."""
    merged: list[Window] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
