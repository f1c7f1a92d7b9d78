"""The output folder: its tables, run manifest, lock and atomic replacement.

Exports `load_output`, `write_result`, `atomic_write_file` and `CodedOutput`.
"""

from qualcode.output.atomic import atomic_write_file
from qualcode.output.folder import CodedOutput, load_output, write_result

__all__ = ["CodedOutput", "atomic_write_file", "load_output", "write_result"]
