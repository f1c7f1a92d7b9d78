"""Exchange with other software: REFI-QDA projects and codebooks (write, read, import) and tables.

Exports `export_qdpx`, `export_qdc`, `import_qdpx`, `import_qdc` and `write_tables`.
"""

from qualcode.exchange.refi import export_qdc
from qualcode.exchange.refi_import import import_qdc, import_qdpx
from qualcode.exchange.refi_project import export_qdpx
from qualcode.exchange.tabular import write_tables

__all__ = ["export_qdc", "export_qdpx", "import_qdc", "import_qdpx", "write_tables"]
