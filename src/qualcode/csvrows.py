"""Line-located reading of hand-edited CSV files (override files, codings from other tools)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence

from qualcode.errors import Problem

# Coder names become file names (overrides/<coder>.csv), so they are kept to a safe alphabet.
CODER_OK = re.compile(r"^[\w.\-]+$")


def data_rows(
    reader, header: Sequence[str], name: str, problems: list[Problem]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {column: stripped value}) for each data row of `reader` after its header.

    Blank rows are skipped; a row with the wrong number of fields, or CSV syntax that stops the
    reader, is appended to `problems` with its line instead of being yielded.
    """
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                problems.append(
                    Problem(f"expected {len(header)} fields, found {len(fields)}", name, line)
                )
                continue
            yield line, dict(zip(header, (f.strip() for f in fields), strict=True))
    except csv.Error as exc:
        problems.append(Problem(f"malformed CSV: {exc}", name, reader.line_num))
