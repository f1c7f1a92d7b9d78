"""Validity of the auto-coding: gold passages, `codebook test` scores against a baseline,
executable examples, explanations of single codes, and suggestions learned from misses.

Exports `read_gold`, `measure_codebook`, `check_examples`, `explain_text`, `explain_segment`.
"""

from qualcode.validity.examples import check_examples
from qualcode.validity.explain import explain_segment, explain_text
from qualcode.validity.gold import Passage, read_gold
from qualcode.validity.measure import CodebookTest, measure_codebook

__all__ = [
    "CodebookTest",
    "Passage",
    "check_examples",
    "explain_segment",
    "explain_text",
    "measure_codebook",
    "read_gold",
]
