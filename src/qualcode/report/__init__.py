"""The review report (one self-contained HTML page, from templates) and figures for papers.

Exports `build_report`, `write_report` and `plot_output`.
"""

from qualcode.report.figures import plot_output
from qualcode.report.page import build_report, write_report

__all__ = ["build_report", "plot_output", "write_report"]
