"""CSV rows: line-located reading of hand-edited CSV files (override files, codings from other
tools), the coder-name rule, and spreadsheet-safe cells for the CSV files qualcode writes."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from qualcode.errors import Problem

if TYPE_CHECKING:
    import pandas as pd

# Coder names become file names (overrides/<coder>.csv): a word character first (so never a
# hidden file, "." or ".."), then word characters, dots and hyphens; \Z, unlike $, refuses a
# trailing newline. Use with fullmatch or match alike.
CODER_OK = re.compile(r"\A\w[\w.\-]*\Z")
CODER_RULE = "a coder name starts with a letter, digit or _ and holds only those, '.' and '-'"

# A text cell starting with one of these is a formula (or a control character that hides one)
# for Excel, LibreOffice and Google Sheets; OWASP's advice is to prefix it with a quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe_text(text: str) -> str:
    """`text` with a leading ' when a spreadsheet would read it as a formula, else unchanged."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column names are `spreadsheet_safe_text`.

    Only text is touched: numbers (negative ones too), booleans and missing values stay as
    they are. Returns `frame` itself when nothing needed a prefix.
    """
    changed = {}
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if column.dtype.kind != "O" and not _is_text_dtype(column):
            continue
        try:
            first = column.str[:1]  # missing for missing values and for non-text cells
        except AttributeError:  # an object column without any text
            continue
        risky = first.isin(FORMULA_STARTS).to_numpy(dtype=bool)
        if risky.any():
            safe = column.astype(object).copy()
            safe[risky] = ["'" + value for value in column[risky]]
            changed[position] = safe
    names = [spreadsheet_safe_text(c) if isinstance(c, str) else c for c in frame.columns]
    if not changed and names == list(frame.columns):
        return frame
    result = frame.copy()
    for position, safe in changed.items():
        result.isetitem(position, safe)
    result.columns = names
    return result


def _is_text_dtype(column: pd.Series) -> bool:
    import pandas as pd

    return isinstance(column.dtype, pd.StringDtype)


def data_rows(
    reader,
    header: Sequence[str],
    name: str,
    problems: list[Problem],
    tail: Sequence[str] = (),
    optional: Sequence[str] = (),
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {column: stripped value}) for each data row of `reader` after its header.

    Blank rows are skipped; a row with the wrong number of fields, or CSV syntax that stops the
    reader, is appended to `problems` with its line instead of being yielded. A row may also
    carry the columns `tail` after the header's (columns added after a file's header was
    written, in an append-only file), or leave out the header's last columns `optional` (rows
    written before those columns were added to the header).
    """
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            names = header
            if tail and len(fields) == len(header) + len(tail):
                names = [*header, *tail]
            elif optional and len(fields) == len(header) - len(optional):
                names = header[: len(fields)]
            if len(fields) != len(names):
                message = f"expected {len(header)} fields, found {len(fields)}"
                if tail:
                    message += f" (or {len(header) + len(tail)}, with {', '.join(tail)})"
                if optional:
                    message += f" (or {len(header) - len(optional)}, without {', '.join(optional)})"
                problems.append(Problem(message, name, line))
                continue
            yield line, dict(zip(names, (f.strip() for f in fields), strict=True))
    except csv.Error as exc:
        problems.append(Problem(f"malformed CSV: {exc}", name, reader.line_num))
