"""The output folder: its tables, run manifest, lock, marker and atomic, guarded replacement.

Exports `load_output`, `write_result`, `atomic_write_file`, `CodedOutput`, and from `guard`
`check_output_folder`, `unexpected_files` and `MARKER_FILE` (which folders may be replaced).
"""

from qualcode.output.atomic import atomic_write_file
from qualcode.output.folder import CodedOutput, load_output, write_result
from qualcode.output.guard import MARKER_FILE, check_output_folder, unexpected_files

__all__ = [
    "MARKER_FILE",
    "CodedOutput",
    "atomic_write_file",
    "check_output_folder",
    "load_output",
    "unexpected_files",
    "write_result",
]
