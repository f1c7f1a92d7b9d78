"""Anchored token patterns: hash lookups find where a pattern can match, spaCy verifies it.

spaCy's Matcher tries every pattern at every token and evaluates IN/REGEX predicates in Python,
so a real codebook (hundreds of researcher-written token patterns) makes it the bottleneck of
the whole run. Here each pattern gets an *anchor*: one required token whose NORM, LOWER or ORTH
must be one of a few strings -- the rarest-looking one (not a stop word, few alternatives).
Positions where a doc's token has such a value are found with a vectorised set lookup; only
there is the pattern's own small spaCy Matcher run, on the window of tokens the pattern could
span around the anchor. The result is exactly what one big Matcher would return (tested).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from itertools import product
from typing import Any

ATTRS = ("NORM", "LOWER", "ORTH")  # columns of the per-doc attribute array, in this order
_ALIASES = {"TEXT": "ORTH"}
REQUIRED_OPS = (None, "+")
MAX_OPTIONAL = 6  # more optional tokens than this (64 variants) go to spaCy's Matcher


def token_length_bounds(token: dict[str, Any]) -> int | None:
    """Most tokens one pattern token can consume (None when unbounded)."""
    op = token.get("OP")
    if op in (None, "?", "!"):
        return 1
    if op in ("+", "*"):
        return None
    match = re.fullmatch(r"\{(\d*)(,?)(\d*)\}", str(op))
    if match is None:
        return None
    low, comma, high = match.groups()
    if not comma:
        return int(low or 0)
    return int(high) if high else None


def span_bound(tokens: Sequence[dict[str, Any]]) -> int | None:
    """Most tokens a sequence of pattern tokens can consume (None when unbounded)."""
    total = 0
    for token in tokens:
        bound = token_length_bounds(token)
        if bound is None:
            return None
        total += bound
    return total


def value_tests(token: dict[str, Any]) -> tuple[list[tuple[str, str, Any]], bool]:
    """What a pattern token tests of NORM/LOWER/ORTH (TEXT is ORTH), in that attribute order:
    (attribute, "in", [strings]) for a value or an IN list, (attribute, "regex", pattern) for a
    REGEX; and whether that is all it tests (besides OP)."""
    tests: list[tuple[str, str, Any]] = []
    complete = True
    for key, value in token.items():
        if key == "OP":
            continue
        attr = _ALIASES.get(str(key), str(key))
        if attr not in ATTRS:
            complete = False
        elif isinstance(value, str):
            tests.append((attr, "in", [value]))
        elif isinstance(value, dict):
            for predicate, argument in value.items():
                if predicate == "IN" and isinstance(argument, list) and argument:
                    if all(isinstance(v, str) for v in argument):
                        tests.append((attr, "in", list(argument)))
                        continue
                elif predicate == "REGEX" and isinstance(argument, str):
                    tests.append((attr, "regex", argument))
                    continue
                complete = False
        else:
            complete = False
    tests.sort(key=lambda test: ATTRS.index(test[0]))
    return tests, complete


def _hashable_values(token: dict[str, Any]) -> tuple[str, list[str] | re.Pattern[str]] | None:
    """What a token requires of NORM/LOWER/ORTH: a list of strings, or a compiled REGEX."""
    tests, _ = value_tests(token)
    for kind in ("in", "regex"):
        for attr, found, argument in tests:
            if found == kind:
                return attr, argument if kind == "in" else re.compile(argument)
    return None


def expected_hits(word: str, common: Collection[str]) -> float:
    """A rough guess of how often `word` occurs, to find patterns by their rarest token.

    Each further letter makes a string several times rarer (the locator searches words as
    substrings, so 'port' is also found in 'support'); stop words are many times more frequent
    than other words of their length, and one- or two-letter strings are everywhere.
    """
    if len(word) <= 2:
        return 100.0
    return (20.0 if word in common else 1.0) * 4.0 ** (4 - min(len(word), 9))


def choose_anchor(
    tokens: list[dict[str, Any]], stop_words: Collection[str], prefer: int | None = None
) -> tuple[int, str, list[str] | re.Pattern[str], int, int | None] | None:
    """Pick the anchor token: (index, attribute, values, max tokens before, max tokens after).

    The values are the strings the token's attribute must be one of, or the REGEX it matches.

    Candidates are required tokens (no OP, or '+', which still consumes the anchor token) with
    hashable values and a bounded number of tokens before them. Stop words, very short words
    and long alternative lists make a poor anchor (they occur everywhere), so they score worse.
    `prefer` is the index of a token to take when it qualifies (the locator's choice).
    """
    best = None
    for index, token in enumerate(tokens):
        if token.get("OP") not in REQUIRED_OPS or token.get("OP") == "+" and index:
            continue
        found = _hashable_values(token)
        if found is None:
            continue
        before = span_bound(tokens[:index])
        if before is None:
            continue
        attr, values = found
        if index == prefer:
            score = (-1.0, index)
        elif isinstance(values, re.Pattern):
            score = (2.0, index)  # a word-form regex: usually selective, but costs a test per form
        else:
            score = (sum(expected_hits(v.casefold(), stop_words) for v in values), index)
        if best is None or score < best[0]:
            after = span_bound(tokens[index + 1 :])
            if token.get("OP") == "+":
                after = None
            best = (score, (index, attr, values, before, after))
    return None if best is None else best[1]


def _group_regexes(
    regexes: list[tuple[str, re.Pattern[str], int]],
) -> list[tuple[str, re.Pattern[str] | None, list[tuple[re.Pattern[str], int]]]]:
    """Regex anchors by attribute, each group with one alternation that matches when any does.

    The alternation is None when it cannot stand for its parts (inline flags, backreferences).
    """
    by_attr: dict[str, list[tuple[re.Pattern[str], int]]] = {}
    for attr, regex, pattern in regexes:
        by_attr.setdefault(attr, []).append((regex, pattern))
    groups = []
    for attr, members in by_attr.items():
        sources = [regex.pattern for regex, _ in members]
        any_of = None
        if not any(re.search(r"\\\d|\(\?[aiLmsux-]|\(\?P[=<]", p) for p in sources):
            try:
                any_of = re.compile("|".join(f"(?:{p})" for p in sources))
            except re.error:
                any_of = None
        groups.append((attr, any_of, members))
    return groups


class AnchoredPatterns:
    """A set of token patterns matched via their anchors (see the module docstring)."""

    def __init__(self, vocab, stop_words: Collection[str] = ()) -> None:
        self.vocab = vocab
        self.stop_words = {w.lower() for w in stop_words}
        # Anchor lookup runs in spaCy's PhraseMatcher (C hash lookups), one per attribute, with
        # one single-token phrase per anchor value; _by_key maps a phrase key to its patterns.
        self._phrases: dict[str, Any] = {}
        self._by_key: dict[int, list[int]] = {}
        self._matchers: list[Any] = []
        self._reach: list[tuple[int, int | None]] = []
        self._requirements: list[list[tuple[int, frozenset[int]]]] = []
        # Patterns of plain value tests (optional tokens allowed) are verified by lookups, as
        # spaCy would, without a Matcher call; see _direct_form.
        self._direct: list[list[tuple[int, int, tuple[tuple[int, int, Any], ...]]] | None] = []
        self._regex_tests: list[tuple[re.Pattern[str], dict[int, bool]]] = []
        self._keys: list[int] = []
        self._labels: list[str] = []
        # Regex anchors: (attribute, regex, pattern), tested once per distinct word form.
        self._regexes: list[tuple[str, re.Pattern[str], int]] = []
        self._seen: dict[str, set[int]] = {a: set() for a in ATTRS}
        self._regex_groups: list[tuple[str, re.Pattern[str] | None, list]] | None = None

    def add(self, key: str, tokens: list[dict[str, Any]], prefer: int | None = None) -> bool:
        """Add a pattern under `key` if it can be anchored; False when it cannot.

        `prefer`: the index of the token to anchor on, if it can be (see choose_anchor).
        """
        from spacy.matcher import Matcher

        anchor = choose_anchor(tokens, self.stop_words, prefer)
        if anchor is None:
            return False
        anchor_index, attr, values, before, after = anchor
        # Other required tokens with fixed values: a window lacking one cannot match, and
        # checking that with set lookups is far cheaper than running the Matcher on it.
        requirements = []
        for index, token in enumerate(tokens):
            if index == anchor_index or token.get("OP") not in REQUIRED_OPS:
                continue
            found = _hashable_values(token)
            if found is not None and not isinstance(found[1], re.Pattern):
                column = ATTRS.index(found[0])
                requirements.append(
                    (column, frozenset(self.vocab.strings.add(v) for v in found[1]))
                )
        self._requirements.append(requirements)
        self._direct.append(self._direct_form(tokens, anchor_index))
        self._keys.append(self.vocab.strings.add(key))
        self._labels.append(key)
        matcher = Matcher(self.vocab, validate=False)  # validated by load_codebook
        matcher.add(key, [tokens])
        position = len(self._matchers)
        self._matchers.append(matcher)
        self._reach.append((before, after))
        if isinstance(values, re.Pattern):
            self._regexes.append((attr, values, position))
            self._regex_groups = None
            return True
        for value in dict.fromkeys(values):
            self._add_anchor(attr, value, position)
        return True

    def _direct_form(
        self, tokens: list[dict[str, Any]], anchor_index: int
    ) -> list[tuple[int, int, tuple[tuple[int, int, Any], ...]]] | None:
        """The pattern as fixed-length variants checked by lookups, or None if it needs a Matcher.

        A pattern whose tokens are required or optional ('?') and test only NORM/LOWER/ORTH by
        value, list or REGEX (or nothing: a wildcard) matches exactly the spans matched by one
        of its variants -- each optional token kept or left out -- which is also what spaCy's
        Matcher returns for it. Each variant is (the anchor's position in it, its length, its
        checks); a check is (token offset from the anchor, column, allowed string ids or the
        index of a regex check).
        """
        optional = [i for i, t in enumerate(tokens) if t.get("OP") == "?"]
        if len(optional) > MAX_OPTIONAL or any(t.get("OP") not in (None, "?") for t in tokens):
            return None
        checks = []
        strings = self.vocab.strings
        for token in tokens:
            tests, complete = value_tests(token)
            if not complete:
                return None
            checks.append(
                [
                    (
                        ATTRS.index(attr),
                        frozenset(strings.add(v) for v in argument)
                        if kind == "in"
                        else self._regex_check(argument),
                    )
                    for attr, kind, argument in tests
                ]
            )
        variants = []
        for kept in product((True, False), repeat=len(optional)):
            dropped = {i for i, keep in zip(optional, kept, strict=True) if not keep}
            if anchor_index in dropped:
                continue
            positions = [i for i in range(len(tokens)) if i not in dropped]
            at = positions.index(anchor_index)
            # (offset from the anchor, column, test), set lookups before regexes
            flat = sorted(
                (
                    (slot - at, column, test)
                    for slot, i in enumerate(positions)
                    for column, test in checks[i]
                ),
                key=lambda check: (not isinstance(check[2], frozenset), abs(check[0])),
            )
            variants.append((at, len(positions), tuple(flat)))
        return variants

    def _regex_check(self, pattern: str) -> int:
        """Index of a regex check; its results are cached per string id."""
        self._regex_tests.append((re.compile(pattern), {}))
        return len(self._regex_tests) - 1

    def _regex_hit(self, test: int, value: int) -> bool:
        """Whether the string with id `value` matches regex check `test` (cached per id)."""
        regex, cache = self._regex_tests[test]
        hit = cache.get(value)
        if hit is None:
            hit = cache[value] = regex.search(self.vocab.strings[value]) is not None
        return hit

    def _add_anchor(self, attr: str, value: str, pattern: int) -> None:
        from spacy.matcher import PhraseMatcher
        from spacy.tokens import Doc

        name = f"{attr}\x1f{value}"
        key = self.vocab.strings.add(name)
        if key not in self._by_key:
            if attr not in self._phrases:
                self._phrases[attr] = PhraseMatcher(self.vocab, attr=attr)
            doc = Doc(self.vocab, words=[value])
            if attr == "NORM":
                doc[0].norm_ = value
            self._phrases[attr].add(name, [doc])
            self._by_key[key] = []
        if pattern not in self._by_key[key]:
            self._by_key[key].append(pattern)

    def _test_new_forms(self, columns: list[list[int]]) -> None:
        """Test regex anchors once per word form never seen before; hits become anchors."""
        strings = self.vocab.strings
        if self._regex_groups is None:
            self._regex_groups = _group_regexes(self._regexes)
        for attr, any_of, regexes in self._regex_groups:
            seen = self._seen[attr]
            new = set(columns[ATTRS.index(attr)])
            new.difference_update(seen)
            seen |= new
            for value in new:
                text = strings[value]
                if any_of is not None and not any_of.search(text):
                    continue  # most forms match none of the regexes: one test instead of many
                for regex, pattern in regexes:
                    if regex.search(text):
                        self._add_anchor(attr, text, pattern)

    def __bool__(self) -> bool:
        return bool(self._matchers)

    def __call__(self, doc, alive: Collection[str] | None = None) -> list[tuple[int, int, int]]:
        """(match key, start token, end token) of every match in `doc`, like Matcher.__call__.

        `alive`, when given, holds the keys of the only patterns that can match in `doc` (the
        others' required strings are absent, see locate.py); the rest are not tried.
        """
        from spacy.attrs import LOWER, NORM, ORTH

        if not len(doc) or not self._matchers:
            return []
        columns = doc.to_array([NORM, LOWER, ORTH]).T.tolist()
        if self._regexes:
            self._test_new_forms(columns)
        candidates: set[tuple[int, int]] = set()
        by_key = self._by_key
        labels = self._labels
        for matcher in self._phrases.values():
            for key, position, _ in matcher(doc):
                for pattern in by_key[key]:
                    if alive is None or labels[pattern] in alive:
                        candidates.add((pattern, position))
        found: set[tuple[int, int, int]] = set()
        n = len(doc)
        for pattern, position in sorted(candidates):
            before, after = self._reach[pattern]
            start = max(0, position - before)
            end = n if after is None else min(n, position + 1 + after)
            direct = self._direct[pattern]
            if (direct is None or len(direct) > 1) and not all(
                not required.isdisjoint(columns[column][start:end])
                for column, required in self._requirements[pattern]
            ):
                continue
            if direct is not None:
                key = self._keys[pattern]
                for anchor_at, length, checks in direct:
                    first = position - anchor_at
                    if first < 0 or first + length > n:
                        continue
                    for offset, column, test in checks:
                        value = columns[column][position + offset]
                        if type(test) is frozenset:
                            if value not in test:
                                break
                        elif not self._regex_hit(test, value):
                            break
                    else:
                        found.add((key, first, first + length))
                continue
            for key, s, e in self._matchers[pattern](doc[start:end]):
                # Keep matches that contain the anchor; others are found from their own anchor.
                if start + s <= position < start + e:
                    found.add((key, start + s, start + e))
        return sorted(found, key=lambda m: (m[1], m[2], m[0]))
