"""Validity of the auto-coding: gold passages, `codebook test` scores against a baseline,
executable examples, explanations of single codes, and suggestions learned from misses.

Exports `read_gold`, `measure_codebook`, `check_examples`, `explain_text`, `explain_segment`;
imported lazily (as the top-level API is), so explaining one text does not load pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_API = {
    "CodebookTest": "qualcode.validity.measure",
    "measure_codebook": "qualcode.validity.measure",
    "Passage": "qualcode.validity.gold",
    "read_gold": "qualcode.validity.gold",
    "check_examples": "qualcode.validity.examples",
    "explain_segment": "qualcode.validity.explain",
    "explain_text": "qualcode.validity.explain",
}

__all__ = list(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'qualcode.validity' has no attribute {name!r}")
