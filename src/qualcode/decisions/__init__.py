"""Coders' decisions: read and validate decision files, append to them, apply them to codings.

Exports `read_overrides`, `apply_overrides`, `append_override` and `decide`.
"""

from qualcode.decisions.ledger import (
    Decision,
    append_override,
    apply_overrides,
    decide,
    read_overrides,
)

__all__ = ["Decision", "append_override", "apply_overrides", "decide", "read_overrides"]
