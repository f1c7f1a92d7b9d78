"""Keyness: which words and short phrases are over-represented in one set of passages (the
target: those a human gave a code but the codebook missed) against another (the reference:
passages without the code).

Log-likelihood G² (Dunning 1993; Rayson & Garside 2000), as corpus tools compute it (e.g.
quanteda's ``textstat_keyness(measure = "lr")``) from a term's frequency in each corpus::

    E1 = c (a + b) / (c + d),  E2 = d (a + b) / (c + d)
    G² = 2 (a ln(a / E1) + b ln(b / E2))          (a term with a zero count adds 0)

with a, b the term's frequency in target and reference and c, d their sizes in tokens. The effect
size is Hardie's (2014) log ratio, log2((a / c) / (b / d)), with 0.5 added to a zero frequency
so that a term absent from the reference still gets a finite value.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_NGRAM = 3


def log_likelihood(a: float, b: float, c: float, d: float) -> float:
    """G² of a term seen `a` times in a target of `c` tokens and `b` times in `d` tokens."""
    if c <= 0 or d <= 0 or a + b <= 0:
        return 0.0
    e1, e2 = c * (a + b) / (c + d), d * (a + b) / (c + d)
    total = (a * math.log(a / e1) if a else 0.0) + (b * math.log(b / e2) if b else 0.0)
    return 2.0 * total


def log_ratio(a: float, b: float, c: float, d: float) -> float:
    """Hardie's log ratio (binary log of the ratio of relative frequencies), 0.5 for zeros."""
    return math.log2(((a or 0.5) / c) / ((b or 0.5) / d))


def passage_terms(lemmas: Sequence[str], content: Sequence[bool]) -> Counter[str]:
    """Terms of one passage: every content lemma, and every 2-3 lemma run that starts and ends on
    a content word (so "ricorso al tar" counts, "al tar" does not begin on one)."""
    found: Counter[str] = Counter()
    for i, lemma in enumerate(lemmas):
        if not content[i]:
            continue
        found[lemma] += 1
        for n in range(2, MAX_NGRAM + 1):
            j = i + n
            if j <= len(lemmas) and content[j - 1]:
                found[" ".join(lemmas[i:j])] += 1
    return found


@dataclass(frozen=True)
class KeyTerm:
    """One over-represented term with its counts and statistics."""

    term: str
    target_freq: int
    target_docs: int
    reference_freq: int
    g2: float
    log_ratio: float


def key_terms(
    target: Iterable[Counter[str]],
    reference: Iterable[Counter[str]],
    target_tokens: int,
    reference_tokens: int,
    *,
    min_docs: int = 2,
) -> list[KeyTerm]:
    """Terms more frequent (relatively) in the target than in the reference, in at least
    `min_docs` target passages, ranked by G² (ties: higher log ratio, fewer words, the term)."""
    target_freq: Counter[str] = Counter()
    target_docs: Counter[str] = Counter()
    for counts in target:
        target_freq.update(counts)
        target_docs.update(counts.keys())
    reference_freq: Counter[str] = Counter()
    for counts in reference:
        reference_freq.update(counts)
    found = []
    for term, a in target_freq.items():
        if target_docs[term] < min_docs:
            continue
        b = reference_freq.get(term, 0)
        if a / target_tokens <= b / max(reference_tokens, 1):
            continue
        found.append(
            KeyTerm(
                term,
                a,
                target_docs[term],
                b,
                log_likelihood(a, b, target_tokens, reference_tokens),
                log_ratio(a, b, target_tokens, reference_tokens),
            )
        )
    # Ties go to the shorter term: a word as key as the phrases around it is the more general cue.
    found.sort(key=lambda k: (-k.g2, -k.log_ratio, k.term.count(" "), k.term))
    return found
