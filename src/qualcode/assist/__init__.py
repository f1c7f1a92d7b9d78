"""Assisted coding, offline: keyword-in-context review, and suggestions ranked by a local model
learned from coders' decisions (`kwic`, `suggest_segments`, `evaluate_decided`, `record_additions`).
"""

from qualcode.assist.accept import record_additions
from qualcode.assist.concordance import Concordance, kwic
from qualcode.assist.evaluate import Evaluation, evaluate_decided, evaluate_split
from qualcode.assist.rank import Suggestions, suggest_segments

__all__ = [
    "Concordance",
    "Evaluation",
    "Suggestions",
    "evaluate_decided",
    "evaluate_split",
    "kwic",
    "record_additions",
    "suggest_segments",
]
