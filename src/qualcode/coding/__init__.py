"""The coding run: read transcripts, segment, match, apply decisions, stream rows to a sink.

Exports the run's API (`load_transcripts`, `code_corpus`, `code_to_folder`, `CodingResult`,
`CodingOptions`).
"""

from qualcode.coding.api import CodingResult, code_corpus, code_to_folder, load_transcripts
from qualcode.coding.options import CodingOptions

__all__ = ["CodingOptions", "CodingResult", "code_corpus", "code_to_folder", "load_transcripts"]
