"""qualcode: scriptable, reproducible, offline coding of qualitative interviews.

The public API is imported lazily, so `import qualcode` (and `qualcode --help`) stays fast:
spaCy and pandas load only when a function that needs them is first used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_API = {
    "load_transcripts": "qualcode.coding",
    "code_corpus": "qualcode.coding",
    "CodingResult": "qualcode.coding",
    "load_codebook": "qualcode.codebook",
    "codebook_table": "qualcode.codebook",
    "read_overrides": "qualcode.decisions",
    "apply_overrides": "qualcode.decisions",
    "append_override": "qualcode.decisions",
    "load_output": "qualcode.output",
    "write_result": "qualcode.output",
    "code_frequencies": "qualcode.analysis",
    "code_matrix": "qualcode.analysis",
    "cooccurrence": "qualcode.analysis",
    "quotes": "qualcode.analysis",
    "agreement": "qualcode.reliability",
    "code_to_folder": "qualcode.coding",
    "build_report": "qualcode.report",
    "write_report": "qualcode.report",
    "plot_output": "qualcode.report",
    "QualcodeError": "qualcode.errors",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'qualcode' has no attribute {name!r}")
