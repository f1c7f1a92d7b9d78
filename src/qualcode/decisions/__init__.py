"""Coders' decisions: read and validate decision files, append to them, apply them to codings.

Exports `read_overrides`, `apply_overrides`, `append_override`, `mark_done`, `decide`,
`coverage` (which transcripts each coder coded in full) and `layer_codings` (the auto, a coder's
or the final layer: see layers.py).
"""

from qualcode.decisions.append import append_override, mark_done
from qualcode.decisions.coverage import Coverage, coverage
from qualcode.decisions.layers import layer_codings
from qualcode.decisions.ledger import (
    Decision,
    apply_overrides,
    decide,
    read_overrides,
)

__all__ = [
    "Coverage",
    "Decision",
    "append_override",
    "apply_overrides",
    "coverage",
    "decide",
    "layer_codings",
    "mark_done",
    "read_overrides",
]
